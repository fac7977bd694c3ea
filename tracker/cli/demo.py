"""``flask seed-demo``: a demo campus to try the tracker with."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from tracker import storage
from tracker.cli.failures import CommandFailed
from tracker.clock import campus_now, campus_today
from tracker.devtools import demo, demo_activities, demo_xuexi
from tracker.extensions import db


def _print_logins(logins: demo.DemoLogins) -> None:
    click.echo("")
    click.echo(_("Demo logins (password for all: %(password)s):", password=demo.DEMO_PASSWORD))
    # The roles read in the terminal's language; the logins are typed as they are.
    for role, login in (
        (_("member"), logins.member),
        (_("committee"), logins.committee),
        (_("advisor"), logins.advisor),
        (_("admin"), logins.admin),
    ):
        click.echo(f"  {role:<10} {login}")
    click.echo("")


@click.command("seed-demo")
@click.option(
    "--if-empty",
    is_flag=True,
    help="Do nothing (but print the demo logins) when the database has users.",
)
@with_appcontext
def seed_demo(if_empty: bool) -> None:
    """Fill an empty database with a realistic demo: 2 colleges, 6 branches, ~120 members."""
    if demo.already_seeded(db.session):
        logins = demo.demo_logins(db.session)
        if not if_empty:
            raise CommandFailed(_("The database already has users; seed-demo needs an empty one."))
        if logins:
            _print_logins(logins)
        else:
            click.echo(_("The database has its own users; no demo was added."))
        return
    logins, count = demo.seed_demo(db.session, campus_now(), storage.of(current_app))
    click.echo(
        _(
            "Seeded the demo: %(count)d activities over %(weeks)d weeks.",
            count=count,
            weeks=demo_activities.WEEKS,
        )
    )
    sample = Path(current_app.instance_path) / "xuexi-demo-report.xlsx"
    sample.parent.mkdir(parents=True, exist_ok=True)
    sample.write_bytes(demo_xuexi.this_weeks_report(db.session, campus_today()))
    click.echo(
        _(
            "Last week's 学习强国 report is imported; try this week's with:\n"
            "  flask --app tracker import-points %(path)s --source xuexi",
            path=sample,
        )
    )
    _print_logins(logins)
