"""The jobs every installation has: reminders, rebuilding the stored totals, importing
another system's points. (Exports are registered by the export pages, which word them.)"""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from tracker import storage
from tracker.activities import evidence
from tracker.clock import to_campus, utcnow
from tracker.errors import InvalidInput
from tracker.events import compliance, planning
from tracker.external import importing, reports, sources
from tracker.jobs.registry import Progress, handler
from tracker.ledger import totals
from tracker.models import Job, User
from tracker.settings import setting

REMINDERS, REBUILD_TOTALS, IMPORT_POINTS = "reminders", "rebuild-totals", "import-points"


@handler(REMINDERS)
def remind(session: Session, job: Job, progress: Progress) -> None:
    """Events about to start and required meetings about to fall overdue, each told once."""
    now = utcnow()
    within = timedelta(minutes=int(job.params.get("within", 60)))
    told = planning.remind_upcoming(session, now, within)
    progress(1, 2)
    due = compliance.remind_committees(
        session, to_campus(now).date(), now, setting("TRACKER_COMPLIANCE_REMIND_DAYS")
    )
    progress(2, 2)
    job.result = {"events": told, "meetings": due}


@handler(REBUILD_TOTALS)
def rebuild_totals(session: Session, job: Job, progress: Progress) -> None:
    """Every stored total from the ledger; the old totals stay until the new ones commit."""
    job.result = {"rows": totals.rebuild(session, progress)}


def staged_name(token: str) -> str:
    """Where a previewed points report waits for its confirmation, in the shared store
    (any app server, or the worker, may take the confirmation)."""
    return f"points-import-{token}.upload"


@handler(IMPORT_POINTS)
def import_points(session: Session, job: Job, progress: Progress) -> None:
    """Book a previewed report. Booking only differences to earlier imports of the source
    makes a second run book nothing, however the first one ended."""
    params = job.params
    store = storage.of(current_app)
    try:
        data = store.get(params["staged"])
    except FileNotFoundError:
        raise InvalidInput(
            {"file": _l("The previewed file is gone; please upload it again.")}
        ) from None
    source = sources.source_by_key(session, params["source"])
    if source is None:
        raise InvalidInput({"source": _l("This points source no longer exists.")})
    progress(0, 1)
    report = importing.import_points(
        session,
        data,
        source=source,
        period=reports.covered(params["period"], date.fromisoformat(params["day"])),
        actor=session.get(User, job.user_id) if job.user_id else None,
        branch_id=params.get("branch_id"),
        today=date.fromisoformat(params["today"]),
        dry_run=False,
        chosen=params.get("columns") or {},
        baseline=params.get("baseline") is True,
    )
    progress(1, 1)
    if report.applied:
        evidence.delete_on_commit(session, store, [params["staged"]])
    job.result = {
        "applied": report.applied,
        "rows": len(report.to_book),
        "points": str(report.points),
        "flagged": len(report.flagged),
        "problems": len(report.problems),
        "source": report.source_key,
        "day": params["day"],
    }
