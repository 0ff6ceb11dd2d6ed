"""Issue 13, findings 4 and 5: links a visitor gives are judged as resolved, by one classifier, in demo
mode as in live mode, and the refusals say nothing about the server's own network.

A listener on 127.0.0.1 stands for "something on the server": it serves an image, a clip, text and
404s, and takes callback POSTs. Hostile image links, remix clips and callback URLs are aimed at it in
every spelling (literal, shortened, hex, one number, IPv4-mapped, full-width digits, trailing dot,
names a resolver sends to loopback or a private range, this machine's hosts-file names) through the
app's own API (gradio_client) and the one place every run starts (``RunService.start``). The
listener must see nothing, and for each spelling the refusal must read the same whether the port is
closed, answers 404, answers text or serves a real image.

``python -m pytest tests/test_isolation_net.py -s`` prints the figures at the end.
"""

from __future__ import annotations

import asyncio
import io
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from gradio_client import Client
from PIL import Image

from playground import net, veo
from playground.media import ImageRejected, prepare_image
from playground.net import Kind, ServerThread, addresses, fetch
from playground.runs import Refused
from playground.veo import FormValues
from playground.wave import PollPolicy, Task, WaveClient, errors

from .visitor_app import VisitorApp, visitor_app

KEY = "sk-net-visitor-0000"
PUBLIC_LOOKING = "93.184.215.14"  # a public address the tests remap to loopback; never reached


# --------------------------------------------------------------------------- figures


@dataclass
class Figures:
    tried: int = 0
    refused: int = 0
    listener_hits: int = 0
    leaks: list[str] = field(default_factory=list)

    def judge(self, label: str, refusal: str | None, *, must_not_say: tuple[str, ...] = ()) -> None:
        self.tried += 1
        if refusal is not None:
            self.refused += 1
        for secret in must_not_say:
            if refusal and secret in refusal:
                self.leaks.append(f"{label}: {refusal}")


FIGURES = Figures()


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    yield
    print(
        f"\nnetwork isolation: {FIGURES.tried} hostile cases tried, {FIGURES.refused} refused, "
        f"{len(FIGURES.leaks)} refusals naming a resolved address, {FIGURES.listener_hits} hits on the listener"
    )


# --------------------------------------------------------------------------- the listener


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1280, 720), (30, 120, 200)).save(out, "PNG")
    return out.getvalue()


@dataclass
class Listener:
    """Something on the server's own loopback that no visitor may make this app (or its simulator) reach."""

    server: ServerThread
    hits: list[str]
    closed_port: int

    @property
    def port(self) -> int:
        return self.server.port

    def targets(self, host: str, image_path: str = "/img.png") -> dict[str, str]:
        """The same host aimed at a closed port, a 404, a text answer and a real file."""
        return {
            "closed port": f"http://{host}:{self.closed_port}{image_path}",
            "404": f"http://{host}:{self.port}/missing{image_path}",
            "text/plain": f"http://{host}:{self.port}/text",
            "real file": f"http://{host}:{self.port}{image_path}",
        }


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    hits: list[str] = []
    site = FastAPI()
    png = _png()

    @site.middleware("http")
    async def count(request: Request, call_next: Any) -> Response:
        hits.append(f"{request.method} {request.url.path}")
        return await call_next(request)

    @site.get("/img.png")
    async def image() -> Response:
        return Response(png, media_type="image/png")

    @site.get("/clip.mp4")
    async def clip() -> Response:
        return Response(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64, media_type="video/mp4")

    @site.get("/text")
    async def text() -> Response:
        return PlainTextResponse("redis_version:7.2.4\r\n")

    @site.post("/hook")
    async def hook() -> Response:
        return Response(status_code=204)

    with ServerThread(site) as server:
        yield Listener(server, hits, _closed_port())
    FIGURES.listener_hits += len(hits)


# --------------------------------------------------------------------------- names


def _hosts_file_names() -> list[str]:
    """This machine's own names that its resolver sends to loopback (from /etc/hosts)."""
    names = ["localhost"]
    try:
        own = socket.gethostname()
        if addresses.classify(addresses.parse_address(socket.gethostbyname(own))) is Kind.LOOPBACK:
            names.append(own)
    except (OSError, TypeError, AttributeError):
        pass
    return names


#: Names public DNS (or this server's) sends somewhere private; the fake resolver answers like it.
RESOLVES_TO = {
    "localtest.me": ["127.0.0.1"],
    "x.127.0.0.1.nip.io": ["127.0.0.1"],
    "metadata.google.internal": ["169.254.169.254"],
    "db.corp.example": ["10.0.0.5"],
    "v6only.example": ["::1"],
    "mixed.example": [PUBLIC_LOOKING, "127.0.0.1"],  # every address counts, not just the first
    "public.test": [PUBLIC_LOOKING],
}


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    real = fetch.system_resolver

    async def resolver(hostname: str, port: int) -> list[str]:
        return RESOLVES_TO.get(hostname) or await real(hostname, port)

    monkeypatch.setattr(fetch, "system_resolver", resolver)


#: Spellings of "this server" (the listener's host), and whether they are names (whose resolved
#: address must never be named in a refusal).
LOOPBACK_SPELLINGS: list[tuple[str, bool]] = [
    ("127.0.0.1", False),
    ("127.1", False),
    ("0x7f.1", False),
    ("2130706433", False),
    ("0177.0.0.1", False),
    ("[::ffff:127.0.0.1]", False),
    ("127.0.0.1.", False),
    ("１２７.０.０.１", False),
    ("127。0。0。1", False),
    ("localtest.me", True),
    ("x.127.0.0.1.nip.io", True),
    ("mixed.example", True),
    ("LocalTest.ME.", True),
] + [(name, True) for name in _hosts_file_names()]


# --------------------------------------------------------------------------- the classifier


@pytest.mark.parametrize(
    "host,kind",
    [
        ("127.0.0.1", Kind.LOOPBACK),
        ("127.1", Kind.LOOPBACK),
        ("0x7f.1", Kind.LOOPBACK),
        ("0x7f000001", Kind.LOOPBACK),
        ("2130706433", Kind.LOOPBACK),
        ("0177.0.0.1", Kind.LOOPBACK),
        ("[::ffff:127.0.0.1]", Kind.LOOPBACK),
        ("::1", Kind.LOOPBACK),
        ("127.0.0.1.", Kind.LOOPBACK),
        ("１２７.０.０.１", Kind.LOOPBACK),
        ("127。0。0。1", Kind.LOOPBACK),
        ("64:ff9b::7f00:1", Kind.LOOPBACK),
        ("2002:7f00:1::", Kind.LOOPBACK),
        ("localhost", Kind.LOOPBACK),
        ("LOCALHOST.", Kind.LOOPBACK),
        ("api.localhost", Kind.LOOPBACK),
        ("ｌｏｃａｌｈｏｓｔ", Kind.LOOPBACK),
        ("0.0.0.0", Kind.UNSPECIFIED),
        ("0", Kind.UNSPECIFIED),
        ("[::]", Kind.UNSPECIFIED),
        ("169.254.169.254", Kind.LINK_LOCAL),
        ("fe80::1%eth0", Kind.LINK_LOCAL),
        ("224.0.0.1", Kind.MULTICAST),
        ("ff02::1", Kind.MULTICAST),
        ("10.0.0.1", Kind.PRIVATE),
        ("192.168.1.1", Kind.PRIVATE),
        ("172.16.5.4", Kind.PRIVATE),
        ("fd00::1", Kind.PRIVATE),
        ("fec0::1", Kind.PRIVATE),
        ("[::ffff:192.168.1.1]", Kind.PRIVATE),
        ("240.0.0.1", Kind.RESERVED),
        ("100.64.0.1", Kind.RESERVED),
        ("255.255.255.255", Kind.RESERVED),
        ("metadata.google.internal", Kind.LOCAL_NAME),
        ("printer.local", Kind.LOCAL_NAME),
        ("router.home.arpa", Kind.LOCAL_NAME),
        ("metadata", Kind.LOCAL_NAME),
        ("8.8.8.8", Kind.PUBLIC),
        ("2606:4700::1111", Kind.PUBLIC),
        ("[::ffff:8.8.8.8]", Kind.PUBLIC),
    ],
)
def test_one_classifier_sees_every_spelling_as_a_resolver_would(host: str, kind: Kind) -> None:
    assert addresses.parse_host(host).kind is kind


@pytest.mark.parametrize("host", ["example.com", "bücher.de", "1.2.3.4.5", "256.1.1.1", "localtest.me"])
def test_ordinary_names_are_left_to_the_resolver(host: str) -> None:
    assert addresses.parse_host(host).kind is None


def test_only_public_places_and_allowed_loopback_are_reachable() -> None:
    """The one rule every check applies to a kind: pasted links, callbacks, redirects, the self host."""
    assert Kind.PUBLIC.reachable() and Kind.PUBLIC.reachable(loopback=True)
    assert not Kind.LOOPBACK.reachable() and Kind.LOOPBACK.reachable(loopback=True)
    assert not any(kind.reachable(loopback=True) for kind in Kind if kind not in (Kind.PUBLIC, Kind.LOOPBACK))
    assert net.address_problem("127.0.0.1") == Kind.LOOPBACK.value
    assert net.address_problem("127.0.0.1", allow_loopback=True) is None


@pytest.mark.parametrize(
    "url,says",
    [
        ("http://１２７.０.０.１/hook", "127.0.0.1, this computer itself"),
        ("http://127。0。0。1/hook", "127.0.0.1, this computer itself"),
        ("http://0x7f.1/hook", "127.0.0.1, this computer itself"),
        ("http://224.0.0.1/hook", "224.0.0.1, a multicast address"),
        ("http://[ff02::1]/hook", "multicast"),
        ("http://metadata.google.internal/computeMetadata/v1/", "metadata.google.internal, a name only"),
        ("http://printer.local/hook", "a name only a local network knows"),
        ("http://[64:ff9b::7f00:1]/hook", "this computer itself"),
    ],
)
def test_the_catalog_refuses_what_the_url_spells_through_the_same_classifier(url: str, says: str) -> None:
    built = veo.build_request(FormValues(prompt="A quiet harbour", callback_url=url))
    FIGURES.judge(f"catalog {url}", None if built.ok else built.message())
    assert not built.ok and says in built.message(), built.message()


# --------------------------------------------------------------------------- callbacks, as resolved


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "url,named",
    [
        ("http://localtest.me/hook", False),
        ("http://x.127.0.0.1.nip.io:8080/hook", False),
        ("http://db.corp.example/hook", False),
        ("http://v6only.example/hook", False),
        ("http://mixed.example/hook", False),
        ("http://metadata.google.internal/", True),
        ("http://127.0.0.1:9/hook", True),
        ("http://１２７.０.０.１/hook", True),
        ("http://224.0.0.1/hook", True),
        ("http://no-such-host.invalid/hook", False),
    ],
)
async def test_a_callback_url_is_judged_by_what_it_resolves_to(fake_dns: None, url: str, named: bool) -> None:
    refusal = await net.callback_refusal(url)
    FIGURES.judge(f"callback {url}", refusal, must_not_say=("127.0.0.1", "10.0.0.5", "::1") if not named else ())
    assert refusal is not None and refusal.startswith("callback_url"), refusal
    if not named:  # what a name resolved to stays on the server
        assert refusal == net.CALLBACK_LINK.unusable


@pytest.mark.asyncio
async def test_a_public_callback_url_passes(fake_dns: None) -> None:
    assert await net.callback_refusal("https://public.test/hook") is None
    assert await net.callback_refusal(None) is None


# --------------------------------------------------------------------------- one sentence for every failure


class RemapToLoopback(httpx.AsyncBaseTransport):
    """Delivers requests for PUBLIC_LOOKING to 127.0.0.1: a "public" site that is really the listener."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert request.url.host == PUBLIC_LOOKING, f"test tried to reach {request.url.host}"
        request.url = request.url.copy_with(host="127.0.0.1")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.asyncio
async def test_public_links_that_fail_all_read_the_same(fake_dns: None, listener: Listener) -> None:
    """A public site that refuses, answers 404 or answers text: one sentence, so a refusal never tells
    which (on a shared server that would map its ports)."""
    factory = lambda: httpx.AsyncClient(transport=RemapToLoopback())  # noqa: E731
    images, clips = listener.targets("public.test"), listener.targets("public.test", "/clip.mp4")
    assert prepare_image(await net.fetch_pasted_url(images.pop("real file"), factory)).width == 1280
    assert await net.check_public_url(clips.pop("real file"), factory) == f"http://public.test:{listener.port}/clip.mp4"
    seen: dict[str, set[str]] = {"image": set(), "clip": set()}
    for what, links, check in (("image", images, net.fetch_pasted_url), ("clip", clips, net.check_public_url)):
        for label, link in links.items():
            with pytest.raises(ImageRejected) as refused:
                await check(link, factory, timeout_seconds=5)
            FIGURES.judge(f"public {what} {label}", refused.value.message)
            seen[what].add(refused.value.message)
    assert seen == {"image": {net.IMAGE_LINK.unusable}, "clip": {net.CLIP_LINK.unusable}}
    listener.hits.clear()  # these visits were to the "public" site, on purpose


# --------------------------------------------------------------------------- through the app, demo mode


@pytest.fixture(scope="module")
def net_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VisitorApp]:
    with visitor_app(tmp_path_factory.mktemp("net-app")) as running:
        yield running


@pytest.fixture(scope="module")
def api(net_app: VisitorApp) -> Client:
    return Client(net_app.url, verbose=False)


def _outcome(job: Any) -> str | None:
    try:
        job.result()
    except Exception as exc:  # gradio_client raises the page's gr.Error as an AppError
        return str(exc)
    return None


def _refusal(api: Client, *args: Any, **kwargs: Any) -> str | None:
    return _outcome(api.submit(*args, **kwargs))


def _refusals_by_spelling(
    api: Client, listener: Listener, endpoint: str, path: str, **more: Any
) -> dict[str, dict[str, str | None]]:
    jobs: dict[tuple[str, str], Any] = {}
    for host, _ in LOOPBACK_SPELLINGS:  # all at once: the endpoints run concurrently
        for label, link in listener.targets(host, path).items():
            if endpoint == "/remix":
                jobs[host, label] = api.submit(
                    "Keep going", link, api_name="/remix", duration=4, resolution="720p", **more
                )
            else:
                jobs[host, label] = api.submit(
                    "A lighthouse in a storm",
                    api_name="/image2video",
                    first_frame_url=link,
                    duration=4,
                    resolution="720p",
                    **more,
                )
    names = dict(LOOPBACK_SPELLINGS)
    outcomes: dict[str, dict[str, str | None]] = {}
    for (host, label), job in jobs.items():
        text = outcomes.setdefault(host, {})[label] = _outcome(job)
        FIGURES.judge(f"{endpoint} {host} {label}", text, must_not_say=("127.0.0.1", "::1") if names[host] else ())
    return outcomes


def _assert_refused_alike(outcomes: dict[str, dict[str, str | None]], field_label: str) -> None:
    for host, texts in outcomes.items():
        assert all(t and "Not submitted" in t and field_label in t for t in texts.values()), (host, texts)
        assert len(set(texts.values())) == 1, (host, texts)  # closed, 404, text and real file read the same
    names = [h for h, is_name in LOOPBACK_SPELLINGS if is_name]
    leaked = [(h, t) for h in names for t in outcomes[h].values() if t and ("127.0.0.1" in t or "::1" in t)]
    assert not leaked, leaked


def test_demo_mode_refuses_pasted_image_links_to_this_server(
    fake_dns: None, api: Client, net_app: VisitorApp, listener: Listener
) -> None:
    sent = len(net_app.demo_sim.submissions())
    listener.hits.clear()
    outcomes = _refusals_by_spelling(api, listener, "/image2video", "/img.png")
    assert listener.hits == [], "demo mode fetched a link on this server"
    assert len(net_app.demo_sim.submissions()) == sent
    _assert_refused_alike(outcomes, "first frame image")
    # Demo mode refuses as a visitor's own key does, in the same words.
    live = _refusal(
        api,
        "A lighthouse in a storm",
        api_name="/image2video",
        first_frame_url=listener.targets("127.0.0.1")["real file"],
        duration=4,
        resolution="720p",
        api_key=KEY,
    )
    assert live == outcomes["127.0.0.1"]["real file"]
    assert net_app.sim.submissions() == [] and listener.hits == []


def test_demo_mode_refuses_remix_clips_on_this_server(
    fake_dns: None, api: Client, net_app: VisitorApp, listener: Listener
) -> None:
    sent = len(net_app.demo_sim.submissions())
    listener.hits.clear()
    outcomes = _refusals_by_spelling(api, listener, "/remix", "/clip.mp4")
    assert listener.hits == [], "demo mode probed a clip link on this server"
    assert len(net_app.demo_sim.submissions()) == sent
    _assert_refused_alike(outcomes, "source clip")


CALLBACK_SPELLINGS = [
    "http://localtest.me:{port}/hook",
    "http://x.127.0.0.1.nip.io:{port}/hook",
    "http://mixed.example:{port}/hook",
    "http://v6only.example:{port}/hook",
    "http://１２７.０.０.１:{port}/hook",
    "http://0x7f.1:{port}/hook",
    "http://127.0.0.1.:{port}/hook",
    "http://[::ffff:127.0.0.1]:{port}/hook",
    "http://224.0.0.1/hook",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://db.corp.example/hook",
] + [f"http://{name}:{{port}}/hook" for name in _hosts_file_names()]


async def _try_callback(net_app: VisitorApp, url: str) -> str | None:
    """A run with this callback_url started where every run starts (page, API, History): its refusal,
    or None when it was sent (and then driven to its end, so the simulator's callback goes out)."""
    ctx = net_app.playground.context
    owner = ctx.identities.owner(None, "net-isolation-session")
    built = veo.build_request(FormValues(prompt="A quiet harbour", duration=4, resolution="720p", callback_url=url))
    if not built.ok:
        return built.message()
    started = await ctx.start(ctx.connection("", owner), owner, built)
    if isinstance(started, Refused):
        return started.message
    async for _ in started.run.updates():
        pass
    return None


def test_demo_mode_never_sends_a_callback_to_this_server(
    fake_dns: None, net_app: VisitorApp, listener: Listener
) -> None:
    sent = len(net_app.demo_sim.submissions())
    listener.hits.clear()
    refusals = {}
    for spelling in CALLBACK_SPELLINGS:
        url = spelling.format(port=listener.port)
        refusals[url] = asyncio.run(_try_callback(net_app, url))
        FIGURES.judge(f"callback via start_run {url}", refusals[url], must_not_say=("10.0.0.5",))
    # A callback goes out just after the run ends: give one the time to arrive.
    done = threading.Event()
    done.wait(1.0)
    assert listener.hits == [], "the demo simulator posted a task to this server"
    assert len(net_app.demo_sim.submissions()) == sent
    assert all(r and "callback_url" in r for r in refusals.values()), refusals
    resolved = ("localtest", "nip.io", "mixed", "v6only", "corp")
    named = {u: r for u, r in refusals.items() if any(n in u for n in resolved)}
    assert set(named.values()) == {net.CALLBACK_LINK.unusable}, named


# --------------------------------------------------------------------------- the embedded simulator


async def _end(task: Task) -> str:
    try:
        async for _ in task.wait(PollPolicy(min_interval=0.05, max_interval=0.1, expected_seconds=1.0, deadline=30)):
            pass
    except errors.TaskFailed:
        pass
    return task.status


def test_the_embedded_simulator_reaches_loopback_only_at_its_own_address(
    net_app: VisitorApp, listener: Listener
) -> None:
    """Posted to the demo simulator directly (its port is on this machine): it fetches its own uploads, and
    neither fetches from nor posts to anything else on loopback."""
    base = net_app.demo_sim.public_url

    async def scenario() -> tuple[str, str, str]:
        async with httpx.AsyncClient() as http:
            image = prepare_image(_png(), "frame.png")
            own = (await net.SimulatorHost(base).upload(image, http)).url
        async with WaveClient("sk-any-demo-key", base) as wave:
            body = {
                "model": veo.DEFAULT_MODEL,
                "action": "image2video",
                "prompt": "A quiet harbour",
                "duration": 4,
                "resolution": "720p",
            }
            called = await _end(
                await wave.submit({**body, "action": "generate", "callback_url": f"{listener.server.base_url}/hook"})
            )
            foreign = await _end(
                await wave.submit({**body, "first_frame_image": listener.targets("127.0.0.1")["real file"]})
            )
            mine = await _end(await wave.submit({**body, "first_frame_image": own}))
        return called, foreign, mine

    listener.hits.clear()
    called, foreign, mine = asyncio.run(scenario())
    threading.Event().wait(1.0)  # a callback goes out just after the task ends
    FIGURES.judge("embedded simulator callback to loopback", None if listener.hits else "not sent")
    FIGURES.judge("embedded simulator reference on loopback", None if listener.hits else "not fetched")
    assert listener.hits == [], listener.hits
    assert (called, foreign, mine) == ("completed", "failed", "completed")


def test_a_test_simulator_still_treats_loopback_as_the_internet(sim: Any, listener: Listener) -> None:
    """Only the embedded demo simulator is held to its own origin; a test simulator calls back to loopback."""
    assert sim.config.loopback_own_origin_only is False

    async def scenario() -> str:
        async with WaveClient("sk-any", sim.base_url) as wave:
            return await _end(
                await wave.submit(
                    {
                        "model": veo.DEFAULT_MODEL,
                        "action": "generate",
                        "prompt": "A quiet harbour",
                        "duration": 4,
                        "resolution": "720p",
                        "callback_url": f"{listener.server.base_url}/hook",
                    }
                )
            )

    listener.hits.clear()
    assert asyncio.run(scenario()) == "completed"
    for _ in range(100):
        if listener.hits:
            break
        threading.Event().wait(0.02)
    assert listener.hits == ["POST /hook"]
    listener.hits.clear()
