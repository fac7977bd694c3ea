"""``flask import-members FILE``: the bulk import, from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from tracker.cli.failures import CommandFailed
from tracker.clock import campus_today, utcnow
from tracker.config import DEFAULT_BASE_URL
from tracker.extensions import db
from tracker.people import importing, member_rows
from tracker.spreadsheets import FileRefused, to_csv


def activation_link(token: str) -> str:
    base = current_app.config["TRACKER_BASE_URL"].strip() or DEFAULT_BASE_URL
    return base.rstrip("/") + "/activate/" + token


def write_links(path: Path, report: importing.ImportReport) -> None:
    path.write_bytes(
        to_csv(
            ["student_no", "name", "activation_link"],
            ([user.student_no, user.name, activation_link(token)] for user, token in report.links),
        )
    )


@click.command("import-members")
# A missing file is the command's to say, in the terminal's language.
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report; change nothing.")
@click.option(
    "--links",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("activation-links.csv"),
    show_default=True,
    help="Where to write the activation links of new accounts (CSV).",
)
@with_appcontext
def import_members(file: Path, dry_run: bool, links: Path) -> None:
    """Import members from a CSV or XLSX file, all rows or none."""
    data = file.read_bytes()
    try:
        _header, body = member_rows.read_table(data)
    except FileRefused as refused:
        raise CommandFailed(refused.message) from None
    with click.progressbar(length=len(body), label=_("Checking rows"), file=None) as bar:
        report = importing.import_members(
            db.session,
            data,
            actor=None,
            today=campus_today(),
            now=utcnow(),
            activation_days=current_app.config["TRACKER_ACTIVATION_DAYS"],
            dry_run=dry_run,
            progress=bar.update,
        )
    actions = {"create": _("create"), "update": _("update"), "unchanged": _("no change")}
    for line in report.rows:
        detail = f" ({', '.join(line.changes)})" if line.changes else ""
        action = actions.get(line.action, line.action)
        click.echo(
            _(
                "row %(row)d: %(action)s %(no)s %(name)s%(detail)s",
                row=line.row,
                action=action,
                no=line.student_no,
                name=line.name,
                detail=detail,
            )
        )
    for problem in report.problems:
        column = f" [{problem.column}]" if problem.column else ""
        click.echo(
            _(
                "row %(row)d%(column)s: %(message)s",
                row=problem.row,
                column=column,
                message=problem.message,
            ),
            err=True,
        )
    summary = _(
        "%(create)d to create, %(update)d to update, %(unchanged)d unchanged, "
        "%(problems)d problems.",
        create=report.count("create"),
        update=report.count("update"),
        unchanged=report.count("unchanged"),
        problems=len(report.problems),
    )
    if report.problems:
        raise CommandFailed(_("Nothing was imported. %(summary)s", summary=summary))
    if dry_run:
        click.echo(_("Dry run, nothing changed. %(summary)s", summary=summary))
        return
    # The links first: their tokens are stored hashed, so links lost after
    # the commit could not be written again. A file that cannot be written
    # leaves nothing imported.
    write_links(links, report)
    db.session.commit()
    click.echo(_("Imported. %(summary)s Activation links: %(path)s", summary=summary, path=links))
