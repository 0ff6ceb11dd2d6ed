"""The single source of truth for Veo models on the Wave API: capabilities, rules and prices.

Every fact here comes from the provider's two pages in ``shared/seeds``:

* the newer page (``000_…``): four variants ``veo3.1-quality-official``, ``veo3.1-fast-official``
  (official, billed per second) and ``veo3.1-quality``, ``veo3.1-lite`` (reverse-engineered, billed
  per call, 8 s only), with a per-second price table;
* the older page (``001_…``): ``veo-3.1``, ``veo-3.1-fast``, ``veo-3.0``, with ``negative_prompt``,
  ``seed`` (3.1 series only), ``extra.personGeneration`` and "1080p and 4K need 8 s"; it publishes
  no prices and documents only text-to-video.

The form reads the capability table to decide which controls to show, :func:`build_request` turns
form values into the exact JSON body (or into messages a person can act on), the simulator refuses
what :func:`build_request` refuses, and :mod:`playground.veo.prices` prices what it builds.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import urlsplit

from ..net import addresses

ACTIONS: tuple[str, ...] = ("generate", "image2video", "first_last_frame", "remix")
ACTION_LABELS: dict[str, str] = {
    "generate": "Text → Video",
    "image2video": "Image → Video",
    "first_last_frame": "First + Last frame",
    "remix": "Remix",
}
#: Which image fields each action must carry (the newer page, "Common Parameters").
#: Remix continues an existing clip; the page names ``first_frame_image`` as its source field.
REQUIRED_IMAGES: dict[str, tuple[str, ...]] = {
    "generate": (),
    "image2video": ("first_frame_image",),
    "first_last_frame": ("first_frame_image", "last_frame_image"),
    "remix": ("first_frame_image",),
}
IMAGE_ACTIONS = frozenset(a for a, fields in REQUIRED_IMAGES.items() if fields)

ASPECT_RATIOS: tuple[str, ...] = ("16:9", "9:16")
CALLBACK_EVENTS: tuple[str, ...] = ("completed", "failed")
RESIZE_MODES: tuple[str, ...] = ("pad", "crop")
MAX_SEED = 2**32 - 1  # Vertex AI takes an unsigned 32-bit seed
#: The pages state no prompt limit; this is the playground's own guard against pasted novels.
PROMPT_MAX_CHARS = 4000
FRAME_RATE = 24  # "Output frame rate 24 FPS" (older page); the newer page states no other


class Channel(str, Enum):
    OFFICIAL = "official"
    REVERSE = "reverse"
    LEGACY = "legacy"


class Billing(str, Enum):
    PER_SECOND = "per_second"
    PER_CALL = "per_call"
    #: The older page publishes no price and no billing kind; the operator sets a per-second price.
    UNPUBLISHED = "unpublished"


CHANNEL_LABELS = {
    Channel.OFFICIAL: "Official direct (Vertex AI)",
    Channel.REVERSE: "Reverse-engineered",
    Channel.LEGACY: "Older API page",
}


@dataclass(frozen=True)
class PriceTable:
    """Published per-second prices (USD) by (resolution, audio)."""

    per_second: Mapping[tuple[str, bool], float]


@dataclass(frozen=True)
class ModelSpec:
    id: str
    name: str
    page: str  # which seed page describes it: "newer" or "older"
    channel: Channel
    billing: Billing
    blurb: str
    actions: tuple[str, ...]
    durations: tuple[int, ...]
    resolutions: tuple[str, ...]
    default_resolution: str
    aspect_ratios: tuple[str, ...] = ASPECT_RATIOS
    default_duration: int = 8
    #: ``generate_audio`` exists as a switch (newer page); otherwise audio is native and always on.
    audio_switch: bool = True
    max_samples: int = 1
    supports_seed: bool = False
    supports_negative_prompt: bool = False
    #: Name and choices of the person policy: top-level ``person_generation`` on the newer page,
    #: ``extra.personGeneration`` on the older one.
    person_field: str = "person_generation"
    person_choices: tuple[str, ...] = ("allow_adult", "disallow")
    person_default: str = "allow_adult"
    supports_enhance_prompt: bool = False
    supports_resize_mode: bool = False
    supports_raw: bool = False
    supports_image_urls: bool = False
    supports_callback_events: bool = False
    #: On the older page "Resolution 1080p or 4k: duration must be 8".
    hires_needs_8s: bool = False
    prices: PriceTable | None = None

    @property
    def audio_always_on(self) -> bool:
        return not self.audio_switch

    def label(self) -> str:
        return f"{self.id} · {CHANNEL_LABELS[self.channel]} · {self.blurb}"


_NEWER_COMMON: dict[str, Any] = dict(
    page="newer",
    actions=ACTIONS,
    max_samples=4,
    supports_enhance_prompt=True,
    supports_resize_mode=True,
    supports_raw=True,
    supports_image_urls=True,
    supports_callback_events=True,
    default_resolution="1080p",
)
_OLDER_COMMON: dict[str, Any] = dict(
    page="older",
    channel=Channel.LEGACY,
    billing=Billing.UNPUBLISHED,
    actions=("generate",),
    durations=(4, 6, 8),
    default_resolution="720p",
    audio_switch=False,
    supports_negative_prompt=True,
    person_field="extra.personGeneration",
    person_choices=("allow_all", "allow_adult", "dont_allow"),
    person_default="allow_all",
    hires_needs_8s=True,
)


def _official_prices(muted: float, audio: float, audio_4k: float) -> PriceTable:
    # 720p and 1080p share a price (Google's tiering); 4K exists only with audio.
    return PriceTable(
        per_second={
            ("720p", False): muted,
            ("1080p", False): muted,
            ("720p", True): audio,
            ("1080p", True): audio,
            ("4k", True): audio_4k,
        }
    )


MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        id="veo3.1-quality-official",
        name="Veo 3.1 Quality (official)",
        channel=Channel.OFFICIAL,
        billing=Billing.PER_SECOND,
        blurb="flagship, final-delivery quality; 4/6/8 s up to 4K, billed per second",
        durations=(4, 6, 8),
        resolutions=("720p", "1080p", "4k"),
        prices=_official_prices(0.16, 0.32, 0.48),
        **_NEWER_COMMON,
    ),
    ModelSpec(
        id="veo3.1-fast-official",
        name="Veo 3.1 Fast (official)",
        channel=Channel.OFFICIAL,
        billing=Billing.PER_SECOND,
        blurb="fast tier for iteration drafts; 4/6/8 s up to 4K, billed per second",
        durations=(4, 6, 8),
        resolutions=("720p", "1080p", "4k"),
        prices=_official_prices(0.08, 0.12, 0.28),
        **_NEWER_COMMON,
    ),
    ModelSpec(
        id="veo3.1-quality",
        name="Veo 3.1 Quality (reverse-engineered)",
        channel=Channel.REVERSE,
        billing=Billing.PER_CALL,
        blurb="flagship variant at a fixed per-call price; 8 s only, up to 1080p",
        durations=(8,),
        resolutions=("720p", "1080p"),
        **_NEWER_COMMON,
    ),
    ModelSpec(
        id="veo3.1-lite",
        name="Veo 3.1 Lite (reverse-engineered)",
        channel=Channel.REVERSE,
        billing=Billing.PER_CALL,
        blurb="lightweight variant at a fixed per-call price; 8 s only, up to 1080p",
        durations=(8,),
        resolutions=("720p", "1080p"),
        **_NEWER_COMMON,
    ),
    ModelSpec(
        id="veo-3.1",
        name="VEO 3.1 (older page)",
        blurb="native audio, 4K; seed and negative prompt; 1080p/4K need 8 s",
        resolutions=("720p", "1080p", "4k"),
        supports_seed=True,
        **_OLDER_COMMON,
    ),
    ModelSpec(
        id="veo-3.1-fast",
        name="VEO 3.1 Fast (older page)",
        blurb="fast VEO 3.1 with native audio and 4K; 1080p/4K need 8 s",
        resolutions=("720p", "1080p", "4k"),
        supports_seed=True,
        **_OLDER_COMMON,
    ),
    ModelSpec(
        id="veo-3.0",
        name="VEO 3.0 (older page)",
        blurb="VEO 3.0 with native audio; up to 1080p, which needs 8 s",
        resolutions=("720p", "1080p"),
        **_OLDER_COMMON,
    ),
)
MODELS_BY_ID: dict[str, ModelSpec] = {m.id: m for m in MODELS}
DEFAULT_MODEL = "veo3.1-fast-official"


def get_model(model_id: str) -> ModelSpec:
    try:
        return MODELS_BY_ID[model_id]
    except KeyError:
        raise KeyError(f"unknown model {model_id!r}; known: {', '.join(MODELS_BY_ID)}") from None


def models_for_action(action: str) -> list[ModelSpec]:
    return [m for m in MODELS if action in m.actions]


# --------------------------------------------------------------------------------------------
# Form values and the rules that cross them
# --------------------------------------------------------------------------------------------


@dataclass
class FormValues:
    """What a person (or an API caller) asks for, before validation.

    ``None`` means "not given": the model's default applies and the field is left out of the body
    where the provider has a default of its own.
    """

    model: str = DEFAULT_MODEL
    action: str = "generate"
    prompt: str = ""
    aspect_ratio: str | None = None
    resolution: str | None = None
    duration: int | None = None
    generate_audio: bool | None = None
    sample_count: int | None = None
    negative_prompt: str | None = None
    seed: int | None = None
    person_generation: str | None = None
    enhance_prompt: bool | None = None
    resize_mode: str | None = None
    raw: bool | None = None
    first_frame_image: str | None = None
    last_frame_image: str | None = None
    image_urls: list[str] | None = None
    callback_url: str | None = None
    callback_events: list[str] | None = None

    @classmethod
    def from_body(cls, body: Mapping[str, Any], *, received: bool = True) -> "FormValues":
        """Read a request body back into form values (the simulator validates submissions so).

        ``received=False`` judges it as something a visitor sends now (the History tab's "Run again").
        """
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in body.items() if k in known and k != "person_generation"}
        extra = body.get("extra")
        person = body.get("person_generation")
        if isinstance(extra, Mapping) and "personGeneration" in extra:
            person = extra["personGeneration"]
        form = cls(**values)
        form.person_generation = person
        # Judged as the service judges a submission: a loopback callback_url is the sender's own machine.
        form._received = received  # type: ignore[attr-defined]
        form._unknown = sorted(set(body) - known - {"extra"})  # type: ignore[attr-defined]
        if isinstance(extra, Mapping):
            form._unknown += [f"extra.{k}" for k in extra if k != "personGeneration"]  # type: ignore[attr-defined]
        return form


@dataclass(frozen=True)
class Problem:
    """One reason a request cannot be sent, in words a person can act on."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True)
class Resolved:
    """Form values with the model's defaults filled in: what the provider would actually render."""

    model: ModelSpec
    action: str
    prompt: str
    aspect_ratio: str
    resolution: str
    duration: int
    audio: bool
    samples: int
    form: FormValues


def as_whole_number(value: Any) -> Any:
    """A form or API value read as a whole number.

    ``None`` and ``""`` mean "not given" (``None``); an int, or a float or text that is a whole
    number, becomes an int (exactly, however large); anything else is returned unchanged, so
    :func:`check` refuses it with a message naming the field instead of it being rounded or dropped.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value  # true/false is not a count of anything
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return value
    return int(number) if number.is_integer() else value


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


def resolve(form: FormValues) -> Resolved:
    """Fill in defaults. Assumes the model id is known (check with :func:`build_request`)."""
    spec = get_model(form.model)
    audio = True if spec.audio_always_on else bool(_or(form.generate_audio, False))
    return Resolved(
        model=spec,
        action=_or(form.action, "generate"),
        prompt=form.prompt or "",
        aspect_ratio=_or(form.aspect_ratio, "16:9"),
        resolution=_or(form.resolution, spec.default_resolution),
        duration=_or(form.duration, spec.default_duration),
        audio=audio,
        samples=_or(form.sample_count, 1),
        form=form,
    )


@dataclass(frozen=True)
class Rule:
    """A constraint of the pages, with the message a person reads when it is broken.

    ``broken`` returns ``None`` when the values are fine, else the message.
    """

    name: str
    field: str
    broken: Callable[[Resolved], str | None]


def _choices(values: Iterable[Any]) -> str:
    return ", ".join(str(v) for v in values)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_action(r: Resolved) -> str | None:
    if r.action not in ACTIONS:
        return f"unknown action {r.action!r}; allowed: {_choices(ACTIONS)}"
    if r.action not in r.model.actions:
        return (
            f"{r.model.id} does not offer {ACTION_LABELS[r.action]} ({r.action}); "
            f"it offers {_choices(r.model.actions)}"
        )
    return None


def _check_prompt(r: Resolved) -> str | None:
    if not isinstance(r.form.prompt, str) or not r.form.prompt.strip():
        return "a prompt is required for every action"
    if len(r.form.prompt) > PROMPT_MAX_CHARS:
        return f"the prompt has {len(r.form.prompt)} characters; at most {PROMPT_MAX_CHARS} are allowed"
    if has_control_characters(r.form.prompt):
        return "the prompt contains control characters; remove them"
    if not _encodable(r.form.prompt):
        return "the prompt contains a broken character (an unpaired surrogate) that cannot be sent; retype it"
    return None


#: Line breaks and tabs are how people lay out a long prompt; every other control character (C0, DEL
#: and the C1 range U+0080–U+009F, where terminal escapes such as CSI U+009B live) is invisible in the
#: page and means nothing to the model.
_LAYOUT_CONTROLS = frozenset("\n\t\r")


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" and c not in _LAYOUT_CONTROLS for c in text)


def _encodable(text: str) -> bool:
    """False for text UTF-8 cannot carry (a lone surrogate a browser may send): it would fail later, mid-run."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_duration(r: Resolved) -> str | None:
    if not _is_int(r.duration):
        allowed = _choices(r.model.durations)
        return f"duration must be a whole number of seconds ({allowed} on {r.model.id}); got {r.duration!r}"
    if r.duration not in r.model.durations:
        if r.model.durations == (8,):
            return f"{r.model.id} renders 8-second videos only (per-call tier); got {r.duration!r}"
        return f"{r.duration!r} s is not offered by {r.model.id}; allowed: {_choices(r.model.durations)} s"
    return None


def _check_resolution(r: Resolved) -> str | None:
    if r.resolution in r.model.resolutions:
        return None
    if r.resolution == "4k" and r.model.channel is Channel.REVERSE:
        return f"4K is offered on official tiers only; {r.model.id} renders {_choices(r.model.resolutions)}"
    if r.resolution == "4k" and r.model.page == "older":
        return "4K is offered on VEO 3.1 and 3.1 Fast only; veo-3.0 renders 720p or 1080p"
    return f"{r.resolution!r} is not offered by {r.model.id}; allowed: {_choices(r.model.resolutions)}"


def _check_aspect(r: Resolved) -> str | None:
    if r.aspect_ratio not in r.model.aspect_ratios:
        return f"{r.aspect_ratio!r} is not offered; allowed: {_choices(r.model.aspect_ratios)}"
    return None


def _check_4k_audio(r: Resolved) -> str | None:
    if r.resolution == "4k" and r.model.audio_switch and not r.audio:
        return "4K has no muted output: turn generate_audio on (it is priced as 4K + audio)"
    return None


def _check_hires_duration(r: Resolved) -> str | None:
    if r.model.hires_needs_8s and r.resolution in ("1080p", "4k") and r.duration != 8:
        return f"on {r.model.id}, {r.resolution} needs an 8-second duration; got {r.duration} s"
    return None


def _check_audio_switch(r: Resolved) -> str | None:
    if r.form.generate_audio is not None and not isinstance(r.form.generate_audio, bool):
        return "generate_audio must be true or false"
    if r.form.generate_audio is False and not r.model.audio_switch:
        return f"{r.model.id} always generates native audio; it has no generate_audio switch"
    return None


def _check_samples(r: Resolved) -> str | None:
    if not _is_int(r.samples) or not 1 <= r.samples <= r.model.max_samples:
        if r.model.max_samples == 1:
            return f"{r.model.id} renders one video per task; sample_count is not offered"
        return f"sample_count must be a whole number from 1 to {r.model.max_samples}; got {r.samples!r}"
    return None


def _check_seed(r: Resolved) -> str | None:
    seed = r.form.seed
    if seed is None:
        return None
    if not r.model.supports_seed:
        return f"seed is offered on the VEO 3.1 series of the older page only (veo-3.1, veo-3.1-fast), not {r.model.id}"
    if not _is_int(seed) or not 0 <= seed <= MAX_SEED:
        return f"seed must be a whole number from 0 to {MAX_SEED}; got {seed!r}"
    return None


def _check_negative_prompt(r: Resolved) -> str | None:
    neg = r.form.negative_prompt
    if neg is None or neg == "":
        return None
    if not r.model.supports_negative_prompt:
        return f"negative_prompt is offered on the older page's models only (veo-3.1, veo-3.1-fast, veo-3.0), not {r.model.id}"
    if not isinstance(neg, str) or len(neg) > PROMPT_MAX_CHARS:
        return f"negative_prompt must be text of at most {PROMPT_MAX_CHARS} characters"
    if has_control_characters(neg):
        return "negative_prompt contains control characters; remove them"
    if not _encodable(neg):
        return "negative_prompt contains a broken character (an unpaired surrogate) that cannot be sent; retype it"
    return None


def _check_person(r: Resolved) -> str | None:
    value = r.form.person_generation
    if value is None or value in r.model.person_choices:
        return None
    return f"{value!r} is not a person policy of {r.model.id}; allowed: {_choices(r.model.person_choices)}"


def _check_enhance(r: Resolved) -> str | None:
    value = r.form.enhance_prompt
    if value is None:
        return None
    if not r.model.supports_enhance_prompt:
        return f"enhance_prompt is not a parameter of {r.model.id}"
    if value is not True:
        return "enhance_prompt must stay true (Vertex AI forces prompt enhancement on)"
    return None


def _check_resize(r: Resolved) -> str | None:
    value = r.form.resize_mode
    if value is None:
        return None
    if not r.model.supports_resize_mode:
        return f"resize_mode is not a parameter of {r.model.id}"
    if r.action not in IMAGE_ACTIONS:
        return "resize_mode applies only to actions with an input image"
    if value not in RESIZE_MODES:
        return f"{value!r} is not a resize mode; allowed: {_choices(RESIZE_MODES)}"
    return None


def _check_raw(r: Resolved) -> str | None:
    value = r.form.raw
    if value is None:
        return None
    if not isinstance(value, bool):
        return "raw must be true or false"
    if not r.model.supports_raw:
        return f"raw is not a parameter of {r.model.id}"
    if r.action != "remix" and value:
        return "raw applies to Remix only (it returns just the extension)"
    return None


def is_http_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://")) and len(value) > 10


def _image_rule(field_name: str) -> Callable[[Resolved], str | None]:
    def check(r: Resolved) -> str | None:
        value = getattr(r.form, field_name)
        needed = field_name in REQUIRED_IMAGES.get(r.action, ())
        what = "source clip" if r.action == "remix" else field_name.replace("_", " ")
        if needed and not value:
            return f"{ACTION_LABELS.get(r.action, r.action)} needs a {what}"
        if value and not needed:
            return f"{field_name} is not used by {ACTION_LABELS.get(r.action, r.action)}"
        if value and not is_http_url(value):
            return f"the {what} must be a public http(s) URL the provider can fetch"
        return None

    return check


def _check_image_urls(r: Resolved) -> str | None:
    urls = r.form.image_urls
    if not urls:
        return None
    if not r.model.supports_image_urls:
        return f"image_urls is not a parameter of {r.model.id}"
    if not isinstance(urls, list) or not all(is_http_url(u) for u in urls):
        return "image_urls must be a list of public http(s) URLs"
    return None


def _check_callback(r: Resolved) -> str | None:
    url = r.form.callback_url
    if url and not is_http_url(url):
        return "callback_url must be an http(s) URL the provider can reach"
    if url:
        return callback_host_problem(url, allow_loopback=getattr(r.form, "_received", False))
    return None


def callback_host_problem(url: str, *, allow_loopback: bool = False) -> str | None:
    """Why the provider must not be asked to post to ``url``, or None.

    Without DNS, only what the URL spells out (see :mod:`playground.net.addresses`): local-only names and
    literal addresses in any spelling that are not public. Names are resolved and judged before a run is
    sent (``hosting.callback_refusal``). Where a visitor types the URL, loopback is refused too (in demo
    mode the simulator posts from this server); a body read back by the simulator may name loopback, the
    sender's own machine.
    """
    try:
        raw = urlsplit(url).hostname or ""
    except ValueError:
        return "callback_url is not a valid URL"
    reach = "give an address the provider can reach from the internet"
    if not raw:
        return f"callback_url has no host name; {reach}"
    try:
        host = addresses.parse_host(raw)
    except ValueError:
        return f"callback_url has a host name that cannot be looked up; {reach}"
    kind = host.kind
    if kind is None or kind.public or (allow_loopback and kind is addresses.Kind.LOOPBACK):
        return None
    return f"callback_url points to {host.text}, {kind.value}; {reach}"


def _check_callback_events(r: Resolved) -> str | None:
    events = r.form.callback_events
    if not events:
        return None
    if not r.model.supports_callback_events:
        return f"callback_events is not a parameter of {r.model.id}"
    unknown = [e for e in events if e not in CALLBACK_EVENTS]
    if unknown:
        return f"unknown callback events {unknown}; allowed: {_choices(CALLBACK_EVENTS)}"
    if not r.form.callback_url:
        return "callback_events needs a callback_url"
    return None


#: Checked in order; rules after the model and action checks may assume both are valid.
RULES: tuple[Rule, ...] = (
    Rule("action-offered", "action", _check_action),
    Rule("prompt-required", "prompt", _check_prompt),
    Rule("duration-offered", "duration", _check_duration),
    Rule("resolution-offered", "resolution", _check_resolution),
    Rule("aspect-offered", "aspect_ratio", _check_aspect),
    Rule("4k-needs-audio", "generate_audio", _check_4k_audio),
    Rule("hires-needs-8s", "duration", _check_hires_duration),
    Rule("audio-switch", "generate_audio", _check_audio_switch),
    Rule("samples-range", "sample_count", _check_samples),
    Rule("seed", "seed", _check_seed),
    Rule("negative-prompt", "negative_prompt", _check_negative_prompt),
    Rule("person-policy", "person_generation", _check_person),
    Rule("enhance-stays-on", "enhance_prompt", _check_enhance),
    Rule("resize-mode", "resize_mode", _check_resize),
    Rule("raw-remix-only", "raw", _check_raw),
    Rule("first-frame", "first_frame_image", _image_rule("first_frame_image")),
    Rule("last-frame", "last_frame_image", _image_rule("last_frame_image")),
    Rule("image-urls", "image_urls", _check_image_urls),
    Rule("callback-url", "callback_url", _check_callback),
    Rule("callback-events", "callback_events", _check_callback_events),
)


@dataclass(frozen=True)
class BuiltRequest:
    """The outcome of :func:`build_request`: a body to send, or the problems that stop it."""

    body: dict[str, Any] | None
    problems: tuple[Problem, ...] = ()
    resolved: Resolved | None = None

    @property
    def ok(self) -> bool:
        return self.body is not None

    def message(self) -> str:
        return "\n".join(f"• {p}" for p in self.problems)


def check(form: FormValues) -> list[Problem]:
    """Every problem with the form, in the order a person would fix them."""
    if form.model not in MODELS_BY_ID:
        return [Problem("model", f"unknown model {form.model!r}; choose one of {_choices(MODELS_BY_ID)}")]
    problems = [Problem("field", f"{name} is not a parameter of the Wave API") for name in getattr(form, "_unknown", [])]
    resolved = resolve(form)
    for rule in RULES:
        message = rule.broken(resolved)
        if message:
            problems.append(Problem(rule.field, message))
            if rule.name == "action-offered":
                break  # the other rules assume a valid action
    return problems


def build_request(form: FormValues) -> BuiltRequest:
    """Turn form values into the exact JSON body for ``POST /v1/tasks``, or explain why not."""
    problems = check(form)
    if problems:
        return BuiltRequest(body=None, problems=tuple(problems))
    r = resolve(form)
    spec = r.model
    body: dict[str, Any] = {
        "model": spec.id,
        "action": r.action,
        "prompt": r.prompt,
        "aspect_ratio": r.aspect_ratio,
        "resolution": r.resolution,
        "duration": r.duration,
    }
    if spec.audio_switch:
        body["generate_audio"] = r.audio
    if spec.max_samples > 1:
        body["sample_count"] = r.samples
    if form.negative_prompt:
        body["negative_prompt"] = form.negative_prompt
    if form.seed is not None:
        body["seed"] = form.seed
    if form.person_generation is not None:
        if spec.person_field == "extra.personGeneration":
            body["extra"] = {"personGeneration": form.person_generation}
        else:
            body["person_generation"] = form.person_generation
    if spec.supports_enhance_prompt and form.enhance_prompt is not None:
        body["enhance_prompt"] = True
    if r.action in IMAGE_ACTIONS and form.resize_mode is not None:
        body["resize_mode"] = form.resize_mode
    if r.action == "remix" and form.raw is not None:
        body["raw"] = form.raw
    for name in ("first_frame_image", "last_frame_image"):
        if getattr(form, name):
            body[name] = getattr(form, name)
    if form.image_urls:
        body["image_urls"] = list(form.image_urls)
    if form.callback_url:
        body["callback_url"] = form.callback_url
    if form.callback_events:
        body["callback_events"] = list(form.callback_events)
    return BuiltRequest(body=body, resolved=r)


# --------------------------------------------------------------------------------------------
# What the form may offer: the UI asks these instead of knowing rules itself
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ControlState:
    """What one control may offer for the current model, action and other values."""

    choices: tuple[Any, ...]
    value: Any
    locked: bool = False
    why: str = ""


@dataclass(frozen=True)
class FormCapabilities:
    duration: ControlState
    resolution: ControlState
    audio: ControlState
    samples: ControlState
    person: ControlState
    seed_offered: bool
    negative_prompt_offered: bool
    enhance_prompt_offered: bool
    resize_mode_offered: bool
    raw_offered: bool
    notes: tuple[str, ...] = field(default_factory=tuple)


def capabilities(model_id: str, action: str, resolution: str | None, duration: int | None,
                 audio: bool | None, person: str | None = None, samples: int | None = None) -> FormCapabilities:
    """Which values each control should offer now, nudging the current ones to valid values.

    Nudges follow the page's rules the way a person expects: picking 4K turns audio on, picking
    1080p on an older-page model sets 8 s, a per-call tier fixes 8 s.
    """
    spec = get_model(model_id)
    notes: list[str] = []
    res = resolution if resolution in spec.resolutions else spec.default_resolution
    dur = duration if duration in spec.durations else spec.default_duration

    if spec.hires_needs_8s and res in ("1080p", "4k") and dur != 8:
        dur = 8
        notes.append(f"{res} on {spec.id} needs 8 s, so the duration was set to 8 s.")
    if len(spec.durations) == 1:
        dur_state = ControlState(spec.durations, dur, True, f"{spec.id} is a per-call tier: 8 s only.")
    elif spec.hires_needs_8s and res in ("1080p", "4k"):
        dur_state = ControlState((8,), 8, True, f"{res} on {spec.id} needs 8 s (older page).")
    else:
        dur_state = ControlState(spec.durations, dur)

    if spec.audio_always_on:
        audio_state = ControlState((True,), True, True, f"{spec.id} always generates native audio.")
    elif res == "4k":
        if audio is False:
            notes.append("4K has no muted output, so audio was switched on.")
        audio_state = ControlState((True,), True, True, "4K has no muted output: audio is required.")
    else:
        audio_state = ControlState((False, True), bool(audio))

    res_why = ""
    if "4k" not in spec.resolutions:
        res_why = ("4K is for official tiers only." if spec.channel is Channel.REVERSE
                   else "4K is offered on VEO 3.1 and 3.1 Fast only.")
    res_state = ControlState(spec.resolutions, res, False, res_why)

    if spec.max_samples == 1:
        samples_state = ControlState((1,), 1, True, f"{spec.id} renders one video per task.")
    else:
        s = samples if isinstance(samples, int) and 1 <= samples <= spec.max_samples else 1
        samples_state = ControlState(tuple(range(1, spec.max_samples + 1)), s)

    p = person if person in spec.person_choices else spec.person_default
    person_state = ControlState(spec.person_choices, p)

    return FormCapabilities(
        duration=dur_state,
        resolution=res_state,
        audio=audio_state,
        samples=samples_state,
        person=person_state,
        seed_offered=spec.supports_seed,
        negative_prompt_offered=spec.supports_negative_prompt,
        enhance_prompt_offered=spec.supports_enhance_prompt,
        resize_mode_offered=spec.supports_resize_mode and action in IMAGE_ACTIONS,
        raw_offered=spec.supports_raw and action == "remix",
        notes=tuple(notes),
    )

