"""Scan only, in a real Chromium: the member shows a personal code, the committee types it.

The camera cannot be used headless, so the committee's page is driven through
its manual fallback, which the page's script sends as the camera would (the
camera keeps running meanwhile). The scripts load under the site's CSP.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tracker.events import planning, scanning
from tracker.models import Attendance, AttendanceStatus

from .test_journeys import fresh, shoot

pytestmark = pytest.mark.browser

# Draws an SVG on a white canvas and decodes it with the page's jsQR.
DECODE_SVG = """async (svg) => {
  const markup = svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ');
  const image = new Image();
  image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(markup);
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.width + 40;
  canvas.height = image.height + 40;
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(image, 20, 20);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
  const found = window.jsQR(pixels.data, pixels.width, pixels.height);
  return found && found.data;
}"""


def test_committee_checks_a_member_in_by_the_personal_code_on_a_scan_only_event(
    db, make, live_server, new_phone, browser_login, screenshots
):
    branch = make.branch()
    member = make.member(branch, name="张小红")
    committee = make.committee(branch, name="赵支委")
    started = datetime.now(UTC) - timedelta(minutes=1)
    event = planning.create_event(
        db.session,
        committee,
        planning.EventInput(
            title="支部党员大会",
            category=make.category("meeting"),
            place="校史馆",
            starts_at=started,
            ends_at=started + timedelta(minutes=90),
        ),
        datetime.now(UTC),
    )
    scanning.set_scan_only(db.session, committee, event, True)
    db.session.commit()
    event_id, member_id, committee_id = event.id, member.id, committee.id
    member_no, committee_no = member.student_no, committee.student_no
    fresh(db)

    # The member opens "my check-in code" from the event page.
    page = new_phone()
    browser_login(page, member_no)
    page.goto(f"/events/{event_id}")
    expect(page.locator(f"form[action='/events/{event_id}/checkin']")).to_have_count(0)
    page.locator("#my-code").click()
    page.wait_for_url(f"**/events/{event_id}/my-code")
    expect(page.locator("#personal-qr svg")).to_be_visible()
    code = page.locator("#personal-code").inner_text().strip()
    assert len(code) == scanning.PERSONAL_CODE_LENGTH
    payload = page.locator("#personal-qr").get_attribute("data-payload")
    svg = page.locator("#personal-qr").inner_html()
    shoot(page, screenshots, "30-personal-code")

    # The committee's scanner: scripts load under the CSP; the code is typed by hand.
    refused = []
    scanner = new_phone()
    scanner.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else 0)
    browser_login(scanner, committee_no)
    scanner.goto(f"/events/{event_id}/scan")
    expect(scanner.locator("#scan-start")).to_be_visible()  # scan.js ran
    # What the camera would see: the vendored jsQR reads the member's QR code.
    assert scanner.evaluate(DECODE_SVG, svg) == payload
    scanner.locator("#scan-form input[name=code]").fill(code.lower())
    scanner.locator("#scan-form [type=submit]").click()
    expect(scanner.locator("#scan-status")).to_contain_text("张小红")
    expect(scanner.locator("#scan-status")).to_have_class("alert alert-success")
    assert scanner.url.endswith(f"/events/{event_id}/scan")  # no reload: the camera stays on
    shoot(scanner, screenshots, "31-scanned")
    assert refused == []
    live_server.wait_idle()
    [record] = fresh(db).scalars(select(Attendance).where(Attendance.event_id == event_id)).all()
    assert (record.user_id, record.status) == (member_id, AttendanceStatus.SCANNED)
    assert record.recorded_by_id == committee_id

    # A wrong code is refused on the page, with the reason.
    scanner.locator("#scan-form input[name=code]").fill("ZZZZZZZZ")
    scanner.locator("#scan-form [type=submit]").click()
    expect(scanner.locator("#scan-status")).to_have_class("alert alert-danger")
