"""Reports from other systems of record (学习强国, 志愿汇, PU口袋校园): read, booked, reconciled."""
