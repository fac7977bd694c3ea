"""PDF papers: an event's printable sign-in sheet, and a member's points certificate with its
public verification page (tracker/pdfdocs.py, web/papers/sheets.py, web/certificates)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from decimal import Decimal

import pypdf
import pytest
from sqlalchemy import func, select

from tracker import pdfdocs
from tracker.ledger.points import adjust_points, approve_activity, revoke_approval
from tracker.models import (
    ActivityStatus,
    Attendance,
    AttendanceStatus,
    AuditEvent,
    Certificate,
    LedgerEntry,
    Milestone,
    Term,
)
from tracker.periods import custom_period
from tracker.ranking import certificates
from tracker.ranking.members import member_points
from tracker.ranking.source import tenths

from .conftest import FROZEN_NOW, TODAY, missing
from .test_meeting_kinds import meeting

NO_FONT = {"TRACKER_PDF_FONT": "/nonexistent/font.ttc"}


def needs_font() -> None:
    if pdfdocs.find_font() is None:
        missing(f"no Chinese font for PDFs: apt-get install {pdfdocs.FONT_PACKAGE}")


def pdf_text(response) -> str:
    """The PDF's text without spaces or NULs: pypdf reads fpdf2's CJK text (an embedded CMap,
    two bytes a glyph) with a NUL before each character and spaces between glyphs."""
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    text = "".join(page.extract_text() for page in reader.pages)
    return "".join(text.replace("\x00", "").split())


def test_signin_sheet_as_pdf_lists_everyone_with_check_in_or_leave(
    clock, db, make, branch, committee, member, login
):
    needs_font()
    on_leave = make.member(branch, name="李四", student_no="2023002")
    member.name, member.student_no = "张三", "2023001"
    event = meeting(db, make, committee, "congress", title="十一月支部党员大会")
    db.session.add_all(
        [
            Attendance(event_id=event.id, user_id=member.id, status=AttendanceStatus.CHECKED_IN),
            Attendance(
                event_id=event.id,
                user_id=on_leave.id,
                status=AttendanceStatus.ON_LEAVE,
                leave_reason="参加省级竞赛",
            ),
        ]
    )
    db.session.commit()
    client = login(committee)
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert f'href="/papers/events/{event.id}/signin.pdf"' in page
    text = pdf_text(client.get(f"/papers/events/{event.id}/signin.pdf"))
    for expected in ("签到表", "十一月支部党员大会", branch.name, "支部党员大会", "党员活动室"):
        assert expected in text, expected
    assert "张三2023001" in text and "李四2023002" in text
    assert "参加省级竞赛" in text and committee.student_no in text
    assert login(member).get(f"/papers/events/{event.id}/signin.pdf").status_code == 403
    whats = db.session.scalars(select(AuditEvent.details).where(AuditEvent.action == "export"))
    assert {"what": "signin.pdf", "rows": 3} in [dict(d) for d in whats]


def _approved(db, make, member, committee, key: str, quantity: int):
    activity = make.activity(member, key, quantity=quantity, title=f"{key}活动")
    approve_activity(db.session, activity, committee, datetime.now(UTC))
    db.session.commit()
    return activity


@pytest.mark.config(TRACKER_VERIFY_LIMIT="4 per minute")
def test_certificate_verified_then_revoked_and_refused_to_others(
    clock, db, make, branch, committee, member, login, client
):
    member.name = "王小明"
    db.session.add(Milestone(name="志愿服务起步", threshold=1, period_kind="all"))
    db.session.add(Term(name="2026秋", first_day=TODAY.replace(month=9, day=1), last_day=TODAY))
    db.session.commit()
    volunteering = _approved(db, make, member, committee, "volunteer", 6)
    _approved(db, make, member, committee, "study", 60)
    term = db.session.scalar(select(Term.id))

    own = login(member)
    home = own.get("/").get_data(as_text=True)
    assert f'href="/certificates/members/{member.id}"' in home
    response = own.post(f"/certificates/members/{member.id}", data={"period": "term", "term": term})
    assert response.status_code == 302, response.get_data(as_text=True)
    certificate = db.session.scalars(select(Certificate)).one()
    ledger = db.session.scalar(
        select(func.sum(LedgerEntry.points)).where(LedgerEntry.user_id == member.id)
    )
    assert certificate.points == tenths(ledger) > 0
    assert certificate.hours == 6 and certificate.milestones == ["志愿服务起步"]
    assert {line["key"] for line in certificate.lines} == {"volunteer", "study"}
    issued = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "certificate.issued"))
    assert issued.one().subject_id == member.id

    # Anyone, without logging in, sees the masked name, the totals and the branch.
    page = client.get(f"/verify/{certificate.code}")
    assert page.status_code == 200
    shown = page.get_data(as_text=True)
    assert "王*明" in shown and "王小明" not in shown and member.student_no not in shown
    assert branch.name in shown and 'data-state="valid"' in shown
    dashed = "-".join(certificate.code[i : i + 4] for i in range(0, 16, 4))
    assert client.get(f"/verify/{dashed.lower()}").status_code == 200

    revoke_approval(db.session, volunteering, committee, "证明材料不实", datetime.now(UTC))
    db.session.commit()
    shown = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert 'data-state="revoked"' in shown and "已撤销" in shown
    listing = own.get(f"/certificates/members/{member.id}").get_data(as_text=True)
    assert "已撤销" in listing

    assert client.get("/verify/AAAAAAAAAAAAAAAA").status_code == 404
    # The fifth look in the minute from one address is refused (the limit is 4 here).
    assert client.get("/verify/AAAAAAAAAAAAAAAA").status_code == 429

    # The committee issues for its member; a committee elsewhere finds nothing.
    theirs = login(committee)
    assert f'href="/certificates/members/{member.id}"' in theirs.get("/branch/").text
    assert theirs.get(f"/certificates/members/{member.id}").status_code == 200
    stranger = login(make.committee(make.branch()))
    assert stranger.get(f"/certificates/members/{member.id}").status_code == 404
    assert stranger.get(f"/certificates/{certificate.id}.pdf").status_code == 404
    other = make.member(branch)
    assert login(other).get(f"/certificates/{certificate.id}.pdf").status_code == 404
    assert volunteering.status == ActivityStatus.REVOKED


def test_certificate_pdf_names_the_member_and_totals(
    clock, db, make, branch, committee, member, login
):
    needs_font()
    member.name = "陈思远"
    db.session.commit()
    _approved(db, make, member, committee, "volunteer", 6)
    # Points booked without a category have a line of their own, so the lines add up.
    adjust_points(db.session, member, committee, Decimal("1.5"), "表彰", TODAY)
    db.session.commit()
    own = login(member)
    response = own.post(
        f"/certificates/members/{member.id}",
        data={"period": "custom", "first_day": TODAY.replace(day=1).isoformat(), "last_day": TODAY},
    )
    assert response.status_code == 302
    certificate = db.session.scalars(select(Certificate)).one()
    text = pdf_text(own.get(f"/certificates/{certificate.id}.pdf"))
    assert "积分证明" in text and "陈思远" in text and member.student_no in text
    assert "积分调整1.5" in text
    assert f"合计{certificate.points.normalize():f}6" in text
    assert certificate.code[:4] in text and "/verify/" in text


@pytest.mark.config(**NO_FONT)
def test_without_a_font_pdf_links_say_what_to_install(clock, db, make, committee, member, login):
    event = meeting(db, make, committee, "congress")
    client = login(committee)
    response = client.get(f"/papers/events/{event.id}/signin.pdf", follow_redirects=True)
    assert response.status_code == 200
    assert pdfdocs.FONT_PACKAGE in response.get_data(as_text=True)
    own = login(member)
    assert (
        own.post(
            f"/certificates/members/{member.id}",
            data={"period": "custom", "first_day": TODAY, "last_day": TODAY},
        ).status_code
        == 302
    )
    certificate = db.session.scalars(select(Certificate)).one()
    response = own.get(f"/certificates/{certificate.id}.pdf")
    assert response.status_code == 302 and response.location.endswith(f"/members/{member.id}")
    result = client.application.test_cli_runner().invoke(args=["doctor"])
    # In the language of the last signed-in user of this app context: the path and package.
    found = [line for line in result.output.splitlines() if "/nonexistent/font.ttc" in line]
    assert found and found[0].startswith("✗") and pdfdocs.FONT_PACKAGE in found[0]


def test_certificate_hours_add_volunteering_and_zhiyuanhui_imports(
    app, clock, db, make, branch, committee, member, tmp_path
):
    member.student_no = "2023001"
    db.session.commit()
    _approved(db, make, member, committee, "volunteer", 6)
    _approved(db, make, member, committee, "study", 90)  # minutes of study: not service hours
    report = tmp_path / "hours.csv"
    report.write_bytes("学号,姓名,时长\r\n2023001,张三,2.5\r\n".encode("utf-8-sig"))
    command = ["import-points", str(report), "--source", "zyh", "--month", "2026-11"]
    result = app.test_cli_runner().invoke(args=command)
    assert result.exit_code == 0, result.output
    november = custom_period(TODAY.replace(day=1), TODAY)
    found = certificates.statement(db.session, member, november, TODAY)
    hours = {line["key"]: line["hours"] for line in found.lines}
    assert hours == {"volunteer": "6.0", "study": "", "zyh": "2.5"}
    assert found.hours == Decimal("8.5")
    assert found.points == member_points(db.session, member.id, november) > 0


def test_a_certificate_period_that_is_no_period_is_refused_on_its_field(clock, db, member, login):
    """The ranking names a custom range's days "from" and "to"; the form's fields are the
    first and the last day, and each refusal lands on the field it is about."""
    own = login(member)
    url = f"/certificates/members/{member.id}"
    cases = [
        (
            {"period": "custom", "first_day": TODAY, "last_day": TODAY.replace(day=1)},
            "last_day",
            "时段的结束日期早于开始日期。",
        ),
        ({"period": "custom", "first_day": TODAY}, "first_day", "请填写期间的第一天和最后一天。"),
        ({"period": "term", "term": "999999"}, "term", "没有这个学期。"),
    ]
    for data, field, message in cases:
        response = own.post(url, data=data)
        page = response.get_data(as_text=True)
        assert response.status_code == 422, data
        assert re.search(rf'id="{field}"[^>]*is-invalid|is-invalid[^>]*id="{field}"', page), field
        assert message in page
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0


def test_an_issued_certificate_stays_with_its_member_and_the_branch_that_issued_it(
    clock, db, make, branch, committee, member, login
):
    """A member who moves on (another branch, or no branch) keeps the certificates they were
    issued, and so does the committee that issued them; the new branch's committee does not
    read them."""
    needs_font()
    from datetime import timedelta

    from tracker.models import Role
    from tracker.people import organisation

    _approved(db, make, member, committee, "volunteer", 3)
    period = custom_period(TODAY.replace(day=1), TODAY)
    certificate = certificates.issue(db.session, member, member, period, "本月", FROZEN_NOW)
    db.session.commit()
    elsewhere = make.branch(name="第九党支部")
    new_committee = make.committee(elsewhere)
    admin = make.user(Role.ADMIN)
    organisation.move_member(db.session, member, elsewhere, TODAY - timedelta(days=1), admin, TODAY)
    db.session.commit()
    url = f"/certificates/{certificate.id}.pdf"
    assert login(member).get(url).status_code == 200
    assert login(committee).get(url).status_code == 200
    assert login(new_committee).get(url).status_code == 404
