"""Backups and restores: a round trip on both databases, and every refusal."""

import io
import json
import tarfile
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from tracker import audit, backups
from tracker.extensions import db as _db
from tracker.ledger.points import approve_activity
from tracker.models import Evidence, User

from .conftest import new_bucket, s3_settings


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


def snapshot(db) -> dict[str, list]:
    """Every row of every table, in primary-key order."""
    db.session.remove()
    tables = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            rows = conn.execute(table.select().order_by(*table.primary_key.columns)).all()
            tables[table.name] = [tuple(r) for r in rows]
        tables["alembic_version"] = conn.execute(sa.text("SELECT * FROM alembic_version")).all()
    return tables


def files(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def some_records(db, make, app):
    from pathlib import Path

    member = make.member(name="备份成员")
    activity = make.activity(member)
    folder = Path(app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "abc.png").write_bytes(b"\x89PNG fake image bytes")
    db.session.add(
        Evidence(
            activity_id=activity.id,
            stored_name="abc.png",
            original_name="照片.png",
            content_type="image/png",
            size=21,
        )
    )
    approve_activity(db.session, activity, make.committee(member.branch), datetime.now(UTC))
    audit.record(db.session, "test.event", actor=member, note="备份")
    db.session.commit()
    return member, folder


def test_round_trip_brings_back_every_table_and_upload(db, make, app, cli, tmp_path):
    member, folder = some_records(db, make, app)
    member_id = member.id
    before, uploads_before = snapshot(db), files(folder)
    archive = tmp_path / "tracker.tar.gz"
    result = cli("backup", str(archive))
    assert result.exit_code == 0, result.output
    after_backup = snapshot(db)  # the backup itself is audited
    # Things change after the backup ...
    make.member(name="后来的人")
    changed = db.session.get(User, member_id)
    changed.name = "改过的名字"
    db.session.commit()
    (folder / "abc.png").unlink()
    (folder / "new.pdf").write_bytes(b"%PDF-1.4 later")
    # ... and the restore brings the backup's state back.
    result = cli("restore", str(archive), "--yes")
    assert result.exit_code == 0, result.output
    restored = snapshot(db)
    restored["audit_event"] = restored["audit_event"][: len(before["audit_event"])]
    assert restored == before
    assert files(folder) == uploads_before
    assert len(after_backup["audit_event"]) == len(before["audit_event"]) + 1


def test_the_restored_audit_table_is_still_append_only(db, make, app, cli, tmp_path):
    some_records(db, make, app)
    archive = tmp_path / "b.tar.gz"
    cli("backup", str(archive))
    assert cli("restore", str(archive), "--yes").exit_code == 0
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        db.session.execute(sa.delete(_db.metadata.tables["audit_event"]))
    db.session.rollback()


def test_truncated_backup_is_refused_and_nothing_changes(db, make, app, cli, tmp_path):
    member, folder = some_records(db, make, app)
    archive = tmp_path / "b.tar.gz"
    cli("backup", str(archive))
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    make.member(name="恢复前")
    before = snapshot(db)
    result = cli("restore", str(archive), "--yes")
    assert result.exit_code != 0 and "incomplete or damaged" in result.output
    assert snapshot(db) == before


def _tar(path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


FOREIGN = [
    ({"hello.txt": b"hi"}, "not a backup of this app"),
    ({"manifest.json": b'{"app": "other"}'}, "not a backup of this app"),
    (
        {
            "manifest.json": json.dumps(
                {
                    "app": "wordpress",
                    "format": 1,
                    "database": "sqlite",
                    "schema_revision": "0001",
                    "created_at": "x",
                    "files": {},
                }
            ).encode()
        },
        "not a backup of this app",
    ),
]


def test_foreign_files_are_refused(db, cli, tmp_path):
    for members, message in FOREIGN:
        archive = tmp_path / "foreign.tar.gz"
        _tar(archive, members)
        result = cli("restore", str(archive), "--yes")
        assert result.exit_code != 0 and message in result.output, members


def test_not_even_an_archive_is_refused(cli, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("just some text")
    result = cli("restore", str(path), "--yes")
    assert result.exit_code != 0 and "incomplete or damaged" in result.output


def test_backup_of_a_newer_schema_is_refused(db, app, cli, tmp_path):
    archive = tmp_path / "b.tar.gz"
    cli("backup", str(archive))
    with tarfile.open(archive) as source:
        manifest = json.loads(source.extractfile("manifest.json").read())
        members = {
            m.name: source.extractfile(m).read() for m in source if m.name != "manifest.json"
        }
    manifest["schema_revision"] = "9999_from_the_future"
    _tar(tmp_path / "newer.tar.gz", {"manifest.json": json.dumps(manifest).encode(), **members})
    result = cli("restore", str(tmp_path / "newer.tar.gz"), "--yes", "--trust-unsigned")
    assert result.exit_code != 0 and "newer version" in result.output


def test_tampered_file_is_refused(db, app, cli, tmp_path):
    archive = tmp_path / "b.tar.gz"
    cli("backup", str(archive))
    with tarfile.open(archive) as source:
        members = {m.name: source.extractfile(m).read() for m in source}
    name = next(n for n in members if n.startswith("database"))
    members[name] = members[name][:-10] + b"0123456789"
    _tar(tmp_path / "bad.tar.gz", members)
    result = cli("restore", str(tmp_path / "bad.tar.gz"), "--yes")
    assert result.exit_code != 0 and "checksum" in result.output


def test_missing_postgres_tools_get_a_clear_message(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(backups.BackupError, match="pg_dump was not found"):
        backups.pg_tool("pg_dump")


def test_restore_asks_for_confirmation(cli, tmp_path, db):
    archive = tmp_path / "b.tar.gz"
    cli("backup", str(archive))
    result = cli("restore", str(archive))
    assert result.exit_code != 0


def test_backup_taken_while_points_are_booked_is_consistent(app, db, make, cli, tmp_path):
    import threading
    import time
    from decimal import Decimal

    from sqlalchemy import func, select

    from tracker.ledger import totals
    from tracker.ledger.points import adjust_points
    from tracker.models import LedgerEntry

    branch = make.branch()
    member_id, committee_id = make.member(branch).id, make.committee(branch).id
    stop = threading.Event()
    booked: list[int] = []

    def keep_booking() -> None:
        with app.app_context():
            session = _db.session
            member, committee = session.get(User, member_id), session.get(User, committee_id)
            while not stop.is_set() and len(booked) < 200:
                adjust_points(
                    session, member, committee, Decimal(1), "并发", datetime.now(UTC).date()
                )
                session.commit()
                booked.append(1)
            session.remove()

    writer = threading.Thread(target=keep_booking)
    writer.start()
    deadline = time.monotonic() + 30
    while len(booked) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    archive = tmp_path / "busy.tar.gz"
    result = cli("backup", str(archive))
    stop.set()
    writer.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert cli("restore", str(archive), "--yes").exit_code == 0
    db.session.remove()
    rows = db.session.scalar(select(func.count(LedgerEntry.id)))
    assert 5 <= rows <= len(booked)
    assert totals.differences(db.session) == []


def test_backup_of_the_other_database_kind_is_refused(db, app, cli, tmp_path):
    archive = tmp_path / "b.tar.gz"
    cli("backup", str(archive))
    with tarfile.open(archive) as source:
        manifest = json.loads(source.extractfile("manifest.json").read())
        members = {
            m.name: source.extractfile(m).read() for m in source if m.name != "manifest.json"
        }
    other = "postgresql" if manifest["database"] == "sqlite" else "sqlite"
    name = backups.DATABASE_FILES[other]
    members[name] = members.pop(backups.DATABASE_FILES[manifest["database"]])
    manifest["files"][name] = manifest["files"].pop(backups.DATABASE_FILES[manifest["database"]])
    manifest["database"] = other
    _tar(tmp_path / "other.tar.gz", {"manifest.json": json.dumps(manifest).encode(), **members})
    result = cli("restore", str(tmp_path / "other.tar.gz"), "--yes", "--trust-unsigned")
    assert result.exit_code != 0 and f"This is a {other} backup" in result.output


def _forged(archive, target):
    """The archive with its database and manifest both edited, checksums made to agree."""
    import hashlib

    with tarfile.open(archive) as source:
        members = {m.name: source.extractfile(m).read() for m in source}
    manifest = json.loads(members.pop("manifest.json"))
    name = next(n for n in members if n.startswith("database"))
    members[name] = members[name] + b"\0"
    manifest["files"][name] = hashlib.sha256(members[name]).hexdigest()
    _tar(target, {"manifest.json": json.dumps(manifest).encode(), **members})


def test_an_archive_edited_with_its_manifest_is_refused_unless_trusted(db, app, cli, tmp_path):
    archive = tmp_path / "b.tar.gz"
    assert cli("backup", str(archive)).exit_code == 0
    _forged(archive, tmp_path / "forged.tar.gz")
    result = cli("restore", str(tmp_path / "forged.tar.gz"), "--yes")
    assert result.exit_code != 0 and "signature does not match" in result.output


def test_an_unsigned_archive_needs_the_operator_to_insist(db, app, cli, tmp_path):
    archive = tmp_path / "b.tar.gz"
    assert cli("backup", str(archive)).exit_code == 0
    with tarfile.open(archive) as source:
        members = {m.name: source.extractfile(m).read() for m in source}
    members.pop("manifest.sig")
    _tar(tmp_path / "unsigned.tar.gz", members)
    refused = cli("restore", str(tmp_path / "unsigned.tar.gz"), "--yes")
    assert refused.exit_code != 0 and "not signed" in refused.output
    trusted = cli("restore", str(tmp_path / "unsigned.tar.gz"), "--yes", "--trust-unsigned")
    assert trusted.exit_code == 0, trusted.output


def test_backups_succeed_while_members_replace_photos(app, db, cli, tmp_path):
    """Files added and deleted while the backup runs neither fail it nor leave a .part."""
    import threading
    from pathlib import Path

    folder = Path(app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(100):
        (folder / f"old{n}.jpg").write_bytes(b"x" * 2000)
    stop = threading.Event()

    def replace_photos() -> None:
        # As evidence.store writes: beside, then renamed into place.
        n = 0
        while not stop.is_set():
            (folder / f".new{n}.jpg.part").write_bytes(b"y" * 2000)
            (folder / f".new{n}.jpg.part").replace(folder / f"new{n}.jpg")
            (folder / f"old{n % 100}.jpg").unlink(missing_ok=True)
            (folder / f"new{n - 5}.jpg").unlink(missing_ok=True)
            n += 1

    churn = threading.Thread(target=replace_photos)
    churn.start()
    try:
        results = [cli("backup", str(tmp_path / f"b{k}.tar.gz")) for k in range(3)]
    finally:
        stop.set()
        churn.join()
    assert [r.exit_code for r in results] == [0] * 3, [r.output for r in results]
    assert not list(tmp_path.glob("*.part"))
    # Each archive verifies against its manifest.
    restored = cli("restore", str(tmp_path / "b2.tar.gz"), "--yes")
    assert restored.exit_code == 0, restored.output


@pytest.mark.parametrize("store", ["s3"], indirect=True)
def test_round_trip_on_an_object_store_brings_back_every_object(
    db, make, app, cli, store, tmp_path
):
    """Backups include the bucket's objects; a restore puts them back and removes later ones."""
    member = make.member(name="对象存储")
    activity = make.activity(member)
    store.put("abc.png", b"\x89PNG in the bucket", "image/png")
    db.session.add(
        Evidence(
            activity_id=activity.id,
            stored_name="abc.png",
            original_name="照片.png",
            content_type="image/png",
            size=18,
        )
    )
    db.session.commit()
    before = snapshot(db)
    archive = tmp_path / "s3.tar.gz"
    result = cli("backup", str(archive))
    assert result.exit_code == 0 and "uploaded files: 1" in result.output, result.output
    with tarfile.open(archive) as source:
        assert source.extractfile("uploads/abc.png").read() == b"\x89PNG in the bucket"
        assert "uploads/abc.png" in json.loads(source.extractfile("manifest.json").read())["files"]

    store.delete("abc.png")
    store.put("later.pdf", b"%PDF-1.4 later", "application/pdf")
    result = cli("restore", str(archive), "--yes")  # signed with this installation's key
    assert result.exit_code == 0, result.output
    restored = snapshot(db)
    restored["audit_event"] = restored["audit_event"][: len(before["audit_event"])]
    assert restored == before
    assert list(store.list()) == ["abc.png"]
    assert store.get("abc.png") == b"\x89PNG in the bucket"
    assert store.client.head_object(Bucket=store.bucket, Key=store.key("abc.png"))[
        "ContentType"
    ] == ("image/png")


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_a_folder_backup_restores_into_an_object_store(db, make, app, cli, tmp_path, s3_endpoint):
    """Moving to object storage: back up, set TRACKER_STORAGE_URL, restore."""
    from tracker import storage

    _member, folder = some_records(db, make, app)
    archive = tmp_path / "folder.tar.gz"
    assert cli("backup", str(archive)).exit_code == 0
    app.config.update(s3_settings(s3_endpoint, new_bucket(s3_endpoint)))
    storage.init_app(app)
    result = cli("restore", str(archive), "--yes")
    assert result.exit_code == 0, result.output
    assert storage.of(app).get("abc.png") == (folder / "abc.png").read_bytes()
