"""A phone photo of many megabytes is made smaller in the browser before it is uploaded."""

from __future__ import annotations

import os
from datetime import date

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from tracker.clock import campus_today
from tracker.models import Evidence

from .test_journeys import DETAIL_URL, activity_id_of, earlier_today, fill_study_form, fresh

pytestmark = pytest.mark.browser

TAKEN = date(2026, 11, 20)


def phone_photo(path) -> int:
    """A 6000 x 4000 JPEG of some 10 MB that the camera says to turn a quarter (EXIF
    orientation 6) and was taken on TAKEN: what a phone sends. Returns its size."""
    width, height = 6000, 4000
    grain = Image.frombytes("L", (width // 4, height // 4), os.urandom(width * height // 16))
    grain = grain.resize((width, height), Image.Resampling.BILINEAR)
    ramp = Image.linear_gradient("L").resize((width, height))
    picture = Image.merge("RGB", (grain, ramp, Image.blend(grain, ramp, 0.5)))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: turn 90 degrees clockwise to show
    exif.get_ifd(0x8769)[0x9003] = TAKEN.strftime("%Y:%m:%d 09:30:00")  # DateTimeOriginal
    picture.save(path, "JPEG", quality=95, exif=exif.tobytes())
    return path.stat().st_size


def test_a_big_phone_photo_is_made_smaller_before_upload(
    app, db, make, live_server, phone, browser_login, tmp_path
):
    original = phone_photo(tmp_path / "IMG_0001.jpg")
    limit = app.config["TRACKER_UPLOAD_LIMIT_MB"] * 1024 * 1024
    assert original > max(8_000_000, limit)  # as sent, the server would refuse it
    member = make.member()
    member_id, member_no = member.id, member.student_no
    fresh(db)

    browser_login(phone, member_no)
    phone.goto("/activities/new/study")
    expect(phone.locator("#evidence-limit")).to_contain_text(
        str(app.config["TRACKER_UPLOAD_LIMIT_MB"])
    )
    fill_study_form(phone, campus_today(), earlier_today(1), 60, "带照片的学习")
    phone.set_input_files("input[name=evidence]", str(tmp_path / "IMG_0001.jpg"))
    # Sent at once: the form waits for the photo to be made smaller. Sent as it
    # was, the photo would be refused as over the limit and the form shown again.
    phone.locator("#activity-form button[type=submit]").click()
    phone.wait_for_url(DETAIL_URL)
    live_server.wait_idle()

    [stored] = fresh(db).scalars(select(Evidence)).all()
    assert stored.activity.id == activity_id_of(phone) and stored.activity.user_id == member_id
    assert stored.size < original / 5
    # The camera's day came along; the pixels were turned once, not twice.
    assert stored.captured_on == TAKEN
    upload = os.path.join(app.config["UPLOAD_FOLDER"], stored.stored_name)
    with Image.open(upload) as image:
        assert max(image.size) <= 2000 and image.height > image.width
