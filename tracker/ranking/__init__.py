"""Ranking: the point source, member and branch boards, the school index, statistics,
dashboards and reports. Every number a page shows is added up here."""
