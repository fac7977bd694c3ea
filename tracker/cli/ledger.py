"""Checking the books: the stored totals against the ledger, the audit log's chain."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from tracker import audit
from tracker.extensions import db
from tracker.ledger import totals


def _anchor(_ctx, _param, values: tuple[str, ...]) -> list[audit.ChainHead]:
    anchors = []
    for value in values:
        number, _, digest = value.partition(":")
        if not number.isascii() or not number.isdigit() or len(digest) != 64:
            raise click.BadParameter(
                f"{value!r} is not ID:HASH (as the log or a manifest gives it)"
            )
        anchors.append(audit.ChainHead(int(number), digest))
    return anchors


@click.command("check-audit")
@click.option(
    "--anchor",
    "anchors",
    multiple=True,
    callback=_anchor,
    help="A head written down earlier (ID:HASH, from the log or a backup manifest).",
)
@with_appcontext
def check_audit(anchors: list[audit.ChainHead]) -> None:
    """Exit non-zero, naming each break, if the audit log's hash chain is not whole."""
    problems = audit.check_chain(db.session, anchors)
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        raise click.ClickException(f"{len(problems)} break(s) in the audit log's chain.")
    head = audit.log_head(db.session)
    click.echo(f"The audit log's chain is whole. Head: {head or 'empty'}.")


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
