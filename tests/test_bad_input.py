"""Bad input through the documented gradio_client endpoints: every kind is refused with a message,
and the service's request log proves nothing was sent.

Covered: empty, over-long and control-character prompts; unusual Unicode (which must pass unchanged);
every invalid parameter combination generated from the catalog; negative and huge seeds; samples out
of range; corrupt, huge and decompression-bomb images; hostile links (loopback, the metadata address,
private ranges, other schemes, redirects into them). The run is on a visitor's own key, the path
that costs money; redirects are tried in demo mode, from a first hop on a public-looking name that this
suite delivers to its loopback target (loopback itself is refused in demo mode too).

A guard refuses, and counts, any connection this process tries to open to an address that is not
loopback, so a refused link is also proven never to have been contacted.

``python -m pytest tests/test_bad_input.py -s`` prints the figures at the end.
"""

from __future__ import annotations

import asyncio
import io
import ipaddress
import itertools
import re
import socket
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr
import httpx
import numpy as np
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from gradio_client import Client, handle_file
from PIL import Image
from playwright.sync_api import expect

from playground import veo
from playground.net import ServerThread, fetch, http_client
from playground.veo import FormValues

from .test_browser import choose
from .visitor_app import VisitorApp, visitor_app

KEY = "sk-bad-input-visitor-0000"
SAMPLE_URL = "https://example.invalid/frame.png"  # stands in for a frame in expected forms; never fetched


# --------------------------------------------------------------------------- what is counted


@dataclass
class Figures:
    cases: dict[str, int] = field(default_factory=dict)
    refused: int = 0
    accepted_intact: int = 0
    not_refused: list[str] = field(default_factory=list)
    requests_sent: int = 0
    hostile_hits: int = 0
    egress_attempts: int = 0

    def count(self, group: str, n: int = 1) -> None:
        self.cases[group] = self.cases.get(group, 0) + n


FIGURES = Figures()


class EgressGuard:
    """Refuses connections from this process to anything but loopback, and remembers each attempt."""

    def __init__(self) -> None:
        self.attempts: list[Any] = []

    def check(self, sock: socket.socket, address: Any) -> None:
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return
        ip = ipaddress.ip_address(str(address[0]).split("%", 1)[0])
        if ip.version == 6 and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        if not ip.is_loopback:
            self.attempts.append(address)
            raise ConnectionRefusedError(f"test guard: no connections off this machine ({address[0]})")


@pytest.fixture(scope="module")
def egress() -> Iterator[EgressGuard]:
    guard = EgressGuard()
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(sock: socket.socket, address: Any) -> Any:
        guard.check(sock, address)
        return real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> Any:
        guard.check(sock, address)
        return real_connect_ex(sock, address)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", connect)
        patch.setattr(socket.socket, "connect_ex", connect_ex)
        yield guard


@dataclass
class Target:
    """A loopback site standing in for whatever a hostile link points at; it counts every visit."""

    server: ServerThread
    hits: list[str]
    #: The site's name in links; by default its loopback address.
    name: str | None = None

    def url(self, path: str = "/frame.png", *, on_loopback: bool = False) -> str:
        if self.name and not on_loopback:
            return f"http://{self.name}:{self.server.port}{path}"
        return f"{self.server.base_url}{path}"


@pytest.fixture(scope="module")
def target() -> Iterator[Target]:
    hits: list[str] = []
    site = FastAPI()
    png = io.BytesIO()
    Image.new("RGB", (1280, 720), (200, 30, 30)).save(png, "PNG")

    @site.get("/redirect")
    async def redirect(request: Request, to: str) -> Response:
        hits.append(str(request.url.path))
        return RedirectResponse(to, status_code=302)

    @site.get("/loop/{n}")
    async def loop(request: Request, n: int) -> Response:
        hits.append(str(request.url.path))
        return RedirectResponse(f"/loop/{n + 1}", status_code=302)

    @site.get("/{path:path}")
    async def anything(request: Request, path: str) -> Response:
        hits.append(str(request.url.path))
        return Response(png.getvalue(), media_type="image/png")

    with ServerThread(site) as server:
        yield Target(server, hits)


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory, egress: EgressGuard, request: pytest.FixtureRequest
) -> Iterator[VisitorApp]:
    with visitor_app(tmp_path_factory.mktemp("bad-input")) as running:
        yield running
    _print_figures(request)


@pytest.fixture(scope="module")
def client(live: VisitorApp) -> Client:
    return Client(live.url, verbose=False)


def _print_figures(request: pytest.FixtureRequest) -> None:
    capture = request.config.pluginmanager.getplugin("capturemanager")
    tried = sum(FIGURES.cases.values())
    with capture.global_and_fixture_disabled():
        print("\n\nBad input: figures")
        print(f"  {'cases tried:':34} {tried} ({', '.join(f'{k} {v}' for k, v in FIGURES.cases.items())})")
        print(f"  {'refused with a message:':34} {FIGURES.refused}")
        print(f"  {'unusual but valid, sent intact:':34} {FIGURES.accepted_intact}")
        print(f"  {'not refused as they should be:':34} {len(FIGURES.not_refused)} {FIGURES.not_refused}")
        print(f"  {'requests that reached the service:':34} {FIGURES.requests_sent}")
        print(f"  {'visits to hostile link targets:':34} {FIGURES.hostile_hits}")
        print(f"  {'connections tried off the machine:':34} {FIGURES.egress_attempts}")


# --------------------------------------------------------------------------- calling and judging


@dataclass
class Traffic:
    """What left the app while a test ran: requests to the service (and the demo simulator), visits
    to the hostile target, connection attempts off the machine."""

    live: VisitorApp
    target: Target
    egress: EgressGuard

    def __post_init__(self) -> None:
        self.start = (
            len(self.live.sim.requests),
            len(self.live.demo_sim.requests),
            len(self.target.hits),
            len(self.egress.attempts),
        )

    def sent(self) -> list[str]:
        service = self.live.sim.requests[self.start[0] :]
        demo = [r for r in self.live.demo_sim.requests[self.start[1] :] if r.path.startswith("/v1/tasks")]
        return [f"{r.method} {r.path}" for r in service + demo]

    def hits(self) -> list[str]:
        return self.target.hits[self.start[2] :]

    def off_machine(self) -> list[Any]:
        return self.egress.attempts[self.start[3] :]

    def count(self) -> None:
        FIGURES.requests_sent += len(self.sent())
        FIGURES.hostile_hits += len(self.hits())
        FIGURES.egress_attempts += len(self.off_machine())

    def assert_nothing_left(self) -> None:
        sent, hits, off = self.sent(), self.hits(), self.off_machine()
        assert not sent, f"requests reached the service: {sent}"
        assert not hits, f"the hostile target was visited: {hits}"
        assert not off, f"connections were tried off this machine: {off}"


@pytest.fixture
def traffic(live: VisitorApp, target: Target, egress: EgressGuard) -> Iterator[Traffic]:
    watch = Traffic(live, target, egress)
    yield watch
    watch.count()  # also when the test failed: the figures say what left the app


def outcomes(client: Client, calls: list[tuple[str, tuple, dict]]) -> list[str | None]:
    """Run calls at once over the wire; each gives the refusal text the caller sees, or None if accepted."""
    jobs = [client.submit(*args, api_name=api, **kwargs) for api, args, kwargs in calls]
    results: list[str | None] = []
    for job in jobs:
        try:
            job.result(timeout=60)
            results.append(None)
        except Exception as exc:  # gradio_client raises AppError carrying the gr.Error message
            results.append(str(exc))
    return results


def judge(group: str, verdicts: list[tuple[str, str | None, tuple[str, ...]]]) -> None:
    """Each (label, refusal text or None if accepted, phrases the text must hold): count, then assert."""
    wrong = []
    for label, text, expected in verdicts:
        FIGURES.count(group)
        if text is not None and all(e in text for e in expected):
            FIGURES.refused += 1
            continue
        FIGURES.not_refused.append(label)
        wrong.append(
            f"{label}: "
            + (
                "accepted, but it should be refused"
                if text is None
                else f"the message does not say {expected!r}: {text}"
            )
        )
    assert not wrong, "\n".join(wrong)


def generate(prompt: str = "A lighthouse in a storm", **kw: Any) -> tuple[str, tuple, dict]:
    kw.setdefault("duration", 4)
    kw.setdefault("resolution", "720p")
    kw.setdefault("api_key", KEY)
    return "/generate", (prompt,), kw


# --------------------------------------------------------------------------- prompts


BAD_PROMPTS = [
    ("empty", "", "a prompt is required"),
    ("blank", " \n\t  ", "a prompt is required"),
    ("over-long", "x" * (veo.PROMPT_MAX_CHARS + 1), f"at most {veo.PROMPT_MAX_CHARS}"),
    ("a megabyte", "y" * 1_000_000, f"at most {veo.PROMPT_MAX_CHARS}"),
    ("NUL byte", "a boat\x00 on a lake", "control characters"),
    ("terminal escape", "\x1b[31mred\x1b[0m boat", "control characters"),
    ("bell", "boat\x07", "control characters"),
    ("form feed", "boat\x0cnext page", "control characters"),
]


def test_bad_prompts_are_refused_and_nothing_is_sent(client: Client, traffic: Traffic) -> None:
    texts = outcomes(client, [generate(prompt) for _, prompt, _ in BAD_PROMPTS])
    judge(
        "prompts",
        [
            (f"prompt {label}", text, ("Not submitted", says))
            for (label, _, says), text in zip(BAD_PROMPTS, texts, strict=False)
        ],
    )
    traffic.assert_nothing_left()


UNUSUAL_PROMPTS = [
    "日本語のプロンプト：夕暮れの灯台 🎬",
    "مرحبا بالعالم — منارة في العاصفة",
    "Ünïcödé ca\u0301fe\u0301 (combining accents) and ﬁ ligature",
    "family 👨‍👩‍👧‍👦 flags 🇺🇦🇯🇵 skin tones 👋🏽",
    "zero\u200bwidth\u200djoiner and \u202eright-to-left override\u202c",
    "𝕄𝕒𝕥𝕙 𝒮𝒸𝓇𝒾𝓅𝓉 and astral 𓀀 hieroglyph",
    "🎬" * veo.PROMPT_MAX_CHARS,  # exactly at the limit, four bytes each
]


def test_unusual_unicode_is_sent_exactly_as_typed(client: Client, live: VisitorApp) -> None:
    before = len(live.sim.submissions())
    texts = outcomes(client, [generate(p) for p in UNUSUAL_PROMPTS])
    assert texts == [None] * len(UNUSUAL_PROMPTS), texts
    sent = [r.body["prompt"] for r in live.sim.submissions()[before:] if r.body]
    assert sorted(sent) == sorted(UNUSUAL_PROMPTS)
    FIGURES.count("unusual Unicode", len(UNUSUAL_PROMPTS))
    FIGURES.accepted_intact += len(sent)


def test_text_that_cannot_be_encoded_is_refused_before_sending(live: VisitorApp, traffic: Traffic) -> None:
    """A lone surrogate (a browser can send one; UTF-8 cannot carry it) must be refused, not crash.
    gradio_client cannot even encode one, so this calls the endpoint's function directly."""
    generate_fn = live.endpoint("generate")
    text = None
    try:
        asyncio.run(generate_fn("a boat \ud800 on a lake", duration=4, resolution="720p", api_key=KEY))
    except gr.Error as exc:
        text = str(exc.message)
    except Exception as exc:  # what the visitor would get: Gradio's generic error
        text = f"crashed: {type(exc).__name__}"
    judge("prompts", [("prompt lone surrogate", text, ("Not submitted", "prompt"))])
    traffic.assert_nothing_left()


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class Combo:
    action: str
    model: str
    duration: int
    resolution: str
    aspect_ratio: str
    audio: bool
    samples: int

    @property
    def spec(self) -> veo.ModelSpec:
        return veo.MODELS_BY_ID[self.model]

    def form(self) -> FormValues:
        """The values the endpoint documents it sends: native-audio models ignore generate_audio and
        one-video models ignore sample_count (both at their defaults here); image actions default to
        resize_mode "pad", remix to raw False."""
        images = {
            "first_frame_image": SAMPLE_URL if self.action != "generate" else None,
            "last_frame_image": SAMPLE_URL if self.action == "first_last_frame" else None,
        }
        return FormValues(
            model=self.model,
            action=self.action,
            prompt="A lighthouse in a storm",
            duration=self.duration,
            resolution=self.resolution,
            aspect_ratio=self.aspect_ratio,
            generate_audio=self.audio if self.spec.audio_switch else None,
            sample_count=self.samples if self.spec.max_samples > 1 else None,
            resize_mode="pad" if self.action in ("image2video", "first_last_frame") else None,
            raw=False if self.action == "remix" else None,
            **images,
        )

    def problems(self) -> list[veo.Problem]:
        return veo.check(self.form())

    def call(self, hostile: str) -> tuple[str, tuple, dict]:
        kw: dict[str, Any] = dict(
            model=self.model,
            duration=self.duration,
            resolution=self.resolution,
            aspect_ratio=self.aspect_ratio,
            generate_audio=self.audio,
            sample_count=self.samples,
            api_key=KEY,
        )
        if self.action == "image2video":
            kw["first_frame_url"] = hostile
        elif self.action == "first_last_frame":
            kw.update(first_frame_url=hostile, last_frame_url=hostile)
        args: tuple = ("A lighthouse in a storm", hostile) if self.action == "remix" else ("A lighthouse in a storm",)
        return f"/{self.action}", args, kw


def catalog_combinations() -> list[Combo]:
    """Every action × model × duration × resolution × audio × samples × aspect the catalog knows of,
    with the API's defaults where a model has no such control."""
    combos = []
    for action, spec in itertools.product(veo.ACTIONS, veo.MODELS):
        audio = (False, True) if spec.audio_switch else (False,)
        samples = (1, 2, spec.max_samples) if spec.max_samples > 1 else (1,)
        for duration, resolution, aspect, a, s in itertools.product(
            (4, 6, 8), ("720p", "1080p", "4k"), veo.ASPECT_RATIOS, audio, samples
        ):
            combos.append(Combo(action, spec.id, duration, resolution, aspect, a, s))
    return list(dict.fromkeys(combos))


INVALID = [c for c in catalog_combinations() if c.problems()]


def _classes(combos: list[Combo]) -> list[Combo]:
    """One combination per (action, model, set of rules broken): what goes over the wire."""
    seen: dict[tuple, Combo] = {}
    for combo in combos:
        seen.setdefault((combo.action, combo.model, tuple(sorted({p.field for p in combo.problems()}))), combo)
    return list(seen.values())


def test_every_invalid_combination_is_refused_by_the_endpoints(
    live: VisitorApp, target: Target, traffic: Traffic
) -> None:
    """All of them, through the endpoint functions themselves (no HTTP round trip, so all fit)."""
    assert len(INVALID) > 500

    async def refusal(combo: Combo) -> str | None:
        api, args, kwargs = combo.call(target.url("/frame.png"))
        try:
            await live.endpoint(api.strip("/"))(*args, **kwargs)
        except gr.Error as exc:
            return str(exc.message)
        return None

    async def all_of_them() -> list[str | None]:
        return await asyncio.gather(*(refusal(c) for c in INVALID))

    judge(
        "invalid combinations",
        [
            (f"{combo}", text, ("Not submitted", *(p.message for p in combo.problems())))
            for combo, text in zip(INVALID, asyncio.run(all_of_them()), strict=False)
        ],
    )
    traffic.assert_nothing_left()


def test_each_kind_of_invalid_combination_is_refused_over_the_wire(
    client: Client, target: Target, traffic: Traffic
) -> None:
    representatives = _classes(INVALID)
    texts = outcomes(client, [c.call(target.url("/frame.png")) for c in representatives])
    judge(
        "invalid kinds over the wire",
        [
            (f"{combo}", text, ("Not submitted", *(p.message for p in combo.problems())))
            for combo, text in zip(representatives, texts, strict=False)
        ],
    )
    traffic.assert_nothing_left()


OUT_OF_RANGE = [
    ("seed -1", dict(model="veo-3.1", duration=8, seed=-1), "seed must be a whole number from 0 to"),
    ("seed 2**32", dict(model="veo-3.1", duration=8, seed=2**32), "seed must be a whole number from 0 to"),
    ("seed 2**63", dict(model="veo-3.1-fast", duration=8, seed=2**63), "seed must be a whole number"),
    ("seed 10**30", dict(model="veo-3.1", duration=8, seed=10**30), "seed must be a whole number"),
    ("seed on a model without seeds", dict(model="veo3.1-fast-official", seed=7), "seed is offered on"),
    ("samples 0", dict(sample_count=0), "sample_count must be a whole number from 1 to 4"),
    ("samples 5", dict(sample_count=5), "sample_count must be a whole number from 1 to 4"),
    ("samples -1", dict(sample_count=-1), "sample_count must be a whole number from 1 to 4"),
    ("samples 1000", dict(sample_count=1000), "sample_count must be a whole number from 1 to 4"),
    ("duration 5", dict(duration=5), "5 s is not offered"),
    ("duration 3600", dict(duration=3600), "3600 s is not offered"),
    ("resolution 8k", dict(resolution="8k"), "'8k' is not offered"),
    ("aspect 1:1", dict(aspect_ratio="1:1"), "'1:1' is not offered"),
    ("unknown model", dict(model="veo-9-ultra"), "unknown model"),
    ("person policy", dict(person_generation="everyone"), "is not a person policy"),
    ("negative prompt on a newer model", dict(negative_prompt="blur"), "negative_prompt is offered on"),
    (
        "over-long negative prompt",
        dict(model="veo-3.1", duration=8, negative_prompt="n" * 4001),
        "negative_prompt must be text of at most",
    ),
]


def test_out_of_range_values_are_refused(client: Client, traffic: Traffic) -> None:
    texts = outcomes(client, [generate(**kw) for _, kw, _ in OUT_OF_RANGE])
    judge(
        "out-of-range values",
        [(label, text, ("Not submitted", says)) for (label, _, says), text in zip(OUT_OF_RANGE, texts, strict=False)],
    )
    traffic.assert_nothing_left()


def test_values_the_api_must_not_silently_change(client: Client, traffic: Traffic) -> None:
    cases = [
        ("3 samples on a one-video model", dict(model="veo-3.1", duration=8, sample_count=3), "sample_count"),
        ("fractional seed", dict(model="veo-3.1", duration=8, seed=1.5), "seed"),
        ("duration 0", dict(model="veo3.1-lite", duration=0), "8-second videos only"),
    ]
    texts = outcomes(client, [generate(**kw) for _, kw, _ in cases])
    judge(
        "silently changed values",
        [(label, text, ("Not submitted", says)) for (label, _, says), text in zip(cases, texts, strict=False)],
    )
    traffic.assert_nothing_left()


def test_values_of_the_wrong_type_are_refused_with_a_message(client: Client, traffic: Traffic) -> None:
    cases = [
        ("duration 'abc'", dict(duration="abc"), "duration"),
        ("samples 'two'", dict(sample_count="two"), "sample_count"),
    ]
    texts = outcomes(client, [generate(**kw) for _, kw, _ in cases])
    judge(
        "wrong types",
        [(label, text, ("Not submitted", says)) for (label, _, says), text in zip(cases, texts, strict=False)],
    )
    traffic.assert_nothing_left()


# --------------------------------------------------------------------------- keys


BAD_KEYS = [
    ("line break (header injection)", "sk-abc\r\nX-Injected: yes"),
    ("space inside", "sk-abc def"),
    ("non-ASCII", "ключ-123456"),
    ("tab inside", "sk-abc\tdef"),
]


def test_keys_no_service_would_accept_are_refused_before_sending(client: Client, traffic: Traffic) -> None:
    texts = outcomes(client, [generate(api_key=key) for _, key in BAD_KEYS])
    judge(
        "unusable keys",
        [
            (f"key with {label}", text, ("API key", "nothing was sent"))
            for (label, _), text in zip(BAD_KEYS, texts, strict=False)
        ],
    )
    assert not any(key.strip() in (text or "") for (_, key), text in zip(BAD_KEYS, texts, strict=False)), (
        "a refusal repeats the key"
    )
    traffic.assert_nothing_left()


# --------------------------------------------------------------------------- images


def _png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def _claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a vast size: the classic decompression bomb."""
    data = bytearray(_png((8, 8)))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def _noise_png(width: int, height: int) -> bytes:
    pixels = np.random.default_rng(7).integers(0, 256, (height, width, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "PNG", compress_level=1)
    return out.getvalue()


BAD_IMAGES: list[tuple[str, str, Any, str]] = [
    ("truncated PNG", "cut.png", lambda: _png((1280, 720))[:400], "damaged or incomplete"),
    (
        "random bytes",
        "noise.png",
        lambda: bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8)),
        "not a picture in a format we can read",
    ),
    ("text named .jpg", "notes.jpg", lambda: b"just some words, not a picture\n" * 20, "This file is text"),
    ("HEIC photo", "IMG_0001.heic", lambda: b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64, "HEIC"),
    ("PDF", "page.png", lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "PDF document"),
    ("SVG", "logo.png", lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>', "SVG"),
    ("bomb by its header", "bomb.png", lambda: _claiming(60_000, 60_000), "megapixel"),
    ("bomb of real pixels", "wide.png", lambda: _png((10_000, 6_000), "1"), "megapixel"),
    ("over 20 MB", "huge.png", lambda: _noise_png(3000, 2600), "over the 20 MB limit"),
]


def test_bad_images_are_refused_before_upload_or_submission(client: Client, tmp_path: Path, traffic: Traffic) -> None:
    calls = []
    for label, name, make, _ in BAD_IMAGES:
        path = tmp_path / label.replace(" ", "-") / name
        path.parent.mkdir()
        path.write_bytes(make())
        calls.append(
            (
                "/image2video",
                ("A lighthouse in a storm",),
                dict(first_frame=handle_file(str(path)), duration=4, resolution="720p", api_key=KEY),
            )
        )
    judge(
        "bad images",
        [
            (label, text, ("Not submitted", "first frame image", says))
            for (label, _, _, says), text in zip(BAD_IMAGES, outcomes(client, calls), strict=False)
        ],
    )
    traffic.assert_nothing_left()


# --------------------------------------------------------------------------- hostile links


def hostile_links(target: Target) -> list[tuple[str, str, str]]:
    port = target.server.port
    return [
        ("loopback", target.url(), "this computer itself"),
        ("localhost", f"http://localhost:{port}/frame.png", "this computer itself"),
        ("IPv6 loopback", f"http://[::1]:{port}/frame.png", "this computer itself"),
        ("loopback as IPv4-mapped IPv6", f"http://[::ffff:127.0.0.1]:{port}/frame.png", "this computer itself"),
        ("loopback as one decimal number", f"http://2130706433:{port}/frame.png", "this computer itself"),
        ("loopback in hex", f"http://0x7f000001:{port}/frame.png", "this computer itself"),
        ("loopback shortened", f"http://127.1:{port}/frame.png", "this computer itself"),
        ("loopback with credentials", f"http://user:pw@127.0.0.1:{port}/frame.png", "this computer itself"),
        ("unspecified", f"http://0.0.0.0:{port}/frame.png", "unspecified address"),
        ("cloud metadata", "http://169.254.169.254/latest/meta-data/iam/", "link-local"),
        ("IPv6 link-local", "http://[fe80::1]/frame.png", "link-local"),
        ("private 10/8", "http://10.0.0.1/frame.png", "private network"),
        ("private 172.16/12", "http://172.16.5.4/frame.png", "private network"),
        ("private 192.168/16", "http://192.168.1.1/frame.png", "private network"),
        ("IPv6 unique local", "http://[fd00::1]/frame.png", "private network"),
        ("carrier-grade NAT", "http://100.64.0.1/frame.png", "reserved address"),
        ("multicast", "http://224.0.0.1/frame.png", "multicast"),
        ("file://", "file:///etc/passwd", "Only http:// and https://"),
        ("ftp://", f"ftp://127.0.0.1:{port}/frame.png", "Only http:// and https://"),
        ("gopher://", f"gopher://127.0.0.1:{port}/_GET", "Only http:// and https://"),
        ("javascript:", "javascript:alert(document.cookie)", "Only http:// and https://"),
        ("no host", "http:///frame.png", "no site name"),
    ]


def test_hostile_links_are_refused_and_never_contacted(client: Client, target: Target, traffic: Traffic) -> None:
    links = hostile_links(target)
    calls = [
        (
            "/image2video",
            ("A lighthouse in a storm",),
            dict(first_frame_url=url, duration=4, resolution="720p", api_key=KEY),
        )
        for _, url, _ in links
    ]
    judge(
        "hostile links",
        [
            (label, text, ("Not submitted", "first frame image", says))
            for (label, _, says), text in zip(links, outcomes(client, calls), strict=False)
        ],
    )
    traffic.assert_nothing_left()


def test_a_hostile_last_frame_is_refused_too(client: Client, tmp_path: Path, traffic: Traffic) -> None:
    """Demo mode (no key), so the first frame is uploaded to the simulator and the last one is judged."""
    first = tmp_path / "first.png"
    first.write_bytes(_png((1280, 720)))
    calls = [
        (
            "/first_last_frame",
            ("Red turns to blue",),
            dict(first_frame=handle_file(str(first)), last_frame_url=url, duration=4, resolution="720p"),
        )
        for url in ("http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/last.png")
    ]
    judge(
        "hostile links",
        [
            (f"last frame {says}", text, ("Not submitted", "last frame image", says))
            for text, says in zip(outcomes(client, calls), ("link-local", "private network"), strict=False)
        ],
    )
    traffic.assert_nothing_left()


PUBLIC_LOOKING = "93.184.215.14"  # where the public-looking name resolves; delivered to the target instead


class _ToTarget(httpx.AsyncBaseTransport):
    """Delivers connections meant for PUBLIC_LOOKING to the loopback target; nothing else is remapped."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == PUBLIC_LOOKING:
            request.url = request.url.copy_with(host="127.0.0.1")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
def public_target(target: Target, monkeypatch: pytest.MonkeyPatch) -> Target:
    """The target as a public site (``redirector.test``), for first hops the app may take in any mode."""
    real = fetch.system_resolver

    async def resolver(hostname: str, port: int) -> list[str]:
        return [PUBLIC_LOOKING] if hostname == "redirector.test" else await real(hostname, port)

    monkeypatch.setattr(fetch, "system_resolver", resolver)
    monkeypatch.setattr(
        http_client, "default_client", lambda timeout: httpx.AsyncClient(transport=_ToTarget(), timeout=timeout)
    )
    return Target(target.server, target.hits, "redirector.test")


def test_redirects_into_forbidden_places_are_refused(client: Client, public_target: Target, traffic: Traffic) -> None:
    """Demo mode, from a public first hop: every later hop is checked again."""
    target = public_target
    redirects = [
        ("to the metadata service", "http://169.254.169.254/latest/meta-data/", "link-local"),
        ("to a private address", "http://10.1.2.3/frame.png", "private network"),
        ("to IPv6 link-local", "http://[fe80::1]/frame.png", "link-local"),
        ("to file://", "file:///etc/passwd", "Only http:// and https://"),
    ]
    calls = [
        (
            "/image2video",
            ("A lighthouse in a storm",),
            dict(first_frame_url=target.url(f"/redirect?to={to}"), duration=4, resolution="720p"),
        )
        for _, to, _ in redirects
    ]
    calls.append(
        (
            "/image2video",
            ("A lighthouse in a storm",),
            dict(first_frame_url=target.url("/loop/0"), duration=4, resolution="720p"),
        )
    )
    texts = outcomes(client, calls)
    judge(
        "redirects",
        [
            (f"redirect {label}", text, ("Not submitted", says))
            for (label, _, says), text in zip(redirects, texts, strict=False)
        ]
        + [("endless redirects", texts[-1], ("Not submitted", "redirects more than"))],
    )
    assert all(hit.startswith(("/redirect", "/loop/")) for hit in traffic.hits()), traffic.hits()
    traffic.target.hits[traffic.start[2] :] = []  # the allowed first hops: not visits to a target
    traffic.assert_nothing_left()


def test_a_hostile_remix_source_is_refused(client: Client, public_target: Target, traffic: Traffic) -> None:
    """The last two in demo mode, from a public first hop, where every later hop is checked."""
    target = public_target
    calls = [
        (
            "/remix",
            ("Keep going", target.url("/clip.mp4", on_loopback=True)),
            dict(duration=4, resolution="720p", api_key=KEY),
        ),
        ("/remix", ("Keep going", "http://10.1.2.3/clip.mp4"), dict(duration=4, resolution="720p")),
        (
            "/remix",
            ("Keep going", target.url("/redirect?to=http://169.254.169.254/latest/meta-data/")),
            dict(duration=4, resolution="720p"),
        ),
        ("/remix", ("Keep going", target.url("/loop/0")), dict(duration=4, resolution="720p")),
    ]
    expected = [
        ("remix from loopback (own key)", "this computer itself"),
        ("remix from a private address (demo)", "private network"),
        ("remix redirected to the metadata service (demo)", "link-local"),
        ("remix through endless redirects (demo)", "redirects more than"),
    ]
    texts = outcomes(client, calls)
    judge(
        "hostile links",
        [
            (label, text, ("Not submitted", "source clip", says))
            for (label, says), text in zip(expected, texts, strict=False)
        ],
    )
    assert all(hit.startswith(("/redirect", "/loop/")) for hit in traffic.hits()), traffic.hits()
    traffic.target.hits[traffic.start[2] :] = []  # the allowed first hops: not visits to a target
    traffic.assert_nothing_left()


@pytest.mark.browser
def test_a_hostile_callback_url_is_refused_in_the_page(browser: Any, live: VisitorApp, traffic: Traffic) -> None:
    """Demo mode, in Chromium: the callback box is on the page only, not in the API."""
    context = browser.new_context(viewport={"width": 1280, "height": 1100})
    try:
        page = context.new_page()
        page.goto(live.url)
        expect(page.locator("#generate-cost h3")).to_be_visible(timeout=30_000)
        page.fill("#generate-prompt textarea", "A lighthouse in a storm")
        choose(page, "generate-duration", "4")
        page.get_by_text("Advanced settings").first.click()
        page.get_by_label("Callback URL (optional)").first.fill("http://10.1.2.3/hook")
        page.locator("#generate-run").click()
        status = page.locator("#generate-status #run-status")
        expect(status).to_have_attribute("data-phase", re.compile("invalid|completed|error|failed"), timeout=30_000)
        phase, text = status.get_attribute("data-phase"), status.inner_text()  # a callback goes out before
    finally:
        context.close()
    judge(
        "hostile links",
        [("callback to a private address (page, demo)", text if phase == "invalid" else None, ("callback",))],
    )
    traffic.assert_nothing_left()
