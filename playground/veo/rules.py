"""The constraints of the two seed pages, each with the message a person reads when it is broken.

:func:`check` runs :data:`RULES` in order over the resolved values; the simulator refuses what it
refuses, and :func:`playground.veo.request.build_request` sends nothing it refuses.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..net import addresses
from ..texts import text
from .models import (
    ACTION_LABELS,
    ACTIONS,
    CALLBACK_EVENTS,
    IMAGE_ACTIONS,
    MAX_REFERENCE_IMAGES,
    MAX_SEED,
    MODELS_BY_ID,
    PROMPT_MAX_CHARS,
    REQUIRED_IMAGES,
    RESIZE_MODES,
    Channel,
)
from .values import FormValues, Resolved, resolve

#: A problem as one line; the field is the API's name for it, kept as written in every language.
PROBLEM = text("veo.rules.problem", "{field}: {message}")


@dataclass(frozen=True)
class Problem:
    """One reason a request cannot be sent, in words a person can act on (a Message where the rules word it)."""

    field: str
    message: str

    def __str__(self) -> str:
        return PROBLEM(field=self.field, message=self.message)


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


ACTION_UNKNOWN = text("veo.rules.action_unknown", "unknown action {action}; allowed: {allowed}")
ACTION_NOT_OFFERED = text(
    "veo.rules.action_not_offered", "{model} does not offer {label} ({action}); it offers {offered}"
)


def _check_action(r: Resolved) -> str | None:
    if r.action not in ACTIONS:
        return ACTION_UNKNOWN(action=repr(r.action), allowed=_choices(ACTIONS))
    if r.action not in r.model.actions:
        return ACTION_NOT_OFFERED(
            model=r.model.id, label=ACTION_LABELS[r.action], action=r.action, offered=_choices(r.model.actions)
        )
    return None


PROMPT_REQUIRED = text("veo.rules.prompt_required", "a prompt is required for every action")
PROMPT_TOO_LONG = text("veo.rules.prompt_too_long", "the prompt has {length} characters; at most {limit} are allowed")
#: Said of the prompt and of negative_prompt alike (``{text}``: which of them).
THE_PROMPT = text("veo.rules.the_prompt", "the prompt")()
HAS_CONTROLS = text("veo.rules.has_controls", "{text} contains control characters; remove them")
HAS_BROKEN = text(
    "veo.rules.has_broken",
    "{text} contains a broken character (an unpaired surrogate) that cannot be sent; retype it",
)


def _check_prompt(r: Resolved) -> str | None:
    if not isinstance(r.form.prompt, str) or not r.form.prompt.strip():
        return PROMPT_REQUIRED()
    if len(r.form.prompt) > PROMPT_MAX_CHARS:
        return PROMPT_TOO_LONG(length=len(r.form.prompt), limit=PROMPT_MAX_CHARS)
    if has_control_characters(r.form.prompt):
        return HAS_CONTROLS(text=THE_PROMPT)
    if not _encodable(r.form.prompt):
        return HAS_BROKEN(text=THE_PROMPT)
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


DURATION_NOT_WHOLE = text(
    "veo.rules.duration_not_whole", "duration must be a whole number of seconds ({allowed} on {model}); got {got}"
)
DURATION_PER_CALL = text(
    "veo.rules.duration_per_call", "{model} renders 8-second videos only (per-call tier); got {got}"
)
DURATION_NOT_OFFERED = text("veo.rules.duration_not_offered", "{got} s is not offered by {model}; allowed: {allowed} s")


def _check_duration(r: Resolved) -> str | None:
    allowed, got = _choices(r.model.durations), repr(r.duration)
    if not _is_int(r.duration):
        return DURATION_NOT_WHOLE(allowed=allowed, model=r.model.id, got=got)
    if r.duration not in r.model.durations:
        if r.model.durations == (8,):
            return DURATION_PER_CALL(model=r.model.id, got=got)
        return DURATION_NOT_OFFERED(got=got, model=r.model.id, allowed=allowed)
    return None


RESOLUTION_4K_OFFICIAL = text(
    "veo.rules.resolution_4k_official", "4K is offered on official tiers only; {model} renders {allowed}"
)
RESOLUTION_4K_OLDER = text(
    "veo.rules.resolution_4k_older", "4K is offered on VEO 3.1 and 3.1 Fast only; veo-3.0 renders 720p or 1080p"
)
RESOLUTION_NOT_OFFERED = text(
    "veo.rules.resolution_not_offered", "{resolution} is not offered by {model}; allowed: {allowed}"
)
ASPECT_NOT_OFFERED = text("veo.rules.aspect_not_offered", "{aspect} is not offered; allowed: {allowed}")


def _check_resolution(r: Resolved) -> str | None:
    if r.resolution in r.model.resolutions:
        return None
    allowed = _choices(r.model.resolutions)
    if r.resolution == "4k" and r.model.channel is Channel.REVERSE:
        return RESOLUTION_4K_OFFICIAL(model=r.model.id, allowed=allowed)
    if r.resolution == "4k" and r.model.page == "older":
        return RESOLUTION_4K_OLDER()
    return RESOLUTION_NOT_OFFERED(resolution=repr(r.resolution), model=r.model.id, allowed=allowed)


def _check_aspect(r: Resolved) -> str | None:
    if r.aspect_ratio not in r.model.aspect_ratios:
        return ASPECT_NOT_OFFERED(aspect=repr(r.aspect_ratio), allowed=_choices(r.model.aspect_ratios))
    return None


AUDIO_FOR_4K = text(
    "veo.rules.audio_for_4k", "4K has no muted output: turn generate_audio on (it is priced as 4K + audio)"
)
HIRES_NEEDS_8S = text(
    "veo.rules.hires_needs_8s", "on {model}, {resolution} needs an 8-second duration; got {duration} s"
)
#: ``{name} must be true or false``, for every switch the rules judge (generate_audio, raw).
NOT_A_FLAG = text("veo.rules.not_a_flag", "{name} must be true or false")
AUDIO_ALWAYS_ON = text(
    "veo.rules.audio_always_on", "{model} always generates native audio; it has no generate_audio switch"
)


def _check_4k_audio(r: Resolved) -> str | None:
    if r.resolution == "4k" and r.model.audio_switch and not r.audio:
        return AUDIO_FOR_4K()
    return None


def _check_hires_duration(r: Resolved) -> str | None:
    if r.model.hires_needs_8s and r.resolution in ("1080p", "4k") and r.duration != 8:
        return HIRES_NEEDS_8S(model=r.model.id, resolution=r.resolution, duration=r.duration)
    return None


def _check_audio_switch(r: Resolved) -> str | None:
    if r.form.generate_audio is not None and not isinstance(r.form.generate_audio, bool):
        return NOT_A_FLAG(name="generate_audio")
    if r.form.generate_audio is False and not r.model.audio_switch:
        return AUDIO_ALWAYS_ON(model=r.model.id)
    return None


ONE_SAMPLE_ONLY = text("veo.rules.one_sample_only", "{model} renders one video per task; sample_count is not offered")
SAMPLES_RANGE = text("veo.rules.samples_range", "sample_count must be a whole number from 1 to {most}; got {got}")
SEED_NOT_OFFERED = text(
    "veo.rules.seed_not_offered",
    "seed is offered on the VEO 3.1 series of the older page only (veo-3.1, veo-3.1-fast), not {model}",
)
SEED_RANGE = text("veo.rules.seed_range", "seed must be a whole number from 0 to {most}; got {got}")


def _check_samples(r: Resolved) -> str | None:
    if not _is_int(r.samples) or not 1 <= r.samples <= r.model.max_samples:
        if r.model.max_samples == 1:
            return ONE_SAMPLE_ONLY(model=r.model.id)
        return SAMPLES_RANGE(most=r.model.max_samples, got=repr(r.samples))
    return None


def _check_seed(r: Resolved) -> str | None:
    seed = r.form.seed
    if seed is None:
        return None
    if not r.model.supports_seed:
        return SEED_NOT_OFFERED(model=r.model.id)
    if not _is_int(seed) or not 0 <= seed <= MAX_SEED:
        return SEED_RANGE(most=MAX_SEED, got=repr(seed))
    return None


NEGATIVE_NOT_OFFERED = text(
    "veo.rules.negative_not_offered",
    "negative_prompt is offered on the older page's models only (veo-3.1, veo-3.1-fast, veo-3.0), not {model}",
)
NEGATIVE_TOO_LONG = text("veo.rules.negative_too_long", "negative_prompt must be text of at most {limit} characters")
PERSON_NOT_OFFERED = text(
    "veo.rules.person_not_offered", "{value} is not a person policy of {model}; allowed: {allowed}"
)


def _check_negative_prompt(r: Resolved) -> str | None:
    neg = r.form.negative_prompt
    if neg is None or neg == "":
        return None
    if not r.model.supports_negative_prompt:
        return NEGATIVE_NOT_OFFERED(model=r.model.id)
    if not isinstance(neg, str) or len(neg) > PROMPT_MAX_CHARS:
        return NEGATIVE_TOO_LONG(limit=PROMPT_MAX_CHARS)
    if has_control_characters(neg):
        return HAS_CONTROLS(text="negative_prompt")
    if not _encodable(neg):
        return HAS_BROKEN(text="negative_prompt")
    return None


def _check_person(r: Resolved) -> str | None:
    value = r.form.person_generation
    if value is None or value in r.model.person_choices:
        return None
    return PERSON_NOT_OFFERED(value=repr(value), model=r.model.id, allowed=_choices(r.model.person_choices))


#: A field this model does not take (enhance_prompt, resize_mode, raw, image_urls, callback_events).
NOT_A_PARAMETER = text("veo.rules.not_a_parameter", "{name} is not a parameter of {model}")
ENHANCE_STAYS_ON = text(
    "veo.rules.enhance_stays_on", "enhance_prompt must stay true (Vertex AI forces prompt enhancement on)"
)
RESIZE_NEEDS_IMAGE = text("veo.rules.resize_needs_image", "resize_mode applies only to actions with an input image")
RESIZE_UNKNOWN = text("veo.rules.resize_unknown", "{value} is not a resize mode; allowed: {allowed}")
RAW_REMIX_ONLY = text("veo.rules.raw_remix_only", "raw applies to Remix only (it returns just the extension)")


def _check_enhance(r: Resolved) -> str | None:
    value = r.form.enhance_prompt
    if value is None:
        return None
    if not r.model.supports_enhance_prompt:
        return NOT_A_PARAMETER(name="enhance_prompt", model=r.model.id)
    if value is not True:
        return ENHANCE_STAYS_ON()
    return None


def _check_resize(r: Resolved) -> str | None:
    value = r.form.resize_mode
    if value is None:
        return None
    if not r.model.supports_resize_mode:
        return NOT_A_PARAMETER(name="resize_mode", model=r.model.id)
    if r.action not in IMAGE_ACTIONS:
        return RESIZE_NEEDS_IMAGE()
    if value not in RESIZE_MODES:
        return RESIZE_UNKNOWN(value=repr(value), allowed=_choices(RESIZE_MODES))
    return None


def _check_raw(r: Resolved) -> str | None:
    value = r.form.raw
    if value is None:
        return None
    if not isinstance(value, bool):
        return NOT_A_FLAG(name="raw")
    if not r.model.supports_raw:
        return NOT_A_PARAMETER(name="raw", model=r.model.id)
    if r.action != "remix" and value:
        return RAW_REMIX_ONLY()
    return None


def is_http_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://")) and len(value) > 10


#: What an image field holds, in words: the remix source, or the frame it names.
SOURCE_CLIP = text("veo.rules.source_clip", "source clip")()
_IMAGE_WORDS = {
    "first_frame_image": text("veo.rules.first_frame_image", "first frame image")(),
    "last_frame_image": text("veo.rules.last_frame_image", "last frame image")(),
}
IMAGE_NEEDED = text("veo.rules.image_needed", "{action} needs a {what}")
IMAGE_NOT_USED = text("veo.rules.image_not_used", "{field} is not used by {action}")
IMAGE_NOT_A_LINK = text("veo.rules.image_not_a_link", "the {what} must be a public http(s) URL the provider can fetch")


def field_words(field_name: str) -> str:
    """An image field in words ("first frame image"), a Message where the rules word it."""
    return _IMAGE_WORDS.get(field_name, field_name.replace("_", " "))


def _image_rule(field_name: str) -> Callable[[Resolved], str | None]:
    def check(r: Resolved) -> str | None:
        value = getattr(r.form, field_name)
        needed = field_name in REQUIRED_IMAGES.get(r.action, ())
        what = SOURCE_CLIP if r.action == "remix" else field_words(field_name)
        action = ACTION_LABELS.get(r.action, r.action)
        if needed and not value:
            return IMAGE_NEEDED(action=action, what=what)
        if value and not needed:
            return IMAGE_NOT_USED(field=field_name, action=action)
        if value and not is_http_url(value):
            return IMAGE_NOT_A_LINK(what=what)
        return None

    return check


IMAGE_URLS_NOT_LINKS = text("veo.rules.image_urls_not_links", "image_urls must be a list of public http(s) URLs")
IMAGE_URLS_TOO_MANY = text(
    "veo.rules.image_urls_too_many", "image_urls takes at most {most} reference images; got {count}"
)


def _check_image_urls(r: Resolved) -> str | None:
    urls = r.form.image_urls
    if not urls:
        return None
    if not r.model.supports_image_urls:
        return NOT_A_PARAMETER(name="image_urls", model=r.model.id)
    if not isinstance(urls, list) or not all(is_http_url(u) for u in urls):
        return IMAGE_URLS_NOT_LINKS()
    if len(urls) > MAX_REFERENCE_IMAGES:
        return IMAGE_URLS_TOO_MANY(most=MAX_REFERENCE_IMAGES, count=len(urls))
    return None


CALLBACK_NOT_A_LINK = text(
    "veo.rules.callback_not_a_link", "callback_url must be an http(s) URL the provider can reach"
)
CALLBACK_INVALID = text("veo.rules.callback_invalid", "callback_url is not a valid URL")
CALLBACK_NO_HOST = text(
    "veo.rules.callback_no_host",
    "callback_url has no host name; give an address the provider can reach from the internet",
)
CALLBACK_UNKNOWN_HOST = text(
    "veo.rules.callback_unknown_host",
    "callback_url has a host name that cannot be looked up; give an address the provider can reach from the internet",
)
CALLBACK_NOT_PUBLIC = text(
    "veo.rules.callback_not_public",
    "callback_url points to {host}, {kind}; give an address the provider can reach from the internet",
)
EVENTS_UNKNOWN = text("veo.rules.events_unknown", "unknown callback events {unknown}; allowed: {allowed}")
EVENTS_NEED_URL = text("veo.rules.events_need_url", "callback_events needs a callback_url")


def _check_callback(r: Resolved) -> str | None:
    url = r.form.callback_url
    if url and not is_http_url(url):
        return CALLBACK_NOT_A_LINK()
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
        return CALLBACK_INVALID()
    if not raw:
        return CALLBACK_NO_HOST()
    try:
        host = addresses.parse_host(raw)
    except ValueError:
        return CALLBACK_UNKNOWN_HOST()
    kind = host.kind
    if kind is None or kind.public or (allow_loopback and kind is addresses.Kind.LOOPBACK):
        return None
    return CALLBACK_NOT_PUBLIC(host=host.text, kind=kind.value)


def _check_callback_events(r: Resolved) -> str | None:
    events = r.form.callback_events
    if not events:
        return None
    if not r.model.supports_callback_events:
        return NOT_A_PARAMETER(name="callback_events", model=r.model.id)
    unknown = [e for e in events if e not in CALLBACK_EVENTS]
    if unknown:
        return EVENTS_UNKNOWN(unknown=str(unknown), allowed=_choices(CALLBACK_EVENTS))
    if not r.form.callback_url:
        return EVENTS_NEED_URL()
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


MODEL_UNKNOWN = text("veo.rules.model_unknown", "unknown model {model}; choose one of {choices}")
NOT_AN_API_FIELD = text("veo.rules.not_an_api_field", "{name} is not a parameter of the Wave API")


def check(form: FormValues) -> list[Problem]:
    """Every problem with the form, in the order a person would fix them."""
    if form.model not in MODELS_BY_ID:
        return [Problem("model", MODEL_UNKNOWN(model=repr(form.model), choices=_choices(MODELS_BY_ID)))]
    unknown = getattr(form, "_unknown", [])
    problems = [Problem("field", NOT_AN_API_FIELD(name=name)) for name in unknown]
    resolved = resolve(form)
    for rule in RULES:
        message = rule.broken(resolved)
        if message:
            problems.append(Problem(rule.field, message))
            if rule.name == "action-offered":
                break  # the other rules assume a valid action
    return problems
