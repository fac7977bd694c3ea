"""The JSON API under /api/v1: the blueprint, with every route module loaded."""

from . import (  # noqa: F401  (they register routes)
    account,
    activities,
    docs,
    events,
    pairings,
    rankings,
    review,
)
from .blueprint import api, bp

__all__ = ["api", "bp"]
