"""Every destructive step asks once: the post without ``confirmed`` shows what will happen."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from tracker.clock import utcnow
from tracker.ledger import points
from tracker.models import AccountStatus, AdvisorScope, AuditEvent, Role
from tracker.people import tokens


def audit_count(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def asks(client, url: str, words: str, data: dict | None = None) -> str:
    response = client.post(url, data=data or {})
    page = response.get_data(as_text=True)
    assert response.status_code == 200, url
    assert 'id="confirm-step"' in page and 'name="confirmed" value="yes"' in page, url
    assert words in page, (url, words)
    return page


@pytest.fixture
def admin(make, db):
    user = make.user(Role.ADMIN)
    user.locale = "en"
    db.session.commit()
    return user


def test_administration_asks_before_each_step_it_cannot_take_back(
    clock, db, make, english_login, admin
):
    member = make.member(name="王小明")
    empty = make.branch(name="空支部")
    advisor = make.user(Role.ADVISOR, name="李老师")
    db.session.add(AdvisorScope(user_id=advisor.id, college_id=empty.college_id))
    db.session.commit()
    scope = db.session.scalars(select(AdvisorScope)).one()
    category = make.category("volunteer")
    client = english_login(admin)
    before = audit_count(db)
    asks(client, f"/admin/users/{member.id}/deactivate", "王小明 can no longer log in")
    asks(client, f"/admin/users/{member.id}/password", "the old password stops working")
    asks(client, f"/admin/users/{member.id}/activation", "links given out before stop working")
    asks(client, f"/admin/users/{member.id}/anonymise", "This cannot be undone.")
    asks(client, f"/admin/users/{advisor.id}/scopes/{scope.id}/remove", "李老师 no longer sees")
    asks(client, f"/admin/branches/{empty.id}/archive", "空支部 is archived")
    asks(client, f"/admin/colleges/{empty.college_id}/archive", "is archived")
    asks(client, f"/admin/branches/{empty.id}/invite-code", "the old one stops working")
    asks(client, f"/admin/categories/{category.id}/retire", "is retired")
    assert audit_count(db) == before
    # The confirmation page carries the form on; its answer does the step.
    page = asks(client, f"/admin/users/{member.id}/deactivate", "王小明")
    assert f'action="/admin/users/{member.id}/deactivate"' in page
    assert f'href="/admin/users/{member.id}"' in page  # Cancel leads back
    done = client.post(f"/admin/users/{member.id}/deactivate", data={"confirmed": "yes"})
    assert done.status_code == 302 and audit_count(db) == before + 1


def test_members_and_committees_are_asked_too(clock, db, make, english_login, member, committee):
    token = tokens.issue_token(db.session, member, name="我的脚本", now=utcnow(), lifetime_days=30)
    pending = make.activity(member, title="读书笔记")
    approved = make.activity(make.member(committee.branch), title="已通过的学习")
    points.approve_activity(db.session, approved, committee, datetime.now(UTC))
    newcomer = make.member(committee.branch, status=AccountStatus.PENDING)
    db.session.commit()
    own, board = english_login(member), english_login(committee)
    before = audit_count(db)
    asks(own, f"/account/tokens/{token.record.id}/revoke", "“我的脚本” are refused from now on")
    asks(own, f"/activities/{pending.id}/withdraw", "“读书笔记” is withdrawn")
    asks(board, "/branch/invite-code", "the old one stops working")
    asks(
        board,
        f"/branch/registrations/{newcomer.id}",
        "is declined",
        {"decision": "decline"},
    )
    page = asks(board, f"/review/{approved.id}/revoke", "“已通过的学习”", {"reason": "重复"})
    assert 'name="reason" value="重复"' in page  # the reason is carried to the answer
    assert audit_count(db) == before
    # A revocation without a reason is refused at once, with no question first.
    refused = board.post(f"/review/{approved.id}/revoke", data={})
    assert 'id="confirm-step"' not in refused.get_data(as_text=True)
    # Someone else's token is 404 before any question.
    assert (
        english_login(committee).post(f"/account/tokens/{token.record.id}/revoke").status_code
        == 404
    )
