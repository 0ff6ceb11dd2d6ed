"""What the form may offer: the UI asks these instead of knowing rules itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..texts import text
from .models import Channel, get_model
from .request import fields_taken

# What a locked control or a nudge says; each states one rule of the pages (see :mod:`.rules`).
SET_TO_8S = text("veo.capabilities.set_to_8s", "{resolution} on {model} needs 8 s, so the duration was set to 8 s.")
PER_CALL_8S = text("veo.capabilities.per_call_8s", "{model} is a per-call tier: 8 s only.")
HIRES_8S = text("veo.capabilities.hires_8s", "{resolution} on {model} needs 8 s (older page).")
NATIVE_AUDIO = text("veo.capabilities.native_audio", "{model} always generates native audio.")
AUDIO_SWITCHED_ON = text("veo.capabilities.audio_switched_on", "4K has no muted output, so audio was switched on.")
AUDIO_REQUIRED = text("veo.capabilities.audio_required", "4K has no muted output: audio is required.")
NO_4K_REVERSE = text("veo.capabilities.no_4k_reverse", "4K is for official tiers only.")
NO_4K_OLDER = text("veo.capabilities.no_4k_older", "4K is offered on VEO 3.1 and 3.1 Fast only.")
ONE_VIDEO = text("veo.capabilities.one_video", "{model} renders one video per task.")


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
    image_urls_offered: bool
    callback_events_offered: bool
    notes: tuple[str, ...] = field(default_factory=tuple)


def capabilities(
    model_id: str,
    action: str,
    resolution: str | None,
    duration: int | None,
    audio: bool | None,
    person: str | None = None,
    samples: int | None = None,
) -> FormCapabilities:
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
        notes.append(SET_TO_8S(resolution=res, model=spec.id))
    if len(spec.durations) == 1:
        dur_state = ControlState(spec.durations, dur, True, PER_CALL_8S(model=spec.id))
    elif spec.hires_needs_8s and res in ("1080p", "4k"):
        dur_state = ControlState((8,), 8, True, HIRES_8S(resolution=res, model=spec.id))
    else:
        dur_state = ControlState(spec.durations, dur)

    if spec.audio_always_on:
        audio_state = ControlState((True,), True, True, NATIVE_AUDIO(model=spec.id))
    elif res == "4k":
        if audio is False:
            notes.append(AUDIO_SWITCHED_ON())
        audio_state = ControlState((True,), True, True, AUDIO_REQUIRED())
    else:
        audio_state = ControlState((False, True), bool(audio))

    res_why = ""
    if "4k" not in spec.resolutions:
        res_why = NO_4K_REVERSE() if spec.channel is Channel.REVERSE else NO_4K_OLDER()
    res_state = ControlState(spec.resolutions, res, False, res_why)

    if spec.max_samples == 1:
        samples_state = ControlState((1,), 1, True, ONE_VIDEO(model=spec.id))
    else:
        s = samples if isinstance(samples, int) and 1 <= samples <= spec.max_samples else 1
        samples_state = ControlState(tuple(range(1, spec.max_samples + 1)), s)

    p = person if person in spec.person_choices else spec.person_default
    person_state = ControlState(spec.person_choices, p)
    taken = fields_taken(spec, action)

    return FormCapabilities(
        duration=dur_state,
        resolution=res_state,
        audio=audio_state,
        samples=samples_state,
        person=person_state,
        seed_offered="seed" in taken,
        negative_prompt_offered="negative_prompt" in taken,
        enhance_prompt_offered="enhance_prompt" in taken,
        resize_mode_offered="resize_mode" in taken,
        raw_offered="raw" in taken,
        image_urls_offered="image_urls" in taken,
        callback_events_offered="callback_events" in taken,
        notes=tuple(notes),
    )
