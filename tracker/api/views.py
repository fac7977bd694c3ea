"""The JSON API under /api/v1: the blueprint, with every route module loaded."""

from . import account, activities, docs, rankings, review  # noqa: F401  (they register routes)
from .blueprint import api, bp

__all__ = ["api", "bp"]
