"""The request body: which fields a model takes, and form values turned into the exact JSON to send.

:func:`fields_taken` is the one answer to "which fields does this model take on this action"; the body
(:func:`build_request`), the page's form, the API endpoints and the form capabilities all ask it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..texts import text
from .models import IMAGE_ACTIONS, REQUIRED_IMAGES, ModelSpec
from .rules import Problem, check
from .values import FormValues, Resolved, resolve

#: Fields every request carries, on every model and action.
BASE_FIELDS: tuple[str, ...] = ("model", "action", "prompt", "aspect_ratio", "resolution", "duration")


def fields_taken(spec: ModelSpec, action: str) -> frozenset[str]:
    """The request fields (named as in :class:`FormValues`) ``spec`` takes on ``action``.

    A field outside this set is not a parameter of that model or action: the form leaves it unset,
    the body leaves it out. ``person_generation`` is always taken; :attr:`ModelSpec.person_field`
    says where the body carries it.
    """
    taken = {*BASE_FIELDS, "person_generation", "callback_url", *REQUIRED_IMAGES.get(action, ())}
    optional = {
        "generate_audio": spec.audio_switch,
        "sample_count": spec.max_samples > 1,
        "negative_prompt": spec.supports_negative_prompt,
        "seed": spec.supports_seed,
        "enhance_prompt": spec.supports_enhance_prompt,
        "resize_mode": spec.supports_resize_mode and action in IMAGE_ACTIONS,
        "raw": spec.supports_raw and action == "remix",
        "image_urls": spec.supports_image_urls,
        "callback_events": spec.supports_callback_events,
    }
    return frozenset(taken | {name for name, offered in optional.items() if offered})


FIRST_LINE = text("veo.request.first_line", "• {field}: {message}")
NEXT_LINE = text("veo.request.next_line", "{before}\n• {field}: {message}")


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
        """Every problem on a line of its own, as one Message (each line joins the ones before it)."""
        said = ""
        for p in self.problems:
            line = {"field": p.field, "message": p.message}
            said = NEXT_LINE(before=said, **line) if said else FIRST_LINE(**line)
        return said


def build_request(form: FormValues) -> BuiltRequest:
    """Turn form values into the exact JSON body for ``POST /v1/tasks``, or explain why not."""
    problems = check(form)
    if problems:
        return BuiltRequest(body=None, problems=tuple(problems))
    r = resolve(form)
    spec = r.model
    taken = fields_taken(spec, r.action)
    body: dict[str, Any] = {
        "model": spec.id,
        "action": r.action,
        "prompt": r.prompt,
        "aspect_ratio": r.aspect_ratio,
        "resolution": r.resolution,
        "duration": r.duration,
    }
    # Resolved values go in whenever the model takes them; the rest only when given.
    if "generate_audio" in taken:
        body["generate_audio"] = r.audio
    if "sample_count" in taken:
        body["sample_count"] = r.samples
    body.update(_given_fields(form, spec, taken))
    return BuiltRequest(body=body, resolved=r)


def _given_fields(form: FormValues, spec: ModelSpec, taken: frozenset[str]) -> dict[str, Any]:  # noqa: C901 - one flat test per optional field, in body order
    """The optional fields the form gives and the model takes, in the order the body lists them."""
    given: dict[str, Any] = {}
    if "negative_prompt" in taken and form.negative_prompt:
        given["negative_prompt"] = form.negative_prompt
    if "seed" in taken and form.seed is not None:
        given["seed"] = form.seed
    if form.person_generation is not None:
        if spec.person_field == "extra.personGeneration":
            given["extra"] = {"personGeneration": form.person_generation}
        else:
            given["person_generation"] = form.person_generation
    if "enhance_prompt" in taken and form.enhance_prompt is not None:
        given["enhance_prompt"] = True  # Vertex AI forces it on; the rules refuse anything else
    if "resize_mode" in taken and form.resize_mode is not None:
        given["resize_mode"] = form.resize_mode
    if "raw" in taken and form.raw is not None:
        given["raw"] = form.raw
    for name in ("first_frame_image", "last_frame_image"):
        if name in taken and getattr(form, name):
            given[name] = getattr(form, name)
    if "image_urls" in taken and form.image_urls:
        given["image_urls"] = list(form.image_urls)
    if form.callback_url:
        given["callback_url"] = form.callback_url
    if "callback_events" in taken and form.callback_events:
        given["callback_events"] = list(form.callback_events)
    return given
