"""``flask notify-upcoming``: remind members of events about to start (run by cron)."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import with_appcontext
from flask_babel import ngettext

from tracker.clock import to_campus, utcnow
from tracker.events import compliance, planning
from tracker.extensions import db
from tracker.settings import setting


@click.command("notify-upcoming")
@click.option(
    "--within",
    default=60,
    show_default=True,
    type=click.IntRange(1, 24 * 60),
    help="Remind of events starting within this many minutes.",
)
@with_appcontext
def notify_upcoming(within: int) -> None:
    """Notify the members of each event that starts soon (once per event)."""
    now = utcnow()
    told = planning.remind_upcoming(db.session, now, timedelta(minutes=within))
    # Required meetings about to fall overdue: each committee once per kind and period.
    due = compliance.remind_committees(
        db.session, to_campus(now).date(), now, setting("TRACKER_COMPLIANCE_REMIND_DAYS")
    )
    db.session.commit()
    click.echo(
        ngettext(
            "Reminded the members of %(num)d event.",
            "Reminded the members of %(num)d events.",
            told,
        )
    )
    click.echo(
        ngettext(
            "Reminded committees of %(num)d required meeting.",
            "Reminded committees of %(num)d required meetings.",
            due,
        )
    )
