"""Backups: one archive holding the database, the uploaded files and a manifest.

A backup is taken while the app serves: SQLite's online backup API copies a
consistent snapshot page by page, and pg_dump reads inside one snapshot. The
uploaded files are hard-linked (from a folder) or downloaded (from an object
store) into a snapshot before and after the dump, so a file replaced or
deleted meanwhile is neither missed nor fatal. A restore
refuses an archive that is not a tracker backup, was made by a newer version
of the schema, is damaged (every file's SHA-256 is checked) or is not signed
with this installation's backup key (an HMAC of the manifest), unless the
operator insists.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import mimetypes
import os
import secrets
import shutil
import sqlite3
import subprocess  # noqa: S404  (pg_dump and pg_restore, with argument lists)
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from flask_babel import gettext as _
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from tracker.config import PROJECT_ROOT
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


def _sign(key: bytes, manifest: bytes) -> str:
    return hmac.new(key, manifest, hashlib.sha256).hexdigest()


def _sha256(path: Path) -> str:
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


def _pg_tool(name: str) -> str:
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


def _pg_target(engine: Engine) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and an environment carrying it."""
    url = make_url(str(engine.url.render_as_string(hide_password=False)))
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
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
        url, env = _pg_target(engine)
        _run(
            [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(target), url], env
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
                files={name: _sha256(source) for name, source in members.items()},
                audit_head=audit_head,
            )
            with tarfile.open(partial, "w:gz") as archive:
                data = manifest.as_json()
                for name, content in ((MANIFEST, data), (SIGNATURE, _sign(key, data).encode())):
                    info = tarfile.TarInfo(name)
                    info.size, info.mtime = len(content), int(now.timestamp())
                    archive.addfile(info, io.BytesIO(content))
                for name, source in members.items():
                    archive.add(source, arcname=name, recursive=False)
            # Only a complete archive gets the name asked for.
            partial.replace(path)
    except StorageUnavailable as error:
        partial.unlink(missing_ok=True)
        raise BackupError(_unreachable(storage, error)) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return manifest


def _unreachable(storage: Storage, error: StorageUnavailable) -> str:
    return f"The evidence store ({storage.describe()}) cannot be reached: {error.detail}"


def _read_manifest(archive: tarfile.TarFile, key: bytes | None) -> Manifest:
    """The manifest, checked against its signature unless ``key`` is None."""
    try:
        stream = archive.extractfile(MANIFEST)
        data = stream.read() if stream else b""
        manifest = Manifest(**json.loads(data))
    except (KeyError, TypeError, ValueError):
        raise BackupError(_("This file is not a backup of this app (no valid manifest).")) from None
    if manifest.app != APP_NAME or manifest.format != FORMAT:
        raise BackupError(_("This file is not a backup of this app."))
    if key is not None:
        try:
            stream = archive.extractfile(SIGNATURE)
            signature = stream.read().decode().strip() if stream else ""
        except (KeyError, UnicodeDecodeError):
            signature = ""
        if not signature:
            raise BackupError(
                _(
                    "The backup is not signed. Restore it only if you know where it comes from "
                    "(--trust-unsigned)."
                )
            )
        if not hmac.compare_digest(signature, _sign(key, data)):
            raise BackupError(
                _(
                    "The backup's signature does not match this installation's backup key: it "
                    "was altered, or signed with another key (TRACKER_BACKUP_KEY_FILE). Restore "
                    "it only if you know where it comes from (--trust-unsigned)."
                )
            )
    return manifest


def _check_revision(manifest: Manifest) -> None:
    script = ScriptDirectory(str(PROJECT_ROOT / "migrations"))
    for revision in manifest.schema_revision.split(","):
        try:
            known = script.get_revision(revision)
        except CommandError:
            known = None
        if known is None:
            raise BackupError(
                _(
                    "The backup has schema revision %(revision)s, which this version of the app "
                    "does not know: it was made by a newer version. Upgrade the app first.",
                    revision=revision,
                )
            )


def _safe_name(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not PurePosixPath(name).is_absolute() and ".." not in parts


def _extract(path: Path, work: Path, key: bytes | None) -> Manifest:
    """Unpack and verify the signature and every file against the manifest."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            manifest = _read_manifest(archive, key)
            names = set()
            for member in archive:
                if member.name in (MANIFEST, SIGNATURE):
                    continue
                if not member.isfile() or not _safe_name(member.name):
                    raise BackupError(
                        _("Unexpected entry %(name)s in the backup.", name=member.name)
                    )
                target = work / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.extractfile(member) as source, target.open("wb") as out:
                    shutil.copyfileobj(source, out)
                names.add(member.name)
    except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
        raise BackupError(
            _("The backup file is incomplete or damaged (%(error)s).", error=error)
        ) from None
    if names != set(manifest.files):
        raise BackupError(
            _("The backup file is incomplete: files listed in its manifest are missing.")
        )
    for name, digest in manifest.files.items():
        if _sha256(work / name) != digest:
            raise BackupError(
                _("The backup file is damaged: %(name)s does not match its checksum.", name=name)
            )
    return manifest


def _restore_database(engine: Engine, dump: Path) -> None:
    engine.dispose()
    if engine.dialect.name == "sqlite":
        with sqlite3.connect(dump) as source:
            if source.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(_("The database in the backup is damaged."))
        source.close()
        raw = engine.raw_connection()
        try:
            with sqlite3.connect(dump) as source:
                source.backup(raw.driver_connection)
            source.close()
        finally:
            raw.close()
    else:
        url, env = _pg_target(engine)
        _run(
            [
                _pg_tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--dbname",
                url,
                str(dump),
            ],
            env,
        )
    engine.dispose()


def _replace_folder(unpacked: Path, upload_folder: Path) -> None:
    upload_folder.parent.mkdir(parents=True, exist_ok=True)
    old = upload_folder.with_name(upload_folder.name + ".before-restore")
    shutil.rmtree(old, ignore_errors=True)
    if upload_folder.exists():
        upload_folder.rename(old)
    if unpacked.exists():
        shutil.move(str(unpacked), str(upload_folder))
    else:
        upload_folder.mkdir()
    shutil.rmtree(old, ignore_errors=True)


def _replace_objects(unpacked: Path, storage: Storage) -> None:
    """Put the backup's files back, then delete the objects it does not have.

    In that order, a restore cut short leaves every file of the backup there
    (and some extra ones), never a record without its file.
    """
    restored = set()
    if unpacked.is_dir():
        for item in sorted(unpacked.iterdir()):
            if item.is_file():
                storage.put(item.name, item.read_bytes(), mimetypes.guess_type(item.name)[0])
                restored.add(item.name)
    for name in list(storage.list()):
        if name not in restored:
            storage.delete(name)


def _replace_uploads(unpacked: Path, storage: Storage) -> None:
    if isinstance(storage, FolderStorage):
        _replace_folder(unpacked, storage.root)
        return
    try:
        _replace_objects(unpacked, storage)
    except StorageUnavailable as error:
        raise BackupError(
            _unreachable(storage, error) + ". The database was restored; run the restore "
            "again once the store is back."
        ) from None


def restore_backup(
    engine: Engine, storage: Storage, path: str | Path, key: bytes | None
) -> Manifest:
    """Replace the database and the stored files with the backup's.

    Everything is checked before anything is replaced, the signature with
    ``key`` (None: the operator trusts an unsigned or foreign archive). Stop
    the app while restoring: requests served meanwhile would see a mix.
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(_("%(path)s is not a file.", path=path))
    with tempfile.TemporaryDirectory(prefix="tracker-restore-") as work:
        work_path = Path(work)
        manifest = _extract(path, work_path, key)
        _check_revision(manifest)
        if manifest.database != engine.dialect.name:
            raise BackupError(
                _(
                    "This is a %(kind)s backup; the app's database is %(app_kind)s.",
                    kind=manifest.database,
                    app_kind=engine.dialect.name,
                )
            )
        _restore_database(engine, work_path / DATABASE_FILES[manifest.database])
        _replace_uploads(work_path / UPLOADS, storage)
    return manifest
