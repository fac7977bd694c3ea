"""Writing the ledger: the one way a row is booked, and the lock that orders one member's caps.

``book`` refuses a day of a closed term (``terms.ensure_open``) unless told
the actor may book there (an administrator's adjustment), adds the row and
updates the stored totals in the same transaction (``totals.apply``), and tells the
member of a milestone the row makes them reach (``milestones.announce``).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.ledger import milestones, terms, totals
from tracker.models import LedgerEntry, User


def lock_member(session: Session, user_id: int) -> None:
    """Hold the member's row until the transaction ends, so caps are counted one award at a time.

    Serialises cap arithmetic for one member on PostgreSQL; SQLite already
    allows a single writer.
    """
    session.execute(select(User.id).where(User.id == user_id).with_for_update())


def book_many(
    session: Session, entries: list[LedgerEntry], *, in_closed_term: bool = False
) -> None:
    """Add many ledger rows that count no activity (an import's) and their totals at once;
    a day of a closed term is refused unless allowed, as for ``book``."""
    if not in_closed_term:
        for day in {e.earned_on for e in entries}:
            terms.ensure_open(session, day)
    session.add_all(entries)
    session.flush()
    totals.apply_many(session, entries)


def book(session: Session, entry: LedgerEntry, *, in_closed_term: bool = False) -> LedgerEntry:
    """Add the ledger row and its totals; a day of a closed term is refused unless allowed."""
    if not in_closed_term:
        terms.ensure_open(session, entry.earned_on)
    session.add(entry)
    session.flush()
    totals.apply(session, entry)
    milestones.announce(session, entry)
    return entry
