"""Terms (学期): creating, changing and closing them, and finding the term of a day.

Creating or changing a term rebuilds the stored term totals in the same
transaction (``totals.rebuild_kind(session, "term")``), so a term defined
after points were earned still shows them, and a shortened term drops the
days it no longer covers.

An administrator closes a term once its points are final: ``ensure_open``
then refuses every booking on its days (``points`` asks it before each ledger
row), except an administrator's adjustment.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import audit, readcache
from tracker.errors import Conflict, InvalidInput
from tracker.ledger import totals
from tracker.models import Term, User
from tracker.periods import Period

MAX_NAME_LENGTH = 64


def _check(session: Session, name: str, first_day: date, last_day: date, term_id: int | None):
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidInput({"name": _l("A term name has 1 to 64 characters.")})
    if last_day < first_day:
        raise InvalidInput({"last_day": _l("A term cannot end before it starts.")})
    others = select(Term).where(Term.id != term_id) if term_id else select(Term)
    if session.scalars(others.where(Term.name == name)).first():
        raise InvalidInput({"name": _l("A term with this name already exists.")})
    overlapping = session.scalars(
        others.where(Term.first_day <= last_day, Term.last_day >= first_day).order_by(
            Term.first_day
        )
    ).first()
    if overlapping:
        raise InvalidInput(
            {
                "first_day": _l(
                    "This term overlaps %(name)s (%(first)s to %(last)s); terms cannot overlap.",
                    name=overlapping.name,
                    first=overlapping.first_day.isoformat(),
                    last=overlapping.last_day.isoformat(),
                )
            }
        )
    return name


def _described(term: Term) -> str:
    return f"{term.name} ({term.first_day.isoformat()} – {term.last_day.isoformat()})"


def create_term(
    session: Session, name: str, first_day: date, last_day: date, actor: User | None = None
) -> Term:
    """Add a term and rebuild the term totals; refuses overlaps and duplicate names.

    Audited; ``actor`` is None when the command line defines it.
    """
    name = _check(session, name, first_day, last_day, None)
    term = Term(name=name, first_day=first_day, last_day=last_day)
    session.add(term)
    session.flush()
    totals.rebuild_kind(session, "term")
    audit.record(session, "term.created", actor=actor, target=term, term=_described(term))
    return term


def change_term(
    session: Session,
    term: Term,
    name: str,
    first_day: date,
    last_day: date,
    actor: User | None = None,
) -> Term:
    """Rename or move a term and rebuild the term totals; refuses overlaps. Audited.

    A closed term is not moved: its days would open to bookings.
    """
    if term.closed_at is not None:
        raise Conflict(_l("This term is closed; reopen it to change it."))
    before = _described(term)
    term.name = _check(session, name, first_day, last_day, term.id)
    term.first_day, term.last_day = first_day, last_day
    session.flush()
    totals.rebuild_kind(session, "term")
    after = _described(term)
    audit.record(session, "term.changed", actor=actor, target=term, before=before, after=after)
    return term


def list_terms(session: Session) -> list[Term]:
    return list(readcache.terms(session))


def term_on(session: Session, day: date) -> Term | None:
    """The term that contains ``day``, if any."""
    # A page asks this several times (its default period, the period named, the
    # form's choices): the terms are read once per request.
    return next((t for t in readcache.terms(session) if t.first_day <= day <= t.last_day), None)


def term_period(term: Term) -> Period:
    return Period("term", term.first_day, term.last_day + timedelta(days=1), term.name)


def current_term(session: Session, today: date) -> Period | None:
    """The period of the term that contains ``today``, or None between terms."""
    term = term_on(session, today)
    return term_period(term) if term is not None else None


def closed_message(term: Term):
    return _l("The term %(name)s is closed: no points can be booked on its days.", name=term.name)


def closed_term_on(session: Session, day: date) -> Term | None:
    """The closed term that contains ``day``, if any."""
    term = term_on(session, day)
    return term if term is not None and term.closed_at is not None else None


def ensure_open(session: Session, day: date) -> None:
    """Refuse (409) a booking on a day of a closed term."""
    term = closed_term_on(session, day)
    if term is not None:
        raise Conflict(closed_message(term))


def close_term(session: Session, term: Term, now: datetime, actor: User | None = None) -> None:
    """Close the term: from now on nothing but an administrator's adjustment books on its days.

    Audited; ``actor`` is None on the command line. Closing a closed term is refused.
    """
    if term.closed_at is not None:
        raise Conflict(_l("This term is already closed."))
    term.closed_at = now
    session.flush()
    audit.record(session, "term.closed", actor=actor, target=term, term=_described(term))


def reopen_term(session: Session, term: Term, actor: User | None = None) -> None:
    """Open a closed term again: its days take bookings as before. Audited."""
    if term.closed_at is None:
        raise Conflict(_l("This term is not closed."))
    term.closed_at = None
    session.flush()
    audit.record(session, "term.reopened", actor=actor, target=term, term=_described(term))


def term_named(session: Session, name: str) -> Term | None:
    return session.scalars(select(Term).where(Term.name == (name or "").strip())).first()
