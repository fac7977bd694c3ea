"""``flask terms``: define the terms (学期) leaderboards can be read for."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext

from tracker.clock import utcnow
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.ledger import terms as term_rules


def _day(ctx, param, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use the form YYYY-MM-DD") from None


@click.group()
def terms() -> None:
    """Manage terms (学期)."""


@terms.command("create")
@click.argument("name")
@click.option("--start", required=True, callback=_day, help="First day, YYYY-MM-DD.")
@click.option("--end", required=True, callback=_day, help="Last day (included), YYYY-MM-DD.")
@with_appcontext
def create_term(name: str, start: date, end: date) -> None:
    """Create a term; its totals are rebuilt from the ledger at once."""
    try:
        term = term_rules.create_term(db.session, name, start, end)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"Created term {term.name}: {term.first_day} to {term.last_day}.")


@terms.command("list")
@with_appcontext
def list_terms() -> None:
    """List the terms, earliest first."""
    found = term_rules.list_terms(db.session)
    if not found:
        click.echo("No terms yet.")
    for term in found:
        state = "\tclosed" if term.closed_at else ""
        click.echo(f"{term.name}\t{term.first_day}\t{term.last_day}{state}")


def _change_state(name: str, change, done: str) -> None:
    term = term_rules.term_named(db.session, name)
    if term is None:
        raise click.ClickException(f"No term named {name}.")
    try:
        change(term)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"{done} term {term.name}.")


@terms.command("close")
@click.argument("name")
@with_appcontext
def close_term(name: str) -> None:
    """Close a term: no points are booked on its days but an administrator's adjustment."""
    _change_state(name, lambda term: term_rules.close_term(db.session, term, utcnow()), "Closed")


@terms.command("reopen")
@click.argument("name")
@with_appcontext
def reopen_term(name: str) -> None:
    """Reopen a closed term: its days take bookings again."""
    _change_state(name, lambda term: term_rules.reopen_term(db.session, term), "Reopened")
