"""``flask compliance``: which required meetings (三会一课) each branch held, as a grid."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import select

from tracker.cli.failures import CommandFailed
from tracker.clock import campus_today, utcnow
from tracker.events import compliance, kinds
from tracker.extensions import db
from tracker.models import College

# One letter per state, so that a grid of many branches fits a terminal.
MARKS = {
    compliance.State.HELD: "✓",
    compliance.State.DUE: "…",
    compliance.State.OVERDUE: "✗",
    compliance.State.NO_QUORUM: "Q",
    compliance.State.NOT_REQUIRED: "-",
}


@click.command("compliance")
@click.option("--college", "college_name", help="Only the branches of this college.")
@click.option(
    "--period",
    type=click.Choice(compliance.PERIOD_KINDS),
    default="term",
    show_default=True,
    help="The period containing the day.",
)
@click.option("--on", "on", type=click.DateTime(["%Y-%m-%d"]), help="The day (default: today).")
@with_appcontext
def compliance_command(college_name: str | None, period: str, on) -> None:
    """Print each branch's required meetings: held, due, overdue or held without quorum."""
    college_id = None
    if college_name:
        college_id = db.session.scalar(select(College.id).where(College.name == college_name))
        if college_id is None:
            raise CommandFailed(_("No college named “%(name)s”.", name=college_name))
    day: date = on.date() if on else campus_today()
    branches = compliance.branches_for(db.session, None, college_id)
    grid = compliance.compliance_grid(db.session, branches, period, day, utcnow())
    click.echo(
        _(
            "Required meetings from %(first)s to %(last)s, as on %(on)s",
            first=grid.period.start.isoformat(),
            last=grid.period.last_day.isoformat(),
            on=day.isoformat(),
        )
    )
    header = [_("Branch"), *(str(kinds.SHORT_LABELS[r.kind]) for r in grid.rules)]
    click.echo("\t".join(header))
    for row in grid.rows:
        marks = [f"{MARKS[c.state]} {c.held}/{c.required}" for c in row.cells]
        click.echo("\t".join([f"{row.branch.college.name} {row.branch.name}", *marks]))
    click.echo(_("✓ held · … due · ✗ overdue · Q held without quorum · - not required"))
