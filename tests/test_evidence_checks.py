"""Evidence checks: the same photo in two claims, a photo's own date, clean stored files.

Flags are questions for the committee, never refusals: every claim here is
accepted, and the reviewer sees what to look at.
"""

import io
import random
import re
from datetime import date, timedelta
from pathlib import Path

import flask_babel
import pytest
from PIL import Image, ImageCms, ImageDraw, ImageFilter
from sqlalchemy import event, select, update

from tracker.activities import fingerprint
from tracker.activities.photo_flags import CAPTURE_DAYS_APART, evidence_flags
from tracker.ledger import totals
from tracker.models import Activity, ActivityStatus, Evidence

from .conftest import TODAY

VISIT = {
    "quantity": "1",
    "title": "参观一大会址",
    "location": "上海",
    "description": "深受教育，更加坚定理想信念，努力学习报效祖国。",
}


def scene(seed: int, size=(640, 480)) -> Image.Image:
    """A photograph stand-in: soft overlapping shapes, different for every seed."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        box = (x, y, x + rng.randrange(60, 320), y + rng.randrange(60, 240))
        draw.ellipse(box, fill=tuple(rng.randrange(256) for _ in range(3)))
    return image.filter(ImageFilter.GaussianBlur(2))


def jpeg(image: Image.Image, quality: int = 90, taken: date | None = None, **extra) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    if taken is not None:
        exif.get_ifd(0x8769)[0x9003] = taken.strftime("%Y:%m:%d 10:30:00")  # DateTimeOriginal
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, exif=exif, **extra)
    return out.getvalue()


def log_visit(client, photo: bytes, key: str, occurred_on: date = TODAY, **fields):
    response = client.post(
        "/activities/new/red_site",
        data={
            **VISIT,
            "occurred_on": occurred_on.isoformat(),
            "submission_key": key,
            "evidence": (io.BytesIO(photo), "photo.jpg"),
            **fields,
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def card(html: str, activity_id: int) -> str:
    """The part of the review queue about one activity."""
    found = re.search(rf'id="activity-{activity_id}".*?(?=<div class="card mb-3"|\Z)', html, re.S)
    assert found, f"activity {activity_id} is not in the queue"
    return found.group(0)


@pytest.fixture(autouse=True)
def each_request_in_its_readers_language(app):
    # The app fixture's context outlives requests and Flask-Babel keeps the first
    # request's language in it; a real server starts each request afresh.
    app.before_request(flask_babel.refresh)


@pytest.fixture
def committee(make, branch):
    return make.committee(branch, name="王支委")


@pytest.mark.parametrize(
    "copy",
    [
        pytest.param(lambda image: jpeg(image), id="the same file"),
        pytest.param(lambda image: jpeg(image, quality=45), id="re-saved at quality 45"),
        pytest.param(lambda image: jpeg(image.resize((576, 432))), id="resized to 90 per cent"),
    ],
)
def test_same_photo_from_two_members_is_flagged_on_the_second(
    clock, make, login, english_login, branch, committee, copy
):
    first_member = make.member(branch, name="张一")
    second_member = make.member(branch, name="李二")
    first = log_visit(login(first_member), jpeg(scene(1)), "a", TODAY - timedelta(days=1))
    second = log_visit(login(second_member), copy(scene(1)), "b")
    other = log_visit(login(make.member(branch)), jpeg(scene(2)), "c")

    queue = english_login(committee).get("/review/").get_data(as_text=True)
    flagged = card(queue, second)
    assert 'data-flag="same_photo"' in flagged
    assert "The same photo as “参观一大会址” of" in flagged and "by 张一" in flagged
    assert f'href="/activities/{first}"' in flagged
    assert "data-flag" not in card(queue, first)
    assert "data-flag" not in card(queue, other)


def test_photo_of_another_branch_is_flagged_without_its_member(
    clock, make, login, english_login, branch, committee
):
    stranger = make.member(make.branch(), name="赵外支")
    log_visit(login(stranger), jpeg(scene(3)), "a", TODAY - timedelta(days=2), title="外支部的参观")
    mine = log_visit(login(make.member(branch)), jpeg(scene(3), quality=70), "b")

    flagged = card(english_login(committee).get("/review/").get_data(as_text=True), mine)
    assert 'data-flag="same_photo"' in flagged
    assert "by a member of another branch" in flagged
    assert "赵外支" not in flagged and "外支部的参观" not in flagged


def test_reuse_of_own_earlier_photo_is_flagged(clock, make, login, english_login, branch, db):
    member = make.member(branch)
    reviewer = make.committee(branch)
    member_client = login(member)
    earlier = log_visit(member_client, jpeg(scene(4)), "a", TODAY - timedelta(days=10))
    seen = {"version": str(db.session.get(Activity, earlier).version)}
    assert login(reviewer).post(f"/review/{earlier}/approve", data=seen).status_code == 302
    # A claim withdrawn and logged again with its photo is no reuse.
    withdrawn = log_visit(member_client, jpeg(scene(5)), "b", TODAY - timedelta(days=3))
    assert (
        member_client.post(
            f"/activities/{withdrawn}/withdraw", data={"confirmed": "yes"}
        ).status_code
        == 302
    )
    again = log_visit(member_client, jpeg(scene(5)), "c", TODAY - timedelta(days=3))
    reused = log_visit(member_client, jpeg(scene(4)), "d", title="又一次参观")

    queue = english_login(reviewer).get("/review/").get_data(as_text=True)
    flagged = card(queue, reused)
    assert 'data-flag="photo_reused"' in flagged
    assert "A photo already used for their activity “参观一大会址” of" in flagged
    assert "data-flag" not in card(queue, again)
    assert db.session.get(Activity, reused).status == ActivityStatus.PENDING
    assert totals.differences(db.session) == []


def test_photo_taken_a_year_before_the_claimed_day_is_flagged(
    clock, make, login, english_login, branch, committee, db
):
    member_client = login(make.member(branch))
    old = log_visit(member_client, jpeg(scene(6), taken=TODAY - timedelta(days=365)), "a")
    near = TODAY - timedelta(days=CAPTURE_DAYS_APART)
    fresh = log_visit(member_client, jpeg(scene(7), taken=near), "b", TODAY - timedelta(days=1))

    stored = db.session.scalars(select(Evidence).order_by(Evidence.id)).all()
    assert [e.captured_on for e in stored] == [TODAY - timedelta(days=365), near]
    queue = english_login(committee).get("/review/").get_data(as_text=True)
    flagged = card(queue, old)
    assert 'data-flag="capture_date"' in flagged
    assert "365 days before the day claimed" in flagged
    assert "data-flag" not in card(queue, fresh)


def test_flags_are_shown_to_reviewers_and_not_to_the_member(
    clock, make, login, english_login, branch, committee
):
    log_visit(login(make.member(branch)), jpeg(scene(8)), "a", TODAY - timedelta(days=1))
    member = make.member(branch)
    second = log_visit(login(member), jpeg(scene(8)), "b")

    reviewer_page = english_login(committee).get(f"/activities/{second}").get_data(as_text=True)
    assert 'data-flag="same_photo"' in reviewer_page
    member_page = english_login(member).get(f"/activities/{second}").get_data(as_text=True)
    assert "data-flag" not in member_page and "The same photo" not in member_page


def test_stored_photo_keeps_no_exif_icc_comment_or_xmp(clock, app, make, login, branch, db):
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">xmp-secret</x:xmpmeta>'
    member_client = login(make.member(branch))
    photo = jpeg(scene(9), taken=TODAY, icc_profile=icc, comment=b"comment-secret", xmp=xmp)
    png = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    scene(10).save(png, format="PNG", icc_profile=icc, exif=exif)
    log_visit(member_client, photo, "a")
    log_visit(
        member_client,
        png.getvalue(),
        "b",
        TODAY - timedelta(days=1),
        evidence=(io.BytesIO(png.getvalue()), "photo.png"),
    )

    for stored in db.session.scalars(select(Evidence)):
        data = (Path(app.config["UPLOAD_FOLDER"]) / stored.stored_name).read_bytes()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            assert not image.getexif()
            assert not {"exif", "icc_profile", "comment", "xmp"} & set(image.info)
        for secret in (b"PhoneMaker", b"comment-secret", b"xmp-secret", b"acsp", b"Exif", b"eXIf"):
            assert secret not in data, (stored.content_type, secret)
        assert stored.photo_hash is not None


def test_rehash_gives_stored_photos_their_hash_again(clock, app, make, login, branch, db):
    first = log_visit(login(make.member(branch)), jpeg(scene(11)), "a", TODAY - timedelta(days=1))
    second = log_visit(login(make.member(branch)), jpeg(scene(11)), "b")
    gone = log_visit(login(make.member(branch)), jpeg(scene(12)), "c")
    uploaded = {e.id: e.photo_hash for e in db.session.scalars(select(Evidence))}
    # As the rows were before hashing existed; one file has gone missing since.
    db.session.execute(
        update(Evidence).values(photo_hash=None, captured_on=None, **fingerprint.band_columns(None))
    )
    db.session.commit()
    lost = db.session.scalars(select(Evidence).where(Evidence.activity_id == gone)).one()
    (Path(app.config["UPLOAD_FOLDER"]) / lost.stored_name).unlink()
    assert evidence_flags(db.session, [db.session.get(Activity, second)])[second] == []

    flask_babel.refresh()  # a command starts afresh, in the terminal's language
    result = app.test_cli_runner().invoke(args=["evidence", "rehash"])
    assert result.exit_code == 0, result.output
    assert "Hashed 2 stored photos." in result.output
    assert "1 photo has no file in the evidence store." in result.output
    assert "Capture dates cannot be recovered" in result.output
    db.session.expire_all()
    rehashed = {e.id: e.photo_hash for e in db.session.scalars(select(Evidence))}
    assert rehashed == {**uploaded, lost.id: None}
    [flag] = evidence_flags(db.session, [db.session.get(Activity, second)])[second]
    assert flag.kind == "same_photo" and flag.params["activity_id"] == first


def test_flags_of_a_page_take_the_same_queries_for_few_or_many_activities(app, make, db):
    """Compared with brute force over every pair, with near copies up to the distance."""
    rng = random.Random(7)
    member = make.member()
    activities, hashes = [], []
    for n in range(60):
        if hashes and n % 3 == 0:
            # A near copy of an earlier photo: a few bits flipped anywhere.
            value = int(rng.choice(hashes), 16)
            for bit in rng.sample(range(64), rng.randrange(fingerprint.SAME_PHOTO_DISTANCE + 3)):
                value ^= 1 << bit
        else:
            value = rng.getrandbits(64)
        hex_hash = f"{value:016x}"
        hashes.append(hex_hash)
        activity = make.activity(member, occurred_on=TODAY - timedelta(days=n % 14), start=None)
        db.session.add(
            Evidence(
                activity_id=activity.id,
                stored_name=f"{n}.jpg",
                original_name="p.jpg",
                content_type="image/jpeg",
                size=1,
                photo_hash=hex_hash,
                **fingerprint.band_columns(hex_hash),
            )
        )
        db.session.commit()
        activities.append(activity)

    # As a page holds them: loaded by one query, not expired by a commit.
    activities = db.session.scalars(select(Activity).order_by(Activity.id)).all()
    statements = []

    def count(*args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        few = evidence_flags(db.session, activities[-3:])
        few_queries = len(statements)
        statements.clear()
        flags = evidence_flags(db.session, activities)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    # The photos, the earlier rows sharing a hash band, the earlier activities found.
    assert len(statements) == few_queries == 3
    assert {k: v for k, v in flags.items() if k in few} == few

    for n, activity in enumerate(activities):
        expected = {
            activities[m].id
            for m in range(n)
            if fingerprint.distance(hashes[m], hashes[n]) <= fingerprint.SAME_PHOTO_DISTANCE
        }
        named = {f.params["activity_id"] for f in flags[activity.id] if f.kind == "photo_reused"}
        more = sum(f.params["count"] for f in flags[activity.id] if f.kind == "more_same_photos")
        assert named <= expected and len(named) + more == len(expected), n
