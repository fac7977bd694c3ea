"""Logging activities: the forms, every refusal, editing, withdrawing, evidence."""

import io
import re
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tracker.models import Activity, ActivityStatus, Evidence, Pairing, PairingStatus

from .conftest import TODAY


def count(db, model=Activity):
    return db.session.scalar(select(func.count()).select_from(model))


def study(**overrides):
    data = {
        "occurred_on": TODAY.isoformat(),
        "start_time": "09:00",
        "quantity": "45",
        "title": "学习二十大报告",
        "description": "",
        "submission_key": "k1",
    }
    data.update(overrides)
    return data


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def member(make):
    return make.member()


@pytest.fixture
def client_m(login, member):
    return login(member)


def test_each_category_has_its_form_with_the_rule(client_m):
    page = client_m.get("/activities/new").get_data(as_text=True)
    for key in ("study", "red_site", "volunteer", "tutoring", "meeting"):
        assert f"/activities/new/{key}" in page
    study_form = client_m.get("/activities/new/study").get_data(as_text=True)
    assert 'name="start_time"' in study_form and 'name="location"' not in study_form
    red = client_m.get("/activities/new/red_site").get_data(as_text=True)
    assert 'name="location"' in red and 'name="start_time"' not in red
    tutoring = client_m.get("/activities/new/tutoring").get_data(as_text=True)
    assert 'id="no-mentees"' in tutoring  # nobody accepted this member as mentor yet


def test_member_logs_a_study_session(clock, client_m, member, db):
    response = client_m.post("/activities/new/study", data=study())
    assert response.status_code == 302
    activity = db.session.scalars(select(Activity)).one()
    assert activity.status == ActivityStatus.PENDING
    assert activity.user_id == member.id and activity.branch_id == member.branch_id
    assert activity.quantity == 45 and activity.occurred_on == TODAY
    detail = client_m.get(response.headers["Location"]).get_data(as_text=True)
    assert "学习二十大报告" in detail


def test_double_submission_books_one_activity(clock, client_m, db):
    first = client_m.post("/activities/new/study", data=study())
    second = client_m.post("/activities/new/study", data=study())
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert count(db) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quantity", "0"),
        ("quantity", "-30"),
        ("quantity", "100000"),
        ("quantity", "abc"),
        ("quantity", "1.25"),
        ("quantity", "NaN"),
        ("occurred_on", "2026-11-26"),
        ("occurred_on", "2026-11-01"),
        ("occurred_on", "not-a-date"),
        ("title", ""),
        ("title", "x" * 121),
        ("start_time", ""),
        ("description", "y" * 4001),
    ],
)
def test_bad_input_is_refused_next_to_the_field(clock, client_m, db, field, value):
    response = client_m.post("/activities/new/study", data=study(**{field: value}))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "is-invalid" in html or "alert-danger" in html
    assert count(db) == 0


def test_refused_form_keeps_what_was_typed(clock, client_m):
    html = client_m.post(
        "/activities/new/study", data=study(quantity="0", title="我的标题")
    ).get_data(as_text=True)
    assert "我的标题" in html


def test_overlapping_study_sessions_are_refused(clock, client_m, db):
    client_m.post("/activities/new/study", data=study(start_time="08:00", quantity="60"))
    overlap = client_m.post(
        "/activities/new/study", data=study(start_time="08:30", quantity="30", submission_key="k2")
    )
    assert overlap.status_code == 200 and count(db) == 1
    after = client_m.post(
        "/activities/new/study", data=study(start_time="09:00", quantity="30", submission_key="k3")
    )
    assert after.status_code == 302 and count(db) == 2


def test_markup_is_shown_as_text(clock, client_m, db):
    client_m.post("/activities/new/study", data=study(title="<script>alert(1)</script>"))
    activity = db.session.scalars(select(Activity)).one()
    html = client_m.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_red_site_needs_photo_place_and_reflection(clock, client_m, db):
    base = {
        "occurred_on": TODAY.isoformat(),
        "quantity": "1",
        "title": "参观一大会址",
        "location": "上海",
        "description": "深受教育，更加坚定理想信念，努力学习报效祖国。",
        "submission_key": "r1",
    }
    no_photo = client_m.post("/activities/new/red_site", data=base)
    assert no_photo.status_code == 200 and count(db) == 0
    short = client_m.post(
        "/activities/new/red_site",
        data={**base, "description": "很好", "evidence": (io.BytesIO(jpeg_with_exif()), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert short.status_code == 200 and count(db) == 0
    ok = client_m.post(
        "/activities/new/red_site",
        data={**base, "evidence": (io.BytesIO(jpeg_with_exif()), "photo.jpg")},
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302 and count(db) == 1


def test_uploaded_photo_is_reencoded_without_exif(clock, app, client_m, db):
    client_m.post(
        "/activities/new/study",
        data={**study(), "evidence": (io.BytesIO(jpeg_with_exif()), "../../etc/passwd.jpg")},
        content_type="multipart/form-data",
    )
    evidence = db.session.scalars(select(Evidence)).one()
    assert evidence.original_name == "passwd.jpg"
    assert "/" not in evidence.stored_name and evidence.stored_name.endswith(".jpg")
    with client_m.get(f"/activities/evidence/{evidence.id}") as served:
        assert served.status_code == 200 and served.mimetype == "image/jpeg"
        assert served.headers["Cache-Control"] == "private, no-store"
        with Image.open(io.BytesIO(served.data)) as image:
            assert not image.getexif()


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("fake.jpg", b"MZ\x90\x00 this is an executable"),
        ("note.pdf", b"just text pretending"),
        ("empty.png", b""),
        ("cut.pdf", b"%PDF-1.4\n1 0 obj\n"),
    ],
)
def test_files_are_judged_by_content(clock, client_m, db, name, payload):
    response = client_m.post(
        "/activities/new/study",
        data={**study(), "evidence": (io.BytesIO(payload), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and "is-invalid" in response.get_data(as_text=True)
    assert count(db) == 0 and count(db, Evidence) == 0


@pytest.mark.config(TRACKER_UPLOAD_LIMIT_MB=1)
def test_too_large_file_is_refused_with_its_name(clock, client_m, db):
    big = b"%PDF-1.4\n" + b"0" * (1024 * 1024) + b"\n%%EOF"
    # Encoded here: the test client would spool a body this large to a
    # temporary file that it never closes.
    boundary, body = encode_multipart(
        MultiDict({**study(), "evidence": FileStorage(io.BytesIO(big), "big.pdf")})
    )
    response = client_m.post(
        "/activities/new/study", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 200 and "big.pdf" in response.get_data(as_text=True)
    assert count(db) == 0


def test_pdf_evidence_is_accepted_and_downloaded(clock, client_m, db):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    out = io.BytesIO()
    writer.write(out)
    pdf = out.getvalue()
    client_m.post(
        "/activities/new/study",
        data={**study(), "evidence": (io.BytesIO(pdf), "certificate.pdf")},
        content_type="multipart/form-data",
    )
    evidence = db.session.scalars(select(Evidence)).one()
    with client_m.get(f"/activities/evidence/{evidence.id}") as served:
        assert served.mimetype == "application/pdf"
        assert "attachment" in served.headers["Content-Disposition"]


def test_tutoring_names_registered_mentees(clock, client_m, member, make, db):
    mentee = make.member()
    db.session.add(Pairing(mentor_id=member.id, mentee_id=mentee.id, status=PairingStatus.ACCEPTED))
    db.session.commit()
    data = {
        "occurred_on": TODAY.isoformat(),
        "start_time": "10:00",
        "quantity": "60",
        "title": "高数辅导",
        "submission_key": "t1",
    }
    unknown = client_m.post("/activities/new/tutoring", data={**data, "mentees": "nobody"})
    assert unknown.status_code == 200 and count(db) == 0
    ok = client_m.post("/activities/new/tutoring", data={**data, "mentees": mentee.student_no})
    assert ok.status_code == 302
    assert [m.mentee_id for m in db.session.scalars(select(Activity)).one().mentees] == [mentee.id]


def test_the_session_form_offers_the_accepted_mentees_to_tick(clock, client_m, member, make, db):
    first, second, asked, stranger = (make.member(name=n) for n in ("甲同学", "乙同学", "丙", "丁"))
    for mentee in (first, second):
        db.session.add(
            Pairing(mentor_id=member.id, mentee_id=mentee.id, status=PairingStatus.ACCEPTED)
        )
    db.session.add(Pairing(mentor_id=member.id, mentee_id=asked.id, status=PairingStatus.REQUESTED))
    db.session.commit()
    page = client_m.get("/activities/new/tutoring").get_data(as_text=True)
    offered = re.findall(r'type="checkbox" value="([^"]+)"', page.split('id="mentees"')[1])
    assert offered == [first.student_no, second.student_no]
    assert "甲同学" in page and stranger.student_no not in page and asked.student_no not in page
    data = {
        "occurred_on": TODAY.isoformat(),
        "start_time": "10:00",
        "quantity": "60",
        "title": "高数辅导",
        "submission_key": "t2",
        "mentees": [first.student_no, second.student_no],
    }
    assert client_m.post("/activities/new/tutoring", data=data).status_code == 302
    activity = db.session.scalars(select(Activity)).one()
    assert {m.mentee_id for m in activity.mentees} == {first.id, second.id}
    edit = client_m.get(f"/activities/{activity.id}/edit").get_data(as_text=True)
    assert edit.count("checked") >= 2  # the named mentees stay ticked


def test_red_site_form_states_the_reflection_length_and_asks_no_amount(clock, client_m, db):
    page = client_m.get("/activities/new/red_site").get_data(as_text=True)
    assert 'name="quantity"' not in page
    assert "至少 20 个字符。" in page and 'minlength="20"' in page
    posted = client_m.post(
        "/activities/new/red_site",
        data={
            "occurred_on": TODAY.isoformat(),
            "quantity": "7",  # not asked, and not taken: a visit is one
            "title": "参观一大会址",
            "location": "上海",
            "description": "深受教育，更加坚定理想信念，努力学习报效祖国。",
            "submission_key": "r2",
            "evidence": (io.BytesIO(jpeg_with_exif()), "photo.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert posted.status_code == 302
    assert db.session.scalars(select(Activity)).one().quantity == 1


def test_edit_pending_activity(clock, client_m, member, make, db):
    activity = make.activity(member, quantity=30)
    form = client_m.get(f"/activities/{activity.id}/edit").get_data(as_text=True)
    assert activity.title in form
    response = client_m.post(
        f"/activities/{activity.id}/edit", data=study(quantity="90", title="改过的标题")
    )
    assert response.status_code == 302
    db.session.refresh(activity)
    assert activity.quantity == 90 and activity.title == "改过的标题"


def test_rejected_activity_can_be_edited_and_resubmitted(clock, client_m, member, make, db):
    activity = make.activity(member, status=ActivityStatus.REJECTED)
    client_m.post(f"/activities/{activity.id}/edit", data=study())
    db.session.refresh(activity)
    assert activity.status == ActivityStatus.PENDING


def test_approved_activity_cannot_be_edited_or_withdrawn(clock, client_m, member, make, db):
    activity = make.activity(member, status=ActivityStatus.APPROVED)
    edit = client_m.post(f"/activities/{activity.id}/edit", data=study(title="偷偷改"))
    assert edit.status_code == 302
    withdraw = client_m.post(f"/activities/{activity.id}/withdraw", data={"confirmed": "yes"})
    assert withdraw.status_code == 409
    db.session.refresh(activity)
    assert activity.status == ActivityStatus.APPROVED and activity.title != "偷偷改"


def test_withdraw_pending_activity(clock, client_m, member, make, db):
    activity = make.activity(member)
    assert (
        client_m.post(f"/activities/{activity.id}/withdraw", data={"confirmed": "yes"}).status_code
        == 302
    )
    db.session.refresh(activity)
    assert activity.status == ActivityStatus.WITHDRAWN


def test_another_members_activity_is_invisible(clock, make, login, db):
    owner = make.member()
    activity = make.activity(owner)
    classmate = login(make.member(owner.branch))
    assert classmate.get(f"/activities/{activity.id}").status_code == 404
    assert classmate.get(f"/activities/{activity.id}/edit").status_code == 404
    assert (
        classmate.post(f"/activities/{activity.id}/withdraw", data={"confirmed": "yes"}).status_code
        == 404
    )
    assert classmate.get("/activities/999999").status_code == 404
    db.session.refresh(activity)
    assert activity.status == ActivityStatus.PENDING


def test_evidence_is_served_only_to_those_allowed(clock, make, login, db):
    owner = make.member()
    member_client = login(owner)
    member_client.post(
        "/activities/new/study",
        data={**study(), "evidence": (io.BytesIO(jpeg_with_exif()), "p.jpg")},
        content_type="multipart/form-data",
    )
    evidence = db.session.scalars(select(Evidence)).one()
    url = f"/activities/evidence/{evidence.id}"
    with login(make.committee(owner.branch)).get(url) as served:
        assert served.status_code == 200
    assert login(make.member(owner.branch)).get(url).status_code == 404
    assert login(make.committee()).get(url).status_code == 404
    assert member_client.get("/activities/evidence/424242").status_code == 404


def test_estimate_endpoint(clock, client_m):
    ok = client_m.get(f"/activities/estimate?category=study&quantity=45&occurred_on={TODAY}")
    assert ok.json == {"points": "1.5", "uncapped": "1.5", "capped": False}
    for query in (
        "quantity=abc&occurred_on=2026-11-25",
        "quantity=5&occurred_on=yesterday",
        "quantity=-1&occurred_on=2026-11-25",
        "quantity=Infinity&occurred_on=2026-11-25",
    ):
        assert client_m.get(f"/activities/estimate?category=study&{query}").status_code == 400
    assert (
        client_m.get(
            "/activities/estimate?category=nope&quantity=1&occurred_on=2026-11-25"
        ).status_code
        == 404
    )


def test_advisor_and_admin_do_not_log_activities(make, login):
    from tracker.models import Role

    for role in (Role.ADVISOR, Role.ADMIN):
        client = login(make.user(role))
        assert client.get("/activities/new").status_code == 403
        assert client.post("/activities/new/study", data=study()).status_code == 403


def test_my_activities_lists_status_and_points(clock, client_m, member, make):
    make.activity(member, title="待审核的学习")
    rejected = make.activity(member, title="被驳回的学习", status=ActivityStatus.REJECTED)
    rejected.review_reason = "请补充说明"
    html = client_m.get("/activities/").get_data(as_text=True)
    assert "待审核的学习" in html and "被驳回的学习" in html
    assert client_m.get("/activities/?status=pending").status_code == 200
    # A page number is one from 1 to 100000, as on the boards and in the API.
    assert client_m.get("/activities/?page=abc").status_code == 400


def test_backdating_window_is_a_setting(clock, client_m, db):
    old = (TODAY - timedelta(days=14)).isoformat()
    assert client_m.post("/activities/new/study", data=study(occurred_on=old)).status_code == 302
    older = (TODAY - timedelta(days=15)).isoformat()
    assert (
        client_m.post(
            "/activities/new/study", data=study(occurred_on=older, submission_key="x")
        ).status_code
        == 200
    )
    assert date.fromisoformat(old) < TODAY


def test_start_time_later_today_is_in_the_future(clock, client_m, db):
    # The frozen clock says 12:00 in Shanghai.
    later = client_m.post("/activities/new/study", data=study(start_time="12:30"))
    assert later.status_code == 200 and "is-invalid" in later.get_data(as_text=True)
    earlier = client_m.post(
        "/activities/new/study", data=study(start_time="11:00", submission_key="k9")
    )
    assert earlier.status_code == 302 and count(db) == 1


def _photo() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)  # the store matters, not the database
def test_evidence_files_follow_the_transaction(app, db, store):
    """A file written for a transaction that rolls back is gone; a file taken off a
    record is deleted only when that change commits. On the folder and on S3."""
    from tracker.activities import evidence

    prepared = evidence.prepare_evidence("现场.png", _photo(), 5_000_000)
    kept = evidence.store(db.session, store, prepared)
    db.session.commit()
    assert store.get(kept) == prepared.data

    dropped = evidence.store(db.session, store, prepared)
    assert store.exists(dropped)
    evidence.delete_on_commit(db.session, store, [kept])
    db.session.rollback()
    assert not store.exists(dropped)
    assert store.exists(kept)  # the change that took it off never committed

    evidence.delete_on_commit(db.session, store, [kept])
    db.session.commit()
    assert not store.exists(kept)
    assert list(store.list()) == []
    if hasattr(store, "root"):
        assert not list(store.root.glob(".*.part"))


def test_the_errors_of_the_whole_form_are_listed_at_its_top(clock, english_login, member, db):
    client = english_login(member)
    page = client.post(
        "/activities/new/red_site",
        data={"occurred_on": TODAY.isoformat(), "submission_key": "e1", "description": "短"},
    ).get_data(as_text=True)
    summary = page.split('id="error-summary"')[1].split("</div>")[0]
    assert "Please check these fields:" in summary
    for field in ("title", "location"):
        assert f'href="#{field}"' in summary and f'id="{field}"' in page
    assert count(db) == 0
