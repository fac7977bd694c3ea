"""The component schemas of the leaderboards and branch statistics."""

from __future__ import annotations

from tracker.api.blueprint import api
from tracker.api.schemas import BRANCH, DAY, POINTS, STANDING, obj, page_of
from tracker.setting_values import BOARD_MODES

PERIOD = obj(kind={"type": "string"}, first_day=DAY, last_day=DAY)
VISIBILITY = api.schema(
    "BoardVisibility",
    obj(
        mode={
            "type": "string",
            "enum": list(BOARD_MODES),
            "description": "What this caller sees: `full` every row; `upper_half` only those "
            "ranked at or above the median; `neighbours` their own rank and `neighbours` "
            "members above and below; `own` no rows, only `me`",
        },
        neighbours={"type": ["integer", "null"], "minimum": 1},
        configured={
            "type": "string",
            "enum": list(BOARD_MODES),
            "description": "The mode set for members on this scope; the committee (on its "
            "own branch), advisors and administrators see the full board",
        },
    ),
)
LEADERBOARD = api.schema(
    "MemberLeaderboard",
    page_of(
        STANDING,
        me={"anyOf": [STANDING, {"type": "null"}]},
        ranked={"type": "integer", "minimum": 0, "description": "How many of `total` have a rank"},
        period=PERIOD,
        scope=obj(kind={"type": "string"}, id={"type": ["integer", "null"]}),
        visibility=VISIBILITY,
    ),
)
BRANCH_STANDING = api.schema(
    "BranchStanding",
    obj(
        rank={
            "type": ["integer", "null"],
            "minimum": 1,
            "description": "null: no points in the period, so not ranked",
        },
        branch=BRANCH,
        college={"type": "string"},
        members={"type": "integer", "minimum": 0},
        points=POINTS,
        per_capita=POINTS,
        adjusted_per_capita={
            **POINTS,
            "description": "Points per member as if the branch had k more members earning its "
            "college's mean: (points + k · college points / college members) / (members + k); "
            "k is TRACKER_BRANCH_PRIOR_MEMBERS (5 by default)",
        },
        participation={
            "type": "number",
            "minimum": 0,
            "maximum": 1,
            "description": "Share of members with an approved activity, 0 to 1 (not a percentage)",
        },
    ),
)
BRANCH_LEADERBOARD = api.schema(
    "BranchLeaderboard",
    page_of(
        BRANCH_STANDING,
        ranked={"type": "integer", "minimum": 0, "description": "How many of `total` have a rank"},
        period=PERIOD,
        metric={"type": "string"},
        college={"anyOf": [BRANCH, {"type": "null"}]},
    ),
)
BRANCH_STATS = api.schema(
    "BranchStats",
    obj(
        branch=BRANCH,
        period=PERIOD,
        members={"type": "integer", "minimum": 0},
        participants={"type": "integer", "minimum": 0},
        participation={
            "type": "number",
            "minimum": 0,
            "maximum": 1,
            "description": "Share of members with an approved activity, 0 to 1 (not a percentage)",
        },
        points=POINTS,
        per_capita=POINTS,
        entries={"type": "integer"},
        pending={"type": "integer", "minimum": 0},
        categories={
            "type": "array",
            "items": obj(category={"type": "string"}, points=POINTS, entries={"type": "integer"}),
        },
    ),
)
