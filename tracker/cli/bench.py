"""``flask bench-seed``: synthetic data for bench/rankings.py."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

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
        raise click.ClickException(
            "bench-seed needs an empty database (run db upgrade on a new one)."
        )
    if members < branches:
        raise click.ClickException("Give at least one member per branch.")
    with click.progressbar(length=entries, label="Activities") as bar:
        logins = synthetic.seed(
            db.session,
            members=members,
            branches=branches,
            entries=entries,
            today=campus_today(),
            progress=bar.update,
        )
    click.echo("Rebuilt the stored totals; committing.")
    db.session.commit()
    click.echo(
        f"Seeded {members} members in {branches} branches with {entries} activities. "
        f"Logins (password {synthetic.BENCH_PASSWORD}): member {logins.member}, "
        f"committee {logins.committee}, advisor {logins.advisor}, admin {logins.admin}."
    )
