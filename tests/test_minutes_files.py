"""Minutes attachments: checked as evidence is, served to the branch only, fixed once locked.

Runs on both databases and on both stores (the instance folder and an S3 API
on loopback), since attachments are written, served and deleted through the store.
"""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject
from sqlalchemy import select

from tracker.models import AdvisorScope, AuditEvent, MinutesAttachment, Role

from .test_evidence_checks import jpeg, scene
from .test_meeting_kinds import meeting
from .test_minutes import MINUTES


def pdf_with_script() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert('hello');"),
        }
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def send(client, url: str, *files: tuple[bytes, str]):
    return client.post(
        url,
        data={"files": [(io.BytesIO(data), name) for data, name in files]},
        content_type="multipart/form-data",
    )


def test_attachments_are_checked_served_to_the_branch_and_fixed_once_locked(
    clock, db, make, branch, committee, member, english_login, store
):
    outsider, elsewhere = make.member(), make.committee()
    advisor = make.user(Role.ADVISOR)
    db.session.add(AdvisorScope(user_id=advisor.id, branch_id=branch.id))
    event = meeting(db, make, committee, "congress")
    writer = english_login(committee)
    page = f"/minutes/{event.id}"
    attach = f"{page}/attachments"
    photo = jpeg(scene(7), taken=date(2026, 11, 25))

    # Minutes come first: there is nothing to attach files to yet.
    refused = send(writer, attach, (photo, "合影.jpg"))
    assert refused.status_code == 302
    assert db.session.scalars(select(MinutesAttachment)).all() == []
    assert writer.post(page, data=MINUTES).status_code == 302

    # A member of the branch and a committee of another branch may not attach.
    assert send(english_login(member), attach, (photo, "合影.jpg")).status_code == 403
    assert send(english_login(elsewhere), attach, (photo, "合影.jpg")).status_code == 404

    # A file that is no image or PDF is refused by name, and nothing is kept.
    bad = send(writer, attach, (photo, "合影.jpg"), (b"MZ\x90\x00 not a photo", "名单.exe"))
    assert bad.status_code == 422
    assert "名单.exe is not a JPEG, PNG, WebP image or PDF file." in bad.get_data(as_text=True)
    assert db.session.scalars(select(MinutesAttachment)).all() == []
    assert list(store.list()) == []

    # A photo and a PDF: the photo loses its EXIF, the PDF its script.
    assert (
        send(writer, attach, (photo, "合影.jpg"), (pdf_with_script(), "签到表.pdf")).status_code
        == 302
    )
    items = db.session.scalars(select(MinutesAttachment).order_by(MinutesAttachment.id)).all()
    assert [(i.original_name, i.content_type) for i in items] == [
        ("合影.jpg", "image/jpeg"),
        ("签到表.pdf", "application/pdf"),
    ]
    assert sorted(store.list()) == sorted(i.stored_name for i in items)
    kept_photo, kept_pdf = (store.get(i.stored_name) for i in items)
    assert b"PhoneMaker" not in kept_photo
    assert kept_pdf.startswith(b"%PDF-") and b"app.alert" not in kept_pdf

    # The minutes page shows them; the branch and its advisor open them, nobody else.
    shown = writer.get(page).get_data(as_text=True)
    photo_url = f"{attach}/{items[0].id}"
    assert photo_url in shown and "签到表.pdf" in shown
    for reader in (writer, english_login(member), english_login(advisor)):
        with reader.get(photo_url) as served:
            assert served.status_code == 200 and served.data == kept_photo
            assert served.headers["Cache-Control"] == "private, no-store"
    with writer.get(f"{attach}/{items[1].id}") as served:
        assert served.headers["Content-Disposition"].startswith("attachment")
    assert english_login(outsider).get(photo_url).status_code == 404
    assert english_login(elsewhere).get(photo_url).status_code == 404
    # An attachment is reached only through its own event.
    other = meeting(db, make, committee, "committee")
    assert writer.get(f"/minutes/{other.id}/attachments/{items[0].id}").status_code == 404
    api = english_login(member).get(f"/api/v1/events/{event.id}/minutes").get_json()
    assert [a["name"] for a in api["minutes"]["attachments"]] == ["合影.jpg", "签到表.pdf"]

    # Removing asks first; the file goes with the committed removal.
    remove = f"{attach}/{items[1].id}/remove"
    assert english_login(member).post(remove).status_code == 403
    asked = writer.post(remove)
    assert asked.status_code == 200 and "签到表.pdf" in asked.get_data(as_text=True)
    assert store.exists(items[1].stored_name)
    assert writer.post(remove, data={"confirmed": "yes"}).status_code == 302
    db.session.expire_all()
    assert [i.original_name for i in db.session.scalars(select(MinutesAttachment))] == ["合影.jpg"]
    assert not store.exists(items[1].stored_name)

    # Locked minutes take no new file and lose none.
    assert writer.post(f"{page}/lock").status_code == 302
    locked = send(writer, attach, (photo, "再来一张.jpg"))
    assert "These minutes are locked." in writer.get(locked.location).get_data(as_text=True)
    assert (
        writer.post(f"{attach}/{items[0].id}/remove", data={"confirmed": "yes"}).status_code == 302
    )
    db.session.expire_all()
    assert [i.original_name for i in db.session.scalars(select(MinutesAttachment))] == ["合影.jpg"]
    assert list(store.list()) == [items[0].stored_name]
    with english_login(member).get(photo_url) as served:
        assert served.status_code == 200
    actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions.count("minutes.attached") == 1 and actions.count("minutes.detached") == 1
