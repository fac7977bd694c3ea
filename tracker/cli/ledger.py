"""Checking the books: the stored totals against the ledger, the audit log's chain."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from tracker import audit
from tracker.cli.failures import CommandFailed
from tracker.cli.progress import bar
from tracker.extensions import db
from tracker.jobs import runner
from tracker.jobs.builtin import REBUILD_TOTALS
from tracker.ledger import totals


def _anchor(_ctx, _param, values: tuple[str, ...]) -> list[audit.ChainHead]:
    anchors = []
    for value in values:
        number, _colon, digest = value.partition(":")
        if not number.isascii() or not number.isdigit() or len(digest) != 64:
            raise click.BadParameter(
                _("%(value)s is not ID:HASH (as the log or a manifest gives it)", value=value)
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
        raise CommandFailed(
            ngettext(
                "%(num)d break in the audit log's chain.",
                "%(num)d breaks in the audit log's chain.",
                len(problems),
            )
        )
    head = audit.log_head(db.session)
    if head is None:
        click.echo(_("The audit log's chain is whole (the log is empty)."))
    else:
        click.echo(_("The audit log's chain is whole. Head: %(head)s.", head=head))


@click.command("check-ledger")
@with_appcontext
def check_ledger() -> None:
    """Exit non-zero, naming each difference, if a stored total disagrees with the ledger."""
    problems = totals.differences(db.session)
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        raise CommandFailed(
            ngettext(
                "%(num)d difference between totals and ledger.",
                "%(num)d differences between totals and ledger.",
                len(problems),
            )
        )
    click.echo(_("Ledger and stored totals agree."))


@click.command("rebuild-totals")
@click.option(
    "--background",
    is_flag=True,
    help="Leave it to the job worker (TRACKER_REDIS_URL) and print the job's number.",
)
@with_appcontext
def rebuild_totals(background: bool) -> None:
    """Recompute every stored total from the ledger."""
    app = current_app._get_current_object()
    if background and runner.redis_url(app):
        job = runner.submit(db.session, REBUILD_TOTALS, None)
        db.session.commit()
        runner.start(app, job)
        click.echo(_("Job %(id)d is on the queue: flask jobs worker runs it.", id=job.id))
        return
    with bar(_("Rebuilding totals")) as tell:
        written = totals.rebuild(db.session, tell)
    db.session.commit()
    click.echo(
        ngettext(
            "Rebuilt %(num)d stored total from the ledger.",
            "Rebuilt %(num)d stored totals from the ledger.",
            written,
        )
    )
