"""``flask backup PATH`` and ``flask restore PATH``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from tracker import audit, backups, restores, storage
from tracker.cli.failures import CommandFailed
from tracker.clock import utcnow
from tracker.extensions import db


def _key() -> bytes:
    configured = current_app.config.get("TRACKER_BACKUP_KEY_FILE")
    return backups.load_key(Path(configured or Path(current_app.instance_path) / "backup_key"))


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup(path: Path) -> None:
    """Write a backup (database and uploaded files) to PATH, while the app serves."""
    head = audit.log_head(db.session)
    db.session.rollback()  # nothing held open while the database is dumped
    try:
        manifest = backups.create_backup(
            db.engine,
            storage.of(current_app),
            path,
            utcnow(),
            _key(),
            audit_head=str(head) if head else None,
        )
    except backups.BackupError as error:
        raise CommandFailed(error) from None
    audit.record(db.session, "backup.created", actor=None, path=str(path))
    db.session.commit()
    click.echo(
        _(
            "Backup written to %(path)s: schema %(schema)s, uploaded files: %(files)d, "
            "audit chain head %(head)s.",
            path=path,
            schema=manifest.schema_revision,
            files=len(manifest.files) - 1,
            head=manifest.audit_head,
        )
    )


@click.command("restore")
# Whether the file exists is the restore's to say, in the terminal's language.
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--trust-unsigned",
    is_flag=True,
    help="Restore an archive that is unsigned or signed with another key.",
)
@with_appcontext
def restore(path: Path, yes: bool, trust_unsigned: bool) -> None:
    """Replace the database and uploaded files with a backup. Stop the app first."""
    if not yes and not click.confirm(_("This replaces every record and uploaded file. Go on?")):
        raise CommandFailed(_("Nothing was restored."))
    db.session.remove()
    try:
        manifest = restores.restore_backup(
            db.engine,
            storage.of(current_app),
            path,
            None if trust_unsigned else _key(),
        )
    except backups.BackupError as error:
        raise CommandFailed(error) from None
    audit.record(
        db.session,
        "backup.restored",
        actor=None,
        path=str(path),
        created_at=manifest.created_at,
        signature_checked=not trust_unsigned,
    )
    db.session.commit()
    click.echo(
        _(
            "Restored the backup of %(created)s (schema %(schema)s). Run `flask db upgrade` "
            "if this version of the app is newer.",
            created=manifest.created_at,
            schema=manifest.schema_revision,
        )
    )
