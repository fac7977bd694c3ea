"""``flask report branch``: a branch's term report (学期工作报告) as .docx or .xlsx."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import select

from tracker import term_report_files
from tracker.cli.failures import CommandFailed
from tracker.clock import campus_today, utcnow
from tracker.extensions import db
from tracker.ledger import terms
from tracker.models import Branch, College
from tracker.ranking.term_report import term_report


@click.group()
def report() -> None:
    """Write the papers a branch hands in."""


def _branch(name: str, college_name: str | None) -> Branch:
    query = select(Branch).where(Branch.name == name)
    if college_name:
        query = query.join(College, College.id == Branch.college_id).where(
            College.name == college_name
        )
    found = db.session.scalars(query).all()
    if not found:
        raise CommandFailed(_("No branch named “%(name)s”.", name=name))
    if len(found) > 1:
        raise CommandFailed(
            _(
                "Several colleges have a branch named “%(name)s”; name one with --college.",
                name=name,
            )
        )
    return found[0]


@report.command("branch")
@click.argument("branch_name", metavar="BRANCH")
@click.option("--term", "term_name", required=True, help="The term's name, as `terms list` shows.")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write: .docx (Word) or .xlsx (Excel), by its extension.",
)
@click.option(
    "--college", "college_name", help="The branch's college, when several share its name."
)
@with_appcontext
def branch_report(branch_name: str, term_name: str, out: Path, college_name: str | None) -> None:
    """Write BRANCH's term report: members, points, meetings, 1+N, visits and hours."""
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in term_report_files.FORMATS:
        raise CommandFailed(
            _("The report is written as .docx or .xlsx, not “%(name)s”.", name=out.name)
        )
    branch = _branch(branch_name, college_name)
    term = terms.term_named(db.session, term_name)
    if term is None:
        raise CommandFailed(_("No term named %(name)s.", name=term_name))
    found = term_report(db.session, branch, term, campus_today(), utcnow())
    out.write_bytes(term_report_files.render(found, fmt, campus_today()))
    click.echo(
        _(
            "Wrote the %(term)s report of %(branch)s to %(path)s.",
            term=term.name,
            branch=branch.name,
            path=str(out),
        )
    )
