"""Every command fails in the terminal's language, without a traceback.

The walk below visits every command registered on ``app.cli`` (groups and
flask-migrate's ``db`` too) through the real ``flask`` group: a new command
must be listed here, with arguments that reach the database, or as one that
never touches it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import click
import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from flask.cli import FlaskGroup
from flask_babel import refresh

from tracker import backups, create_app
from tracker.cli.failures import DATABASE_AWAY
from tracker.config import PROJECT_ROOT
from tracker.storage import FolderStorage

from .conftest import BASE_CONFIG

# Nothing listens on port 1: connecting fails at once, as with a server that is down.
POSTGRES_AWAY = "postgresql+psycopg://tracker:s3cret-pw@127.0.0.1:1/tracker?connect_timeout=2"
PASSWORD = "a-long-pass-word-1"

# Commands of flask-migrate that read only the migration scripts.
WITHOUT_DATABASE = {
    "db init",
    "db revision",
    "db edit",
    "db merge",
    "db show",
    "db history",
    "db heads",
    "db branches",
    "db list-templates",
    # Copies a file into the instance folder; no database involved.
    "vendor-chartjs",
}


def _arguments(tmp_path, archive) -> dict[str, list[str]]:
    members = tmp_path / "members.csv"
    members.write_text(
        "student_no,name,college,branch,role,stage,email\n"
        "20260001,张三,马克思主义学院,第一党支部,member,activist,\n",
        encoding="utf-8",
    )
    return {
        "doctor": [],
        "create-admin": ["a0001", "--name", "管理员", "--password", PASSWORD],
        "colleges create": ["马克思主义学院"],
        "branches create": ["第一党支部", "--college", "马克思主义学院"],
        "users create": [
            *("20260001", "--name", "张三", "--role", "member"),
            *("--branch", "第一党支部", "--password", PASSWORD),
        ],
        "users set-password": ["20260001", "--password", PASSWORD],
        "seed-demo": [],
        "bench-seed": ["--members", "2", "--branches", "1", "--entries", "1"],
        "check-audit": [],
        "check-ledger": [],
        "rebuild-totals": [],
        "jobs worker": ["--burst"],
        "jobs scheduler": [],
        "jobs recover": [],
        "notify-upcoming": [],
        "compliance": ["--period", "quarter", "--on", "2026-11-25"],
        "report branch": ["第一党支部", "--term", "2026秋", "--out", str(tmp_path / "r.docx")],
        "import-members": [str(members), "--links", str(tmp_path / "links.csv")],
        "import-points": [str(members), "--source", "xuexi", "--dry-run"],
        "backup": [str(tmp_path / "new.tar.gz")],
        "restore": [str(archive), "--yes", "--trust-unsigned"],
        "tokens create": ["20260001"],
        "terms create": ["2026秋", "--start", "2026-09-01", "--end", "2027-01-15"],
        "terms list": [],
        "terms close": ["2026秋"],
        "terms reopen": ["2026秋"],
        "evidence rehash": [],
        "db upgrade": [],
        "db downgrade": [],
        "db current": [],
        "db stamp": ["head"],
        "db check": [],
        "db migrate": [],
    }


def _walk(commands, prefix=()):
    for name, command in sorted(commands.items()):
        path = (*prefix, name)
        if isinstance(command, click.Group):
            yield from _walk(command.commands, path)
        else:
            yield " ".join(path)


def _sqlite_archive(tmp_path):
    """A signed-or-not backup of a (nearly empty) SQLite database of this schema."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'source.db'}")
    head = ScriptDirectory(str(PROJECT_ROOT / "migrations")).get_current_head()
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        conn.execute(sa.text("INSERT INTO alembic_version VALUES (:v)"), {"v": head})
    archive = tmp_path / "old.tar.gz"
    (tmp_path / "no-uploads").mkdir()
    backups.create_backup(
        engine, FolderStorage(tmp_path / "no-uploads"), archive, datetime.now(UTC), b"another key"
    )
    engine.dispose()
    return archive


@pytest.mark.parametrize("away", ["postgresql", "sqlite"])
def test_every_command_says_in_chinese_that_the_database_is_out_of_reach(
    away, tmp_path, monkeypatch
):
    monkeypatch.setenv("LC_MESSAGES", "zh_CN.UTF-8")
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")  # the flask group sets it; put it back
    url = POSTGRES_AWAY if away == "postgresql" else f"sqlite:///{tmp_path}/no-folder/tracker.db"
    app = create_app(
        {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(tmp_path / "up")}
    )
    arguments = _arguments(tmp_path, _sqlite_archive(tmp_path))
    commands = set(_walk(app.cli.commands))
    assert commands == set(arguments) | WITHOUT_DATABASE, (
        "list the new command in this test: its arguments, or as one without a database"
    )
    # The group ``flask --app tracker`` runs, which pushes the app context itself.
    flask = FlaskGroup(create_app=lambda: app, load_dotenv=False)
    runner = CliRunner()
    for command in sorted(arguments):
        result = runner.invoke(flask, [*command.split(), *arguments[command]], input="y\n")
        output = result.output
        # An exception other than SystemExit is what ``flask`` would print as a traceback.
        assert not isinstance(result.exception, Exception), (command, result.exception)
        assert "Traceback" not in output, output
        if command == "doctor":
            # A check among others: it reports the database and the rest, in Chinese.
            assert result.exit_code == 1 and "✗ 无法连接数据库" in output, output
            assert "Error" not in output and "错误：" in output, output
            continue
        if command == "restore" and away == "postgresql":
            # The archive is refused before the database is asked.
            assert result.exit_code == 1 and "这是 sqlite 数据库的备份" in output, output
            continue
        assert result.exit_code == DATABASE_AWAY, (command, result.exit_code, output)
        if away == "postgresql":
            assert "错误：无法连接数据库 postgresql://127.0.0.1:1/tracker。" in output, output
            assert "s3cret" not in output and "tracker:" not in output
        else:
            assert "错误：无法打开 SQLite 数据库" in output and "no-folder" in output, output
        assert len(output.strip().splitlines()) <= 2, (command, output)


def test_the_flask_command_prints_no_traceback_and_exits_3(tmp_path):
    environment = {
        **os.environ,
        "DATABASE_URL": POSTGRES_AWAY,
        "LC_ALL": "zh_CN.UTF-8",
        "TRACKER_INSTANCE_PATH": str(tmp_path),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "flask", "--app", "tracker", "check-ledger"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == DATABASE_AWAY, done.stderr
    assert done.stderr.strip() == (
        "错误：无法连接数据库 postgresql://127.0.0.1:1/tracker。"
        "请检查数据库是否在运行，以及 DATABASE_URL 中的主机、端口、数据库名、用户名和密码是否正确。"
    )
    assert done.stdout == ""


@pytest.mark.parametrize("url", ["not a url", "postgres://tracker:s3cret-pw@db/x", "mysql://db/x"])
def test_a_database_url_the_app_cannot_use_is_named_before_anything_runs(url, monkeypatch):
    monkeypatch.setenv("LC_MESSAGES", "zh_CN.UTF-8")
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    config = {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url}
    flask = FlaskGroup(create_app=lambda: create_app(config), load_dotenv=False)
    result = CliRunner().invoke(flask, ["check-ledger"])
    assert result.exit_code == 1 and not isinstance(result.exception, Exception)
    assert result.output.startswith("错误：DATABASE_URL 不是本应用能用的数据库地址（")
    assert "s3cret" not in result.output and len(result.output.splitlines()) == 1


def test_a_schema_never_upgraded_says_to_run_db_upgrade(tmp_path, monkeypatch):
    monkeypatch.setenv("LC_MESSAGES", "zh_CN.UTF-8")
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/empty.db"})
    result = app.test_cli_runner().invoke(args=["check-ledger"])
    assert result.exit_code == 1
    assert "还没有数据表" in result.output and "flask --app tracker db upgrade" in result.output


def _zh(app, *args, input=None):
    refresh()  # the fixture's app context chose its language already
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_check_ledger_backup_and_restore_speak_chinese(app, db, make, tmp_path, monkeypatch):
    monkeypatch.setenv("LC_MESSAGES", "zh_CN.UTF-8")
    make.member()
    agreed = _zh(app, "check-ledger")
    assert agreed.exit_code == 0 and agreed.output == "账本与存储的积分合计一致。\n"
    archive = tmp_path / "b.tar.gz"
    written = _zh(app, "backup", str(archive))
    assert written.exit_code == 0 and written.output.startswith("备份已写入"), written.output
    restored = _zh(app, "restore", str(archive), "--yes")
    assert restored.exit_code == 0 and restored.output.startswith("已恢复"), restored.output
    asked = _zh(app, "restore", str(archive), input="n\n")
    assert "这会替换所有记录和上传的文件。继续吗？" in asked.output
    assert asked.exit_code == 1 and "错误：没有恢复任何内容。" in asked.output
    archive.write_bytes(archive.read_bytes()[:200])
    damaged = _zh(app, "restore", str(archive), "--yes")
    assert damaged.exit_code == 1 and "错误：备份文件不完整或已损坏" in damaged.output
    missing = _zh(app, "restore", str(tmp_path / "none.tar.gz"), "--yes")
    assert missing.exit_code == 1 and "不是文件" in missing.output
    whole = _zh(app, "check-audit")
    assert whole.exit_code == 0 and whole.output.startswith("审计日志的哈希链完整"), whole.output
    for result in (agreed, written, restored, asked, damaged, missing, whole):
        assert "Traceback" not in result.output and "Error" not in result.output


def test_refusals_of_other_commands_speak_chinese(app, db, tmp_path, monkeypatch):
    monkeypatch.setenv("LC_MESSAGES", "zh_CN.UTF-8")
    assert _zh(app, "colleges", "create", "学院A").exit_code == 0
    twice = _zh(app, "colleges", "create", "学院A")
    assert twice.exit_code == 1 and twice.output == "错误：已有名为“学院A”的学院。\n"
    nowhere = _zh(app, "import-members", str(tmp_path / "none.csv"))
    assert nowhere.exit_code == 1 and "文件或文件夹不存在" in nowhere.output, nowhere.output
    created = _zh(app, "terms", "create", "2026秋", "--start", "2026-09-01", "--end", "2027-01-15")
    assert created.exit_code == 0 and created.output.startswith("已创建学期"), created.output
    unknown = _zh(app, "terms", "close", "没有的学期")
    assert unknown.exit_code == 1 and "没有名为 没有的学期 的学期" in unknown.output
    listed = _zh(app, "terms", "list")
    assert "2026秋" in listed.output
    typed = "a-long-pass-word-1\n" * 2
    nobody = _zh(app, "users", "set-password", "nobody", input=typed)
    assert nobody.output.startswith("密码: \n再输入一次密码: \n"), nobody.output
    assert nobody.exit_code == 1 and "错误：没有学号为“nobody”的用户。" in nobody.output
    token = _zh(app, "tokens", "create", "nobody")
    assert token.exit_code == 1 and "没有有效账号“nobody”" in token.output
