"""Checking and rebuilding the stored totals against the ledger."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from tracker.extensions import db
from tracker.ledger import totals


@click.command("check-ledger")
@with_appcontext
def check_ledger() -> None:
    """Exit non-zero, naming each difference, if a stored total disagrees with the ledger."""
    problems = totals.differences(db.session)
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        raise click.ClickException(f"{len(problems)} difference(s) between totals and ledger.")
    click.echo("Ledger and stored totals agree.")


@click.command("rebuild-totals")
@with_appcontext
def rebuild_totals() -> None:
    """Recompute every stored total from the ledger."""
    written = totals.rebuild(db.session)
    db.session.commit()
    click.echo(f"Rebuilt {written} stored totals from the ledger.")
