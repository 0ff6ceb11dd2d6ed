"""Issue 13, finding 7: values of the wrong type, hidden control characters and images that inflate.

Through the named endpoints (``/generate``, ``/image2video``, ``/first_last_frame``, ``/remix``,
``/estimate``) a caller sends JSON of any type. Every flag, number and choice must be read strictly or
refused with a message naming the field, before anything is sent: ``generate_audio="false"`` used to be
read as true and priced at the audio rate. Prompts must not carry DEL or C1 controls. An image whose
pixel data would inflate to hundreds of megabytes must be refused from its header, before decoding.

Most cases call the endpoint functions directly (fast, and values gradio_client cannot send); a few go
over the wire. Each refusal is checked against both simulators' request logs: nothing was submitted.

``python -m pytest tests/test_isolation_inputs.py -s`` prints the figures at the end.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from gradio import utils as gradio_utils
from gradio_client import Client, handle_file

from playground.media import ImageRejected, images, prepare_image

from .visitor_app import VisitorApp, visitor_app

KEY = "sk-isolation-inputs-0000"
PROMPT = "A lighthouse in a storm"
MUTED_4S_720P = 4 * 0.08  # veo3.1-fast-official, 720p without audio, per the newer page
AUDIO_4S_720P = 4 * 0.12


# --------------------------------------------------------------------------- what is counted


@dataclass
class Figures:
    cases: dict[str, int] = field(default_factory=dict)
    refused: int = 0
    read_as_meant: int = 0
    wrong: list[str] = field(default_factory=list)
    submitted_after_refusal: int = 0

    def count(self, group: str) -> None:
        self.cases[group] = self.cases.get(group, 0) + 1


FIGURES = Figures()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[VisitorApp]:
    with visitor_app(tmp_path_factory.mktemp("isolation-inputs")) as running:
        yield running
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        tried = sum(FIGURES.cases.values())
        print("\n\nInput types and characters: figures")
        print(f"  {'cases tried:':38} {tried} ({', '.join(f'{k} {v}' for k, v in FIGURES.cases.items())})")
        print(f"  {'refused with a message:':38} {FIGURES.refused}")
        print(f"  {'accepted, read as the caller meant:':38} {FIGURES.read_as_meant}")
        print(f"  {'wrong (accepted, crashed, misworded):':38} {len(FIGURES.wrong)} {FIGURES.wrong}")
        print(f"  {'submissions after a refusal:':38} {FIGURES.submitted_after_refusal}")


@pytest.fixture(scope="module")
def client(live: VisitorApp) -> Client:
    return Client(live.url, verbose=False)


class Sent:
    """Submissions that reached either simulator (a visitor's key, or demo mode) while a test ran."""

    def __init__(self, live: VisitorApp) -> None:
        self.live = live
        self.start = (len(live.sim.submissions()), len(live.demo_sim.submissions()))

    def bodies(self) -> list[dict]:
        new = self.live.sim.submissions()[self.start[0] :] + self.live.demo_sim.submissions()[self.start[1] :]
        return [r.body or {} for r in new]

    def assert_none(self) -> None:
        bodies = self.bodies()
        FIGURES.submitted_after_refusal += len(bodies)
        assert not bodies, f"{len(bodies)} request(s) were submitted: {bodies}"


@pytest.fixture
def sent(live: VisitorApp) -> Sent:
    return Sent(live)


def refusal(live: VisitorApp, api: str, *args: Any, **kwargs: Any) -> str | None:
    """Call an endpoint's function as gr.api would: the refusal text, None if it ran, or the crash."""
    fn = live.endpoint(api)
    try:
        result = fn(*args, **kwargs)
        if asyncio.iscoroutine(result):
            result = asyncio.run(result)
    except gr.Error as exc:
        return str(exc.message)
    except Exception as exc:  # the caller would see Gradio's generic "Error", not a reason
        return f"crashed: {type(exc).__name__}: {exc}"
    if api == "estimate" and result["problems"]:
        return "Not priced: " + "; ".join(result["problems"])
    return None


def judge(group: str, verdicts: list[tuple[str, str | None, tuple[str, ...]]]) -> None:
    """Each (label, refusal text or None, phrases it must hold): count, then assert all at once."""
    wrong = []
    for label, text, expected in verdicts:
        FIGURES.count(group)
        if text is not None and not text.startswith("crashed") and all(e in text for e in expected):
            FIGURES.refused += 1
            continue
        FIGURES.wrong.append(label)
        wrong.append(
            f"{label}: "
            + (
                "accepted, but it should be refused"
                if text is None
                else f"the message does not say {expected!r}: {text}"
            )
        )
    assert not wrong, "\n".join(wrong)


def gen(**kw: Any) -> dict[str, Any]:
    """Arguments of a /generate call that is fine except for what the test changes."""
    return {"duration": 4, "resolution": "720p", "api_key": KEY, **kw}


def image_call(**kw: Any) -> dict[str, Any]:
    return {
        "first_frame_url": "https://example.invalid/frame.png",
        "duration": 4,
        "resolution": "720p",
        "api_key": KEY,
        **kw,
    }


# --------------------------------------------------------------------------- flags

NOT_FLAGS: list[tuple[str, Any]] = [
    ("'false ' (trailing space)", "false "),
    ("'no'", "no"),
    ("'yes'", "yes"),
    ("'off'", "off"),
    ("0", 0),
    ("1", 1),
    ("'1'", "1"),
    ("'0'", "0"),
    ("null", None),
    ("''", ""),
    ("a list", [False]),
    ("an object", {"value": False}),
    ("0.0", 0.0),
]


def test_flags_that_are_not_true_or_false_are_refused(live: VisitorApp, sent: Sent) -> None:
    verdicts = []
    for label, value in NOT_FLAGS:
        verdicts.append(
            (
                f"generate_audio {label}",
                refusal(live, "generate", PROMPT, **gen(generate_audio=value)),
                ("Not submitted", "generate_audio must be true or false"),
            )
        )
    for api, args in (("image2video", (PROMPT,)), ("first_last_frame", (PROMPT,))):
        kw = image_call(generate_audio="no")
        if api == "first_last_frame":
            kw["last_frame_url"] = "https://example.invalid/last.png"
        verdicts.append(
            (
                f"{api} generate_audio 'no'",
                refusal(live, api, *args, **kw),
                ("Not submitted", "generate_audio must be true or false"),
            )
        )
    for label, value in (("'no'", "no"), ("1", 1), ("null", None), ("'true '", "true ")):
        verdicts.append(
            (
                f"remix raw {label}",
                refusal(
                    live,
                    "remix",
                    "Keep going",
                    "https://example.invalid/clip.mp4",
                    duration=4,
                    resolution="720p",
                    api_key=KEY,
                    raw=value,
                ),
                ("Not submitted", "raw must be true or false"),
            )
        )
    for label, value in (("'no'", "no"), ("0", 0), ("null", None)):
        verdicts.append(
            (
                f"estimate generate_audio {label}",
                refusal(live, "estimate", duration=4, resolution="720p", generate_audio=value),
                ("generate_audio must be true or false",),
            )
        )
    judge("flags", verdicts)
    sent.assert_none()


def test_the_word_false_is_read_as_false_and_priced_muted(live: VisitorApp) -> None:
    """The finding: "false" was truthy, so the run went out with audio at the audio rate."""

    def estimate(**kwargs: Any) -> dict[str, Any]:
        return asyncio.run(live.endpoint("estimate")(**kwargs))

    for word in ("false", "False", "FALSE"):
        price = estimate(duration=4, resolution="720p", generate_audio=word)
        assert price["problems"] == [] and price["total_usd"] == pytest.approx(MUTED_4S_720P), price
        FIGURES.count("flags")
        FIGURES.read_as_meant += 1
    price = estimate(duration=4, resolution="720p", generate_audio="true")
    assert price["total_usd"] == pytest.approx(AUDIO_4S_720P), price
    FIGURES.count("flags")
    FIGURES.read_as_meant += 1


def test_generate_audio_false_as_text_over_the_wire_is_sent_muted(client: Client, live: VisitorApp) -> None:
    watch = Sent(live)
    spent = sum(live.sim.spent.values())
    client.predict(PROMPT, api_name="/generate", **gen(generate_audio="false"))
    bodies = watch.bodies()
    assert [b.get("generate_audio") for b in bodies] == [False], bodies
    assert sum(live.sim.spent.values()) - spent == pytest.approx(MUTED_4S_720P)
    price = client.predict(api_name="/estimate", duration=4, resolution="720p", generate_audio="false")
    assert price["total_usd"] == pytest.approx(MUTED_4S_720P), price
    FIGURES.count("over the wire")
    FIGURES.read_as_meant += 1


# --------------------------------------------------------------------------- numbers

NOT_NUMBERS: list[tuple[str, dict[str, Any], str]] = [
    ("duration 'abc'", gen(duration="abc"), "duration"),
    ("duration '4.5'", gen(duration="4.5"), "duration"),
    ("duration 4.5", gen(duration=4.5), "duration"),
    ("duration true", gen(duration=True), "duration must be a whole number"),
    ("duration false", gen(duration=False), "duration must be a whole number"),
    ("duration a list", gen(duration=[4]), "duration must be a whole number"),
    ("duration an object", gen(duration={"s": 4}), "duration must be a whole number"),
    ("duration infinity", gen(duration=float("inf")), "duration must be a whole number"),
    ("duration NaN", gen(duration=float("nan")), "duration must be a whole number"),
    ("duration 5000 digits", gen(duration="9" * 5000), "duration must be a whole number"),
    ("sample_count true", gen(sample_count=True), "sample_count must be a whole number"),
    ("sample_count 'two'", gen(sample_count="two"), "sample_count"),
    ("sample_count 2.5", gen(sample_count=2.5), "sample_count"),
    ("seed '1.5'", gen(model="veo-3.1", duration=8, seed="1.5"), "seed"),
    ("seed true", gen(model="veo-3.1", duration=8, seed=True), "seed must be a whole number"),
    ("seed a list", gen(model="veo-3.1", duration=8, seed=[7]), "seed must be a whole number"),
]


def test_numbers_that_are_not_whole_numbers_are_refused(live: VisitorApp, sent: Sent) -> None:
    verdicts = [
        (label, refusal(live, "generate", PROMPT, **kw), ("Not submitted", says)) for label, kw, says in NOT_NUMBERS
    ]
    verdicts += [
        ("estimate duration 'abc'", refusal(live, "estimate", duration="abc", resolution="720p"), ("duration",)),
        (
            "estimate sample_count true",
            refusal(live, "estimate", duration=4, resolution="720p", sample_count=True),
            ("sample_count must be a whole number",),
        ),
    ]
    judge("numbers", verdicts)
    too_long = next(text for label, text, _ in verdicts if label == "duration 5000 digits")
    assert "9" * 100 not in (too_long or ""), "a refusal repeats a huge value back"
    sent.assert_none()


# --------------------------------------------------------------------------- choices

NOT_CHOICES: list[tuple[str, str, dict[str, Any], str]] = [
    ("resolution a list", "generate", gen(resolution=["720p"]), "resolution must be one of"),
    ("resolution a number", "generate", gen(resolution=720), "resolution must be one of"),
    ("resolution 0 (was read as the default)", "generate", gen(resolution=0), "resolution must be one of"),
    ("resolution false", "generate", gen(resolution=False), "resolution must be one of"),
    ("resolution an object", "generate", gen(resolution={"p": 720}), "resolution must be one of"),
    ("resolution a long text", "generate", gen(resolution="7" * 10_000), "resolution must be one of"),
    ("aspect_ratio a number", "generate", gen(aspect_ratio=16), "aspect_ratio must be one of"),
    ("aspect_ratio a list", "generate", gen(aspect_ratio=["16:9"]), "aspect_ratio must be one of"),
    ("person_generation 0", "generate", gen(person_generation=0), "person_generation must be one of"),
    ("person_generation a list", "generate", gen(person_generation=["allow_adult"]), "person_generation must be"),
    ("model a list (crashed)", "generate", gen(model=["veo3.1-fast-official"]), "model must be one of"),
    ("model an object (crashed)", "generate", gen(model={"id": "veo-3.1"}), "model must be one of"),
    ("model a number", "generate", gen(model=3), "model must be one of"),
    ("resize_mode 0", "image2video", image_call(resize_mode=0), "resize_mode must be one of"),
    ("resize_mode a list", "image2video", image_call(resize_mode=["pad"]), "resize_mode must be one of"),
    ("prompt a list", "generate", gen(), "prompt must be text"),
    ("prompt a number", "generate", gen(), "prompt must be text"),
    (
        "negative_prompt a list",
        "generate",
        gen(model="veo-3.1", duration=8, negative_prompt=["blur"]),
        "negative_prompt must be text",
    ),
    ("api_key a list", "generate", gen(api_key=["sk-abc"]), "api_key must be text"),
    ("first_frame_url a number", "image2video", image_call(first_frame_url=5), "first_frame_url must be text"),
    ("source_url an object", "remix", dict(duration=4, resolution="720p", api_key=KEY), "source_url must be text"),
]


def test_choices_and_texts_of_the_wrong_type_are_refused_by_name(live: VisitorApp, sent: Sent) -> None:
    verdicts = []
    for label, api, kw, says in NOT_CHOICES:
        args: tuple[Any, ...] = (PROMPT,)
        if label == "prompt a list":
            args = (["a", "boat"],)
        elif label == "prompt a number":
            args = (42,)
        elif api == "remix":
            args = (PROMPT, {"url": "https://example.invalid/clip.mp4"})
        verdicts.append((label, refusal(live, api, *args, **kw), ("Not submitted", says)))
    verdicts += [
        ("estimate action a list", refusal(live, "estimate", action=["generate"]), ("action must be one of",)),
        ("estimate action 0", refusal(live, "estimate", action=0), ("action must be one of",)),
        ("estimate model a list", refusal(live, "estimate", model=["veo-3.1"]), ("model must be one of",)),
    ]
    judge("choices and texts", verdicts)
    key_refusal = next(text for label, text, _ in verdicts if label == "api_key a list")
    assert "sk-abc" not in (key_refusal or ""), "a refusal repeats the key"
    sent.assert_none()


def test_several_unreadable_values_are_named_together(live: VisitorApp, sent: Sent) -> None:
    text = refusal(live, "generate", PROMPT, **gen(generate_audio="no", duration="abc", resolution=[1]))
    judge(
        "choices and texts",
        [("three bad values at once", text, ("generate_audio", "duration", "resolution must be one of"))],
    )
    sent.assert_none()


# --------------------------------------------------------------------------- control characters

HIDDEN_CONTROLS = [
    ("DEL", "a boat\x7f on a lake"),
    ("C1 padding character U+0080", "a boat\x80 on a lake"),
    ("next line U+0085", "a boat\x85on a lake"),
    ("C1 CSI escape U+009B", "\x9b31mred\x9b0m boat"),
    ("C1 OSC U+009D", "boat\x9d0;title\x9c"),
    ("application program command U+009F", "boat\x9f"),
]


def test_del_and_c1_controls_in_prompts_are_refused(live: VisitorApp, sent: Sent) -> None:
    verdicts = [
        (f"prompt {label}", refusal(live, "generate", text, **gen()), ("Not submitted", "control characters"))
        for label, text in HIDDEN_CONTROLS
    ]
    verdicts += [
        (
            f"negative_prompt {label}",
            refusal(live, "generate", PROMPT, **gen(model="veo-3.1", duration=8, negative_prompt=text)),
            ("Not submitted", "negative_prompt contains control characters"),
        )
        for label, text in HIDDEN_CONTROLS + [("escape", "\x1b[31mblur"), ("NUL", "blur\x00")]
    ]
    judge("control characters", verdicts)
    sent.assert_none()


def test_line_breaks_tabs_and_visible_unicode_still_pass(live: VisitorApp) -> None:
    fine = [
        "two lines\nof prompt\r\nand a\ttab",
        "café ñ ß — “quotes” ¡olé! ¿qué? «guillemets» ¤ ÿ",
        "no\u00a0break space and soft\u00adhyphen",
    ]
    watch = Sent(live)
    for text in fine:
        assert refusal(live, "generate", text, **gen()) is None, text
    assert sorted(b["prompt"] for b in watch.bodies()) == sorted(fine)
    for _ in fine:
        FIGURES.count("control characters")
        FIGURES.read_as_meant += 1


def test_controls_and_wrong_types_are_refused_over_the_wire(client: Client, live: VisitorApp, sent: Sent) -> None:
    calls = [
        ("prompt with DEL", (PROMPT + "\x7f",), gen(), "control characters"),
        ("prompt with C1 CSI", ("\x9b2J" + PROMPT,), gen(), "control characters"),
        ("generate_audio 'no'", (PROMPT,), gen(generate_audio="no"), "generate_audio must be true or false"),
        ("generate_audio 0", (PROMPT,), gen(generate_audio=0), "generate_audio must be true or false"),
        ("resolution a list", (PROMPT,), gen(resolution=["720p"]), "resolution must be one of"),
        ("model a list", (PROMPT,), gen(model=["veo-3.1"]), "model must be one of"),
        ("duration true", (PROMPT,), gen(duration=True), "duration must be a whole number"),
    ]
    jobs = [client.submit(*args, api_name="/generate", **kw) for _, args, kw, _ in calls]
    texts: list[str | None] = []
    for job in jobs:
        try:
            job.result(timeout=60)
            texts.append(None)
        except Exception as exc:  # gradio_client's AppError carries the gr.Error message
            texts.append(str(exc))
    judge(
        "over the wire",
        [(label, text, ("Not submitted", says)) for (label, _, _, says), text in zip(calls, texts, strict=False)],
    )
    sent.assert_none()


# --------------------------------------------------------------------------- upload arguments


def as_uploaded(path: Path) -> Path:
    """A copy where Gradio puts a file that comes with a call (what handle_file does over the wire)."""
    folder = Path(gradio_utils.get_upload_folder()) / f"isolation-inputs-{secrets.token_hex(8)}"
    folder.mkdir(parents=True)
    return Path(shutil.copy(path, folder / path.name))


@pytest.fixture(scope="module")
def server_picture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A picture on the server that no caller uploaded (another visitor's frame, say)."""
    path = tmp_path_factory.mktemp("not-uploaded") / "someone-elses-frame.png"
    path.write_bytes(flat_png(1280, 720, color_type=2))
    return path


def test_upload_arguments_must_be_files_uploaded_with_the_call(
    live: VisitorApp, sent: Sent, server_picture: Path
) -> None:
    """Demo mode (no key), where an accepted frame would be hosted and the run submitted."""
    uploads = gradio_utils.get_upload_folder()
    escape = Path(uploads) / os.path.relpath(server_picture, uploads)  # "/tmp/gradio/../pytest-of-…/frame.png"
    assert escape.read_bytes() == server_picture.read_bytes()
    cases: list[tuple[str, str, Any, str]] = [
        ("first_frame a text (crashed)", "image2video", "abc", "first_frame must be an uploaded file"),
        ("first_frame a number (crashed)", "image2video", 5, "first_frame must be an uploaded file"),
        ("first_frame a list (crashed)", "image2video", ["x"], "first_frame must be an uploaded file"),
        ("first_frame with a number as path", "image2video", {"path": 5}, "first_frame must be an uploaded file"),
        (
            "first_frame naming a server file",
            "image2video",
            {"path": str(server_picture)},
            "first_frame must be a file uploaded with this call",
        ),
        (
            "first_frame climbing out of the upload folder",
            "image2video",
            {"path": str(escape)},
            "first_frame must be a file uploaded with this call",
        ),
        (
            "last_frame naming a server file",
            "first_last_frame",
            {"path": str(server_picture)},
            "last_frame must be a file uploaded with this call",
        ),
    ]
    verdicts = []
    for label, api, upload, says in cases:
        kw: dict[str, Any] = dict(duration=4, resolution="720p")
        if api == "first_last_frame":
            kw.update(first_frame={"path": str(as_uploaded(server_picture))}, last_frame=upload)
        else:
            kw["first_frame"] = upload
        verdicts.append((label, refusal(live, api, PROMPT, **kw), ("Not submitted", says)))
    judge("uploads", verdicts)
    sent.assert_none()


def test_a_server_path_is_refused_over_the_wire(
    client: Client, live: VisitorApp, sent: Sent, server_picture: Path
) -> None:
    try:
        client.predict(
            PROMPT, api_name="/image2video", first_frame={"path": str(server_picture)}, duration=4, resolution="720p"
        )
        text = None
    except Exception as exc:
        text = str(exc)
    judge(
        "over the wire",
        [
            (
                "first_frame naming a file on the server",
                text,
                ("Not submitted", "first_frame must be a file uploaded with this call"),
            )
        ],
    )
    sent.assert_none()


def test_a_frame_uploaded_with_the_call_still_runs(client: Client, live: VisitorApp, server_picture: Path) -> None:
    watch = Sent(live)
    client.predict(
        PROMPT, api_name="/image2video", first_frame=handle_file(str(server_picture)), duration=4, resolution="720p"
    )
    assert len(watch.bodies()) == 1
    FIGURES.count("uploads")
    FIGURES.read_as_meant += 1


# --------------------------------------------------------------------------- images that inflate


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def zeros_zlib(total: int) -> bytes:
    """A zlib stream of ``total`` zero bytes at deflate's best ratio (about 1000:1), built without
    compressing them all: once the window holds only zeros, the block that encodes one more MiB of
    zeros is the same every time, so it is repeated."""
    unit = 1 << 20
    if total <= 2 * unit:
        return zlib.compress(b"\x00" * total, 9)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate: the zlib header and check are ours
    first = deflate.compress(b"\x00" * unit) + deflate.flush(zlib.Z_SYNC_FLUSH)
    again = deflate.compress(b"\x00" * unit) + deflate.flush(zlib.Z_SYNC_FLUSH)
    repeats, rest = divmod(total - unit, unit)
    last = deflate.compress(b"\x00" * rest) + deflate.flush(zlib.Z_FINISH)
    check = (total % 65521) << 16 | 1  # Adler-32 of zeros: the sum of bytes stays 1, the sum of sums counts them
    return b"\x78\xda" + first + again * repeats + last + struct.pack(">I", check)


def flat_png(
    width: int, height: int, *, color_type: int = 6, bit_depth: int = 8, extra_chunks: tuple[bytes, ...] = ()
) -> bytes:
    """A valid PNG of one flat colour (each row: filter byte 0, then zeros): tiny on disk however
    large it decodes."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color_type]
    pixels = zeros_zlib(height * (1 + width * channels * bit_depth // 8))
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + b"".join(extra_chunks)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


def ztxt_chunks(count: int, inflated: int) -> tuple[bytes, ...]:
    """``count`` compressed text chunks, each inflating to ``inflated`` bytes (about 1 KB on disk)."""
    body = b"Comment\x00\x00" + zlib.compress(b"A" * inflated, 9)
    return tuple(_chunk(b"zTXt", body) for _ in range(count))


def iccp_chunk(inflated: int) -> bytes:
    return _chunk(b"iCCP", b"icc\x00\x00" + zlib.compress(b"\x00" * inflated, 9))


MIB = 1024 * 1024


@dataclass(frozen=True)
class Bomb:
    label: str
    make: Callable[[], bytes]
    says: str


BOMBS = [
    Bomb("7000×7000 RGBA, 196 MB of pixels", lambda: flat_png(7000, 7000), "MB of pixel data"),
    Bomb("6000×6000 16-bit RGBA, 288 MB of pixels", lambda: flat_png(6000, 6000, bit_depth=16), "MB of pixel data"),
    Bomb(
        "7000×7000 16-bit grey+alpha, 196 MB",
        lambda: flat_png(7000, 7000, color_type=4, bit_depth=16),
        "MB of pixel data",
    ),
    Bomb("12000×12000 RGBA (the brief's example)", lambda: flat_png(12000, 12000), "pixels"),
    Bomb("60 text chunks of 1 MB each", lambda: flat_png(64, 64, extra_chunks=ztxt_chunks(60, MIB)), "embedded text"),
    Bomb(
        "colour profile inflating to 2 MB",
        lambda: flat_png(64, 64, extra_chunks=(iccp_chunk(2 * MIB),)),
        "colour profile",
    ),
]


@pytest.fixture(scope="module")
def bomb_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bombs")
    files = {}
    for n, bomb in enumerate(BOMBS):
        files[bomb.label] = folder / f"bomb-{n}.png"
        files[bomb.label].write_bytes(bomb.make())
    return files


def test_bombs_are_small_on_disk(bomb_files: dict[str, Path]) -> None:
    assert all(path.stat().st_size < 1_000_000 for path in bomb_files.values()), {
        label: path.stat().st_size for label, path in bomb_files.items()
    }


def test_images_that_inflate_are_refused_in_plain_words(bomb_files: dict[str, Path]) -> None:
    verdicts = []
    for bomb in BOMBS:
        try:
            prepare_image(bomb_files[bomb.label].read_bytes(), "bomb.png")
            text = None
        except ImageRejected as exc:
            text = exc.message
        verdicts.append((bomb.label, text, (bomb.says,)))
    judge("inflating images", verdicts)


def test_bombs_are_refused_by_the_endpoints_before_anything_is_sent(
    live: VisitorApp, sent: Sent, bomb_files: dict[str, Path]
) -> None:
    """Demo mode (no key), where an accepted image is hosted by the simulator and the run submitted."""
    verdicts = []
    for bomb in BOMBS[:2] + BOMBS[4:]:
        text = refusal(
            live,
            "image2video",
            PROMPT,
            first_frame={"path": str(as_uploaded(bomb_files[bomb.label]))},
            duration=4,
            resolution="720p",
        )
        verdicts.append((f"image2video {bomb.label}", text, ("Not submitted", "first frame image", bomb.says)))
    judge("inflating images", verdicts)
    sent.assert_none()


def test_a_bomb_is_refused_over_the_wire(
    client: Client, live: VisitorApp, sent: Sent, bomb_files: dict[str, Path]
) -> None:
    first = bomb_files[BOMBS[0].label]
    try:
        client.predict(
            PROMPT,
            api_name="/first_last_frame",
            first_frame=handle_file(str(first)),
            last_frame=handle_file(str(first)),
            duration=4,
            resolution="720p",
        )
        text = None
    except Exception as exc:
        text = str(exc)
    judge(
        "over the wire",
        [("first_last_frame with two 196 MB bombs", text, ("Not submitted", "first frame image", "MB of pixel data"))],
    )
    sent.assert_none()


_PEAK = """
import json, resource, sys
from pathlib import Path
from playground.media import ImageRejected, prepare_image
data = Path(sys.argv[1]).read_bytes()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    prepare_image(data, "bomb.png")
    message = None
except ImageRejected as exc:
    message = exc.message
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"message": message, "grown_kib": grown}))
"""


def test_a_bomb_is_refused_from_its_header_without_decoding(bomb_files: dict[str, Path]) -> None:
    """The process's peak memory barely moves while it refuses a 196 MB image: nothing was decoded."""
    for bomb in (BOMBS[0], BOMBS[1]):
        done = subprocess.run(
            [sys.executable, "-c", _PEAK, str(bomb_files[bomb.label])],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=Path(__file__).resolve().parents[1],
            check=True,
        )
        report = json.loads(done.stdout)
        assert report["message"] and bomb.says in report["message"], report
        assert report["grown_kib"] < 40 * 1024, f"{bomb.label}: peak memory grew {report['grown_kib'] // 1024} MB"


def test_a_4k_16_bit_frame_is_still_accepted() -> None:
    """The limit leaves room for everything Veo can use: 4K (3840×2160) even as 16-bit RGBA (66 MB)."""
    prepared = prepare_image(flat_png(3840, 2160, bit_depth=16), "frame-4k.png")
    assert (prepared.width, prepared.height) == (3840, 2160)
    assert images.MAX_DECODED_BYTES >= 3840 * 2160 * 4 * 2
    FIGURES.count("inflating images")
    FIGURES.read_as_meant += 1


def test_a_normal_colour_profile_and_a_few_text_chunks_still_pass() -> None:
    data = flat_png(800, 450, color_type=2, extra_chunks=(iccp_chunk(600_000), *ztxt_chunks(3, 100_000)))
    prepared = prepare_image(data, "profiled.png")
    assert prepared.data == data  # passed through byte for byte
    FIGURES.count("inflating images")
    FIGURES.read_as_meant += 1


# --------------------------------------------------------------------------- the page's controls


def _page_form(action: str) -> tuple[Any, dict[str, object]]:
    """An action tab's form with stand-in controls (``form_values`` only looks values up by control)."""
    from playground.web.form import ActionForm

    names = (
        "model",
        "model_info",
        "prompt",
        "duration",
        "resolution",
        "aspect_ratio",
        "audio",
        "samples",
        "negative_prompt",
        "seed",
        "person",
        "enhance_prompt",
        "callback_url",
    )
    controls = {name: object() for name in names + (("raw",) if action == "remix" else ())}
    return ActionForm(action=action, **controls), controls


def test_the_page_reads_flags_the_same_way() -> None:
    """A page event can be sent by hand too: its checkbox value reaches the handler as given."""
    from playground import veo

    form, c = _page_form("generate")
    base = {
        c["model"]: "veo3.1-fast-official",
        c["prompt"]: PROMPT,
        c["duration"]: 4,
        c["resolution"]: "720p",
        c["aspect_ratio"]: "16:9",
        c["samples"]: 1,
    }
    built = veo.build_request(form.form_values({**base, c["audio"]: "false"}))
    assert built.ok and built.body["generate_audio"] is False, built.problems
    refused = veo.check(form.form_values({**base, c["audio"]: "no"}))
    remix, r = _page_form("remix")
    refused_raw = veo.check(remix.form_values({r["model"]: "veo3.1-fast-official", r["prompt"]: PROMPT, r["raw"]: 1}))
    judge(
        "page controls",
        [
            (
                "page audio 'no'",
                "; ".join(p.message for p in refused) or None,
                ("generate_audio must be true or false",),
            ),
            ("page raw 1", "; ".join(p.message for p in refused_raw) or None, ("raw must be true or false",)),
        ],
    )
    FIGURES.count("page controls")
    FIGURES.read_as_meant += 1
