"""``flask evidence``: look after the stored evidence files."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from tracker import storage
from tracker.activities import fingerprint
from tracker.extensions import db


@click.group()
def evidence() -> None:
    """Look after the stored evidence files."""


@evidence.command("rehash")
@with_appcontext
def rehash() -> None:
    """Give every stored photo without one its perceptual hash (uploads before hashing)."""
    try:
        done = fingerprint.rehash_stored(db.session, storage.of(current_app))
    except storage.StorageUnavailable as error:
        raise click.ClickException(f"{error.message} ({error.detail})") from None
    db.session.commit()
    click.echo(
        ngettext("Hashed %(num)d stored photo.", "Hashed %(num)d stored photos.", done.hashed)
    )
    if done.missing:
        click.echo(
            ngettext(
                "%(num)d photo has no file in the evidence store.",
                "%(num)d photos have no file in the evidence store.",
                done.missing,
            )
        )
    if done.unreadable:
        click.echo(
            ngettext(
                "%(num)d stored file could not be read as an image.",
                "%(num)d stored files could not be read as images.",
                done.unreadable,
            )
        )
    click.echo(
        _(
            "Capture dates cannot be recovered: the EXIF of these photos was removed "
            "when they were uploaded. Only photos uploaded from now on are checked "
            "against the day claimed."
        )
    )
