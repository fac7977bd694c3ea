"""``flask import-members FILE``: the bulk import, from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from tracker.clock import campus_today, utcnow
from tracker.config import DEFAULT_BASE_URL
from tracker.extensions import db
from tracker.people import importing
from tracker.spreadsheets import to_csv


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
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
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
        _header, body = importing.read_table(data)
    except importing.FileRefused as refused:
        raise click.ClickException(str(refused.message)) from None
    with click.progressbar(length=len(body), label="Checking rows", file=None) as bar:
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
    for line in report.rows:
        detail = f" ({', '.join(line.changes)})" if line.changes else ""
        click.echo(f"row {line.row}: {line.action} {line.student_no} {line.name}{detail}")
    for problem in report.problems:
        column = f" [{problem.column}]" if problem.column else ""
        click.echo(f"row {problem.row}{column}: {problem.message}", err=True)
    summary = (
        f"{report.count('create')} to create, {report.count('update')} to update, "
        f"{report.count('unchanged')} unchanged, {len(report.problems)} problems."
    )
    if report.problems:
        raise click.ClickException(f"Nothing was imported. {summary}")
    if dry_run:
        click.echo(f"Dry run, nothing changed. {summary}")
        return
    db.session.commit()
    write_links(links, report)
    click.echo(f"Imported. {summary} Activation links: {links}")
