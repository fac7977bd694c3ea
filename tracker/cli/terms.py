"""``flask terms``: define the terms (学期) leaderboards can be read for."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from tracker.cli.failures import CommandFailed
from tracker.clock import utcnow
from tracker.extensions import db
from tracker.ledger import terms as term_rules


def _day(ctx, param, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_("use the form YYYY-MM-DD")) from None


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
    term = term_rules.create_term(db.session, name, start, end)
    db.session.commit()
    click.echo(
        _(
            "Created term %(name)s: %(first)s to %(last)s.",
            name=term.name,
            first=term.first_day,
            last=term.last_day,
        )
    )


@terms.command("list")
@with_appcontext
def list_terms() -> None:
    """List the terms, earliest first."""
    found = term_rules.list_terms(db.session)
    if not found:
        click.echo(_("No terms yet."))
    for term in found:
        state = "\t" + _("closed") if term.closed_at else ""
        click.echo(f"{term.name}\t{term.first_day}\t{term.last_day}{state}")


def _change_state(name: str, change, done) -> None:
    term = term_rules.term_named(db.session, name)
    if term is None:
        raise CommandFailed(_("No term named %(name)s.", name=name))
    change(term)  # a refusal (DomainError) is worded by the command guard, rolled back
    db.session.commit()
    click.echo(done(term.name))


@terms.command("close")
@click.argument("name")
@with_appcontext
def close_term(name: str) -> None:
    """Close a term: no points are booked on its days but an administrator's adjustment."""
    _change_state(
        name,
        lambda term: term_rules.close_term(db.session, term, utcnow()),
        lambda term_name: _("Closed term %(name)s.", name=term_name),
    )


@terms.command("reopen")
@click.argument("name")
@with_appcontext
def reopen_term(name: str) -> None:
    """Reopen a closed term: its days take bookings again."""
    _change_state(
        name,
        lambda term: term_rules.reopen_term(db.session, term),
        lambda term_name: _("Reopened term %(name)s.", name=term_name),
    )
