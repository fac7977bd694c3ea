"""``flask notify-upcoming``: remind members of events about to start (run by cron)."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import with_appcontext
from flask_babel import ngettext

from tracker.clock import utcnow
from tracker.events import planning
from tracker.extensions import db


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
    told = planning.remind_upcoming(db.session, utcnow(), timedelta(minutes=within))
    db.session.commit()
    click.echo(
        ngettext(
            "Reminded the members of %(num)d event.",
            "Reminded the members of %(num)d events.",
            told,
        )
    )
