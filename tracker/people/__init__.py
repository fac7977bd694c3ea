"""People: accounts, colleges, organisation, passwords, tokens, personal data and ``access``,
the one module that decides who may see or do what."""
