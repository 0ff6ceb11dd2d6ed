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
from .models import (
    ACTION_LABELS,
    ACTIONS,
    CALLBACK_EVENTS,
    IMAGE_ACTIONS,
    MAX_SEED,
    MODELS_BY_ID,
    PROMPT_MAX_CHARS,
    REQUIRED_IMAGES,
    RESIZE_MODES,
    Channel,
)
from .values import FormValues, Resolved, resolve


@dataclass(frozen=True)
class Problem:
    """One reason a request cannot be sent, in words a person can act on."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


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
            f"{r.model.id} does not offer {ACTION_LABELS[r.action]} ({r.action}); it offers {_choices(r.model.actions)}"
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
        return (
            "negative_prompt is offered on the older page's models only (veo-3.1, veo-3.1-fast, veo-3.0), "
            f"not {r.model.id}"
        )
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


def check(form: FormValues) -> list[Problem]:
    """Every problem with the form, in the order a person would fix them."""
    if form.model not in MODELS_BY_ID:
        return [Problem("model", f"unknown model {form.model!r}; choose one of {_choices(MODELS_BY_ID)}")]
    unknown = getattr(form, "_unknown", [])
    problems = [Problem("field", f"{name} is not a parameter of the Wave API") for name in unknown]
    resolved = resolve(form)
    for rule in RULES:
        message = rule.broken(resolved)
        if message:
            problems.append(Problem(rule.field, message))
            if rule.name == "action-offered":
                break  # the other rules assume a valid action
    return problems
