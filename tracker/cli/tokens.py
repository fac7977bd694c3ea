"""Personal access tokens from the command line."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from tracker.clock import utcnow
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.people import tokens as api_tokens
from tracker.people.accounts import find_user


@click.group()
def tokens() -> None:
    """Personal access tokens for the JSON API."""


@tokens.command("create")
@click.argument("student_no")
@click.option("--name", default="CLI", show_default=True, help="A label to tell tokens apart.")
@click.option("--days", type=click.IntRange(1, 3650), help="Lifetime; default from settings.")
@with_appcontext
def create_token(student_no: str, name: str, days: int | None) -> None:
    """Create a token for STUDENT_NO and print it once."""
    user = find_user(db.session, student_no)
    if user is None or not user.is_active:
        raise click.ClickException(f"No active account {student_no!r}.")
    try:
        issued = api_tokens.issue_token(
            db.session,
            user,
            name=name,
            now=utcnow(),
            lifetime_days=days or current_app.config["TRACKER_API_TOKEN_DAYS"],
        )
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(issued.token)
    click.echo(
        f"Token for {user.student_no}, valid until {issued.record.expires_at:%Y-%m-%d %H:%M} UTC. "
        "It is shown only now.",
        err=True,
    )
