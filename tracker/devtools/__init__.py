"""Tools for trying and measuring the tracker: the demo campus and synthetic benchmark data."""
