"""``flask doctor``: what an installation lacks before it serves, and how to fix it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tracker import create_app, pdfdocs

from .conftest import BASE_CONFIG, missing

READY = {
    "SECRET_KEY": "k" * 64,
    "TRACKER_HTTPS": True,
    "TRACKER_TRUSTED_PROXIES": "127.0.0.1",
    "TRACKER_BASE_URL": "https://tracker.example.edu.cn",
    "TRACKER_WORKERS": 1,
}


def _doctor(app):
    return app.test_cli_runner().invoke(args=["doctor"])


@pytest.mark.config(**READY)
def test_a_ready_installation_passes(app, tmp_path):
    if pdfdocs.find_font() is None:
        missing(f"no Chinese font for PDFs: apt-get install {pdfdocs.FONT_PACKAGE}")
    key = tmp_path / "backup_key"
    key.write_bytes(b"k" * 32)
    app.config["TRACKER_BACKUP_KEY_FILE"] = str(key)
    result = _doctor(app)
    assert result.exit_code == 0, result.output
    assert "✗" not in result.output
    assert "The database answers and its schema is up to date." in result.output
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        assert "can back up this server" in result.output
    assert result.output.rstrip().endswith("Everything checked is in order.")


def _unready(tmp_path, **more):
    not_a_folder = tmp_path / "uploads"
    not_a_folder.write_text("a file where the folder should be")
    return create_app(
        {
            **BASE_CONFIG,
            "SECRET_KEY": "dev",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'missing' / 'tracker.db'}",
            "UPLOAD_FOLDER": str(not_a_folder),
            "TRACKER_BACKUP_KEY_FILE": str(tmp_path / "backup_key"),
            "TRACKER_WORKERS": 4,
            **more,
        }
    )


def test_each_problem_is_named_with_its_fix_and_the_exit_is_non_zero(tmp_path):
    result = _doctor(_unready(tmp_path))
    assert result.exit_code == 1
    wrong = [line for line in result.output.splitlines() if line.startswith("✗")]
    for expected in (
        "SECRET_KEY is short or a well-known value",
        "TRACKER_HTTPS is off",
        "TRACKER_BASE_URL is empty",
        "The database cannot be reached",
        "counted in memory with 4 workers",
        "cannot be written",
        "There is no backup key",
    ):
        assert any(expected in line for line in wrong), (expected, result.output)
    assert "7 things to fix." in result.output


def test_the_doctor_speaks_the_terminals_language_and_hides_passwords(tmp_path, monkeypatch):
    monkeypatch.setenv("LC_MESSAGES", "zh_CN.UTF-8")
    app = _unready(tmp_path, RATELIMIT_STORAGE_URI="redis://:hunter2-pw@127.0.0.1:1/0")
    result = _doctor(app)
    assert result.exit_code == 1
    assert "数据库" in result.output and "需要修改" in result.output
    assert "redis://:***@127.0.0.1:1/0" in result.output
    assert "hunter2-pw" not in result.output


@pytest.mark.config(**{**READY, "SECRET_KEY": "x" * 64})
def test_an_empty_database_is_told_to_upgrade(app, db):
    with db.engine.begin() as connection:
        (revision,) = connection.exec_driver_sql("SELECT version_num FROM alembic_version").one()
        connection.exec_driver_sql("DELETE FROM alembic_version")
    try:
        result = _doctor(app)
    finally:
        # Not one of the tables the fixtures put back.
        with db.engine.begin() as connection:
            connection.execute(
                sa.text("INSERT INTO alembic_version (version_num) VALUES (:r)"), {"r": revision}
            )
    assert result.exit_code == 1
    assert "run `flask --app tracker db upgrade`" in result.output


def test_the_evidence_store_is_tried_on_s3_too(tmp_path, s3_endpoint):
    from .conftest import new_bucket, s3_settings

    def app_on(bucket):
        return create_app(
            {
                **BASE_CONFIG,
                **READY,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'tracker.db'}",
                **s3_settings(s3_endpoint, bucket),
            }
        )

    bucket = new_bucket(s3_endpoint)
    assert f"✓ The evidence store (s3://{bucket}/evidence) can be written." in (
        _doctor(app_on(bucket)).output
    )
    # A bucket nobody created: the check writes, so it fails here, not at an upload.
    assert "✗ The evidence store (s3://no-such-bucket/evidence) cannot be written" in (
        _doctor(app_on("no-such-bucket")).output
    )
