"""Backups: one archive holding the database, the uploaded files and a manifest.

A backup is taken while the app serves: SQLite's online backup API copies a
consistent snapshot page by page, and pg_dump reads inside one snapshot. The
uploaded files are hard-linked (from a folder) or downloaded (from an object
store) into a snapshot before and after the dump, so a file replaced or
deleted meanwhile is neither missed nor fatal. The manifest lists every
file's SHA-256 and is signed with this installation's backup key (an HMAC);
tracker.restores checks both before it replaces anything.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import secrets
import shutil
import sqlite3
import subprocess  # noqa: S404  (pg_dump and pg_restore, with argument lists)
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from flask_babel import gettext as _
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from tracker.storage import FolderStorage, Storage, StorageUnavailable

APP_NAME = "tracker"
FORMAT = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
# The evidence files' folder in the archive, whichever store they came from.
UPLOADS = "uploads"


class BackupError(Exception):
    """A backup or restore that cannot go ahead, with the reason for the operator."""


@dataclass(frozen=True)
class Manifest:
    app: str
    format: int
    database: str
    schema_revision: str
    created_at: str
    files: dict[str, str]  # archive name → SHA-256
    # The audit chain's head when the backup was taken ("ID:HASH"): an anchor
    # that check-audit can be given later, so rows cut off the end show.
    audit_head: str | None = None

    def as_json(self) -> bytes:
        return json.dumps(self.__dict__, indent=2, sort_keys=True).encode()


def load_key(path: Path) -> bytes:
    """The key that signs backups, created once (readable by its owner only)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip().encode()


def sign_manifest(key: bytes, manifest: bytes) -> str:
    return hmac.new(key, manifest, hashlib.sha256).hexdigest()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def schema_revision(engine: Engine) -> str:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if not rows:
        raise BackupError(_("The database has no schema revision; run `flask db upgrade` first."))
    return ",".join(sorted(rows))


def pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            _(
                "%(name)s was not found. Install the PostgreSQL client tools of the server's "
                "version (e.g. `apt install postgresql-client`) and make sure %(name)s is on "
                "PATH.",
                name=name,
            )
        )
    return found


def pg_target(engine: Engine) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and an environment carrying it."""
    url = make_url(str(engine.url.render_as_string(hide_password=False)))
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def run_tool(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(
            _(
                "%(tool)s failed: %(detail)s",
                tool=Path(command[0]).name,
                detail=result.stderr.strip()[:2000],
            )
        )


def _dump_database(engine: Engine, target: Path) -> None:
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        try:
            with sqlite3.connect(target) as copy:
                raw.driver_connection.backup(copy)
            copy.close()
        finally:
            raw.close()
    elif engine.dialect.name == "postgresql":
        url, env = pg_target(engine)
        run_tool(
            [pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(target), url], env
        )
    else:
        raise BackupError(
            _("Backups of %(kind)s databases are not supported.", kind=engine.dialect.name)
        )


def _snapshot_uploads(storage: Storage, into: Path, taken: dict[str, Path]) -> None:
    """Copy every stored file not yet taken into ``into/uploads``.

    Files are never changed in place, only added and deleted, so a copy is
    stable; one deleted while we look is simply not there to take. A folder's
    files are hard-linked (no bytes copied); an object store's are downloaded.
    """
    for stored_name in storage.list():
        name = str(PurePosixPath(UPLOADS, stored_name))
        if name in taken:
            continue
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            if isinstance(storage, FolderStorage):
                try:
                    os.link(storage.path(stored_name), target)
                except OSError:
                    shutil.copy2(storage.path(stored_name), target)
            else:
                with storage.open(stored_name) as source, target.open("wb") as out:
                    shutil.copyfileobj(source, out)
        except FileNotFoundError:
            target.unlink(missing_ok=True)
            continue  # deleted after being listed
        taken[name] = target


def create_backup(
    engine: Engine,
    storage: Storage,
    path: str | Path,
    now: datetime,
    key: bytes,
    audit_head: str | None = None,
) -> Manifest:
    """Write a signed backup archive (tar.gz) of the database and every stored file.

    Safe while the app serves and members upload; on any failure nothing is
    left at ``path`` nor beside it. The files of an object store are in the
    archive as those of a folder are, so either kind restores into either.
    """
    kind = engine.dialect.name
    if kind not in DATABASE_FILES:
        raise BackupError(_("Backups of %(kind)s databases are not supported.", kind=kind))
    revision = schema_revision(engine)
    path = Path(path)
    partial = path.with_name(path.name + ".part")
    if isinstance(storage, FolderStorage):
        # Beside the uploads, so that the snapshot can be hard links.
        work_parent = storage.root.parent if storage.root.parent.is_dir() else None
    else:
        # Downloaded objects go to the disk the archive goes to.
        work_parent = path.parent if path.parent.is_dir() else None
    try:
        with tempfile.TemporaryDirectory(prefix=".tracker-backup-", dir=work_parent) as work:
            work_path = Path(work)
            taken: dict[str, Path] = {}
            # Before the dump: every file the dump can name that is later deleted.
            _snapshot_uploads(storage, work_path, taken)
            dump = work_path / DATABASE_FILES[kind]
            _dump_database(engine, dump)
            # After: files added while the dump ran.
            _snapshot_uploads(storage, work_path, taken)
            members = {DATABASE_FILES[kind]: dump, **dict(sorted(taken.items()))}
            manifest = Manifest(
                app=APP_NAME,
                format=FORMAT,
                database=kind,
                schema_revision=revision,
                created_at=now.isoformat(),
                files={name: sha256_of(source) for name, source in members.items()},
                audit_head=audit_head,
            )
            with tarfile.open(partial, "w:gz") as archive:
                data = manifest.as_json()
                for name, content in (
                    (MANIFEST, data),
                    (SIGNATURE, sign_manifest(key, data).encode()),
                ):
                    info = tarfile.TarInfo(name)
                    info.size, info.mtime = len(content), int(now.timestamp())
                    archive.addfile(info, io.BytesIO(content))
                for name, source in members.items():
                    archive.add(source, arcname=name, recursive=False)
            # Only a complete archive gets the name asked for.
            partial.replace(path)
    except StorageUnavailable as error:
        partial.unlink(missing_ok=True)
        raise BackupError(storage_unreachable(storage, error)) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return manifest


def storage_unreachable(storage: Storage, error: StorageUnavailable) -> str:
    return f"The evidence store ({storage.describe()}) cannot be reached: {error.detail}"
