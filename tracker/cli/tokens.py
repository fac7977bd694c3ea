"""Personal access tokens from the command line."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from tracker.cli.failures import CommandFailed
from tracker.clock import utcnow
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
        raise CommandFailed(_("No active account “%(no)s”.", no=student_no))
    issued = api_tokens.issue_token(
        db.session,
        user,
        name=name,
        now=utcnow(),
        lifetime_days=days or current_app.config["TRACKER_API_TOKEN_DAYS"],
    )
    db.session.commit()
    click.echo(issued.token)
    click.echo(
        _(
            "Token for %(no)s, valid until %(until)s UTC. It is shown only now.",
            no=user.student_no,
            until=f"{issued.record.expires_at:%Y-%m-%d %H:%M}",
        ),
        err=True,
    )
