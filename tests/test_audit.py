"""The audit log page, and the audit table refusing to be rewritten."""

import ast
import dataclasses
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from tracker import audit
from tracker.ledger.categories import RuleTerms
from tracker.models import AuditEvent, Role
from tracker.web.auditlog import labels

TRACKER = Path(__file__).resolve().parent.parent / "tracker"
# audit.record's own parameters, not details.
RECORD_PARAMETERS = {"actor", "subject", "branch_id", "target"}


@pytest.fixture
def admin(make, db):
    user = make.user(Role.ADMIN)
    user.locale = "en"
    db.session.commit()
    return user


def test_the_application_cannot_update_or_delete_audit_events(db, make):
    member = make.member()
    audit.record(db.session, "test.event", actor=member, subject=member)
    db.session.commit()
    for statement in (
        sa.update(AuditEvent).values(action="rewritten"),
        sa.delete(AuditEvent),
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(statement)
            db.session.flush()
        db.session.rollback()
    assert db.session.scalars(select(AuditEvent.action)).all() == ["test.event"]
    event = db.session.scalars(select(AuditEvent)).one()
    event.details = {"changed": True}
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.commit()
    db.session.rollback()


def test_admin_sees_every_event_and_filters(db, make, login, admin):
    one, two = make.branch(), make.branch()
    alice = make.member(one, name="甲同学", student_no="A1001")
    bob = make.member(two, name="乙同学", student_no="B2002")
    audit.record(db.session, "points.adjusted", actor=admin, subject=alice, branch_id=one.id)
    audit.record(db.session, "user.moved", actor=admin, subject=bob, branch_id=two.id)
    db.session.commit()
    client = login(admin)
    page = client.get("/audit/").text
    assert "甲同学" in page and "乙同学" in page
    page = client.get("/audit/?person=A1001").text
    assert "甲同学" in page and "乙同学" not in page
    page = client.get("/audit/?action=user.moved").text
    assert "乙同学" in page and "甲同学" not in page
    page = client.get(f"/audit/?branch={one.id}").text
    assert "甲同学" in page and "乙同学" not in page
    page = client.get("/audit/?from=2000-01-01&to=2000-01-02").text
    assert "甲同学" not in page and "乙同学" not in page


def test_committee_sees_only_its_own_branch(db, make, login):
    one, two = make.branch(), make.branch()
    committee = make.committee(one)
    audit.record(
        db.session,
        "points.adjusted",
        actor=committee,
        subject=make.member(one, name="本支部"),
        branch_id=one.id,
    )
    audit.record(
        db.session,
        "points.adjusted",
        actor=None,
        subject=make.member(two, name="外支部"),
        branch_id=two.id,
    )
    db.session.commit()
    client = login(committee)
    page = client.get("/audit/").text
    assert "本支部" in page and "外支部" not in page
    assert client.get(f"/audit/?branch={two.id}").status_code == 404


def test_members_and_advisors_cannot_read_the_audit_log(make, login):
    for role in (Role.MEMBER, Role.ADVISOR):
        assert login(make.user(role)).get("/audit/").status_code == 403


def test_malformed_filters_are_400(login, admin):
    client = login(admin)
    for query in ("from=2026-13-01", "to=yesterday", "branch=abc", "page=0", "person=" + "x" * 65):
        assert client.get(f"/audit/?{query}").status_code == 400, query


def test_audit_log_is_paginated(db, login, admin):
    for n in range(55):
        audit.record(db.session, "test.event", actor=admin, n=n)
    db.session.commit()
    client = login(admin)
    first = client.get("/audit/?action=test.event").text
    assert first.count('data-action="test.event"') == 50
    second = client.get("/audit/?action=test.event&page=2").text
    assert second.count('data-action="test.event"') == 5


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def _bypass_the_triggers(db, statement: str) -> None:
    """What someone with the database owner's rights could do: get around the guards."""
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
            conn.execute(sa.text(statement))
            conn.execute(sa.text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
        else:
            guards = conn.execute(
                sa.text(
                    "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'audit_event' "
                    "AND type = 'trigger'"
                )
            ).all()
            for name, _sql in guards:
                conn.execute(sa.text(f'DROP TRIGGER "{name}"'))
            conn.execute(sa.text(statement))
            for _name, sql in guards:
                conn.execute(sa.text(sql))


def test_check_audit_finds_a_row_changed_behind_the_triggers(app, db, make):
    member = make.member()
    for n in range(3):
        audit.record(db.session, "test.event", actor=member, n=n)
    db.session.commit()
    whole = _cli(app, "check-audit")
    assert whole.exit_code == 0 and "chain is whole" in whole.output
    second = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()[1]
    db.session.remove()
    _bypass_the_triggers(db, f"UPDATE audit_event SET action = 'nothing' WHERE id = {second}")
    broken = _cli(app, "check-audit")
    assert broken.exit_code != 0
    assert f"audit event {second}: its content was changed" in broken.output


def test_rows_cut_off_the_end_are_found_from_an_anchor(app, db, make):
    member = make.member()
    audit.record(db.session, "test.event", actor=member)
    db.session.commit()
    audit.record(db.session, "test.later", actor=member)
    db.session.commit()
    anchor = str(audit.chain_head(db.session))
    db.session.remove()
    last = anchor.split(":")[0]
    _bypass_the_triggers(db, f"DELETE FROM audit_event WHERE id = {last}")
    assert _cli(app, "check-audit").exit_code == 0  # the rest still chains...
    cut = _cli(app, "check-audit", "--anchor", anchor)
    assert cut.exit_code != 0 and "not in the chain" in cut.output  # ...but the anchor is gone


def test_replace_and_truncate_are_refused(db, make):
    member = make.member()
    event = audit.record(db.session, "test.event", actor=member)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        statement = "TRUNCATE audit_event"
    else:
        statement = (
            f"INSERT OR REPLACE INTO audit_event (id, created_at, action, details) "
            f"VALUES ({event.id}, CURRENT_TIMESTAMP, 'replaced', '{{}}')"
        )
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(sa.text(statement))
    db.session.rollback()
    assert db.session.scalars(select(AuditEvent.action)).all() == ["test.event"]


def test_the_audit_log_keeps_no_names_numbers_or_emails(app, db, make, login, admin):
    """Anonymising a member erases them everywhere: the log never held them."""
    from tracker.people import organisation, personal_data

    member = make.member(name="王小明")
    member.email = "xiaoming@example.edu"
    db.session.commit()
    number = member.student_no
    app.test_client().post("/login", data={"student_no": number, "password": "wrong-password"})
    organisation.edit_profile(
        db.session,
        member,
        name="王晓明",
        email="wxm@example.edu",
        stage=member.stage,
        actor=admin,
        today=date(2026, 11, 25),
    )
    personal_data.anonymise(db.session, member, admin)
    db.session.commit()
    logged = " ".join(str(event.details) for event in db.session.scalars(select(AuditEvent)).all())
    for secret in (number, "王小明", "王晓明", "xiaoming@example.edu", "wxm@example.edu"):
        assert secret not in logged
    assert _cli(app, "check-audit").exit_code == 0


def _strings(node) -> set[str]:
    """The codes an argument can be: a literal, or either side of ``a if c else b``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body) | _strings(node.orelse)
    raise AssertionError(f"line {node.lineno}: an action code the test cannot read")


def _expanded_keys(node) -> set[str]:
    if isinstance(node, ast.IfExp):
        return _expanded_keys(node.body) | _expanded_keys(node.orelse)
    if isinstance(node, ast.Dict):
        return {key.value for key in node.keys if isinstance(key, ast.Constant)}
    if isinstance(node, ast.DictComp) and "terms.__dict__" in ast.unparse(node):
        return {f.name for f in dataclasses.fields(RuleTerms)}
    raise AssertionError(f"line {node.lineno}: details the test cannot read, name them")


def _recorded() -> tuple[set[str], set[str]]:
    """Every action code and detail key an ``audit.record(...)`` call in tracker/ can write."""
    actions, keys = set(), set()
    for path in TRACKER.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            func = getattr(node, "func", None)
            if not (
                isinstance(func, ast.Attribute)
                and func.attr == "record"
                and getattr(func.value, "id", None) == "audit"
            ):
                continue
            actions |= _strings(node.args[1])
            for keyword in node.keywords:
                if keyword.arg is None:
                    keys |= _expanded_keys(keyword.value)
                elif keyword.arg not in RECORD_PARAMETERS:
                    keys.add(keyword.arg)
    return actions, keys


def test_every_recorded_action_and_detail_has_a_label():
    actions, keys = _recorded()
    assert len(actions) > 50, "the scan found too few audit.record calls"
    assert not actions - labels.ACTION_LABELS.keys(), "add to web/auditlog/labels.py"
    assert not keys - labels.DETAIL_LABELS.keys(), "add to web/auditlog/labels.py"


def test_audit_log_reads_as_words_not_codes(db, login, make):
    reader = make.user(Role.ADMIN)  # reads Chinese, the default
    member = make.member(name="欧阳娜娜")
    audit.record(db.session, "auth.login", actor=member, subject=member)
    audit.record(
        db.session, "points.adjusted", actor=reader, subject=member, points="2.0", reason="补录"
    )
    audit.record(db.session, "event.scan_only", actor=reader, scan_only=True)
    audit.record(db.session, "user.role_changed", actor=reader, before="member", after="committee")
    db.session.commit()
    text = login(reader).get("/audit/").text
    for words in ("登录", "调整积分", "<dt>积分</dt><dd>2.0</dd>", "<dt>原因</dt><dd>补录</dd>"):
        assert words in text, words
    assert "<dt>仅限扫码</dt><dd>是</dd>" in text
    assert "<dt>修改前</dt><dd>成员</dd><" in text
    assert ">auth.login<" not in text and "points=" not in text
    # A code from an older release without a label still shows, as itself.
    audit.record(db.session, "legacy.thing", actor=reader)
    db.session.commit()
    assert ">legacy.thing<" in login(reader).get("/audit/").text
