"""The ledger: categories and rule versions, terms, the points booked, the totals kept."""
