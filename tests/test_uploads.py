"""Evidence uploads under attack: decompression bombs, hostile PDFs, floods of files."""

from __future__ import annotations

import functools
import io
import zlib

import pytest
from PIL import Image, ImageFile, PngImagePlugin
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)
from sqlalchemy import func, select

from tracker.activities import evidence
from tracker.clock import utcnow
from tracker.errors import InvalidInput
from tracker.models import Activity, Evidence
from tracker.people import tokens

from .api.conftest import STUDY
from .conftest import TODAY


def study(key: str = "k1") -> dict:
    return {
        "occurred_on": TODAY.isoformat(),
        "start_time": "09:00",
        "quantity": "45",
        "title": "学习二十大报告",
        "description": "",
        "submission_key": key,
    }


def post_evidence(client, *files: tuple[bytes, str], key: str = "k1"):
    return client.post(
        "/activities/new/study",
        data={**study(key), "evidence": [(io.BytesIO(data), name) for data, name in files]},
        content_type="multipart/form-data",
    )


def stored(app, db) -> list[tuple[Evidence, bytes]]:
    from pathlib import Path

    folder = Path(app.config["UPLOAD_FOLDER"])
    items = db.session.scalars(select(Evidence).order_by(Evidence.id)).all()
    return [(item, (folder / item.stored_name).read_bytes()) for item in items]


@pytest.fixture
def api(app, db):
    """``api(user)`` calls the API with a token of that user's, in English."""

    def _for(user):
        issued = tokens.issue_token(db.session, user, name="test", now=utcnow(), lifetime_days=30)
        db.session.commit()
        client = app.test_client()
        headers = {"Authorization": f"Bearer {issued.token}", "Accept-Language": "en"}

        def call(method: str, path: str, **kwargs):
            return client.open("/api/v1" + path, method=method, headers=headers, **kwargs)

        return call

    return _for


@pytest.fixture
def member(make):
    return make.member()


@pytest.fixture
def client_m(english_login, member):
    return english_login(member)


# --- Decompression bombs -------------------------------------------------------


@functools.cache
def png_bomb(width: int = 6000, height: int = 6000) -> bytes:
    """A PNG of width x height black pixels: about 100 KB that decodes to 108 MB."""
    out = io.BytesIO()
    Image.new("RGB", (width, height)).save(out, format="PNG", compress_level=9)
    return out.getvalue()


def truncated_png(width: int, height: int) -> bytes:
    """Only the signature, the header chunk and a scrap of image data: no image to decode."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return len(body).to_bytes(4, "big") + kind + body + crc.to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


@pytest.fixture
def decoding(monkeypatch):
    """Records every attempt to verify or decode an image (both cost as much as the pixels)."""
    calls: list[str] = []
    real_load, real_verify = ImageFile.ImageFile.load, PngImagePlugin.PngImageFile.verify

    def load(self):
        calls.append("load")
        return real_load(self)

    def verify(self):
        calls.append("verify")
        return real_verify(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    monkeypatch.setattr(PngImagePlugin.PngImageFile, "verify", verify)
    return calls


def test_png_bomb_is_refused_before_any_decoding(clock, client_m, db, decoding):
    bomb = png_bomb()
    assert len(bomb) < 200_000
    response = post_evidence(client_m, (bomb, "bomb.png"))
    assert response.status_code == 200
    assert "bomb.png has too many pixels" in response.get_data(as_text=True)
    assert decoding == []
    assert db.session.scalars(select(Evidence)).all() == []


@pytest.mark.parametrize("size", [(8000, 6000), (20_000, 20_000)])
def test_truncated_huge_png_is_refused_by_its_size_alone(clock, client_m, db, size):
    # Refused for its pixel count, read from the header, not because decoding failed.
    response = post_evidence(client_m, (truncated_png(*size), "huge.png"))
    assert "huge.png has too many pixels" in response.get_data(as_text=True)
    assert db.session.scalars(select(Activity)).all() == []


def jpeg(width: int, height: int, orientation: int | None = None) -> bytes:
    image = Image.new("RGB", (width, height), (120, 160, 200))
    image.paste((200, 40, 40), (0, 0, width // 4, height // 4))  # a red top-left corner
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, exif=exif)
    return out.getvalue()


def test_phone_photo_of_12_megapixels_is_kept_downscaled(clock, app, client_m, db):
    response = post_evidence(client_m, (jpeg(4032, 3024), "IMG_0001.jpg"))
    assert response.status_code == 302
    [(item, data)] = stored(app, db)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG" and image.size == (2560, 1920)
    assert item.size == len(data) < 1_000_000


def test_upright_photo_is_downscaled_after_turning(clock, app, client_m, db):
    # Held upright, the phone stores the picture on its side with Orientation 6.
    post_evidence(client_m, (jpeg(4032, 3024, orientation=6), "IMG_0002.jpg"))
    [(_item, data)] = stored(app, db)
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (1920, 2560)
        red, _green, _blue = image.getpixel((image.width - 10, 10))
        assert red > 150  # the red corner is now top right


def test_high_resolution_phone_photo_is_accepted():
    # 48 MP: what phones make in their "high resolution" mode.
    prepared = evidence.prepare_evidence("IMG_48MP.jpg", jpeg(8000, 6000), 20 * 1024 * 1024)
    with Image.open(io.BytesIO(prepared.data)) as image:
        assert image.size == (2560, 1920)


def test_large_progressive_jpeg_is_refused_as_it_cannot_be_decoded_scaled_down():
    # A progressive JPEG holds all its coefficients in memory whatever the scale.
    out = io.BytesIO()
    Image.new("RGB", (4200, 4000)).save(out, format="JPEG", progressive=True)
    with pytest.raises(InvalidInput, match="too many pixels"):
        evidence.prepare_evidence("web.jpg", out.getvalue(), 20 * 1024 * 1024)


# --- PDFs ----------------------------------------------------------------------


def _action(script: str) -> DictionaryObject:
    return DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject(script),
        }
    )


def _rect() -> ArrayObject:
    return ArrayObject([FloatObject(10), FloatObject(10), FloatObject(100), FloatObject(40)])


def hostile_pdf() -> bytes:
    """One page saying "Certificate of study", with every active part a PDF can carry."""
    writer = PdfWriter()
    page = writer.add_blank_page(300, 200)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
    )
    page.replace_contents(_content(b"BT /F1 12 Tf 20 100 Td (Certificate of study) Tj ET", writer))
    writer.add_attachment("payload.exe", b"MZ-embedded-payload")
    root = writer.root_object
    names = root["/Names"]
    names[NameObject("/JavaScript")] = DictionaryObject(
        {
            NameObject("/Names"): ArrayObject(
                [TextStringObject("names"), writer._add_object(_action("app.alert('names');"))]
            )
        }
    )
    root[NameObject("/OpenAction")] = _action("app.alert('open');")
    page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): _action("app.alert('page');")})
    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): _rect(),
            NameObject("/A"): _action("app.alert('link');"),
        }
    )
    field = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Widget"),
            NameObject("/FT"): NameObject("/Tx"),
            NameObject("/T"): TextStringObject("password"),
            NameObject("/Rect"): _rect(),
        }
    )
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(link), writer._add_object(field)])
    root[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/Fields"): ArrayObject([page["/Annots"][1]])}
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _content(data: bytes, writer: PdfWriter):
    from pypdf.generic import ContentStream

    stream = ContentStream(None, writer)
    stream.set_data(data)
    return stream


def test_pdf_is_stored_without_scripts_actions_attachments_or_forms(clock, app, client_m, db):
    original = hostile_pdf()
    assert b"/JavaScript" in original and b"MZ-embedded-payload" in original
    response = post_evidence(client_m, (original, "certificate.pdf"))
    assert response.status_code == 302
    [(item, data)] = stored(app, db)
    assert item.content_type == "application/pdf"
    reader = PdfReader(io.BytesIO(data))
    for key in ("/OpenAction", "/AA", "/Names", "/AcroForm"):
        assert key not in reader.trailer["/Root"]
    [page] = reader.pages
    assert "/Annots" not in page and "/AA" not in page
    assert reader.attachments == {}
    assert "Certificate of study" in page.extract_text()
    for trace in (b"/JavaScript", b"/JS", b"app.alert", b"/EmbeddedFile", b"MZ-embedded-payload"):
        assert trace not in data


def test_reviewers_are_told_that_pdfs_were_rewritten(clock, client_m, member, english_login, make):
    post_evidence(client_m, (handmade_pdf(ONE_PAGE), "certificate.pdf"))
    note = "PDF files were re-written on upload, without scripts or attachments."
    reviewer = english_login(make.committee(member.branch))
    assert note in reviewer.get("/review/").get_data(as_text=True)
    assert note in client_m.get("/activities/1").get_data(as_text=True)


def handmade_pdf(objects: list[bytes], *, comment: bytes = b"", tail: bytes = b"") -> bytes:
    """A PDF with a correct cross-reference table, an optional comment line and trailing bytes."""
    out = bytearray(b"%PDF-1.4\n" + comment)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out + tail)


ONE_PAGE = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
]
HTML = b"<html><body><script>fetch('/account').then(r => r.text())</script></body></html>"


def test_html_in_a_pdf_polyglot_is_not_stored(clock, app, client_m, db):
    polyglot = handmade_pdf(ONE_PAGE, comment=b"%" + HTML + b"\n", tail=HTML)
    assert PdfReader(io.BytesIO(polyglot)).pages  # a PDF reader opens it
    response = post_evidence(client_m, (polyglot, "scan.pdf"))
    assert response.status_code == 302
    [(_item, data)] = stored(app, db)
    assert data.startswith(b"%PDF-")
    assert b"<html" not in data.lower() and b"<script" not in data.lower()
    assert len(PdfReader(io.BytesIO(data)).pages) == 1


def test_html_before_the_pdf_header_is_refused(clock, client_m, db):
    response = post_evidence(client_m, (HTML + b"\n" + handmade_pdf(ONE_PAGE), "scan.pdf"))
    assert response.status_code == 200 and "scan.pdf is not a" in response.get_data(as_text=True)
    assert db.session.scalars(select(Evidence)).all() == []


def test_pdf_that_cannot_be_parsed_is_refused(clock, client_m, db):
    broken = b"%PDF-1.7\n<script>alert(1)</script>\nnot a single object here\n%%EOF\n"
    response = post_evidence(client_m, (broken, "broken.pdf"))
    assert response.status_code == 200
    assert "broken.pdf could not be read as a PDF" in response.get_data(as_text=True)
    assert db.session.scalars(select(Evidence)).all() == []


def test_pdf_with_too_many_pages_is_refused_without_reading_them_all(clock, client_m, db):
    pages = [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"] * 101
    kids = b" ".join(b"%d 0 R" % number for number in range(3, 104))
    tree = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count 1 >>" % kids]
    response = post_evidence(client_m, (handmade_pdf(tree + pages), "book.pdf"))
    assert "book.pdf has more than 100 pages" in response.get_data(as_text=True)
    assert db.session.scalars(select(Evidence)).all() == []


def test_pdf_locked_with_a_password_is_refused(clock, client_m, db):
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    response = post_evidence(client_m, (out.getvalue(), "locked.pdf"))
    assert "locked.pdf could not be read as a PDF" in response.get_data(as_text=True)
    assert db.session.scalars(select(Evidence)).all() == []


# --- How many files a member may send ---------------------------------------------


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, format="PNG")
    return out.getvalue()


@pytest.mark.config(TRACKER_UPLOAD_LIMIT_PER_MINUTE=3)
def test_uploads_per_member_are_limited_on_the_web_and_the_api(clock, client_m, member, api, make):
    assert post_evidence(client_m, (png(), "a.png"), (png(), "b.png")).status_code == 302
    refused = post_evidence(client_m, (png(), "c.png"), (png(), "d.png"), key="k2")
    assert refused.status_code == 429
    assert "Too many files uploaded in a minute" in refused.get_data(as_text=True)

    call = api(member)
    fields = {name: str(value) for name, value in STUDY.items()}
    form = {**fields, "start_time": "10:00", "evidence": (io.BytesIO(png()), "e.png")}
    through_api = call("POST", "/activities", data=form, content_type="multipart/form-data")
    assert through_api.status_code == 429, through_api.json
    assert "Too many files uploaded in a minute" in through_api.json["error"]["message"]
    assert int(through_api.headers["Retry-After"]) > 0
    # Logging without files is not an upload; another member has a budget of their own.
    without_files = call("POST", "/activities", json={**STUDY, "start_time": "11:00"})
    assert without_files.status_code == 201, without_files.json
    other = api(make.member())
    other_form = {**fields, "evidence": (io.BytesIO(png()), "f.png")}
    assert (
        other(
            "POST", "/activities", data=other_form, content_type="multipart/form-data"
        ).status_code
        == 201
    )


@pytest.mark.config(TRACKER_UPLOAD_LIMIT_PER_MINUTE=1)
def test_upload_limit_message_is_in_the_members_language(clock, login, member):
    client = login(member)
    post_evidence(client, (png(), "a.png"))
    refused = post_evidence(client, (png(), "b.png"), key="k2")
    assert refused.status_code == 429
    assert "一分钟内上传的文件太多" in refused.get_data(as_text=True)


@pytest.fixture
def full_disk():
    """Files this process writes may not grow past 64 KiB, as on a disk that is full.

    A real limit of the operating system (RLIMIT_FSIZE), not a stand-in: the write
    fails with EFBIG part-way, leaving what a full disk leaves. PostgreSQL writes in
    its own processes, so only the evidence file meets it.
    """
    import resource
    import signal

    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def _noisy_png(size: int = 400) -> bytes:
    import random

    rng = random.Random(7)
    image = Image.frombytes(
        "RGB", (size, size), bytes(rng.getrandbits(8) for _ in range(size * size * 3))
    )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.mark.postgres_only
def test_a_full_disk_saves_nothing_and_leaves_no_file(app, db, clock, client_m, full_disk):
    from pathlib import Path

    photo = _noisy_png()
    response = post_evidence(client_m, (photo, "现场.png"))
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert db.session.scalar(select(func.count(Activity.id))) == 0
    assert db.session.scalar(select(func.count(Evidence.id))) == 0
    folder = Path(app.config["UPLOAD_FOLDER"])
    assert not folder.exists() or list(folder.iterdir()) == []  # no empty or partial file
