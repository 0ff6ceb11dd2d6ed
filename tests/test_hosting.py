"""Hosting chain, hosts and the pasted-link fetcher against real HTTP servers on 127.0.0.1.

Nothing here reaches the internet: every host is pointed at the fake servers below (one of them
an S3-compatible bucket that re-signs every presigned request with botocore), and the one test
that uses a public-looking address remaps it to 127.0.0.1 inside its transport.
"""

from __future__ import annotations

import asyncio
import calendar
import hmac
import io
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from PIL import Image

from playground.media import ImageRejected, PreparedImage, prepare_image
from playground.net import (
    IMAGE_LINK,
    S3_PUT_LINK_SECONDS,
    USER_AGENT,
    HostedImage,
    HostingFailed,
    LitterboxHost,
    S3Host,
    SelfHost,
    ServerThread,
    SimulatorHost,
    TemporaryFileStore,
    TmpfilesHost,
    UnsafeURL,
    UploadChain,
    address_problem,
    describe_destination,
    fetch_pasted_url,
    hosts_from_env,
    self_host_router,
    tmpfiles_direct_link,
)

PER_HOST_TIMEOUT = 0.4


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def png_bytes(colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 36), colour).save(out, "PNG")
    return out.getvalue()


GOOD_PNG = png_bytes((10, 200, 10))


# --------------------------------------------------------------------------- the fake internet


class Fakes:
    """State of the fake services, shared by the server thread and the tests."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}
        self.uploads: Counter[str] = Counter()
        self.user_agents: list[str] = []
        self.forms: list[dict[str, str]] = []
        self.clock = Clock()
        self.store = TemporaryFileStore(clock=self.clock)


def ranged(data: bytes, mime: str, request: Request) -> Response:
    wanted = request.headers.get("range", "")
    if wanted.startswith("bytes=0-"):
        end = min(int(wanted.split("-")[1]), len(data) - 1)
        return Response(
            data[: end + 1], status_code=206, media_type=mime, headers={"Content-Range": f"bytes 0-{end}/{len(data)}"}
        )
    return Response(data, media_type=mime)


def build_app(fakes: Fakes) -> FastAPI:
    app = FastAPI()
    app.include_router(self_host_router(fakes.store))

    async def take(request: Request, field: str) -> tuple[str, bytes, str]:
        form = await request.form()
        upload = form[field]
        data = await upload.read()
        name = f"f{len(fakes.files)}-{upload.filename}"
        fakes.files[name] = (data, upload.content_type)
        fakes.user_agents.append(request.headers.get("user-agent", ""))
        fakes.forms.append({k: v for k, v in form.items() if isinstance(v, str)})
        return name, data, upload.content_type

    @app.post("/lb/{behaviour}")
    async def litterbox(behaviour: str, request: Request) -> Response:
        fakes.uploads[behaviour] += 1
        base = str(request.base_url).rstrip("/")
        if behaviour == "slow":
            for _ in range(30):  # far longer than the per-host timeout, but stops once the client left
                if await request.is_disconnected():
                    return PlainTextResponse("too late")
                await asyncio.sleep(0.1)
        if behaviour == "error":
            return PlainTextResponse("upstream down", status_code=503)
        if behaviour == "html":
            return HTMLResponse("<html><body>Cloudflare says hi</body></html>")
        if behaviour == "notlink":
            return PlainTextResponse("Error: file type not allowed")
        if behaviour == "dead":
            return PlainTextResponse(f"{base}/files/gone.png")
        if behaviour == "page":
            return PlainTextResponse(f"{base}/page.html")
        name, _, _ = await take(request, "fileToUpload")
        return PlainTextResponse(f"{base}/files/{name}\n")

    @app.api_route("/files/{name}", methods=["GET", "HEAD"])
    async def files(name: str, request: Request) -> Response:
        if name not in fakes.files:
            return PlainTextResponse("no such file", status_code=404)
        return ranged(*fakes.files[name], request)

    @app.get("/page.html")
    async def page() -> Response:
        return HTMLResponse("<html>a viewer page</html>")

    @app.post("/tmpfiles/api/v1/upload")
    async def tmpfiles(request: Request) -> Response:
        fakes.uploads["tmpfiles"] += 1
        name, _, _ = await take(request, "file")
        base = str(request.base_url).rstrip("/")
        return JSONResponse({"status": "success", "data": {"url": f"{base}/12345/{name}"}})

    @app.api_route("/dl/12345/{name}", methods=["GET", "HEAD"])
    async def tmpfiles_download(name: str, request: Request) -> Response:
        return ranged(*fakes.files[name], request)

    @app.api_route("/12345/{name}", methods=["GET", "HEAD"])
    async def tmpfiles_viewer(name: str) -> Response:
        return HTMLResponse("<html>tmpfiles viewer page, not the file</html>")

    @app.get("/good.png")
    async def good() -> Response:
        return Response(GOOD_PNG, media_type="image/png")

    @app.get("/redirect")
    async def redirect(to: str) -> Response:
        return Response(status_code=302, headers={"Location": to})

    @app.get("/loop")
    async def loop() -> Response:
        return Response(status_code=302, headers={"Location": "/loop"})

    @app.get("/big")
    async def big() -> Response:
        async def chunks():
            for _ in range(64):
                yield b"\0" * 65536

        return StreamingResponse(chunks(), media_type="image/png")

    return app


@pytest.fixture(scope="module")
def fakes() -> Fakes:
    return Fakes()


@pytest.fixture(scope="module")
def base(fakes: Fakes):
    with ServerThread(build_app(fakes)) as server:
        yield server.base_url


def local_client() -> httpx.AsyncClient:
    # trust_env=False: a proxy from the environment must not see (or break) loopback traffic.
    return httpx.AsyncClient(trust_env=False, headers={"User-Agent": USER_AGENT}, timeout=5)


def chain(hosts, timeout_seconds: float = PER_HOST_TIMEOUT, **options) -> UploadChain:
    return UploadChain(
        hosts, timeout_seconds=timeout_seconds, verify_timeout_seconds=2, client_factory=local_client, **options
    )


#: botocore signs and the loopback S3 server answers in well under a second, but on a busy 2-core CI machine
#: not always within the 0.4 s the hanging-host tests need; these tests are not about timeouts.
S3_TIMEOUT = 5.0


def s3_chain(hosts, **options) -> UploadChain:
    return chain(hosts, timeout_seconds=S3_TIMEOUT, **options)


def image(colour=(200, 30, 30)) -> PreparedImage:
    return prepare_image(png_bytes(colour))


def lb(base: str, behaviour: str) -> LitterboxHost:
    return LitterboxHost(f"{base}/lb/{behaviour}", name=f"lb-{behaviour}")


# --------------------------------------------------------------------------- the chain


@pytest.mark.asyncio
async def test_chain_falls_back_through_every_kind_of_failure(base, fakes):
    hosts = [lb(base, b) for b in ("slow", "error", "html", "notlink", "dead", "page", "ok")]
    picture = image((1, 2, 3))
    hosted = await chain(hosts).host(picture)
    assert hosted.host == "lb-ok"
    assert hosted.url.startswith(f"{base}/files/")
    reasons = {a.host: a.reason for a in hosted.attempts if not a.ok}
    assert reasons["lb-slow"] == f"timed out after {PER_HOST_TIMEOUT:g} s"
    assert reasons["lb-error"] == "answered HTTP 503"
    assert reasons["lb-html"] == "answered with a web page instead of a link"
    assert reasons["lb-notlink"].startswith("answered something that is not a link")
    assert reasons["lb-dead"] == "its link answered HTTP 404"
    assert reasons["lb-page"] == "its link serves text/html, not an image"
    assert [a.ok for a in hosted.attempts] == [False] * 6 + [True]
    assert hosted.summary().startswith("Uploaded to lb-ok (kept 1 hour) after lb-slow failed: timed out")
    async with local_client() as client:  # the link really serves the bytes
        assert (await client.get(hosted.url)).content == picture.data
    assert fakes.forms[-1]["reqtype"] == "fileupload" and fakes.forms[-1]["time"] == "1h"
    assert fakes.user_agents[-1] == USER_AGENT and USER_AGENT.startswith("veo-playground/1.0")


@pytest.mark.asyncio
async def test_chain_failure_lists_every_host_and_why(base):
    upload_chain = chain([lb(base, "error"), lb(base, "dead")])
    with pytest.raises(HostingFailed) as failed:
        await upload_chain.host(image())
    assert "lb-error: answered HTTP 503" in failed.value.message
    assert "lb-dead: its link answered HTTP 404" in failed.value.message
    # The attempts belong to this call alone: the chain, shared by every visitor, keeps none of them.
    assert len(failed.value.attempts) == 2 and not hasattr(upload_chain, "attempts")


@pytest.mark.asyncio
async def test_concurrent_calls_each_get_their_own_attempts(base):
    upload_chain = chain([lb(base, "error"), lb(base, "ok")])
    earlier = image((3, 1, 4))
    await upload_chain.host(earlier)
    reused, fresh = await asyncio.gather(upload_chain.host(earlier), upload_chain.host(image((1, 5, 9))))
    assert reused.reused and reused.attempts == ()
    assert [(a.host, a.ok) for a in fresh.attempts] == [("lb-error", False), ("lb-ok", True)]
    assert fresh.summary() == "Uploaded to lb-ok (kept 1 hour) after lb-error failed: answered HTTP 503."


@pytest.mark.asyncio
async def test_unreachable_host_is_a_failure_not_a_crash(base):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    hosted = await chain([LitterboxHost(f"http://127.0.0.1:{port}/api.php", name="down"), lb(base, "ok")]).host(image())
    assert hosted.attempts[0].reason == "could not connect" and hosted.host == "lb-ok"


@pytest.mark.asyncio
async def test_same_image_is_uploaded_once_while_its_link_lives(base, fakes):
    clock = Clock()
    upload_chain = chain([lb(base, "ok")], clock=clock)
    picture = image((9, 9, 9))
    before = fakes.uploads["ok"]
    first = await upload_chain.host(picture)
    second = await upload_chain.host(picture)
    assert fakes.uploads["ok"] == before + 1
    assert second.url == first.url and second.reused and "Reusing" in second.summary()
    await upload_chain.host(image((8, 8, 8)))  # other bytes, other upload
    assert fakes.uploads["ok"] == before + 2
    clock.now += 3600 - 60  # a link about to expire is not handed to the provider
    third = await upload_chain.host(picture)
    assert fakes.uploads["ok"] == before + 3 and not third.reused


# --------------------------------------------------------------------------- tmpfiles


def test_tmpfiles_link_rewritten_to_direct_download():
    assert tmpfiles_direct_link("https://tmpfiles.org/12345/name.png") == "https://tmpfiles.org/dl/12345/name.png"
    assert tmpfiles_direct_link("http://tmpfiles.org/12345/name.png") == "https://tmpfiles.org/dl/12345/name.png"
    assert tmpfiles_direct_link("https://tmpfiles.org/dl/1/a.png") == "https://tmpfiles.org/dl/1/a.png"


@pytest.mark.asyncio
async def test_tmpfiles_upload_through_the_chain(base, fakes):
    host = TmpfilesHost(f"{base}/tmpfiles/api/v1/upload")
    hosted = await chain([lb(base, "error"), host]).host(image((5, 6, 7)))
    assert hosted.host == "tmpfiles.org" and hosted.lifetime == "60 minutes"
    assert "/dl/12345/" in hosted.url  # the viewer page would have failed the image check
    assert hosted.summary() == "Uploaded to tmpfiles.org (kept 60 minutes) after lb-error failed: answered HTTP 503."


# ------------------------------------------------------------------------ S3: a fake bucket that re-signs with botocore


S3_REGION = "eu-west-3"
S3_KEY_ID, S3_SECRET = "AKIDTESTKEY", "test/secret+key"
QUERY_AUTH_FIELDS = {
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
}


class FakeS3:
    """State of the fake S3-compatible service: its buckets, objects, and what each request carried."""

    def __init__(self) -> None:
        self.buckets = {"bucket", "locked"}
        self.denied = {"locked"}  # a bucket policy that refuses everyone, whatever the signature
        self.secrets = {S3_KEY_ID: S3_SECRET}
        self.objects: dict[tuple[str, str], tuple[bytes, str]] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # method, key, query fields
        self.clock_offset = 0.0  # seconds the fake's clock runs ahead, to watch a link expire


def s3_error(status: int, code: str) -> Response:
    return Response(
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code></Error>',
        status_code=status,
        media_type="application/xml",
    )


def resign_with_botocore(request: Request, query: dict[str, str], secret: str) -> str:
    """botocore's own query signature of what arrived on the wire: method, Host, raw path, query, signed headers."""
    key_id, date, region, service, _ = query["X-Amz-Credential"].split("/")
    named = query["X-Amz-SignedHeaders"].split(";")
    wire = AWSRequest(
        method=request.method,
        url=f"http://{request.headers['host']}{request.scope['raw_path'].decode()}",
        headers={name: request.headers.get(name, "") for name in named},
    )
    wire.params = {k: v for k, v in parse_qsl(request.url.query, keep_blank_values=True) if k != "X-Amz-Signature"}
    wire.context["timestamp"] = query["X-Amz-Date"]
    signer = S3SigV4QueryAuth(Credentials(key_id, secret), service, region, expires=int(query["X-Amz-Expires"]))
    return signer.signature(signer.string_to_sign(wire, signer.canonical_request(wire)), wire)


def presign_refusal(request: Request, fake: FakeS3) -> Response | None:
    """S3's answer to a presigned request it must refuse, or None when the signature holds."""
    query = dict(parse_qsl(request.url.query, keep_blank_values=True))
    if not query.keys() >= QUERY_AUTH_FIELDS or query["X-Amz-Algorithm"] != "AWS4-HMAC-SHA256":
        return s3_error(403, "AccessDenied")
    key_id, _, region, *_ = query["X-Amz-Credential"].split("/")
    if key_id not in fake.secrets:
        return s3_error(403, "InvalidAccessKeyId")
    if region != S3_REGION:
        return s3_error(400, "AuthorizationHeaderMalformed")
    signed_at = calendar.timegm(time.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ"))
    if time.time() + fake.clock_offset > signed_at + int(query["X-Amz-Expires"]):
        return s3_error(403, "AccessDenied")  # "Request has expired"
    if not hmac.compare_digest(resign_with_botocore(request, query, fake.secrets[key_id]), query["X-Amz-Signature"]):
        return s3_error(403, "SignatureDoesNotMatch")
    return None


def build_s3(fake: FakeS3) -> FastAPI:
    app = FastAPI()

    @app.api_route("/{bucket}/{key:path}", methods=["GET", "HEAD", "PUT"])
    async def s3_object(bucket: str, key: str, request: Request) -> Response:
        fake.requests.append((request.method, key, dict(parse_qsl(request.url.query))))
        if bucket not in fake.buckets:
            return s3_error(404, "NoSuchBucket")
        # A link presigned for GET does not authorise HEAD: the method is part of what is signed.
        refusal = presign_refusal(request, fake)
        if refusal is not None:
            return refusal
        if bucket in fake.denied:
            return s3_error(403, "AccessDenied")
        if request.method == "PUT":
            fake.objects[bucket, key] = (await request.body(), request.headers.get("content-type", ""))
            return Response(status_code=200)
        if (bucket, key) not in fake.objects:
            return s3_error(404, "NoSuchKey")
        return ranged(*fake.objects[bucket, key], request)

    return app


@pytest.fixture(scope="module")
def fake_s3() -> FakeS3:
    return FakeS3()


@pytest.fixture(scope="module")
def s3_url(fake_s3: FakeS3):
    with ServerThread(build_s3(fake_s3)) as server:
        yield server.base_url


def s3_host(endpoint: str, bucket: str = "bucket", secret: str = S3_SECRET, **options) -> S3Host:
    return S3Host(
        endpoint=endpoint, bucket=bucket, region=S3_REGION, access_key_id=S3_KEY_ID, secret_access_key=secret, **options
    )


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


@pytest.mark.asyncio
async def test_s3_presigned_put_then_short_lived_presigned_get(s3_url, fake_s3):
    host = s3_host(s3_url, expires_seconds=900)
    picture = image((3, 3, 200))
    hosted = await s3_chain([host]).host(picture)
    key = f"veo-playground/{picture.sha256}.png"
    assert hosted.host == "S3 bucket bucket" and hosted.lifetime == "15 minutes"
    assert fake_s3.objects["bucket", key] == (picture.data, "image/png")
    put = next(q for method, k, q in fake_s3.requests if method == "PUT" and k == key)
    assert put.keys() >= QUERY_AUTH_FIELDS and put["X-Amz-Expires"] == str(S3_PUT_LINK_SECONDS)
    assert put["X-Amz-SignedHeaders"] == "content-type;host"  # the stored type cannot be swapped
    assert put["X-Amz-Credential"].startswith(f"{S3_KEY_ID}/") and put["X-Amz-Credential"].endswith(
        f"/{S3_REGION}/s3/aws4_request"
    )
    link = query_of(hosted.url)
    assert urlsplit(hosted.url).path == f"/bucket/{key}"  # path style, as MinIO and R2 want
    assert link["X-Amz-Expires"] == "900" and link["X-Amz-SignedHeaders"] == "host"
    assert hosted.expires_at == pytest.approx(time.time() + 900, abs=5)
    assert S3_SECRET not in hosted.url and S3_SECRET not in repr(host)
    async with local_client() as client:  # what the provider will do with the link
        served = await client.get(hosted.url)
    assert served.status_code == 200 and served.content == picture.data
    assert served.headers["content-type"] == "image/png"


@pytest.mark.asyncio
async def test_s3_link_stops_working_after_the_configured_lifetime(s3_url, fake_s3):
    hosted = await s3_chain([s3_host(s3_url, expires_seconds=60)]).host(image((4, 4, 4)))
    assert query_of(hosted.url)["X-Amz-Expires"] == "60"
    async with local_client() as client:
        assert (await client.get(hosted.url)).status_code == 200
        fake_s3.clock_offset = 61
        try:
            expired = await client.get(hosted.url)
        finally:
            fake_s3.clock_offset = 0
    assert expired.status_code == 403 and "<Code>AccessDenied</Code>" in expired.text


def tampered(url: str, field: str, value: str) -> str:
    parts = urlsplit(url)
    fields = dict(parse_qsl(parts.query))
    fields[field] = value
    return parts._replace(query=str(httpx.QueryParams(fields))).geturl()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "tamper,code",
    [
        ("longer life", "SignatureDoesNotMatch"),
        ("other object", "SignatureDoesNotMatch"),
        ("other key id", "InvalidAccessKeyId"),
        ("HEAD instead of GET", ""),
    ],
)  # HEAD answers carry no body
async def test_s3_tampered_link_is_refused_by_the_botocore_verifier(s3_url, tamper, code):
    host = s3_host(s3_url, expires_seconds=120)
    first, second = image((10, 0, 0)), image((0, 10, 0))
    upload_chain = s3_chain([host])
    hosted, other = await upload_chain.host(first), await upload_chain.host(second)
    method, url = "GET", hosted.url
    if tamper == "longer life":
        url = tampered(url, "X-Amz-Expires", "604800")
    elif tamper == "other object":  # a visitor's link must not open another visitor's image
        url = other.url.split("?")[0] + "?" + urlsplit(hosted.url).query
    elif tamper == "other key id":
        url = tampered(url, "X-Amz-Credential", query_of(url)["X-Amz-Credential"].replace(S3_KEY_ID, "AKIDOTHER"))
    else:
        method = "HEAD"
    async with local_client() as client:
        assert (await client.get(hosted.url)).content == first.data  # untouched, it works
        refused = await client.request(method, url)
    assert refused.status_code == 403 and f"<Code>{code}</Code>" in refused.text if code else refused.status_code == 403


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "bucket,secret,reason",
    [
        ("bucket", "wrong secret", "the bucket refused the upload: HTTP 403 (SignatureDoesNotMatch)"),
        ("locked", S3_SECRET, "the bucket refused the upload: HTTP 403 (AccessDenied)"),
        ("missing", S3_SECRET, "the bucket refused the upload: HTTP 404 (NoSuchBucket)"),
    ],
)
async def test_s3_refusal_falls_back_to_the_next_host(s3_url, base, bucket, secret, reason):
    hosted = await s3_chain([s3_host(s3_url, bucket, secret), lb(base, "ok")]).host(image((7, 7, 7)))
    assert hosted.host == "lb-ok"
    assert (hosted.attempts[0].host, hosted.attempts[0].ok, hosted.attempts[0].reason) == (
        f"S3 bucket {bucket}",
        False,
        reason,
    )
    assert f"S3 bucket {bucket} failed: {reason}" in hosted.summary()


@pytest.mark.asyncio
async def test_s3_refusal_alone_names_the_error_code(s3_url):
    with pytest.raises(HostingFailed) as failed:
        await s3_chain([s3_host(s3_url, secret="wrong secret")]).host(image())
    assert "S3 bucket bucket: the bucket refused the upload: HTTP 403 (SignatureDoesNotMatch)" in failed.value.message


def test_s3_secret_stays_out_of_repr_and_attributes():
    host = s3_host("http://127.0.0.1:9", secret="very-secret-value")
    assert "very-secret-value" not in repr(host)
    assert all("very-secret-value" not in repr(value) for value in vars(host).values())


def test_botocore_is_imported_only_when_s3_is_configured():
    # A fresh interpreter: this test module itself has botocore loaded already.
    probe = (
        "import sys, playground.net as h\n"
        "h.hosts_from_env({}, public_base_url=None, store=None)\n"
        "print('botocore' in sys.modules)\n"
        "h.hosts_from_env({'S3_BUCKET': 'b', 'S3_ACCESS_KEY_ID': 'k', 'S3_SECRET_ACCESS_KEY': 's'},\n"
        "                 public_base_url=None, store=None)\n"
        "print('botocore' in sys.modules)\n"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert done.stdout.split() == ["False", "True"], done.stderr[-2000:]


# --------------------------------------------------------------------------- served by the app itself


@pytest.mark.asyncio
async def test_self_host_serves_then_404s_after_expiry(base, fakes):
    host = SelfHost(base, fakes.store, lifetime_seconds=60, allow_private_base=True)
    picture = image((1, 100, 1))
    hosted = await chain([host]).host(picture)
    assert hosted.url.startswith(f"{base}/media/tmp/") and hosted.url.endswith(".png")
    assert len(hosted.url.rsplit("/", 1)[1]) >= 36  # unguessable
    async with local_client() as client:
        served = await client.get(hosted.url)
        assert served.status_code == 200 and served.content == picture.data
        assert served.headers["content-type"] == "image/png"
        head = await client.head(hosted.url)
        assert head.status_code == 200 and head.headers["content-length"] == str(len(picture.data))
        assert (await client.get(f"{base}/media/tmp/../../etc/passwd")).status_code == 404
        fakes.clock.now += 61
        expired = await client.get(hosted.url)
        assert expired.status_code == 404


@pytest.mark.asyncio
async def test_self_host_with_a_private_address_falls_back(base):
    host = SelfHost("http://localhost:7860", TemporaryFileStore())
    hosted = await chain([host, lb(base, "ok")]).host(image((2, 2, 2)))
    assert hosted.host == "lb-ok"
    assert "cannot be reached from the internet" in hosted.attempts[0].reason


def test_temporary_store_is_bounded():
    clock = Clock()
    store = TemporaryFileStore(max_bytes=250, max_files=10, clock=clock)
    names = [store.put(b"x" * 100, "png", "image/png", 60) for _ in range(3)]
    assert store.get(names[0]) is None and store.get(names[2]) is not None and store.total_bytes <= 250
    clock.now += 61
    assert store.get(names[2]) is None


@pytest.mark.asyncio
async def test_simulator_host_against_the_embedded_simulator(sim):
    picture = image((7, 70, 170))
    hosted = await UploadChain([SimulatorHost(sim.base_url)], timeout_seconds=5).host(picture)  # default client
    assert hosted.host == SimulatorHost.name and hosted.expires_at is None
    async with local_client() as client:
        assert (await client.get(hosted.url)).content == picture.data
    assert describe_destination(UploadChain([SimulatorHost(sim.base_url)])) == (
        "Images are uploaded to the demo simulator on this machine (unguessable private link, "
        "kept until the app stops)."
    )


# --------------------------------------------------------------------------- configuration and wording


def test_describe_destination_before_upload():
    hosts = [LitterboxHost(), TmpfilesHost()]
    assert describe_destination(UploadChain(hosts)) == (
        "Images are uploaded to litterbox.catbox.moe (public, deleted after 1 hour); "
        "if that fails, tmpfiles.org (public, deleted after 60 minutes)."
    )
    assert "no image host" in describe_destination(UploadChain([]))


def test_hosts_from_env_defaults_and_order():
    store = TemporaryFileStore()

    def names(env, url=None, **kw):
        return [h.name for h in hosts_from_env(env, public_base_url=url, store=store, **kw)]

    assert names({}) == ["litterbox.catbox.moe", "tmpfiles.org"]
    assert names({}, "https://play.example.com") == ["this app", "litterbox.catbox.moe", "tmpfiles.org"]
    s3_env = {"S3_BUCKET": "b", "S3_ACCESS_KEY_ID": "k", "S3_SECRET_ACCESS_KEY": "s"}
    assert names(s3_env)[0] == "S3 bucket b"
    assert names({"UPLOAD_HOSTS": "tmpfiles, s3, litterbox"}) == ["tmpfiles.org", "litterbox.catbox.moe"]
    assert names({"UPLOAD_HOSTS": "s3,tmpfiles", **s3_env}) == ["S3 bucket b", "tmpfiles.org"]
    loopback = LitterboxHost("http://127.0.0.1:1/x", name="simulator")
    assert names({}, loopback_host=loopback) == ["simulator"]
    (tmp,) = hosts_from_env(
        {"UPLOAD_HOSTS": "tmpfiles", "UPLOAD_TIMEOUT_SECONDS": "7"}, public_base_url=None, store=store
    )
    assert tmp.timeout == 7
    with pytest.raises(ValueError):
        hosts_from_env({"UPLOAD_HOSTS": "imgur"}, public_base_url=None, store=store)


def test_s3_from_env_settings():
    def s3(**env: str) -> S3Host:
        base = {"UPLOAD_HOSTS": "s3", "S3_BUCKET": "my-bucket", "S3_ACCESS_KEY_ID": "k", "S3_SECRET_ACCESS_KEY": "s"}
        (host,) = hosts_from_env({**base, **env}, public_base_url=None, store=None)
        return host

    r2 = s3(S3_ENDPOINT="https://acct.r2.cloudflarestorage.com", S3_REGION="auto", S3_EXPIRES_SECONDS="600")
    assert isinstance(r2, S3Host) and r2.path_style and r2.expires_seconds == 600 and r2.lifetime == "10 minutes"
    link = r2.presigned_get("k.png")
    assert link.startswith("https://acct.r2.cloudflarestorage.com/my-bucket/k.png?")
    assert query_of(link)["X-Amz-Expires"] == "600" and "/auto/s3/aws4_request" in query_of(link)["X-Amz-Credential"]
    aws = s3(S3_REGION="eu-west-3")  # AWS itself: virtual-hosted names, one hour by default
    assert not aws.path_style and aws.expires_seconds == 3600
    assert aws.presigned_get("k.png").startswith("https://my-bucket.s3.eu-west-3.amazonaws.com/k.png?")
    with pytest.raises(ValueError, match="S3_EXPIRES_SECONDS"):
        s3(S3_EXPIRES_SECONDS="10m")
    with pytest.raises(ValueError, match="between 1 second and 7 days"):
        s3(S3_EXPIRES_SECONDS=str(8 * 24 * 3600))


# --------------------------------------------------------------------------- pasted links


@pytest.mark.parametrize(
    "address,problem",
    [
        ("127.0.0.1", "this computer"),
        ("::1", "this computer"),
        ("::ffff:127.0.0.1", "this computer"),
        ("10.1.2.3", "private"),
        ("172.16.5.4", "private"),
        ("192.168.0.10", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "reserved"),
    ],
)
def test_address_problems(address, problem):
    assert problem in address_problem(address)


def test_public_addresses_are_fine():
    assert address_problem("93.184.215.14") is None and address_problem("2606:4700::1111") is None
    assert address_problem("127.0.0.1", allow_loopback=True) is None
    assert address_problem("10.0.0.1", allow_loopback=True) is not None


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/a.png",
        "gopher://x/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.8/a.png",
        "http://192.168.1.1/a.png",
        "http://[::1]/a.png",
        "http://0.0.0.0/a.png",
        "http://2130706433/a.png",  # 127.0.0.1 written as one number
    ],
)
async def test_pasted_url_refuses_unsafe_targets(url):
    with pytest.raises(UnsafeURL):
        await fetch_pasted_url(url, local_client)


@pytest.mark.asyncio
async def test_pasted_url_on_loopback_refused_by_default_and_allowed_on_request(base):
    with pytest.raises(UnsafeURL) as refused:
        await fetch_pasted_url(f"{base}/good.png", local_client)
    assert "this computer" in refused.value.message
    assert await fetch_pasted_url(f"{base}/good.png", local_client, allow_loopback=True) == GOOD_PNG


@pytest.mark.asyncio
async def test_hostname_resolving_to_private_address_refused():
    async def resolver(host: str, port: int) -> list[str]:
        return ["93.184.215.14", "10.0.0.5"]  # every address is checked, not just the first

    with pytest.raises(UnsafeURL):
        await fetch_pasted_url("https://images.example/a.png", local_client, resolver=resolver)


PUBLIC_LOOKING = "93.184.215.14"


class RemapToLoopback(httpx.AsyncBaseTransport):
    """Delivers requests for PUBLIC_LOOKING to 127.0.0.1 and refuses anything else: no internet."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.hosts_seen: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.hosts_seen.append(request.headers["host"])
        if request.url.host != PUBLIC_LOOKING:
            raise AssertionError(f"test tried to reach {request.url.host}")
        request.url = request.url.copy_with(host="127.0.0.1")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/good.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://intranet.test/good.png",
        "file:///etc/passwd",
    ],
)
async def test_redirect_into_private_space_refused(base, target):
    port = urlsplit(base).port
    transport = RemapToLoopback()
    resolved: list[str] = []

    async def resolver(host: str, _port: int) -> list[str]:
        resolved.append(host)
        return {"public.test": [PUBLIC_LOOKING], "intranet.test": ["192.168.7.7"]}.get(host) or [host]

    first_hop = f"http://public.test:{port}/redirect?to={target.format(port=port)}"
    with pytest.raises(UnsafeURL):
        await fetch_pasted_url(first_hop, lambda: httpx.AsyncClient(transport=transport), resolver=resolver)
    assert transport.hosts_seen == [f"public.test:{port}"]  # pinned to the checked address, named by host


@pytest.mark.asyncio
async def test_redirect_within_a_public_site_is_followed(base):
    port = urlsplit(base).port
    transport = RemapToLoopback()

    async def resolver(host: str, _port: int) -> list[str]:
        return [PUBLIC_LOOKING]

    data = await fetch_pasted_url(
        f"http://public.test:{port}/redirect?to=/good.png",
        lambda: httpx.AsyncClient(transport=transport),
        resolver=resolver,
    )
    assert data == GOOD_PNG and len(transport.hosts_seen) == 2


@pytest.mark.asyncio
async def test_pasted_url_limits(base):
    with pytest.raises(ImageRejected) as loops:
        await fetch_pasted_url(f"{base}/loop", local_client, allow_loopback=True)
    assert "redirects more than 5 times" in loops.value.message
    with pytest.raises(ImageRejected) as big:
        await fetch_pasted_url(f"{base}/big", local_client, allow_loopback=True, max_bytes=100_000)
    assert "over the" in big.value.message
    with pytest.raises(ImageRejected) as missing:
        await fetch_pasted_url(f"{base}/nothing.png", local_client, allow_loopback=True)
    assert missing.value.message == IMAGE_LINK.unusable  # one sentence, whatever the site answered


def test_hosted_image_summary_without_failures():
    hosted = HostedImage("https://x.test/a.png", "litterbox.catbox.moe", None, "1 hour")
    assert hosted.summary() == "Uploaded to litterbox.catbox.moe (kept 1 hour)."
