"""Evidence on the instance folder or an S3-compatible object store (moto's server on loopback).

The store is chosen by TRACKER_STORAGE_URL; every path that reads or writes an
evidence file goes through it. The database does not change what a store does,
so these tests run on SQLite only, except where a backup dumps the database.
"""

from __future__ import annotations

import io
import urllib.request
from datetime import timedelta

import flask_babel
import pytest
from sqlalchemy import func, select, update

from tracker import create_app, storage
from tracker.activities import fingerprint
from tracker.clock import utcnow
from tracker.models import Activity, Evidence
from tracker.people import tokens

from .api.conftest import STUDY
from .conftest import BASE_CONFIG, TODAY, new_bucket, s3_settings
from .test_evidence_checks import VISIT, jpeg, log_visit, scene

ON_SQLITE = pytest.mark.parametrize("app", ["sqlite"], indirect=True)


@pytest.fixture(params=["folder", "s3"])
def bare_store(request, tmp_path):
    """A store built from the settings alone, without an app or a database."""
    if request.param == "folder":
        return storage.from_config({"TRACKER_STORAGE_URL": "", "UPLOAD_FOLDER": str(tmp_path)})
    endpoint = request.getfixturevalue("s3_endpoint")
    return storage.from_config(s3_settings(endpoint, new_bucket(endpoint), prefix="a/b"))


def test_a_store_keeps_files_whole_lists_them_and_forgets_deleted_ones(bare_store):
    storage.probe(bare_store)  # writes, reads back and deletes: nothing is left
    assert list(bare_store.list()) == []
    bare_store.put("one.jpg", b"\xff\xd8 first", "image/jpeg")
    bare_store.put("two.pdf", b"%PDF-1.7 second", "application/pdf")
    assert bare_store.get("one.jpg") == b"\xff\xd8 first"
    with bare_store.open("two.pdf") as stream:
        assert stream.read() == b"%PDF-1.7 second"
    assert sorted(bare_store.list()) == ["one.jpg", "two.pdf"]
    assert bare_store.exists("one.jpg") and not bare_store.exists("three.png")
    bare_store.delete("one.jpg")
    bare_store.delete("one.jpg")  # already gone: no error
    assert list(bare_store.list()) == ["two.pdf"]
    with pytest.raises(FileNotFoundError):
        bare_store.get("one.jpg")
    with pytest.raises(FileNotFoundError):
        bare_store.open("one.jpg")
    for hostile in ("../secret_key", "a/b.jpg", ".one.jpg.part", ""):
        with pytest.raises(ValueError):
            bare_store.get(hostile)


def test_objects_live_under_the_prefix_and_others_are_left_alone(s3_endpoint):
    bucket = new_bucket(s3_endpoint)
    store = storage.from_config(s3_settings(s3_endpoint, bucket, prefix="/campus/evidence/"))
    store.put("x.png", b"png", "image/png")
    raw = store.client
    raw.put_object(Bucket=bucket, Key="campus/other.txt", Body=b"not ours")
    raw.put_object(Bucket=bucket, Key="campus/evidence/thumbs/x.png", Body=b"not ours either")
    keys = {item["Key"] for item in raw.list_objects_v2(Bucket=bucket)["Contents"]}
    assert "campus/evidence/x.png" in keys
    assert raw.head_object(Bucket=bucket, Key="campus/evidence/x.png")["ContentType"] == "image/png"
    assert list(store.list()) == ["x.png"]


def test_the_probe_says_why_a_store_cannot_be_written(tmp_path):
    folder = tmp_path / "uploads"
    folder.mkdir()
    (folder / "blocked").mkdir()
    store = storage.FolderStorage(folder / "blocked" / "x")
    (folder / "blocked" / "x").write_text("a file where the folder should be")
    with pytest.raises(storage.StorageUnavailable) as caught:
        storage.probe(store)
    assert "x" in caught.value.detail
    # Nothing listens on port 1: as an object store that is down.
    away = storage.from_config(s3_settings("http://127.0.0.1:1", "nowhere"))
    with pytest.raises(storage.StorageUnavailable):
        storage.probe(away)


def test_a_storage_url_of_another_kind_stops_the_start(tmp_path):
    for url in ("ftp://files.example.edu.cn/evidence", "s3:///no-bucket"):
        with pytest.raises(ValueError, match="s3://bucket/prefix"):
            create_app({**BASE_CONFIG, "TRACKER_STORAGE_URL": url})
    with pytest.raises(ValueError, match="auto, path or virtual"):
        create_app(
            {
                **BASE_CONFIG,
                "TRACKER_STORAGE_URL": "s3://bucket",
                "TRACKER_S3_ADDRESSING_STYLE": "sideways",
            }
        )


@ON_SQLITE
def test_upload_serve_replace_and_rehash_through_the_store(
    clock, app, db, make, login, branch, store
):
    """A photo logged on the page lands in the store, is served to those who may read
    the activity, is deleted once the edit that replaced it commits, and is read
    back by ``evidence rehash``."""
    member = make.member(branch)
    client = login(member)
    activity_id = log_visit(client, jpeg(scene(1)), "first", TODAY - timedelta(days=1))
    item = db.session.scalars(select(Evidence)).one()
    stored = store.get(item.stored_name)
    assert stored.startswith(b"\xff\xd8") and len(stored) == item.size
    assert list(store.list()) == [item.stored_name]

    with client.get(f"/activities/evidence/{item.id}") as served:
        assert served.status_code == 200 and served.data == stored
        assert served.mimetype == "image/jpeg"
        assert served.headers["Cache-Control"] == "private, no-store"
    with login(make.committee(branch)).get(f"/activities/evidence/{item.id}") as served:
        assert served.data == stored
    stranger = login(make.committee())  # another branch's committee
    assert stranger.get(f"/activities/evidence/{item.id}").status_code == 404

    replaced = client.post(
        f"/activities/{activity_id}/edit",
        data={
            **VISIT,
            "occurred_on": (TODAY - timedelta(days=1)).isoformat(),
            "remove_evidence": [str(item.id)],
            "evidence": (io.BytesIO(jpeg(scene(2))), "new.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert replaced.status_code == 302, replaced.get_data(as_text=True)
    db.session.expire_all()
    new = db.session.scalars(select(Evidence)).one()
    assert list(store.list()) == [new.stored_name] and new.stored_name != item.stored_name

    # A photo stored before hashing existed gets its hash from the store.
    db.session.execute(update(Evidence).values(**fingerprint.band_columns(None), photo_hash=None))
    db.session.commit()
    flask_babel.refresh()  # a command starts afresh, in the terminal's language
    result = app.test_cli_runner().invoke(args=["evidence", "rehash"])
    assert result.exit_code == 0 and "Hashed 1 stored photo." in result.output, result.output
    db.session.expire_all()
    assert db.session.get(Evidence, new.id).photo_hash == fingerprint.photo_hash(
        store.get(new.stored_name)
    )


@ON_SQLITE
@pytest.mark.config(TRACKER_STORAGE_SIGNED_URL_SECONDS=60)
def test_signed_urls_are_handed_out_only_after_the_access_check(
    clock, app, db, make, login, branch, store
):
    member = make.member(branch)
    client = login(member)
    log_visit(client, jpeg(scene(3)), "signed")
    item = db.session.scalars(select(Evidence)).one()
    stranger = login(make.committee())
    assert stranger.get(f"/activities/evidence/{item.id}").status_code == 404

    with client.get(f"/activities/evidence/{item.id}") as response:
        if isinstance(store, storage.FolderStorage):
            # A folder has no signed addresses: the app serves the file itself.
            assert response.status_code == 200 and response.data == store.get(item.stored_name)
            return
    assert response.status_code == 302
    address = response.headers["Location"]
    assert address.startswith(app.config["TRACKER_S3_ENDPOINT_URL"] + "/")
    assert "X-Amz-Expires=60" in address and "X-Amz-Signature=" in address
    with urllib.request.urlopen(address, timeout=10) as fetched:  # noqa: S310 (loopback)
        assert fetched.read() == store.get(item.stored_name)
        assert fetched.headers["Content-Type"] == "image/jpeg"
        assert fetched.headers["Content-Disposition"].startswith("inline")
        assert fetched.headers["Cache-Control"] == "private, no-store"


@ON_SQLITE
def test_pages_let_images_come_from_the_store_only_with_signed_urls(app, s3_endpoint):
    settings = {
        **BASE_CONFIG,
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        **s3_settings(s3_endpoint, "tracker-csp"),
    }

    def image_sources(extra: dict) -> str:
        with create_app({**settings, **extra}).test_client().get("/login") as page:
            policy = page.headers["Content-Security-Policy"]
        return next(p for p in policy.split(";") if p.strip().startswith("img-src"))

    assert s3_endpoint not in image_sources({})
    assert s3_endpoint in image_sources({"TRACKER_STORAGE_SIGNED_URL_SECONDS": 60})


@ON_SQLITE
@pytest.mark.config(
    TRACKER_STORAGE_URL="s3://tracker-away/evidence",
    TRACKER_S3_ENDPOINT_URL="http://127.0.0.1:1",  # nothing listens: as a store that is down
    TRACKER_S3_ACCESS_KEY_ID="k",
    TRACKER_S3_SECRET_ACCESS_KEY="s",
)
def test_an_unreachable_store_answers_503_and_saves_nothing(clock, app, db, make, english_login):
    member = make.member()
    client = english_login(member)
    response = client.post(
        "/activities/new/red_site",
        data={
            **VISIT,
            "occurred_on": TODAY.isoformat(),
            "submission_key": "away",
            "evidence": (io.BytesIO(jpeg(scene(4))), "photo.jpg"),
        },
        content_type="multipart/form-data",
    )
    # The upload limit's own Retry-After may stand in for the store's 30 s: either says when.
    assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
    assert "The evidence store cannot be reached just now" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    db.session.remove()  # as the request's end does on a server (the test keeps its context)
    assert db.session.scalar(select(func.count(Activity.id))) == 0

    issued = tokens.issue_token(db.session, member, name="t", now=utcnow(), lifetime_days=30)
    db.session.commit()
    through_api = app.test_client().post(
        "/api/v1/activities",
        data={
            **{name: str(value) for name, value in STUDY.items()},
            "evidence": (io.BytesIO(jpeg(scene(5))), "photo.jpg"),
        },
        content_type="multipart/form-data",
        headers={"Authorization": f"Bearer {issued.token}", "Accept-Language": "en"},
    )
    assert through_api.status_code == 503 and int(through_api.headers["Retry-After"]) > 0
    assert through_api.json["error"]["code"] == "unavailable"
    assert "evidence store cannot be reached" in through_api.json["error"]["message"]
    db.session.remove()
    assert db.session.scalar(select(func.count(Activity.id))) == 0

    # A file that cannot be fetched just now is not a missing one (404) nor a crash.
    item = Evidence(
        activity_id=make.activity(member).id,
        stored_name="kept.jpg",
        original_name="a.jpg",
        content_type="image/jpeg",
        size=3,
    )
    db.session.add(item)
    db.session.commit()
    with client.get(f"/activities/evidence/{item.id}") as served:
        assert served.status_code == 503 and served.headers["Retry-After"] == "30"
