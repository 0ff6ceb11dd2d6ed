"""Request values: what a person or an API caller asks for, and the same with the model's defaults filled in.

:class:`FormValues` holds the values before validation (``None`` for "not given"); :func:`resolve`
turns them into :class:`Resolved`, what the provider would actually render, which the rules
(:mod:`.rules`) judge and the prices (:mod:`.prices`) price.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .models import DEFAULT_MODEL, ModelSpec, get_model


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
    def from_body(cls, body: Mapping[str, Any], *, received: bool = True) -> FormValues:
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
