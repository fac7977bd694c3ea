"""Restoring a backup: the archive is checked before anything is replaced.

A restore refuses an archive that is not a tracker backup, was made by a newer
version of the schema, is damaged (every file's SHA-256 is checked) or is not
signed with this installation's backup key (an HMAC of the manifest), unless
the operator insists. The database is replaced first, then the uploaded files.
"""

from __future__ import annotations

import hmac
import json
import mimetypes
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from pathlib import Path, PurePosixPath

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from flask_babel import gettext as _
from sqlalchemy.engine import Engine

from tracker.backups import (
    APP_NAME,
    DATABASE_FILES,
    FORMAT,
    MANIFEST,
    SIGNATURE,
    UPLOADS,
    BackupError,
    Manifest,
    pg_target,
    pg_tool,
    run_tool,
    sha256_of,
    sign_manifest,
    storage_unreachable,
)
from tracker.config import PROJECT_ROOT
from tracker.storage import FolderStorage, Storage, StorageUnavailable


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
        if not hmac.compare_digest(signature, sign_manifest(key, data)):
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
        if sha256_of(work / name) != digest:
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
        url, env = pg_target(engine)
        run_tool(
            [
                pg_tool("pg_restore"),
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
            storage_unreachable(storage, error) + ". The database was restored; run the restore "
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
