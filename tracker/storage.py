"""Where evidence files live: a folder, or an S3-compatible object store.

The app servers keep no files of their own when ``TRACKER_STORAGE_URL`` is
``s3://bucket/prefix``: any number of them can serve behind a load balancer,
and each sees every upload. Without it the files stay in the instance
folder's ``uploads/``, as before. Both keep the same promise: a stored file
appears whole or not at all, under the flat name the database records.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any, Protocol
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

from tracker.errors import DomainError

EXTENSION_KEY = "tracker.storage"


class StorageUnavailable(DomainError):
    """The store could not be reached or refused the request; nothing was saved."""

    status = 503
    retry_after = 30  # seconds, as when the database is away

    def __init__(self, detail: str = ""):
        super().__init__(
            _l("The evidence store cannot be reached just now. Please try again in a minute.")
        )
        self.detail = detail


class Storage(Protocol):
    """The few things the tracker asks of a store. Names are flat, such as ``3f2a….jpg``."""

    def put(self, name: str, data: bytes, content_type: str | None = None) -> None: ...

    def get(self, name: str) -> bytes:
        """The file's bytes; FileNotFoundError when there is none."""
        ...

    def open(self, name: str) -> IO[bytes]:
        """A stream of the file, for serving it; FileNotFoundError when there is none."""
        ...

    def delete(self, name: str) -> None:
        """Delete the file; a file already gone is no error."""
        ...

    def exists(self, name: str) -> bool: ...

    def list(self) -> Iterator[str]:
        """Every stored name (files being written are not listed)."""
        ...

    def signed_url(
        self, name: str, *, seconds: int, content_type: str, download_name: str, inline: bool
    ) -> str | None:
        """A short-lived address the browser may fetch the file from, or None: serve it."""
        ...

    def signed_origin(self) -> str | None:
        """Where signed addresses point (scheme://host), for the pages' image policy."""
        ...

    def describe(self) -> str: ...


def _checked(name: str) -> str:
    # Names come from the database, which the app filled; a path in one would
    # still be refused rather than followed.
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"not a stored file name: {name!r}")
    return name


class FolderStorage:
    """Files in one folder of this machine (by default the instance's ``uploads/``)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, name: str) -> Path:
        return self.root / _checked(name)

    def put(self, name: str, data: bytes, content_type: str | None = None) -> None:
        target = self.path(name)
        # Written beside, then renamed: a reader (or a backup) never sees half a file.
        partial = self.root / f".{name}.part"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(data)
            os.replace(partial, target)
        except OSError as error:
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            raise StorageUnavailable(str(error)) from error

    def get(self, name: str) -> bytes:
        return self.path(name).read_bytes()

    def open(self, name: str) -> IO[bytes]:
        return self.path(name).open("rb")

    def delete(self, name: str) -> None:
        try:
            self.path(name).unlink(missing_ok=True)
        except OSError as error:
            raise StorageUnavailable(str(error)) from error

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def list(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for item in sorted(self.root.iterdir()):
            if not item.name.startswith(".") and item.is_file():
                yield item.name

    def signed_url(self, name: str, **_options: Any) -> None:
        return None

    def signed_origin(self) -> None:
        return None

    def describe(self) -> str:
        return f"folder {self.root}"


class S3Storage:
    """Objects under ``prefix/`` in one bucket of any S3-compatible store.

    An object is written by one PUT, which the store makes visible whole or
    not at all, so there is no temporary name to clean up.
    """

    def __init__(self, bucket: str, prefix: str, client: Any):
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client
        from botocore.exceptions import BotoCoreError, ClientError

        self._failures = (BotoCoreError, ClientError)

    def key(self, name: str) -> str:
        name = _checked(name)
        return f"{self.prefix}/{name}" if self.prefix else name

    def _missing(self, error: Exception) -> bool:
        response = getattr(error, "response", None) or {}
        code = str(response.get("Error", {}).get("Code", ""))
        return code in {"NoSuchKey", "404", "NotFound"}

    def put(self, name: str, data: bytes, content_type: str | None = None) -> None:
        extra = {"ContentType": content_type} if content_type else {}
        try:
            self.client.put_object(Bucket=self.bucket, Key=self.key(name), Body=data, **extra)
        except self._failures as error:
            raise StorageUnavailable(str(error)) from error

    def _get_object(self, name: str) -> dict:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.key(name))
        except self._failures as error:
            if self._missing(error):
                raise FileNotFoundError(name) from None
            raise StorageUnavailable(str(error)) from error

    def get(self, name: str) -> bytes:
        body = self._get_object(name)["Body"]
        try:
            return body.read()
        finally:
            body.close()

    def open(self, name: str) -> IO[bytes]:
        return self._get_object(name)["Body"]

    def delete(self, name: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.key(name))
        except self._failures as error:
            if not self._missing(error):
                raise StorageUnavailable(str(error)) from error

    def exists(self, name: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(name))
        except self._failures as error:
            if self._missing(error):
                return False
            raise StorageUnavailable(str(error)) from error
        return True

    def list(self) -> Iterator[str]:
        start = f"{self.prefix}/" if self.prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=start
        )
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    name = item["Key"][len(start) :]
                    # Objects in folders below the prefix are not the tracker's.
                    if name and "/" not in name:
                        yield name
        except self._failures as error:
            raise StorageUnavailable(str(error)) from error

    def signed_url(
        self, name: str, *, seconds: int, content_type: str, download_name: str, inline: bool
    ) -> str:
        from werkzeug.http import dump_options_header

        disposition = dump_options_header(
            "inline" if inline else "attachment", {"filename*": f"UTF-8''{_quoted(download_name)}"}
        )
        return self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": self.key(name),
                # The store answers with these headers, as the app would.
                "ResponseContentType": content_type,
                "ResponseContentDisposition": disposition,
                "ResponseCacheControl": "private, no-store",
            },
            ExpiresIn=seconds,
        )

    def signed_origin(self) -> str:
        # Signing is local: no request. The host differs by addressing style
        # (bucket.host or host/bucket), so it is read off a real signed address.
        parts = urlsplit(
            self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": self.key("x")}, ExpiresIn=60
            )
        )
        return f"{parts.scheme}://{parts.netloc}"

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def _quoted(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def s3_client(config: dict) -> Any:
    """A boto3 S3 client from the TRACKER_S3_* settings (empty ones fall back to boto3's own)."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError:  # pragma: no cover - depends on the installation
        raise RuntimeError(
            "TRACKER_STORAGE_URL names an S3 bucket, but boto3 is not installed: "
            "pip install 'tracker[s3]'"
        ) from None
    style = config.get("TRACKER_S3_ADDRESSING_STYLE") or "auto"
    if style not in ("auto", "path", "virtual"):
        raise ValueError(
            f"TRACKER_S3_ADDRESSING_STYLE must be auto, path or virtual, not {style!r}"
        )
    return boto3.client(
        "s3",
        endpoint_url=config.get("TRACKER_S3_ENDPOINT_URL") or None,
        region_name=config.get("TRACKER_S3_REGION") or None,
        aws_access_key_id=config.get("TRACKER_S3_ACCESS_KEY_ID") or None,
        aws_secret_access_key=config.get("TRACKER_S3_SECRET_ACCESS_KEY") or None,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": style},
            # A store that does not answer fails the request in seconds, not minutes.
            connect_timeout=5,
            read_timeout=30,
            retries={"max_attempts": 3, "mode": "standard"},
        ),
    )


def from_config(config: dict) -> Storage:
    """The store that TRACKER_STORAGE_URL names; empty: the folder UPLOAD_FOLDER."""
    url = (config.get("TRACKER_STORAGE_URL") or "").strip()
    if not url:
        return FolderStorage(config["UPLOAD_FOLDER"])
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(
            f"TRACKER_STORAGE_URL must be empty (the instance folder) or s3://bucket/prefix, "
            f"not {url!r}"
        )
    prefix = str(PurePosixPath("/", parts.path)).strip("/")
    return S3Storage(parts.netloc, prefix, s3_client(config))


def probe(store: Storage) -> None:
    """Write, read back and delete a small file; StorageUnavailable says what failed.

    For a start-up or configuration check: a store that lists but refuses
    writes (a read-only key, a full disk) fails here, not at a member's upload.
    """
    name = f"tracker-probe-{uuid.uuid4().hex}.txt"
    data = b"tracker storage probe"
    store.put(name, data, "text/plain")
    try:
        try:
            back = store.get(name)
        except (FileNotFoundError, OSError) as error:
            raise StorageUnavailable(f"a file just written could not be read: {error}") from None
        if back != data:
            raise StorageUnavailable("a file just written was read back changed")
    finally:
        store.delete(name)


def init_app(app) -> None:
    app.extensions[EXTENSION_KEY] = from_config(app.config)


def of(app) -> Storage:
    """The app's store (doors pass it to the domain functions that read or write files)."""
    return app.extensions[EXTENSION_KEY]
