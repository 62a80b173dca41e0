"""Where uploaded files (logos, pictures) live, and how they are checked and served.

A service stores the *key* a ``Storage`` returns (``centers/logos/<uuid>.png``,
never a client's file name) and answers ``storage.url(key, base_url=...)``, an
absolute URL the client can fetch:

- ``LocalStorage``: files under ``ENTRAIDE_MEDIA_DIR`` (default
  ``$ENTRAIDE_DATA_DIR/media``, else ``.data/media``), served by the service
  itself through ``media_router(url_path=...)`` (``{base_url}{url_path}/{key}``).
- ``S3Storage``: any S3-compatible server (AWS, MinIO, Garage...), path-style,
  signed with AWS Signature V4 here; ``url()`` is ``ENTRAIDE_S3_PUBLIC_URL/key``
  when configured, else a presigned GET URL.

``storage_from_env()`` picks S3 when ``ENTRAIDE_S3_BUCKET`` is set.
``read_image()`` checks an upload before it is saved: size (413), PNG/JPEG/WebP
by content (415), pixel count and integrity (400 on the field).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import io
import logging
import os
import re
import struct
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Protocol
from urllib.parse import quote

import anyio.to_thread
import httpx
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from PIL import Image as PILImage
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.datastructures import UploadFile

from .context import Context
from .errors import (
    APIError,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    UnsupportedMediaType,
    ValidationFailed,
)

log = logging.getLogger("entraide.storage")

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # SigV4 query auth allows no more

# One segment: letters, digits, "_", "-", "."; never starting with "." (no
# "..", no hidden or temporary files); segments joined by single "/".
_SEGMENT = r"[A-Za-z0-9_-][A-Za-z0-9_.-]*"
_KEY_RE = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT})*")
_EXTENSION_RE = re.compile(r"[a-z0-9]{1,10}")
_MAX_KEY_LENGTH = 512

CONTENT_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "gif": "image/gif",
    "pdf": "application/pdf",
}


class InvalidKey(ValueError):
    """A key (or folder) that could escape the storage or is not one we made."""


class StorageUnavailable(ServiceUnavailable):
    """The storage backend failed (S3 down, refused the request...): a 503."""

    default_detail = "File storage is temporarily unavailable, try again later."


def check_key(key: str) -> str:
    if len(key) > _MAX_KEY_LENGTH or not _KEY_RE.fullmatch(key):
        raise InvalidKey(f"invalid storage key: {key[:80]!r}")
    return key


def new_key(folder: str, extension: str) -> str:
    """``<folder>/<uuid>.<extension>``, validated."""
    folder = check_key(folder.rstrip("/"))
    ext = extension.lower().lstrip(".")
    if not _EXTENSION_RE.fullmatch(ext):
        raise InvalidKey(f"invalid extension: {extension[:20]!r}")
    return check_key(f"{folder}/{uuid.uuid4().hex}.{ext}")


def content_type_for(key: str) -> str:
    ext = key.rsplit(".", 1)[-1].lower() if "." in key.rsplit("/", 1)[-1] else ""
    return CONTENT_TYPES.get(ext, "application/octet-stream")


class Storage(Protocol):
    async def save(self, *, folder: str, data: bytes, content_type: str, extension: str) -> str:
        """Store ``data`` under a new key ``<folder>/<uuid>.<extension>``; return the key."""
        ...

    async def load(self, key: str) -> tuple[bytes, str] | None:
        """``(data, content_type)``, or None when there is no such key."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the key; a missing key is fine."""
        ...

    def url(self, key: str, *, base_url: str) -> str:
        """An absolute URL a client can GET the file from."""
        ...

    async def aclose(self) -> None:
        """Release connections (the app's lifespan calls it)."""
        ...


# --------------------------------------------------------------------- local


class LocalStorage:
    """Files under ``root``; served by ``media_router`` at ``{base_url}{url_path}/{key}``."""

    def __init__(self, root: Path | str, url_path: str = "/media") -> None:
        self.root = Path(root).resolve()
        self.url_path = "/" + url_path.strip("/")

    def path_of(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        # Belt and braces against symlinks inside the root.
        if not path.is_relative_to(self.root):
            raise InvalidKey(f"invalid storage key: {key[:80]!r}")
        return path

    async def save(self, *, folder: str, data: bytes, content_type: str, extension: str) -> str:
        key = new_key(folder, extension)
        await anyio.to_thread.run_sync(self._write, self.path_of(key), data)
        return key

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{uuid.uuid4().hex}.tmp")
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)  # atomic: readers see the whole file or none
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    async def load(self, key: str) -> tuple[bytes, str] | None:
        path = self.path_of(key)

        def read() -> bytes | None:
            try:
                return path.read_bytes()
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                return None

        data = await anyio.to_thread.run_sync(read)
        return None if data is None else (data, content_type_for(key))

    async def delete(self, key: str) -> None:
        path = self.path_of(key)
        await anyio.to_thread.run_sync(lambda: path.unlink(missing_ok=True))

    def url(self, key: str, *, base_url: str) -> str:
        return f"{base_url.rstrip('/')}{self.url_path}/{quote(check_key(key))}"

    async def aclose(self) -> None:
        return None


# ------------------------------------------------------------------------ S3


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def _uri_encode(value: str, *, slash: bool = False) -> str:
    return quote(value, safe="-_.~/" if slash else "-_.~")


class S3Storage:
    """An S3-compatible bucket over httpx, path-style, AWS Signature V4."""

    service = "s3"

    def __init__(
        self,
        endpoint_url: str,
        bucket: str,
        access_key: str,
        secret_key: str,
        region: str = "us-east-1",
        public_base_url: str | None = None,
        *,
        url_expires: int = MAX_PRESIGN_SECONDS,
        timeout: float = 30.0,
    ) -> None:
        if not 1 <= url_expires <= MAX_PRESIGN_SECONDS:
            raise ValueError(f"url_expires must be within 1..{MAX_PRESIGN_SECONDS} seconds")
        endpoint = httpx.URL(endpoint_url)
        if endpoint.scheme not in ("http", "https") or not endpoint.host:
            raise ValueError(f"invalid S3 endpoint: {endpoint_url!r}")
        self.bucket = bucket
        self.access_key = access_key
        self._secret_key = secret_key
        self.region = region
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self.url_expires = url_expires
        self._origin = f"{endpoint.scheme}://{self._host_header(endpoint)}"
        self._host = self._host_header(endpoint)
        self._base_path = endpoint.path.rstrip("/")
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None

    def __repr__(self) -> str:  # never the secret
        return f"S3Storage({self._origin!r}, bucket={self.bucket!r}, region={self.region!r})"

    @staticmethod
    def _host_header(url: httpx.URL) -> str:
        host = url.host
        if ":" in host:
            host = f"[{host}]"
        return f"{host}:{url.port}" if url.port else host  # httpx drops default ports

    # -- signing

    def _path(self, key: str | None) -> str:
        path = f"{self._base_path}/{_uri_encode(self.bucket)}"
        if key is not None:
            path += "/" + _uri_encode(check_key(key), slash=True)
        return path

    def _signing_key(self, date: str) -> bytes:
        k = _hmac(f"AWS4{self._secret_key}".encode(), date)
        k = _hmac(k, self.region)
        k = _hmac(k, self.service)
        return _hmac(k, "aws4_request")

    def _signature(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        payload_hash: str,
        when: dt.datetime,
    ) -> tuple[str, str]:
        """(signed header names, hex signature) of one request."""
        amz_date = when.strftime("%Y%m%dT%H%M%SZ")
        date = amz_date[:8]
        canonical_query = "&".join(
            f"{_uri_encode(k)}={_uri_encode(v)}" for k, v in sorted(query.items())
        )
        lowered = sorted((k.lower(), " ".join(v.split())) for k, v in headers.items())
        canonical_headers = "".join(f"{k}:{v}\n" for k, v in lowered)
        signed = ";".join(k for k, _ in lowered)
        canonical = "\n".join(
            [method, path, canonical_query, canonical_headers, signed, payload_hash]
        )
        scope = f"{date}/{self.region}/{self.service}/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, _sha256(canonical.encode())])
        signature = hmac.new(self._signing_key(date), to_sign.encode(), hashlib.sha256).hexdigest()
        return signed, signature

    def _credential(self, when: dt.datetime) -> str:
        return f"{self.access_key}/{when:%Y%m%d}/{self.region}/{self.service}/aws4_request"

    def _client_(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout)
        return self._client

    async def _request(
        self,
        method: str,
        key: str | None,
        *,
        body: bytes = b"",
        content_type: str | None = None,
    ) -> httpx.Response:
        path = self._path(key)
        when = dt.datetime.now(dt.UTC)
        payload_hash = _sha256(body)
        headers = {
            "host": self._host,
            "x-amz-content-sha256": payload_hash,
            "x-amz-date": when.strftime("%Y%m%dT%H%M%SZ"),
        }
        if content_type:
            headers["content-type"] = content_type
        signed, signature = self._signature(method, path, {}, headers, payload_hash, when)
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self._credential(when)}, "
            f"SignedHeaders={signed}, Signature={signature}"
        )
        try:
            return await self._client_().request(
                method, f"{self._origin}{path}", content=body, headers=headers
            )
        except httpx.HTTPError as exc:
            log.warning("S3 %s %s failed: %s", method, path, exc)
            raise StorageUnavailable() from exc

    @staticmethod
    def _fail(response: httpx.Response, what: str) -> StorageUnavailable:
        log.warning("S3 %s answered %s: %s", what, response.status_code, response.text[:500])
        return StorageUnavailable()

    # -- the Storage protocol

    async def save(self, *, folder: str, data: bytes, content_type: str, extension: str) -> str:
        key = new_key(folder, extension)
        response = await self._request("PUT", key, body=data, content_type=content_type)
        if response.status_code != 200:
            raise self._fail(response, f"PUT {key}")
        return key

    async def load(self, key: str) -> tuple[bytes, str] | None:
        response = await self._request("GET", key)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._fail(response, f"GET {key}")
        ctype = response.headers.get("content-type") or content_type_for(key)
        return response.content, ctype

    async def delete(self, key: str) -> None:
        response = await self._request("DELETE", key)
        if response.status_code not in (200, 204, 404):
            raise self._fail(response, f"DELETE {key}")

    def url(self, key: str, *, base_url: str = "") -> str:
        if self.public_base_url:
            return f"{self.public_base_url}/{_uri_encode(check_key(key), slash=True)}"
        return self.presigned_url(key)

    def presigned_url(self, key: str, *, expires: int | None = None) -> str:
        """A GET URL valid ``expires`` seconds (at most 7 days).

        The signing time is the start of the current hour, so a key's URL stays
        the same for an hour (browser caches keep working); it is valid between
        ``expires - 1h`` and ``expires`` seconds from now.
        """
        expires = self.url_expires if expires is None else expires
        if not 1 <= expires <= MAX_PRESIGN_SECONDS:
            raise ValueError(f"expires must be within 1..{MAX_PRESIGN_SECONDS} seconds")
        when = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
        path = self._path(key)
        query = {
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Credential": self._credential(when),
            "X-Amz-Date": when.strftime("%Y%m%dT%H%M%SZ"),
            "X-Amz-Expires": str(expires),
            "X-Amz-SignedHeaders": "host",
        }
        _, signature = self._signature(
            "GET", path, query, {"host": self._host}, "UNSIGNED-PAYLOAD", when
        )
        query["X-Amz-Signature"] = signature
        qs = "&".join(f"{_uri_encode(k)}={_uri_encode(v)}" for k, v in sorted(query.items()))
        return f"{self._origin}{path}?{qs}"

    async def create_bucket(self) -> None:
        """Create the bucket (development and tests); an existing one of ours is fine."""
        body = b""
        if self.region != "us-east-1":
            body = (
                '<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                f"<LocationConstraint>{self.region}</LocationConstraint>"
                "</CreateBucketConfiguration>"
            ).encode()
        response = await self._request("PUT", None, body=body)
        if response.status_code == 200 or b"BucketAlreadyOwnedByYou" in response.content:
            return
        raise self._fail(response, f"PUT bucket {self.bucket}")

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


# ------------------------------------------------------------ configuration


class StorageSettings(BaseSettings):
    """``ENTRAIDE_MEDIA_*`` / ``ENTRAIDE_S3_*`` (unprefixed: one setting for every service)."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False, populate_by_name=True)

    media_dir: Path | None = Field(None, validation_alias="ENTRAIDE_MEDIA_DIR")
    data_dir: Path | None = Field(None, validation_alias="ENTRAIDE_DATA_DIR")
    s3_endpoint: str | None = Field(None, validation_alias="ENTRAIDE_S3_ENDPOINT")
    s3_bucket: str | None = Field(None, validation_alias="ENTRAIDE_S3_BUCKET")
    s3_access_key: str | None = Field(None, validation_alias="ENTRAIDE_S3_ACCESS_KEY")
    s3_secret_key: SecretStr | None = Field(None, validation_alias="ENTRAIDE_S3_SECRET_KEY")
    s3_region: str = Field("us-east-1", validation_alias="ENTRAIDE_S3_REGION")
    s3_public_url: str | None = Field(None, validation_alias="ENTRAIDE_S3_PUBLIC_URL")
    s3_url_expires: int = Field(
        MAX_PRESIGN_SECONDS,
        ge=1,
        le=MAX_PRESIGN_SECONDS,
        validation_alias="ENTRAIDE_S3_URL_EXPIRES",
    )

    @property
    def media_root(self) -> Path:
        if self.media_dir is not None:
            return self.media_dir
        return (self.data_dir or Path(".data")) / "media"


def storage_from_env(
    *, url_path: str = "/media", settings: StorageSettings | None = None
) -> Storage:
    """S3 when ``ENTRAIDE_S3_BUCKET`` is set, else a local folder served at ``url_path``."""
    s = settings or StorageSettings()
    if s.s3_bucket:
        if not (s.s3_access_key and s.s3_secret_key):
            raise ValueError(
                "ENTRAIDE_S3_BUCKET needs ENTRAIDE_S3_ACCESS_KEY and ENTRAIDE_S3_SECRET_KEY"
            )
        endpoint = s.s3_endpoint or f"https://s3.{s.s3_region}.amazonaws.com"
        return S3Storage(
            endpoint,
            s.s3_bucket,
            s.s3_access_key,
            s.s3_secret_key.get_secret_value(),
            region=s.s3_region,
            public_base_url=s.s3_public_url,
            url_expires=s.s3_url_expires,
        )
    return LocalStorage(s.media_root, url_path=url_path)


def storage_hook(
    *, url_path: str = "/media"
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A ``create_app(lifespan_hooks=[...])`` hook: ``app.state.storage`` from the environment."""

    @asynccontextmanager
    async def hook(app: FastAPI) -> AsyncIterator[None]:
        storage = storage_from_env(url_path=url_path)
        app.state.storage = storage
        try:
            yield
        finally:
            await storage.aclose()

    return hook


async def _storage_dependency(request: Request) -> Storage:
    return get_storage(request)


def get_storage(request: Request) -> Storage:
    storage: Storage = request.app.state.storage
    return storage


StorageDep = Annotated[Storage, Depends(_storage_dependency)]


# ------------------------------------------------------------------- images


@dataclass(frozen=True, slots=True)
class Image:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


_FORMATS = {  # Pillow format -> (content type, extension)
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "WEBP": ("image/webp", "webp"),
}
_CORRUPT = (
    "Upload a valid image. The file you uploaded was either not an image or a corrupted image."
)


def _human(n: int) -> str:
    if n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MB"
    if n % 1024 == 0:
        return f"{n // 1024} KB"
    return f"{n} bytes"


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _inspect(data: bytes, fmt: str, field: str, max_pixels: int) -> tuple[int, int]:
    """(width, height) of a well-formed image of format ``fmt``; raise the API error otherwise.

    The pixel count is read from the header and refused before any pixel data
    is decoded. Pillow's own guard fires on the header too: its
    ``DecompressionBombError`` (past twice ``PIL.Image.MAX_IMAGE_PIXELS``,
    ~179 MP) is refused like ``max_pixels``; its warning (past ~89 MP) only
    concerns images ``max_pixels`` refuses anyway (and is refused too when
    warnings are errors). No ``catch_warnings`` here: it changes process-wide
    state, which is not safe in worker threads.
    """
    too_many = ValidationFailed(
        {field: [f"The image is too large; at most {max_pixels:,} pixels are allowed."]}
    )
    corrupt = ValidationFailed({field: [_CORRUPT]})
    if fmt == "WEBP" and len(data) < struct.unpack("<I", data[4:8])[0] + 8:
        raise corrupt  # the RIFF header announces more than was sent: truncated
    try:
        with PILImage.open(io.BytesIO(data), formats=[fmt]) as im:
            width, height = im.size
            if width * height > max_pixels:
                raise too_many
            if width < 1 or height < 1:
                raise corrupt
            im.verify()  # PNG: every chunk's CRC, up to IEND
        if fmt == "JPEG":
            # verify() checks little for JPEG: decode the whole stream at
            # 1/8 scale (DCT scaling: 1/64 of the memory) to catch truncation.
            with PILImage.open(io.BytesIO(data), formats=[fmt]) as im:
                im.draft(None, (max(1, width // 8), max(1, height // 8)))
                im.load()
    except APIError:
        raise
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
        raise too_many from None
    except Exception as exc:  # Pillow raises many kinds on malformed input
        log.debug("image refused: %r", exc)
        raise corrupt from None
    return width, height


async def read_image(
    upload: UploadFile | bytes,
    *,
    field: str,
    max_bytes: int = MAX_IMAGE_BYTES,
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> Image:
    """Read and check an uploaded image (PNG, JPEG or WebP, by content).

    413 past ``max_bytes`` (at most ``max_bytes + 1`` bytes are read); 415 when
    the content is not one of the three formats, whatever its name or declared
    type; 400 on ``field`` when empty, larger than ``max_pixels``, truncated or
    corrupt.
    """
    too_large = PayloadTooLarge(
        f'The file in "{field}" is too large; the limit is {_human(max_bytes)}.'
    )
    if isinstance(upload, bytes):
        data = upload
    else:
        if upload.size is not None and upload.size > max_bytes:
            raise too_large
        with contextlib.suppress(Exception):
            await upload.seek(0)
        data = await upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise too_large
    if not data:
        raise ValidationFailed({field: ["The submitted file is empty."]})
    fmt = _sniff(data)
    if fmt is None:
        raise UnsupportedMediaType(
            f'Unsupported file type in "{field}": upload a PNG, JPEG or WebP image.'
        )
    width, height = await anyio.to_thread.run_sync(_inspect, data, fmt, field, max_pixels)
    content_type, extension = _FORMATS[fmt]
    return Image(data, content_type, extension, width, height)


async def save_image(
    storage: Storage,
    upload: UploadFile | bytes,
    *,
    folder: str,
    field: str,
    max_bytes: int = MAX_IMAGE_BYTES,
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> str:
    """``read_image`` then ``storage.save``: the new key."""
    image = await read_image(upload, field=field, max_bytes=max_bytes, max_pixels=max_pixels)
    return await storage.save(
        folder=folder, data=image.data, content_type=image.content_type, extension=image.extension
    )


# ------------------------------------------------------------------ serving


def media_router(
    storage: Storage | Callable[[Request], Storage] = get_storage,
    *,
    url_path: str = "/media",
) -> APIRouter:
    """``GET {url_path}/{key}``: the stored file, cacheable forever (keys are never reused).

    Mount it with the same ``url_path`` the ``LocalStorage`` was given (e.g.
    ``/api/centers-app/media``) so ``url()`` points at it. ``storage`` is a
    storage or a ``request -> storage`` getter (default: ``app.state.storage``).
    """
    url_path = "/" + url_path.strip("/")
    getter: Callable[[Request], Storage] = (
        storage if callable(storage) else (lambda _request: storage)
    )
    router = APIRouter()

    @router.api_route(url_path + "/{key:path}", methods=["GET", "HEAD"], include_in_schema=False)
    async def serve_media(request: Request, key: str) -> Response:
        try:
            found = await getter(request).load(key)
        except InvalidKey:
            found = None
        if found is None:
            raise NotFound()
        data, content_type = found
        etag = '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'
        headers = {
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "ETag": etag,
        }
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(data, media_type=content_type, headers=headers)

    return router


def media_url(ctx: Context, value: str | None) -> str | None:
    """What a record's image field holds, as clients read it: an uploaded file's key
    becomes its absolute URL through the gateway; an external URL stays as given."""
    if not value:
        return None
    if value.startswith(("http://", "https://")):
        return value
    here = ctx
    storage = here.storage
    if storage is None:
        raise RuntimeError("media_url needs a context with the app's storage")
    return storage.url(value, base_url=here.base_url)
