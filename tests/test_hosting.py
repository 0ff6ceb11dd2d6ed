"""Hosting chain, hosts and the pasted-link fetcher against real HTTP servers on 127.0.0.1.

Nothing here reaches the internet: every host is pointed at the fake server below, and the
one test that uses a public-looking address remaps it to 127.0.0.1 inside its transport.
"""

from __future__ import annotations

import asyncio
import calendar
import hashlib
import io
import socket
import threading
import time
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from PIL import Image

from playground.hosting import (USER_AGENT, HostedImage, HostingFailed, LitterboxHost, S3Host, SelfHost,
                                SimulatorHost, TemporaryFileStore, TmpfilesHost, UnsafeURL, UploadChain,
                                address_problem, describe_destination, fetch_pasted_url, hosts_from_env,
                                presign_s3_get, self_host_router, sign_s3_headers, tmpfiles_direct_link)
from playground.images import ImageRejected, PreparedImage, prepare_image

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
        return Response(data[: end + 1], status_code=206, media_type=mime,
                        headers={"Content-Range": f"bytes 0-{end}/{len(data)}"})
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

    @app.put("/bucket/{key:path}")
    async def s3_put(key: str, request: Request) -> Response:
        body = await request.body()
        if not check_s3_put(request, body):
            return Response("<Error><Code>SignatureDoesNotMatch</Code></Error>", status_code=403)
        fakes.uploads["s3"] += 1
        fakes.files["s3:" + key] = (body, request.headers["content-type"])
        return Response(status_code=200)

    @app.api_route("/bucket/{key:path}", methods=["GET", "HEAD"])
    async def s3_get(key: str, request: Request) -> Response:
        # Like S3: a link presigned for GET does not authorise HEAD.
        if request.method == "HEAD" or not check_s3_presigned(request):
            return Response("<Error><Code>SignatureDoesNotMatch</Code></Error>", status_code=403,
                            media_type="application/xml")
        return ranged(*fakes.files["s3:" + key], request)

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


S3_KEYS = dict(region="us-east-1", access_key_id="AKIDTESTKEY", secret_access_key="test/secret+key")


def check_s3_put(request: Request, body: bytes) -> bool:
    """Recompute the signature from what arrived on the wire: catches Host/path/header mismatches."""
    auth = request.headers.get("authorization", "")
    names = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
    headers = {n: request.headers[n] for n in names if n not in ("host", "x-amz-date", "x-amz-content-sha256")}
    expected = sign_s3_headers(method="PUT", host=request.headers["host"], path=request.scope["raw_path"].decode(),
                               headers=headers, payload_hash=hashlib.sha256(body).hexdigest(),
                               amz_date=request.headers["x-amz-date"], **S3_KEYS)
    return (expected["authorization"] == auth
            and request.headers["x-amz-content-sha256"] == hashlib.sha256(body).hexdigest())


def check_s3_presigned(request: Request) -> bool:
    query = parse_qs(request.url.query)
    url = presign_s3_get(url_base="", host=request.headers["host"], path=request.scope["raw_path"].decode(),
                         expires_seconds=int(query["X-Amz-Expires"][0]), amz_date=query["X-Amz-Date"][0],
                         **S3_KEYS)
    return url.endswith("X-Amz-Signature=" + query["X-Amz-Signature"][0])


class ServerThread:
    def __init__(self, app: FastAPI) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> "ServerThread":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "fake server did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(5)
        self.sock.close()


@pytest.fixture(scope="module")
def fakes() -> Fakes:
    return Fakes()


@pytest.fixture(scope="module")
def base(fakes: Fakes):
    with ServerThread(build_app(fakes)) as server:
        yield f"http://127.0.0.1:{server.port}"


def local_client() -> httpx.AsyncClient:
    # trust_env=False: a proxy from the environment must not see (or break) loopback traffic.
    return httpx.AsyncClient(trust_env=False, headers={"User-Agent": USER_AGENT}, timeout=5)


def chain(hosts, **options) -> UploadChain:
    return UploadChain(hosts, timeout_seconds=PER_HOST_TIMEOUT, verify_timeout_seconds=2,
                       client_factory=local_client, **options)


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
    assert len(failed.value.attempts) == 2 and upload_chain.attempts == failed.value.attempts


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


# --------------------------------------------------------------------------- S3


AWS_EXAMPLE = dict(access_key_id="AKIAIOSFODNN7EXAMPLE", secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
MAY_24_2013 = calendar.timegm((2013, 5, 24, 0, 0, 0))


def test_s3_presigned_get_matches_the_aws_documentation_example():
    host = S3Host(endpoint="https://s3.amazonaws.com", bucket="examplebucket", region="us-east-1",
                  expires_seconds=86400, path_style=False, prefix="", **AWS_EXAMPLE)
    url = host.presigned_get("test.txt", now=MAY_24_2013)
    assert url == ("https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                   "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                   "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
                   "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    assert "wJalr" not in repr(host)


def test_s3_header_signing_matches_the_aws_put_object_example():
    headers = sign_s3_headers(
        method="PUT", host="examplebucket.s3.amazonaws.com", path="/test%24file.text",
        headers={"Date": "Fri, 24 May 2013 00:00:00 GMT", "x-amz-storage-class": "REDUCED_REDUNDANCY"},
        payload_hash=hashlib.sha256(b"Welcome to Amazon S3.").hexdigest(), region="us-east-1",
        amz_date="20130524T000000Z", **AWS_EXAMPLE)
    assert headers["authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"
        "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")


def test_s3_presign_agrees_with_botocore_for_path_style_with_port(monkeypatch):
    botocore_auth = pytest.importorskip("botocore.auth")
    from datetime import datetime

    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    monkeypatch.setattr(botocore_auth, "get_current_datetime", lambda *a, **k: datetime(2024, 2, 29, 23, 59, 59))
    request = AWSRequest(method="GET", url="http://127.0.0.1:9000/my-bucket/veo-playground/a%20b%2Bc.png")
    botocore_auth.S3SigV4QueryAuth(Credentials("AKIDX", "sekrit"), "s3", "eu-west-3", expires=900).add_auth(request)
    ours = S3Host(endpoint="http://127.0.0.1:9000", bucket="my-bucket", region="eu-west-3", access_key_id="AKIDX",
                  secret_access_key="sekrit", expires_seconds=900)
    mine = ours.presigned_get("veo-playground/a b+c.png", now=calendar.timegm((2024, 2, 29, 23, 59, 59)))
    theirs = parse_qs(urlsplit(request.url).query)
    assert parse_qs(urlsplit(mine).query)["X-Amz-Signature"] == theirs["X-Amz-Signature"]
    assert urlsplit(mine).path == urlsplit(request.url).path


@pytest.mark.asyncio
async def test_s3_upload_signed_put_then_presigned_get(base, fakes):
    host = S3Host(endpoint=base, bucket="bucket", expires_seconds=900, **S3_KEYS)
    picture = image((3, 3, 200))
    hosted = await chain([host]).host(picture)  # the fake checks both signatures
    assert hosted.host == "S3 bucket bucket" and hosted.lifetime == "15 minutes"
    assert "X-Amz-Signature=" in hosted.url and "X-Amz-Expires=900" in hosted.url
    assert hosted.expires_at == pytest.approx(time.time() + 900, abs=5)
    assert fakes.files[f"s3:veo-playground/{picture.sha256}.png"][0] == picture.data


@pytest.mark.asyncio
async def test_s3_refusal_names_the_error_code(base):
    host = S3Host(endpoint=base, bucket="bucket", region="us-east-1", access_key_id="AKIDTESTKEY",
                  secret_access_key="wrong secret")
    with pytest.raises(HostingFailed) as failed:
        await chain([host]).host(image())
    assert "HTTP 403 (SignatureDoesNotMatch)" in failed.value.message


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
        "kept until the app stops).")


# --------------------------------------------------------------------------- configuration and wording


def test_describe_destination_before_upload():
    hosts = [LitterboxHost(), TmpfilesHost()]
    assert describe_destination(UploadChain(hosts)) == (
        "Images are uploaded to litterbox.catbox.moe (public, deleted after 1 hour); "
        "if that fails, tmpfiles.org (public, deleted after 60 minutes).")
    assert "no image host" in describe_destination(UploadChain([]))


def test_hosts_from_env_defaults_and_order():
    store = TemporaryFileStore()
    names = lambda env, url=None, **kw: [h.name for h in hosts_from_env(env, public_base_url=url, store=store, **kw)]
    assert names({}) == ["litterbox.catbox.moe", "tmpfiles.org"]
    assert names({}, "https://play.example.com") == ["this app", "litterbox.catbox.moe", "tmpfiles.org"]
    s3_env = {"S3_BUCKET": "b", "S3_ACCESS_KEY_ID": "k", "S3_SECRET_ACCESS_KEY": "s"}
    assert names(s3_env)[0] == "S3 bucket b"
    assert names({"UPLOAD_HOSTS": "tmpfiles, s3, litterbox"}) == ["tmpfiles.org", "litterbox.catbox.moe"]
    assert names({"UPLOAD_HOSTS": "s3,tmpfiles", **s3_env}) == ["S3 bucket b", "tmpfiles.org"]
    loopback = LitterboxHost("http://127.0.0.1:1/x", name="simulator")
    assert names({}, loopback_host=loopback) == ["simulator"]
    (tmp,) = hosts_from_env({"UPLOAD_HOSTS": "tmpfiles", "UPLOAD_TIMEOUT_SECONDS": "7"}, public_base_url=None,
                            store=store)
    assert tmp.timeout == 7
    with pytest.raises(ValueError):
        hosts_from_env({"UPLOAD_HOSTS": "imgur"}, public_base_url=None, store=store)


def test_s3_from_env_settings():
    (host,) = hosts_from_env({"UPLOAD_HOSTS": "s3", "S3_BUCKET": "b", "S3_ACCESS_KEY_ID": "k",
                              "S3_SECRET_ACCESS_KEY": "s", "S3_ENDPOINT": "https://acct.r2.cloudflarestorage.com",
                              "S3_REGION": "auto", "S3_EXPIRES_SECONDS": "600"}, public_base_url=None, store=None)
    assert isinstance(host, S3Host) and host.path_style and host.expires_seconds == 600
    assert host.presigned_get("k.png", now=MAY_24_2013).startswith("https://acct.r2.cloudflarestorage.com/b/k.png?")


# --------------------------------------------------------------------------- pasted links


@pytest.mark.parametrize("address,problem", [
    ("127.0.0.1", "this computer"), ("::1", "this computer"), ("::ffff:127.0.0.1", "this computer"),
    ("10.1.2.3", "private"), ("172.16.5.4", "private"), ("192.168.0.10", "private"), ("fd00::1", "private"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("0.0.0.0", "unspecified"),
    ("224.0.0.1", "multicast"), ("240.0.0.1", "reserved"), ("100.64.0.1", "reserved"),
])
def test_address_problems(address, problem):
    assert problem in address_problem(address)


def test_public_addresses_are_fine():
    assert address_problem("93.184.215.14") is None and address_problem("2606:4700::1111") is None
    assert address_problem("127.0.0.1", allow_loopback=True) is None
    assert address_problem("10.0.0.1", allow_loopback=True) is not None


@pytest.mark.asyncio
@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "ftp://example.com/a.png", "gopher://x/", "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.8/a.png", "http://192.168.1.1/a.png", "http://[::1]/a.png", "http://0.0.0.0/a.png",
    "http://2130706433/a.png",  # 127.0.0.1 written as one number
])
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
@pytest.mark.parametrize("target", ["http://127.0.0.1:{port}/good.png", "http://169.254.169.254/latest/meta-data/",
                                    "http://intranet.test/good.png", "file:///etc/passwd"])
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

    data = await fetch_pasted_url(f"http://public.test:{port}/redirect?to=/good.png",
                                  lambda: httpx.AsyncClient(transport=transport), resolver=resolver)
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
    assert "HTTP 404" in missing.value.message


def test_hosted_image_summary_without_failures():
    hosted = HostedImage("https://x.test/a.png", "litterbox.catbox.moe", None, "1 hour")
    assert hosted.summary() == "Uploaded to litterbox.catbox.moe (kept 1 hour)."
