"""``flask bench-seed``: synthetic data for bench/rankings.py."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from tracker.cli.failures import CommandFailed
from tracker.cli.progress import bar
from tracker.clock import campus_today
from tracker.devtools import synthetic
from tracker.extensions import db


@click.command("bench-seed")
@click.option("--members", type=click.IntRange(1), default=20_000, show_default=True)
@click.option("--branches", type=click.IntRange(1), default=400, show_default=True)
@click.option("--entries", type=click.IntRange(0), default=1_000_000, show_default=True)
@with_appcontext
def bench_seed(members: int, branches: int, entries: int) -> None:
    """Fill an EMPTY database with synthetic members, branches and approved activities."""
    if not synthetic.database_is_empty(db.session):
        raise CommandFailed(_("bench-seed needs an empty database (run db upgrade on a new one)."))
    if members < branches:
        raise CommandFailed(_("Give at least one member per branch."))
    seeded = 0

    with bar(_("Seeding activities")) as tell:

        def step(count: int) -> None:
            nonlocal seeded
            seeded += count
            tell(seeded, entries)

        logins = synthetic.seed(
            db.session,
            members=members,
            branches=branches,
            entries=entries,
            today=campus_today(),
            progress=step,
        )
    click.echo(_("Rebuilt the stored totals; committing."))
    db.session.commit()
    click.echo(
        _(
            "Seeded %(members)d members in %(branches)d branches with %(entries)d activities.",
            members=members,
            branches=branches,
            entries=entries,
        )
    )
    click.echo(
        _(
            "Logins (password %(password)s): member %(member)s, committee %(committee)s, "
            "advisor %(advisor)s, admin %(admin)s.",
            password=synthetic.BENCH_PASSWORD,
            member=logins.member,
            committee=logins.committee,
            advisor=logins.advisor,
            admin=logins.admin,
        )
    )
