"""Stored per-period totals, derived from the ledger.

Each ledger row counts, for every period containing its day, in six tables:
per member and branch (MemberTotal), per member across the whole school
(SchoolTotal) and per branch (BranchTotal, which also counts the members with
entries), each again per category (the *CategoryTotal tables).

``apply`` keeps them current in the same transaction as each ledger row;
``rebuild`` recomputes them from the ledger; ``differences`` compares the
two and is what ``flask check-ledger`` and the tests rely on.

Day totals (period_kind "day", period_start = the day) are kept per member
and per branch only, not school-wide: they serve custom ranges
(``ranking.source``), which read whole months and the days at both ends.

Term totals (period_kind "term", period_start = the term's first day) follow
the same path; because terms are defined by an admin, possibly after points
were earned, ``tracker.terms`` calls ``rebuild_kind(session, "term")``
whenever a term is created or changed.
"""

from tracker.ledger.totals.checking import (
    differences,
    rebuild,
    rebuild_kind,
)
from tracker.ledger.totals.keeping import (
    MODELS,
    apply,
    apply_many,
    period_starts,
    school_wide,
    term_starts,
)

__all__ = [
    "MODELS",
    "apply",
    "apply_many",
    "differences",
    "period_starts",
    "rebuild",
    "rebuild_kind",
    "school_wide",
    "term_starts",
]
