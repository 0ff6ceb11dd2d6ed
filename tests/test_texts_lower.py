"""What the lower layers say (rules, budgets, provider errors, run status, image checks) reads whole in Chinese.

Each sample is a real refusal or status built the way the app builds it, said with ``say(..., Lang.ZH_CN)``:
nothing English may be left but the terms kept as written (model ids, API field names and values, units,
product names) and the provider's own words, which are shown as they came.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from playground import veo
from playground.media import ImageRejected, prepare_image
from playground.runs import Budget, CapReached, Phase, RateLimited, RunStore, Scope, Unpriced
from playground.runs.engine import DONE, PROCESSING
from playground.settings import Settings
from playground.texts import Lang, Message, say
from playground.veo import FormValues, build_request, capabilities, check, estimate, resolve
from playground.wave import errors

#: What stays as written in Chinese: the provider's names for things, units and product names.
KEPT = (
    {m.id for m in veo.MODELS}
    | {field for m in veo.MODELS for action in m.actions for field in veo.fields_taken(m, action)}
    | {value for values in veo.CHOICES.values() for value in values}
    | {"4K", "720p", "1080p", "true", "false", "Wave", "API", "JSON", "HTTP", "ID", "MB", "Veo", "VEO", "Fast"}
    | {"Vertex", "AI", "WAVE_PRICES", "Playground", "Hugging", "Face", "JPG", "JPEG", "PNG", "WEBP", "field"}
    | {"PDF", "SVG", "HEIC", "iPhone", "GPS", "sRGB", "S3"}
)
_WORD = re.compile(r"[A-Za-z0-9_.\-]*[A-Za-z][A-Za-z0-9_.\-]*")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def english_left(said: str, *also_kept: str) -> list[str]:
    """The words of ``said`` that are neither Chinese nor kept terms (``also_kept``: words passed through)."""
    said = said.replace("http(s)", "")
    allowed = KEPT | {w.strip(".") for text in also_kept for w in _WORD.findall(text)}
    return [w for w in (m.strip(".-") for m in _WORD.findall(said)) if w and w not in allowed]


def assert_chinese(message: str, *also_kept: str) -> str:
    assert isinstance(message, Message), f"{message!r} is a plain str: it cannot be said in Chinese"
    said = say(message, Lang.ZH_CN)
    assert _CJK.search(said), said
    assert english_left(said, *also_kept) == [], said
    return said


@pytest.mark.parametrize(
    "form",
    [
        FormValues(model="veo3.1-fast-official", prompt="a cat", resolution="4k", generate_audio=False),
        FormValues(model="veo-3.0", prompt="a cat", resolution="1080p", duration=4),
        FormValues(model="veo3.1-lite", prompt="", duration=6),
        FormValues(model="veo-3.1", prompt="a cat", seed=-1, sample_count=3),
        FormValues(model="veo3.1-quality-official", action="image2video", prompt="a cat"),
        FormValues(model="veo3.1-quality", action="remix", prompt="go on", raw="yes"),  # type: ignore[arg-type]
        FormValues(model="veo-3.1-fast", action="first_last_frame", prompt="a cat"),
        FormValues(model="veo3.1-fast-official", prompt="a cat", callback_url="http://127.0.0.1/hook"),
        FormValues(model="no-such-model", prompt="a cat"),
    ],
)
def test_every_rule_refusal_reads_whole_in_chinese(form: FormValues) -> None:
    problems = check(form)
    assert problems
    for problem in problems:
        assert_chinese(problem.message, "127.0.0.1", "no-such-model")
        assert_chinese(str(problem), "127.0.0.1", "no-such-model")  # "field: message" says itself too
    built = build_request(form)
    said = assert_chinese(built.message(), "127.0.0.1", "no-such-model")
    assert said.count("\n") == len(problems) - 1  # one line per problem, joined in the same language


def test_a_refusal_still_reads_as_its_english() -> None:
    (problem,) = check(FormValues(model="veo3.1-fast-official", prompt="a cat", resolution="4k", generate_audio=False))
    assert problem.message == "4K has no muted output: turn generate_audio on (it is priced as 4K + audio)"
    assert say(problem.message, Lang.ZH_CN) == "4K 没有静音输出：请打开 generate_audio（按 4K + 音频计价）"
    assert say(problem.message, Lang.EN) == problem.message


def test_unreadable_values_and_the_price_readout_read_in_chinese() -> None:
    reader = veo.Reader()
    reader.flag("generate_audio", "maybe")
    reader.whole_number("duration", "eight")
    reader.choice("resolution", ["720p"], ("720p", "1080p"))
    said = assert_chinese(reader.message(), "maybe", "eight")
    assert said.count("另外") == 2  # three problems, one sentence

    official = resolve(FormValues(model="veo3.1-fast-official", prompt="x", sample_count=2, duration=8))
    assert_chinese(estimate(official).summary())
    assert_chinese(estimate(official).note())
    assert say(estimate(official).summary(), Lang.ZH_CN) == "$0.08/秒 × 8 秒 × 2 个视频 = $1.28"
    assert_chinese(estimate(resolve(FormValues(model="veo-3.1", prompt="x"))).summary())
    caps = capabilities("veo-3.0", "generate", "1080p", 4, True)
    for note in (*caps.notes, caps.duration.why, caps.resolution.why, caps.audio.why):
        assert_chinese(note)


@pytest.fixture
def budget(tmp_path: Path) -> Budget:
    return Budget(Settings(data_dir=tmp_path, sign_in=True), RunStore(tmp_path / "history.sqlite3"))


@pytest.mark.parametrize(
    "outcome",
    [
        CapReached(Scope.VISITOR, 0.32, 0.40, 0.50),
        CapReached(Scope.ADDRESS, 0.32, 0.40, 0.50),
        CapReached(Scope.TOTAL, 0.32, 9.90, 10.0),
        RateLimited(Scope.ADDRESS, 7, 6, 12.5),
        Unpriced(),
    ],
)
def test_budget_refusals_read_in_chinese(budget: Budget, outcome: CapReached | RateLimited | Unpriced) -> None:
    refusal = budget.refusal(outcome)
    said = assert_chinese(refusal)
    assert refusal.endswith("Nothing was sent.") and said.endswith("没有发送任何内容。")
    for amount in re.findall(r"\$\d+\.\d\d", refusal):
        assert amount in said  # the numbers are the same in both languages


def test_the_budget_standing_line_reads_in_chinese() -> None:
    from playground.runs import Standing

    line = Standing(0.4, 2.0, 0.5, 10.0, 24.0, 0.45, 0.5).line()
    assert line.startswith("Budget: this server's key has spent $2.00")
    said = assert_chinese(line)
    assert said.startswith("预算：") and said.count("还剩") == 3


def test_provider_error_explanations_read_in_chinese() -> None:
    balance = errors.error_for_status(402, task_id="task-7")
    assert isinstance(balance, errors.InsufficientBalance)
    assert str(balance) == balance.message  # str(error) reads as the English, as before
    assert_chinese(balance.message, "task-7")
    for status in (400, 401, 404, 429, 500, 418):
        assert_chinese(errors.error_for_status(status).message)
    provider_words = "Request blocked by the safety filter"
    filtered = errors.task_failure(provider_words, "CONTENT_POLICY", "task-9")
    assert isinstance(filtered, errors.ContentFiltered)
    said = assert_chinese(filtered.message, provider_words, "CONTENT_POLICY", "task-9")
    assert "你没有被扣费" in said and provider_words in said  # the provider's own words are kept as they came
    for error in (errors.SubmitUncertain("HTTP 502"), errors.UnusableKey(), errors.PollTimeout(task_id="t-1")):
        assert_chinese(error.message, "t-1")


def test_run_status_and_image_checks_read_in_chinese() -> None:
    assert say(DONE(count=2), Lang.ZH_CN) == "完成：共 2 个视频。"
    assert_chinese(PROCESSING(progress=40))
    for phase in Phase:
        assert phase.label == phase.value
        assert_chinese(phase.label)
    for data in (b"", b"plain words, not a picture", b"%PDF-1.7 a document"):
        with pytest.raises(ImageRejected) as refused:
            prepare_image(data, "frame.png")
        assert_chinese(refused.value.message, "png")  # the extension of the visitor's own file name


def test_a_stored_message_is_said_again_in_chinese_and_old_rows_read_as_written(tmp_path: Path) -> None:
    from playground.runs import Mode, RunRecord
    from playground.runs.database import run as execute

    store = RunStore(tmp_path / "history.sqlite3")
    run = RunRecord(owner="o", mode=Mode.DEMO, key_fingerprint="", action="generate", model="m", request={})
    record = store.add(run)
    store.update(record.run_id, message=DONE(count=2))
    stored = store.get(record.run_id)
    assert isinstance(stored.message, Message) and stored.message == "Done: 2 video(s)."
    assert_chinese(stored.message)
    store.update(record.run_id, message="the provider's own words")  # a plain str stays a plain str
    assert not isinstance(store.get(record.run_id).message, Message)
    # A row from before keys were stored, or whose template changed its words since, reads as written.
    with store.db.connect() as db:
        execute(
            db,
            "UPDATE runs SET message = 'Done, long ago.', message_json = :message_json WHERE run_id = :run_id",
            {"message_json": '{"$text": "runs.engine.done", "params": {"count": 2}}', "run_id": record.run_id},
        )
    assert str(store.get(record.run_id).message) == "Done, long ago."
