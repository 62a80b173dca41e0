from __future__ import annotations

import datetime as dt
import io
import re
import socket
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image as PILImage
from starlette.datastructures import UploadFile

from entraide_kit.errors import (
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
    install_error_handlers,
)
from entraide_kit.storage import (
    InvalidKey,
    LocalStorage,
    S3Storage,
    StorageSettings,
    StorageUnavailable,
    media_router,
    read_image,
    save_image,
    storage_from_env,
)

KEY_RE = re.compile(r"centers/logos/[0-9a-f]{32}\.png")


def image_bytes(fmt: str, size: tuple[int, int] = (8, 6), *, noise: bool = False) -> bytes:
    if noise:
        im = PILImage.frombytes(
            "RGB", size, bytes((i * 37) % 251 for i in range(size[0] * size[1] * 3))
        )
    else:
        im = PILImage.new("RGB", size, (200, 30, 30))
    buf = io.BytesIO()
    im.save(buf, fmt)
    return buf.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG announcing width x height, without the pixel data (cheap to make)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


# ------------------------------------------------------------------ local


async def test_local_round_trip(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "media", url_path="/api/centers-app/media")
    data = image_bytes("PNG")
    key = await storage.save(
        folder="centers/logos", data=data, content_type="image/png", extension="png"
    )
    assert KEY_RE.fullmatch(key)
    assert (tmp_path / "media" / key).read_bytes() == data
    assert await storage.load(key) == (data, "image/png")
    assert storage.url(key, base_url="https://api.example.ma/") == (
        f"https://api.example.ma/api/centers-app/media/{key}"
    )
    # Atomic writes leave no temporary file behind.
    assert [p.name for p in (tmp_path / "media" / "centers" / "logos").iterdir()] == [
        key.rsplit("/", 1)[1]
    ]
    await storage.delete(key)
    assert await storage.load(key) is None
    await storage.delete(key)  # missing is fine
    assert await storage.load("centers/logos/nothing.png") is None


@pytest.mark.parametrize(
    "key",
    [
        "../secret.png",
        "centers/../../secret.png",
        "/etc/passwd",
        "centers//x.png",
        "centers/.hidden",
        "centers/./x.png",
        "centers\\..\\x.png",
        "centers/x.png\0",
        "centers/é.png",
        "",
    ],
)
async def test_local_refuses_unsafe_keys(tmp_path: Path, key: str) -> None:
    storage = LocalStorage(tmp_path)
    with pytest.raises(InvalidKey):
        await storage.load(key)
    with pytest.raises(InvalidKey):
        await storage.delete(key)
    with pytest.raises(InvalidKey):
        storage.url(key, base_url="http://x")


async def test_local_refuses_unsafe_folders_and_extensions(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "media")
    for folder, ext in [("../up", "png"), ("/abs", "png"), ("ok", "png/../x"), ("ok", "")]:
        with pytest.raises(InvalidKey):
            await storage.save(folder=folder, data=b"x", content_type="image/png", extension=ext)
    assert not (tmp_path / "up").exists()
    key = await storage.save(folder="a/b/", data=b"x", content_type="image/png", extension=".PNG")
    assert re.fullmatch(r"a/b/[0-9a-f]{32}\.png", key)


def test_storage_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENTRAIDE_S3_BUCKET", raising=False)
    monkeypatch.setenv("ENTRAIDE_MEDIA_DIR", str(tmp_path / "m"))
    local = storage_from_env(url_path="/api/programs/media")
    assert isinstance(local, LocalStorage)
    assert local.root == (tmp_path / "m").resolve()
    assert local.url("p/x.png", base_url="http://h") == "http://h/api/programs/media/p/x.png"

    monkeypatch.setenv("ENTRAIDE_S3_BUCKET", "media")
    with pytest.raises(ValueError, match="ACCESS_KEY"):
        storage_from_env()
    monkeypatch.setenv("ENTRAIDE_S3_ACCESS_KEY", "AKIDEXAMPLE")
    monkeypatch.setenv("ENTRAIDE_S3_SECRET_KEY", "not-a-real-secret")
    monkeypatch.setenv("ENTRAIDE_S3_ENDPOINT", "http://127.0.0.1:9000")
    monkeypatch.setenv("ENTRAIDE_S3_PUBLIC_URL", "https://cdn.example.ma/media/")
    s3 = storage_from_env()
    assert isinstance(s3, S3Storage)
    assert s3.url("c/x.png", base_url="ignored") == "https://cdn.example.ma/media/c/x.png"
    assert "not-a-real-secret" not in repr(s3)
    assert "not-a-real-secret" not in repr(StorageSettings())


# ----------------------------------------------------------------- images


@pytest.mark.parametrize(
    ("fmt", "ctype", "ext"),
    [("PNG", "image/png", "png"), ("JPEG", "image/jpeg", "jpg"), ("WEBP", "image/webp", "webp")],
)
async def test_read_image_accepts_png_jpeg_webp(fmt: str, ctype: str, ext: str) -> None:
    data = image_bytes(fmt, (40, 30), noise=True)
    upload = UploadFile(io.BytesIO(data), filename="whatever.gif")
    image = await read_image(upload, field="logo")
    assert (image.content_type, image.extension, image.width, image.height) == (ctype, ext, 40, 30)
    assert image.data == data
    assert (await read_image(data, field="logo")).content_type == ctype


async def test_text_renamed_png_is_415() -> None:
    upload = UploadFile(io.BytesIO(b"hello, I am text\n"), filename="logo.png")
    with pytest.raises(UnsupportedMediaType) as err:
        await read_image(upload, field="logo")
    assert err.value.status_code == 415
    assert "PNG, JPEG or WebP" in err.value.detail
    gif = image_bytes("GIF")
    with pytest.raises(UnsupportedMediaType):
        await read_image(gif, field="logo")


async def test_too_many_bytes_is_413_and_reads_no_further() -> None:
    limit = 5 * 1024 * 1024
    data = image_bytes("PNG") + b"\0" * limit
    stream = io.BytesIO(data)
    with pytest.raises(PayloadTooLarge) as err:
        await read_image(UploadFile(stream, filename="big.png"), field="logo")
    assert err.value.status_code == 413
    assert "5 MB" in err.value.detail
    assert stream.tell() == limit + 1
    # A known size is refused without reading at all.
    stream = io.BytesIO(data)
    with pytest.raises(PayloadTooLarge):
        await read_image(UploadFile(stream, size=len(data)), field="logo")
    assert stream.tell() == 0


async def test_too_many_pixels_is_400_before_decoding() -> None:
    for width, height in [(20000, 20000), (7000, 7000)]:  # Pillow's own guard; ours (40 MP)
        started = time.perf_counter()
        with pytest.raises(ValidationFailed) as err:
            await read_image(png_header_only(width, height), field="picture")
        assert time.perf_counter() - started < 0.5
        assert err.value.status_code == 400
        assert list(err.value.body()) == ["picture"]
        assert "pixels" in err.value.body()["picture"][0]
    with pytest.raises(ValidationFailed):
        await read_image(image_bytes("PNG", (20, 20)), field="logo", max_pixels=399)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
async def test_truncated_or_corrupt_image_is_400(fmt: str) -> None:
    data = image_bytes(fmt, (64, 64), noise=True)
    with pytest.raises(ValidationFailed) as err:
        await read_image(data[: len(data) * 2 // 3], field="logo")
    assert "corrupted image" in err.value.body()["logo"][0]
    with pytest.raises(ValidationFailed):
        await read_image(data[:16], field="logo")


async def test_corrupt_png_crc_and_empty_file_are_400() -> None:
    data = bytearray(image_bytes("PNG", (16, 16), noise=True))
    data[-20] ^= 0xFF  # inside IDAT: the CRC no longer matches
    with pytest.raises(ValidationFailed):
        await read_image(bytes(data), field="logo")
    with pytest.raises(ValidationFailed) as err:
        await read_image(UploadFile(io.BytesIO(b"")), field="logo")
    assert err.value.body() == {"logo": ["The submitted file is empty."]}


# -------------------------------------------------------------- serving


@pytest.fixture
async def media_client(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, LocalStorage]]:
    storage = LocalStorage(tmp_path, url_path="/api/centers-app/media")
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(media_router(storage, url_path="/api/centers-app/media"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client, storage


async def test_media_endpoint_serves_saved_file(
    media_client: tuple[httpx.AsyncClient, LocalStorage],
) -> None:
    client, storage = media_client
    data = image_bytes("WEBP")
    key = await save_image(storage, data, folder="centers/logos", field="logo")
    url = storage.url(key, base_url="http://testserver")
    assert url == f"http://testserver/api/centers-app/media/{key}"
    r = await client.get(url)
    assert r.status_code == 200
    assert r.content == data
    assert r.headers["content-type"] == "image/webp"
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["x-content-type-options"] == "nosniff"
    r2 = await client.get(url, headers={"If-None-Match": r.headers["etag"]})
    assert r2.status_code == 304
    assert r2.content == b""


@pytest.mark.parametrize(
    "path", ["centers/logos/missing.png", "..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", ".hidden"]
)
async def test_media_endpoint_404(
    media_client: tuple[httpx.AsyncClient, LocalStorage], path: str
) -> None:
    client, _ = media_client
    r = await client.get(f"/api/centers-app/media/{path}")
    assert r.status_code == 404
    assert r.json() == {"detail": "Not found."}


# --------------------------------------------------------------------- S3

# AWS's published Signature V4 examples for S3 (virtual-hosted style, so the
# canonical URI has no bucket): an independent check of the signer.
AWS_EXAMPLE = {
    "endpoint_url": "https://examplebucket.s3.amazonaws.com",
    "bucket": "examplebucket",
    "access_key": "AKIAIOSFODNN7EXAMPLE",
    "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
}
AWS_WHEN = dt.datetime(2013, 5, 24, tzinfo=dt.UTC)
EMPTY_SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_sigv4_matches_aws_examples() -> None:
    s3 = S3Storage(**AWS_EXAMPLE)
    headers = {
        "Host": "examplebucket.s3.amazonaws.com",
        "Range": "bytes=0-9",
        "x-amz-content-sha256": EMPTY_SHA,
        "x-amz-date": "20130524T000000Z",
    }
    signed, sig = s3._signature("GET", "/test.txt", {}, headers, EMPTY_SHA, AWS_WHEN)
    assert signed == "host;range;x-amz-content-sha256;x-amz-date"
    assert sig == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"

    body_sha = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
    headers = {
        "Host": "examplebucket.s3.amazonaws.com",
        "Date": "Fri, 24 May 2013 00:00:00 GMT",
        "x-amz-date": "20130524T000000Z",
        "x-amz-storage-class": "REDUCED_REDUNDANCY",
        "x-amz-content-sha256": body_sha,
    }
    _, sig = s3._signature("PUT", "/test%24file.text", {}, headers, body_sha, AWS_WHEN)
    assert sig == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"

    query = {
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request",
        "X-Amz-Date": "20130524T000000Z",
        "X-Amz-Expires": "86400",
        "X-Amz-SignedHeaders": "host",
    }
    host = {"host": "examplebucket.s3.amazonaws.com"}
    _, sig = s3._signature("GET", "/test.txt", query, host, "UNSIGNED-PAYLOAD", AWS_WHEN)
    assert sig == "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"


def test_presigned_url_shape() -> None:
    s3 = S3Storage("http://127.0.0.1:9000", "media", "AKIDEXAMPLE", "secret", region="eu-west-3")
    url = httpx.URL(s3.url("centers/logos/a.png", base_url="http://ignored"))
    assert (url.host, url.port, url.path) == ("127.0.0.1", 9000, "/media/centers/logos/a.png")
    params = dict(url.params)
    assert params["X-Amz-Expires"] == "604800"
    assert params["X-Amz-Credential"].endswith("/eu-west-3/s3/aws4_request")
    assert params["X-Amz-Date"].endswith("0000Z")  # the hour: stable URLs for caches
    assert s3.url("centers/logos/a.png", base_url="") == str(url)
    with pytest.raises(ValueError):
        s3.presigned_url("centers/logos/a.png", expires=8 * 24 * 3600)
    with pytest.raises(InvalidKey):
        s3.url("../a.png", base_url="")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    pytest.importorskip("moto.server")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/moto-api/", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def _iam(url: str, **params: str) -> str:
    # Unauthenticated (moto's auth is still off): the credential scope routes it to IAM.
    auth = (
        "AWS4-HMAC-SHA256 Credential=x/20240101/us-east-1/iam/aws4_request, "
        "SignedHeaders=host, Signature=x"
    )
    r = httpx.post(
        url, data={**params, "Version": "2010-05-08"}, headers={"Authorization": auth}, timeout=10
    )
    assert r.status_code == 200, r.text
    return r.text


def _moto_auth(url: str, on: bool) -> None:
    r = httpx.post(f"{url}/moto-api/reset-auth", content=b"0" if on else b"inf", timeout=10)
    assert r.status_code == 200, r.text


async def test_s3_storage_against_moto(moto_url: str) -> None:
    # An IAM user with S3 rights, then moto checks every request's signature
    # (it recomputes it with botocore: an independent implementation).
    _iam(moto_url, Action="CreateUser", UserName="entraide")
    policy = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
    )
    _iam(
        moto_url,
        Action="PutUserPolicy",
        UserName="entraide",
        PolicyName="s3",
        PolicyDocument=policy,
    )
    created = _iam(moto_url, Action="CreateAccessKey", UserName="entraide")
    access_key = re.search(r"<AccessKeyId>([^<]+)</AccessKeyId>", created)
    secret_key = re.search(r"<SecretAccessKey>([^<]+)</SecretAccessKey>", created)
    assert access_key and secret_key, created

    _moto_auth(moto_url, on=True)
    s3 = S3Storage(moto_url, "entraide-media", access_key[1], secret_key[1])
    forged = S3Storage(moto_url, "entraide-media", access_key[1], secret_key[1] + "x")
    try:
        await s3.create_bucket()
        await s3.create_bucket()  # already ours: fine
        data = image_bytes("JPEG", (32, 32), noise=True)
        key = await save_image(s3, data, folder="centers/logos", field="logo")
        assert re.fullmatch(r"centers/logos/[0-9a-f]{32}\.jpg", key)
        assert await s3.load(key) == (data, "image/jpeg")
        with pytest.raises(StorageUnavailable):  # a wrong signature is refused
            await forged.load(key)

        _moto_auth(moto_url, on=False)  # moto checks header auth only, not query auth
        async with httpx.AsyncClient() as client:
            r = await client.get(s3.url(key, base_url="http://ignored"))
        assert r.status_code == 200
        assert r.content == data
        _moto_auth(moto_url, on=True)

        await s3.delete(key)
        assert await s3.load(key) is None
        await s3.delete(key)  # missing is fine
    finally:
        _moto_auth(moto_url, on=False)
        await s3.aclose()
        await forged.aclose()


async def test_s3_unreachable_is_503() -> None:
    s3 = S3Storage(f"http://127.0.0.1:{_free_port()}", "b", "AKIDEXAMPLE", "secret", timeout=2)
    try:
        with pytest.raises(StorageUnavailable) as err:
            await s3.save(folder="x", data=b"1", content_type="image/png", extension="png")
        assert err.value.status_code == 503
    finally:
        await s3.aclose()


def test_settings_accept_field_names(tmp_path: Path) -> None:
    settings: Any = StorageSettings(data_dir=tmp_path)
    assert settings.media_root == tmp_path / "media"
