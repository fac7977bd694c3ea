"""People: accounts, organisation, passwords, tokens, personal data, and who may do what (``access``)."""
