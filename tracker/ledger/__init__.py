"""The ledger: categories and their rule versions, terms, points booked and the totals kept from them."""
