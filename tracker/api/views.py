"""The JSON API under /api/v1: the blueprint, with every route module loaded."""

from tracker.api import account, activities, attendance, docs, events, pairings, rankings, review  # noqa: F401  (they register routes)
from tracker.api.blueprint import api, bp

__all__ = ["api", "bp"]
