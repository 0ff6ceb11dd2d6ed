"""Storyboards: a longer piece made shot by shot, each shot continuing the clip before it. No I/O here.

Shot 1 is a ``generate`` (or an ``image2video`` from the board's first frame); every later shot is a
``remix`` of the clip before it with ``raw`` set, so each shot's own clip is its extension only and
the board is joined here. Each shot is judged by the same rules and priced by the same table as its
tab, so a board can never send what a tab would refuse. The whole board is judged before any shot runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..texts import Message, text
from .models import MODELS_BY_ID, models_for_action
from .prices import Estimate, estimate
from .reading import Reader, read_objects
from .request import BuiltRequest, build_request
from .values import FormValues

MIN_SHOTS, MAX_SHOTS = 2, 10
#: Stands in for the clip a later shot continues (or the board's first frame) until it exists, so
#: a whole board is judged and priced before anything runs; never sent.
PENDING_CLIP_URL = "https://pending-clip.invalid/previous-shot.mp4"

NOT_A_LIST = text("veo.storyboard.not_a_list", "shots must be a list of objects (or a JSON text of one); got {got}")
NOT_AN_OBJECT = text("veo.storyboard.not_an_object", "shot {n} must be an object; got {got}")
UNKNOWN_FIELD = text(
    "veo.storyboard.unknown_field", "shot {n}: {name} is not a shot setting (it takes prompt, duration)"
)
IN_SHOT = text("veo.storyboard.in_shot", "shot {n}: {problem}")
SHOT_COUNT = text("veo.storyboard.shot_count", "A storyboard has {low} to {high} shots; got {count}.")
SHOT_PROBLEM = text("veo.storyboard.shot_problem", "Shot {n}: {problem}")
CANNOT_CONTINUE = text(
    "veo.storyboard.cannot_continue",
    "{model} cannot continue a clip (remix), so it cannot make a storyboard; choose one of {models}.",
)


@dataclass(frozen=True)
class Shot:
    """One shot: what happens in it, and for how long (``None``: the model's default)."""

    prompt: str
    duration: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"prompt": self.prompt} | ({"duration": self.duration} if self.duration is not None else {})


@dataclass(frozen=True)
class BoardSettings:
    """What every shot of a board shares."""

    model: str
    resolution: str | None = None
    aspect_ratio: str | None = None
    generate_audio: bool | None = None
    #: Shot 1 starts from an image (``image2video``) rather than from text.
    from_image: bool = False


def board_models() -> list[str]:
    """The models a board can use: they make the first shot and continue it."""
    return [m.id for m in models_for_action("remix")]


def read_shots(raw: Any, read: Reader) -> list[Shot]:
    """``raw`` (a list of ``{"prompt", "duration"?}``, or a JSON text of one) as shots, read strictly."""
    shots = []
    for n, item in read_objects(raw, read, "shots", NOT_A_LIST, NOT_AN_OBJECT):
        for name in sorted(set(item) - {"prompt", "duration"}):
            read.refuse("shots", UNKNOWN_FIELD(n=n, name=name))
        own = Reader()
        duration = item.get("duration")
        shots.append(
            Shot(
                prompt=own.text("prompt", item.get("prompt", "")),
                duration=None if duration in (None, "") else own.whole_number("duration", duration),
            )
        )
        for problem in own.problems:
            read.refuse("shots", IN_SHOT(n=n, problem=problem.message))
    return shots


def shot_action(settings: BoardSettings, index: int) -> str:
    if index > 0:
        return "remix"
    return "image2video" if settings.from_image else "generate"


def shot_form(settings: BoardSettings, shot: Shot, index: int, source: str | None = None) -> FormValues:
    """The request of shot ``index``: ``source`` is the clip it continues (or, for shot 1, the first frame)."""
    action = shot_action(settings, index)
    form = FormValues(
        model=settings.model,
        action=action,
        prompt=shot.prompt,
        duration=shot.duration,
        resolution=settings.resolution,
        aspect_ratio=settings.aspect_ratio,
        generate_audio=settings.generate_audio,
    )
    if action != "generate":
        form.first_frame_image = source or PENDING_CLIP_URL
    if action == "remix":
        form.raw = True  # each shot's own clip is its extension; the board is joined from them
    return form


@dataclass(frozen=True)
class ShotPlan:
    shot: Shot
    built: BuiltRequest
    estimate: Estimate | None

    @property
    def cost(self) -> float | None:
        return self.estimate.total if self.estimate and self.estimate.price_set else None

    @property
    def seconds(self) -> int:
        resolved = self.built.resolved
        return int(resolved.duration) if resolved is not None and resolved.duration else 0


@dataclass(frozen=True)
class BoardPlan:
    """Every shot judged and priced before anything runs; ``problems`` name the shot they belong to."""

    settings: BoardSettings
    shots: tuple[ShotPlan, ...]
    problems: tuple[Message, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def total(self) -> float | None:
        costs = [s.cost for s in self.shots]
        return None if not self.ok or not costs or any(c is None for c in costs) else round(sum(costs), 4)

    @property
    def duration_s(self) -> int:
        """The joined video's length: the sum of the shots' own clips."""
        return sum(s.seconds for s in self.shots)


def plan_board(
    settings: BoardSettings, shots: Sequence[Shot], operator_prices: Mapping[str, float] | None = None
) -> BoardPlan:
    """Judge and price every shot as its tab would; the board is valid only if every shot is."""
    problems: list[Message] = []
    if not MIN_SHOTS <= len(shots) <= MAX_SHOTS:
        problems.append(SHOT_COUNT(low=MIN_SHOTS, high=MAX_SHOTS, count=len(shots)))
    spec = MODELS_BY_ID.get(settings.model)
    if spec is not None and "remix" not in spec.actions:
        problems.append(CANNOT_CONTINUE(model=settings.model, models=", ".join(board_models())))
    plans = []
    for index, shot in enumerate(shots[:MAX_SHOTS]):
        built = build_request(shot_form(settings, shot, index))
        est = estimate(built.resolved, operator_prices) if built.ok and built.resolved else None
        plans.append(ShotPlan(shot, built, est))
        problems += [SHOT_PROBLEM(n=index + 1, problem=p.message) for p in built.problems]
    return BoardPlan(settings, tuple(plans), tuple(dict.fromkeys(problems)))
