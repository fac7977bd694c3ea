"""The names a board shows a viewer: full, or masked (张*三) as ``access`` decides."""

from __future__ import annotations

from tracker.models import User
from tracker.people import access
from tracker.people.names import mask_name
from tracker.settings import setting


def display_names(viewer: User, rows, readable) -> dict[int, str]:
    """{member id: the name this viewer sees} for leaderboard rows: full or 张*三."""
    show_all = setting("TRACKER_SHOW_FULL_NAMES")
    return {
        row.user_id: row.name
        if row.user_id == viewer.id
        or access.sees_full_name(viewer, row.branch_id, show_all, readable)
        else mask_name(row.name)
        for row in rows
    }
