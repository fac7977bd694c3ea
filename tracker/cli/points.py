"""``flask import-points FILE --source SOURCE``: a report of another system of record."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click
from flask.cli import with_appcontext

from tracker.clock import campus_today
from tracker.errors import InvalidInput
from tracker.extensions import db
from tracker.external import importing, reading, reports, sources
from tracker.spreadsheets import FileRefused


def _day(_ctx, param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _month(_ctx, _param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a month (YYYY-MM)") from None


def _columns(_ctx, _param, values: tuple[str, ...]) -> dict[str, str]:
    chosen = {}
    for value in values:
        name, _, header = value.partition("=")
        if name not in reading.FIELDS or not header:
            raise click.BadParameter(
                f"{value!r} is not FIELD=HEADER with FIELD one of {', '.join(reading.FIELDS)}"
            )
        chosen[name] = header
    return chosen


def _covered(on, day, week, month) -> reports.Covered:
    given = [(k, d) for k, d in (("day", day), ("week", week), ("month", month)) if d]
    if len(given) + bool(on) > 1:
        raise click.UsageError("Give one of --on, --day, --week and --month.")
    kind, first = given[0] if given else ("cumulative", on or campus_today())
    return reports.covered(kind, first)


@click.command("import-points")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", "source_key", required=True, help="xuexi, zyh, pu or a source's key.")
@click.option("--on", callback=_day, help="A cumulative report: totals up to this day (default).")
@click.option("--day", callback=_day, help="A report of this one day.")
@click.option("--week", callback=_day, help="A report of the week (from Monday) holding this day.")
@click.option("--month", callback=_month, help="A report of this month (YYYY-MM).")
@click.option(
    "--column",
    "chosen",
    multiple=True,
    callback=_columns,
    help="FIELD=HEADER: which column is which (student_no, name, value ...); remembered.",
)
@click.option(
    "--baseline",
    is_flag=True,
    help="A cumulative report's totals as the starting point: recorded, nothing booked; "
    "the next report books what was gained since.",
)
@click.option("--dry-run", is_flag=True, help="Check the file and report; book nothing.")
@with_appcontext
def import_points(
    file: Path, source_key, on, day, week, month, chosen, baseline: bool, dry_run: bool
) -> None:
    """Book a points or hours report of another system of record, all rows or none.

    Rows are matched by 学号, else by name; a report imported again books only
    what changed since.
    """
    source = sources.source_by_key(db.session, source_key)
    if source is None:
        known = ", ".join(s.key for s in sources.list_sources(db.session))
        raise click.ClickException(f"Unknown source {source_key!r}. Sources: {known}.")
    try:
        period = _covered(on, day, week, month)
        report = importing.import_points(
            db.session,
            file.read_bytes(),
            source=source,
            period=period,
            actor=None,
            branch_id=None,
            today=campus_today(),
            dry_run=dry_run,
            chosen=chosen,
            baseline=baseline,
        )
    except FileRefused as refused:
        raise click.ClickException(str(refused.message)) from None
    except InvalidInput as error:
        raise click.ClickException(str(error.message)) from None
    for line in report.rows:
        flag = "  DROP, not booked" if line.flagged else ""
        click.echo(
            f"row {line.row}: {line.student_no} {line.name} {line.value} "
            f"(before {line.previous}) -> {line.points:+} points{flag}"
        )
    for problem in report.problems:
        click.echo(f"row {problem.row}: {problem.message}", err=True)
    summary = (
        f"{len(report.rows)} rows matched, {len(report.to_book)} to book "
        f"({report.points} points), {len(report.flagged)} flagged, "
        f"{len(report.problems)} problems."
    )
    if report.problems:
        raise click.ClickException(f"Nothing was booked. {summary}")
    if dry_run:
        click.echo(f"Dry run, nothing booked. {summary}")
        return
    db.session.commit()
    click.echo(f"Booked. {summary}")
