"""The JSON API under /api/v1: the blueprint, with every route module loaded."""

from tracker.api import (  # noqa: F401  (they register routes)
    account,
    activities,
    attendance,
    compliance,
    docs,
    events,
    minutes,
    pairings,
    points,
    rankings,
    review,
    term_reports,
)
from tracker.api.blueprint import api, bp

__all__ = ["api", "bp"]
