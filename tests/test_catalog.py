"""Every rule of the two seed pages, each invalid combination, and every published price."""

from __future__ import annotations

import pytest

from playground import veo
from playground.settings import Settings, SettingsError, parse_operator_prices
from playground.veo import FormValues, build_request, capabilities, estimate

NEWER = ("veo3.1-quality-official", "veo3.1-fast-official", "veo3.1-quality", "veo3.1-lite")
OLDER = ("veo-3.1", "veo-3.1-fast", "veo-3.0")
IMG = "https://example.com/frame.png"


def problems(**kw) -> dict[str, str]:
    kw.setdefault("prompt", "a cat")
    built = build_request(FormValues(**kw))
    return {p.field: p.message for p in built.problems}


def test_all_seven_models_from_both_pages() -> None:
    assert tuple(m.id for m in veo.MODELS) == NEWER + OLDER
    for m in veo.MODELS:
        assert m.aspect_ratios == ("16:9", "9:16")


@pytest.mark.parametrize("model", NEWER)
def test_newer_models_offer_every_action(model: str) -> None:
    assert veo.get_model(model).actions == veo.ACTIONS


@pytest.mark.parametrize("model", OLDER)
def test_older_page_documents_text_to_video_only(model: str) -> None:
    msg = problems(model=model, action="image2video", first_frame_image=IMG)["action"]
    assert model in msg and "generate" in msg


@pytest.mark.parametrize(
    "model,durations",
    [
        ("veo3.1-quality-official", (4, 6, 8)),
        ("veo3.1-fast-official", (4, 6, 8)),
        ("veo3.1-quality", (8,)),
        ("veo3.1-lite", (8,)),
        ("veo-3.1", (4, 6, 8)),
        ("veo-3.1-fast", (4, 6, 8)),
        ("veo-3.0", (4, 6, 8)),
    ],
)
def test_durations(model: str, durations: tuple[int, ...]) -> None:
    resolution = "720p"
    for d in (4, 5, 6, 7, 8, 10):
        found = problems(model=model, duration=d, resolution=resolution)
        assert ("duration" not in found) == (d in durations), (model, d, found)


@pytest.mark.parametrize("model", ("veo3.1-quality", "veo3.1-lite"))
def test_per_call_tiers_fix_8_seconds_and_refuse_4k(model: str) -> None:
    assert "8-second videos only" in problems(model=model, duration=4)["duration"]
    assert "official tiers only" in problems(model=model, resolution="4k", generate_audio=True)["resolution"]


@pytest.mark.parametrize("model", ("veo3.1-quality-official", "veo3.1-fast-official"))
def test_4k_needs_audio_on_official_tiers(model: str) -> None:
    assert "no muted output" in problems(model=model, resolution="4k", generate_audio=False)["generate_audio"]
    assert problems(model=model, resolution="4k", generate_audio=True) == {}
    assert problems(model=model, resolution="4k", generate_audio=True, duration=4) == {}


@pytest.mark.parametrize("model", OLDER)
@pytest.mark.parametrize("resolution", ("1080p", "4k"))
def test_older_page_high_resolution_needs_8s(model: str, resolution: str) -> None:
    found = problems(model=model, resolution=resolution, duration=6)
    if resolution == "4k" and model == "veo-3.0":
        assert "VEO 3.1 and 3.1 Fast only" in found["resolution"]
    else:
        assert "needs an 8-second duration" in found["duration"]
    assert problems(model=model, resolution="720p", duration=4) == {}


def test_4k_only_on_31_series_of_older_page() -> None:
    assert problems(model="veo-3.1", resolution="4k", duration=8) == {}
    assert problems(model="veo-3.1-fast", resolution="4k", duration=8) == {}
    assert "resolution" in problems(model="veo-3.0", resolution="4k", duration=8)


def test_seed_only_on_31_series_of_older_page() -> None:
    assert problems(model="veo-3.1", seed=42) == {}
    assert problems(model="veo-3.1-fast", seed=0) == {}
    assert "VEO 3.1 series" in problems(model="veo-3.0", seed=42)["seed"]
    for m in NEWER:
        assert "seed" in problems(model=m, seed=42)
    assert "0 to 4294967295" in problems(model="veo-3.1", seed=-1)["seed"]
    assert "seed" in problems(model="veo-3.1", seed=2**32)
    assert "seed" in problems(model="veo-3.1", seed=True)


def test_person_generation_field_and_values_per_page() -> None:
    body = build_request(FormValues(model="veo-3.1", prompt="p", person_generation="dont_allow")).body
    assert body["extra"] == {"personGeneration": "dont_allow"} and "person_generation" not in body
    body = build_request(FormValues(prompt="p", person_generation="disallow")).body
    assert body["person_generation"] == "disallow" and "extra" not in body
    assert "allow_adult, disallow" in problems(person_generation="allow_all")["person_generation"]
    assert "allow_all" in problems(model="veo-3.0", person_generation="disallow")["person_generation"]


@pytest.mark.parametrize("n,ok", [(0, False), (1, True), (4, True), (5, False)])
def test_sample_count_range(n: int, ok: bool) -> None:
    assert ("sample_count" not in problems(sample_count=n)) == ok
    assert "sample_count" in problems(model="veo-3.1", sample_count=2)


def test_enhance_prompt_must_stay_true() -> None:
    assert "must stay true" in problems(enhance_prompt=False)["enhance_prompt"]
    assert build_request(FormValues(prompt="p", enhance_prompt=True)).body["enhance_prompt"] is True
    assert "enhance_prompt" in problems(model="veo-3.1", enhance_prompt=True)


def test_raw_only_for_remix() -> None:
    assert "Remix only" in problems(raw=True)["raw"]
    body = build_request(FormValues(prompt="p", action="remix", first_frame_image=IMG, raw=True)).body
    assert body["raw"] is True and body["first_frame_image"] == IMG


def test_resize_mode_for_image_inputs_only() -> None:
    assert "input image" in problems(resize_mode="pad")["resize_mode"]
    assert "pad, crop" in problems(action="image2video", first_frame_image=IMG, resize_mode="stretch")["resize_mode"]
    body = build_request(FormValues(prompt="p", action="image2video", first_frame_image=IMG, resize_mode="crop")).body
    assert body["resize_mode"] == "crop"


def test_required_frames_per_action() -> None:
    assert "needs a first frame image" in problems(action="image2video")["first_frame_image"]
    found = problems(action="first_last_frame", first_frame_image=IMG)
    assert "needs a last frame image" in found["last_frame_image"]
    assert "source clip" in problems(action="remix")["first_frame_image"]
    assert "not used" in problems(action="image2video", first_frame_image=IMG, last_frame_image=IMG)["last_frame_image"]
    assert (
        "public http(s) URL"
        in problems(action="image2video", first_frame_image="file:///etc/passwd")["first_frame_image"]
    )
    body = build_request(
        FormValues(prompt="p", action="first_last_frame", first_frame_image=IMG, last_frame_image=IMG + "?2")
    ).body
    assert body["last_frame_image"].endswith("?2")


@pytest.mark.parametrize(
    "prompt,fragment",
    [("", "required"), ("   ", "required"), ("x" * 4001, "at most 4000"), ("a\x00b", "control characters")],
)
def test_prompt_checks(prompt: str, fragment: str) -> None:
    assert fragment in problems(prompt=prompt)["prompt"]


def test_unknown_model_action_aspect_and_fields() -> None:
    assert "unknown model" in problems(model="veo-9")["model"]
    assert "unknown action" in problems(action="upscale")["action"]
    assert "allowed: 16:9, 9:16" in problems(aspect_ratio="1:1")["aspect_ratio"]
    form = FormValues.from_body({"model": "veo3.1-fast-official", "prompt": "p", "colour": "red"})
    assert any("colour" in p.message for p in veo.check(form))


def test_negative_prompt_only_on_older_page() -> None:
    assert problems(model="veo-3.0", negative_prompt="blur") == {}
    assert "older page" in problems(negative_prompt="blur")["negative_prompt"]


def test_generate_audio_switch_is_newer_page_only() -> None:
    body = build_request(FormValues(model="veo-3.1", prompt="p")).body
    assert "generate_audio" not in body and "sample_count" not in body
    assert "always generates native audio" in problems(model="veo-3.1", generate_audio=False)["generate_audio"]


def test_callback_fields() -> None:
    assert "callback_url" in problems(callback_url="ftp://x")
    assert "callback_url" in problems(callback_events=["completed"])["callback_events"]
    assert (
        "unknown callback events"
        in problems(callback_url="https://h.example/cb", callback_events=["started"])["callback_events"]
    )


@pytest.mark.parametrize(
    "url,says",
    [
        ("http://localhost:8080/hook", "localhost, this computer itself"),
        ("https://api.localhost/hook", "api.localhost, this computer itself"),
        ("http://127.0.0.1:9000/hook", "127.0.0.1, this computer itself"),
        ("http://127.1/hook", "127.0.0.1, this computer itself"),  # spellings a resolver reads as loopback
        ("http://2130706433/hook", "127.0.0.1, this computer itself"),
        ("http://[::1]/hook", "::1, this computer itself"),
        ("http://10.1.2.3/hook", "10.1.2.3, a private network address"),
        ("http://[::ffff:192.168.1.1]/hook", "192.168.1.1, a private network address"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata service"),
        ("http://[fe80::1]/hook", "link-local"),
        ("http://100.64.0.1/hook", "not on the public internet"),
        ("http://0.0.0.0/hook", "unspecified"),
    ],
)
def test_callback_url_must_be_reachable_from_the_internet(url: str, says: str) -> None:
    message = problems(callback_url=url)["callback_url"]
    assert says in message and "reach from the internet" in message


def test_public_callback_urls_are_accepted() -> None:
    for url in ("https://hooks.example.com/wave?x=1", "http://8.8.8.8/hook", "https://[2606:4700::1111]/hook"):
        assert problems(callback_url=url) == {}, url


def test_a_submitted_body_may_call_back_its_senders_own_machine_but_no_private_range() -> None:
    body = build_request(FormValues(prompt="p")).body
    assert veo.check(FormValues.from_body({**body, "callback_url": "http://127.0.0.1:9000/hooks/wave/t"})) == []
    refused = veo.check(FormValues.from_body({**body, "callback_url": "http://10.1.2.3/hook"}))
    assert [p.field for p in refused] == ["callback_url"]


def test_text_utf8_cannot_carry_is_refused() -> None:
    assert "unpaired surrogate" in problems(prompt="a boat \ud800 on a lake")["prompt"]
    assert "unpaired surrogate" in problems(model="veo-3.1", negative_prompt="blur\udfff")["negative_prompt"]
    assert problems(prompt="astral 𓀀 and 🎬 are fine") == {}


@pytest.mark.parametrize(
    "given,read",
    [
        (None, None),
        ("", None),
        (8, 8),
        (8.0, 8),
        ("8", 8),
        ("8.0", 8),
        (" 4 ", 4),
        (10**30, 10**30),
        (1.5, 1.5),
        ("1.5", "1.5"),
        ("abc", "abc"),
        (True, True),
        (float("inf"), float("inf")),
        ([8], [8]),
    ],
)
def test_whole_numbers_are_read_exactly_and_nothing_else_is_changed(given, read) -> None:
    got = veo.as_whole_number(given)
    assert got == read and type(got) is type(read)


def test_values_that_are_not_whole_numbers_are_named() -> None:
    assert "duration must be a whole number of seconds" in problems(duration="abc")["duration"]
    assert "duration must be a whole number" in problems(model="veo3.1-lite", duration=8.5)["duration"]
    assert "8-second videos only" in problems(model="veo3.1-lite", duration=0)["duration"]
    assert "sample_count must be a whole number" in problems(sample_count=2.5)["sample_count"]
    assert "seed must be a whole number" in problems(model="veo-3.1", seed=1.5)["seed"]


def test_defaults_match_the_pages() -> None:
    newer = build_request(FormValues(prompt="p")).body
    assert (newer["resolution"], newer["duration"], newer["aspect_ratio"], newer["generate_audio"]) == (
        "1080p",
        8,
        "16:9",
        False,
    )
    older = build_request(FormValues(model="veo-3.1", prompt="p")).body
    assert older["resolution"] == "720p"


def test_body_roundtrip_is_accepted_by_the_validator() -> None:
    body = build_request(
        FormValues(
            model="veo-3.1", prompt="p", seed=7, negative_prompt="n", person_generation="allow_adult", resolution="4k"
        )
    ).body
    assert veo.check(FormValues.from_body(body)) == []


# -- prices: every row of the newer page's table ------------------------------------------------

SEED_TABLE = [
    ("veo3.1-fast-official", "720p", False, 0.08, 0.64),
    ("veo3.1-fast-official", "1080p", False, 0.08, 0.64),
    ("veo3.1-fast-official", "720p", True, 0.12, 0.96),
    ("veo3.1-fast-official", "1080p", True, 0.12, 0.96),
    ("veo3.1-fast-official", "4k", True, 0.28, 2.24),
    ("veo3.1-quality-official", "720p", False, 0.16, 1.28),
    ("veo3.1-quality-official", "1080p", False, 0.16, 1.28),
    ("veo3.1-quality-official", "720p", True, 0.32, 2.56),
    ("veo3.1-quality-official", "1080p", True, 0.32, 2.56),
    ("veo3.1-quality-official", "4k", True, 0.48, 3.84),
]


@pytest.mark.parametrize("model,res,audio,unit,eight", SEED_TABLE)
def test_published_prices(model: str, res: str, audio: bool, unit: float, eight: float) -> None:
    built = build_request(FormValues(model=model, prompt="p", resolution=res, generate_audio=audio, duration=8))
    est = estimate(built.resolved)
    assert est.unit_price == unit and est.total == pytest.approx(eight)
    four = estimate(
        build_request(
            FormValues(model=model, prompt="p", resolution=res, generate_audio=audio, duration=4, sample_count=3)
        ).resolved
    )
    assert four.total == pytest.approx(unit * 4 * 3)
    assert "3 videos" in four.summary()


@pytest.mark.parametrize("model", ("veo3.1-quality", "veo3.1-lite") + OLDER)
def test_unpublished_prices_read_not_set_until_the_operator_sets_them(model: str) -> None:
    resolved = build_request(FormValues(model=model, prompt="p")).resolved
    est = estimate(resolved)
    assert est.total is None and est.summary().startswith("Price not set")
    priced = estimate(resolved, {model: 0.5})
    if model in OLDER:  # older-page models: the operator sets a per-second price
        assert priced.total == pytest.approx(0.5 * resolved.duration)
    else:
        assert priced.total == 0.5 and "per call" in priced.summary()


def test_operator_prices_from_env_and_file(tmp_path) -> None:
    path = tmp_path / "prices.json"
    path.write_text('{"veo3.1-lite": 0.3, "veo-3.0": 0.1}')
    s = Settings.from_env({"WAVE_PRICES_FILE": str(path), "WAVE_PRICES": '{"veo3.1-lite": 0.35}'})
    assert s.operator_prices == {"veo3.1-lite": 0.35, "veo-3.0": 0.1}
    for bad in ('{"veo3.1-fast-official": 1}', '{"nope": 1}', '{"veo3.1-lite": -1}', "[1]", "{"):
        with pytest.raises(SettingsError):
            parse_operator_prices(bad, "WAVE_PRICES")


def test_settings_base_url_and_demo() -> None:
    s = Settings.from_env({"WAVE_BASE_URL": "https://qingbo.dev/v1/"})
    assert s.base_url == "https://qingbo.dev" and s.demo_mode
    assert not Settings.from_env({"WAVE_API_KEY": "k"}).demo_mode
    shown = repr(Settings.from_env({"WAVE_API_KEY": "secret-key"}))
    assert "secret" not in shown and "-key" not in shown


# -- what the form offers -------------------------------------------------------------------------


def test_capabilities_nudge_like_a_person_expects() -> None:
    caps = capabilities("veo3.1-fast-official", "generate", "4k", 4, False)
    assert caps.audio.locked and caps.audio.value is True and "no muted output" in caps.audio.why
    assert caps.duration.choices == (4, 6, 8) and caps.duration.value == 4
    caps = capabilities("veo3.1-lite", "generate", "4k", 4, False)
    assert caps.duration.locked and caps.duration.value == 8 and caps.resolution.value == "1080p"
    assert "official tiers" in caps.resolution.why
    caps = capabilities("veo-3.1", "generate", "1080p", 4, None)
    assert caps.duration.value == 8 and caps.duration.locked and caps.notes
    assert caps.audio.locked and caps.seed_offered and caps.samples.locked
    assert not capabilities("veo3.1-quality-official", "generate", None, None, None).resize_mode_offered
    assert capabilities("veo3.1-quality-official", "image2video", None, None, None).resize_mode_offered
    assert capabilities("veo3.1-quality-official", "remix", None, None, None).raw_offered


# -- which fields a model takes: one answer for the body, the form and the API ----------------------


def _everything(model: str, action: str) -> FormValues:
    """Every optional field given, valid wherever the model takes it."""
    return FormValues(
        model=model,
        action=action,
        prompt="a cat",
        negative_prompt="blur",
        seed=7,
        person_generation=veo.get_model(model).person_default,
        enhance_prompt=True,
        resize_mode="pad",
        raw=False,
        callback_url="https://hooks.example.com/t",
        callback_events=["completed"],
        image_urls=[IMG],
        **{name: IMG for name in veo.REQUIRED_IMAGES[action]},
    )


@pytest.mark.parametrize("model", NEWER + OLDER)
def test_the_body_carries_exactly_the_fields_the_model_takes(model: str) -> None:
    for action in veo.get_model(model).actions:
        taken = veo.fields_taken(veo.get_model(model), action)
        form = _everything(model, action)
        for name in set(form.__dataclass_fields__) - taken:
            setattr(form, name, None)  # leave out what the model does not take; the rest stays valid
        built = build_request(form)
        assert built.ok, built.message()
        person = "extra" if veo.get_model(model).person_field == "extra.personGeneration" else "person_generation"
        assert set(built.body) == (taken - {"person_generation"}) | {person}


@pytest.mark.parametrize("model", NEWER + OLDER)
def test_the_form_offers_exactly_the_fields_the_model_takes(model: str) -> None:
    spec = veo.get_model(model)
    for action in spec.actions:
        taken, caps = veo.fields_taken(spec, action), capabilities(model, action, None, None, None)
        assert caps.seed_offered == ("seed" in taken)
        assert caps.negative_prompt_offered == ("negative_prompt" in taken)
        assert caps.enhance_prompt_offered == ("enhance_prompt" in taken)
        assert caps.resize_mode_offered == ("resize_mode" in taken)
        assert caps.raw_offered == ("raw" in taken)
        assert ("generate_audio" in taken) == spec.audio_switch
        assert ("sample_count" in taken) == (spec.max_samples > 1)
