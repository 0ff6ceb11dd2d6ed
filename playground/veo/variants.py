"""Compare grids: one prompt, several variants (a model with its settings), each priced and judged alone.

A variant holds only what differs between cells; everything else (the prompt, the frames, the
action) is the grid's. Each cell is judged by the same rules and priced by the same table as a tab,
so a grid can never send what a tab would refuse. No I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from ..texts import Message, text
from .capabilities import capabilities
from .models import CHOICES, MODELS_BY_ID, get_model, models_for_action
from .prices import Estimate, estimate
from .reading import Reader, read_objects
from .request import BuiltRequest, build_request, fields_taken
from .rules import Problem
from .values import FormValues

#: At most this many cells in one grid: enough to lay every model side by side, few enough to watch.
MAX_VARIANTS = 8
#: Every setting a variant may change, named as the request body names it.
VARIANT_FIELDS = (
    "model",
    "duration",
    "resolution",
    "aspect_ratio",
    "generate_audio",
    "seed",
    "sample_count",
    "negative_prompt",
)

NOT_A_LIST = text("veo.variants.not_a_list", "variants must be a list of objects (or a JSON text of one); got {got}")
NOT_AN_OBJECT = text("veo.variants.not_an_object", "variant {n} must be an object; got {got}")
UNKNOWN_FIELD = text(
    "veo.variants.unknown_field", "variant {n}: {name} is not a setting a variant can change (it takes {fields})"
)
IN_VARIANT = text("veo.variants.in_variant", "variant {n}: {problem}")
NONE_GIVEN = text("veo.variants.none", "Add at least one variant to compare.")
TOO_MANY = text("veo.variants.too_many", "A grid has at most {limit} variants; got {count}.")
CELL_PROBLEM = text("veo.variants.cell_problem", "Variant {n} ({label}): {problem}")
SAME_SETTINGS = text("veo.variants.same", "same settings")


@dataclass(frozen=True)
class Variant:
    """One cell's settings; ``None`` leaves the model's default."""

    model: str
    duration: int | None = None
    resolution: str | None = None
    aspect_ratio: str | None = None
    generate_audio: bool | None = None
    seed: int | None = None
    sample_count: int | None = None
    negative_prompt: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The settings given, as the API names them."""
        return {k: v for k, v in asdict(self).items() if v is not None}


def read_variants(raw: Any, read: Reader) -> list[Variant]:
    """``raw`` (a list of objects, or a JSON text of one) as variants, read as strictly as a tab's fields.

    Problems go to ``read`` under ``variants``; a field of a variant is read by the same
    :class:`Reader` methods the named endpoints use, so ``"8"`` is not silently a duration.
    """
    variants = []
    for n, item in read_objects(raw, read, "variants", NOT_A_LIST, NOT_AN_OBJECT):
        unknown = sorted(set(item) - set(VARIANT_FIELDS))
        for name in unknown:
            read.refuse("variants", UNKNOWN_FIELD(n=n, name=name, fields=", ".join(VARIANT_FIELDS)))
        own = Reader()
        variants.append(_read_one(item, own))
        for problem in own.problems:
            read.refuse("variants", IN_VARIANT(n=n, problem=problem.message))
    return variants


def _read_one(item: Mapping[str, Any], read: Reader) -> Variant:
    def given(name: str, reader: Any) -> Any:  # a setting left out, null or empty keeps the default
        value = item.get(name)
        return None if value is None or value == "" else reader(name, value)

    def choice(name: str, value: Any) -> str | None:
        return read.choice(name, value, CHOICES[name])

    return Variant(
        model=given("model", choice) or "",
        duration=given("duration", read.whole_number),
        resolution=given("resolution", choice),
        aspect_ratio=given("aspect_ratio", choice),
        generate_audio=given("generate_audio", read.flag),
        seed=given("seed", read.whole_number),
        sample_count=given("sample_count", read.whole_number),
        negative_prompt=given("negative_prompt", read.text) or None,
    )


def variant_form(variant: Variant, action: str, prompt: str, frames: Mapping[str, str] | None = None) -> FormValues:
    """The form one cell sends: the grid's prompt and frames with the variant's settings.

    A setting given is sent and judged by the rules, so a seed on a model without one is refused as
    the named endpoints refuse it; only the "off" values of audio and samples (a control a tab
    hides for that model) are left out, as the endpoints leave out their defaults.
    """
    form = FormValues(model=variant.model, action=action, prompt=prompt, **dict(frames or {}))
    spec = MODELS_BY_ID.get(variant.model)
    taken = fields_taken(spec, action) if spec else frozenset(VARIANT_FIELDS)
    for name in VARIANT_FIELDS[1:]:
        value = getattr(variant, name)
        hidden_default = name not in taken and value in _OFF.get(name, ())
        if value is not None and not hidden_default:
            setattr(form, name, value)
    return form


#: Values of a control a tab hides for a model that does not take it: what "not asked for" reads as.
_OFF: dict[str, tuple[Any, ...]] = {"generate_audio": (False,), "sample_count": (1,)}


@dataclass(frozen=True)
class Cell:
    """One variant judged and priced: its request (when valid), its price and what is wrong with it."""

    variant: Variant
    built: BuiltRequest
    estimate: Estimate | None

    @property
    def ok(self) -> bool:
        return self.built.ok

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self.built.problems

    @property
    def cost(self) -> float | None:
        return self.estimate.total if self.estimate and self.estimate.price_set else None


@dataclass(frozen=True)
class GridPlan:
    """Every cell of a grid, judged before anything is sent; ``problems`` name the cell they belong to."""

    action: str
    prompt: str
    cells: tuple[Cell, ...]
    problems: tuple[Message, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def total(self) -> float | None:
        """The whole grid's price; None while a cell is invalid or has no set price."""
        costs = [c.cost for c in self.cells]
        return None if not costs or any(c is None for c in costs) or not self.ok else round(sum(costs), 4)

    @property
    def labels(self) -> list[str]:
        return cell_labels([c.variant for c in self.cells])


def plan_grid(
    action: str,
    prompt: str,
    variants: Sequence[Variant],
    frames: Mapping[str, str] | None = None,
    operator_prices: Mapping[str, float] | None = None,
) -> GridPlan:
    """Judge and price every variant as its own tab would; the grid is valid only if every cell is."""
    problems: list[Message] = []
    if not variants:
        problems.append(NONE_GIVEN())
    if len(variants) > MAX_VARIANTS:
        problems.append(TOO_MANY(limit=MAX_VARIANTS, count=len(variants)))
    cells = []
    labels = cell_labels(list(variants))
    for n, variant in enumerate(variants[:MAX_VARIANTS], start=1):
        built = build_request(variant_form(variant, action, prompt, frames))
        est = estimate(built.resolved, operator_prices) if built.ok and built.resolved else None
        cells.append(Cell(variant, built, est))
        for problem in built.problems:
            problems.append(CELL_PROBLEM(n=n, label=labels[n - 1], problem=problem.message))
    return GridPlan(action, prompt, tuple(cells), tuple(problems))


def cell_labels(variants: Sequence[Variant]) -> list[str]:
    """Each cell named by what differs between the cells (``veo3.1-fast-official · 4k``), in field order."""
    if not variants:
        return []
    differing = [f.name for f in fields(Variant) if len({_meant(f.name, getattr(v, f.name)) for v in variants}) > 1]
    if len(variants) == 1:
        differing = ["model"]
    labels = []
    for v in variants:
        parts = [_shown(name, getattr(v, name)) for name in differing if getattr(v, name) is not None]
        labels.append(" · ".join(parts) or SAME_SETTINGS())
    return labels


def _meant(name: str, value: Any) -> Any:
    """What a setting amounts to: a model that takes no audio is muted, one that takes no sample count makes one."""
    return {"generate_audio": False, "sample_count": 1}.get(name) if value is None else value


def _shown(name: str, value: Any) -> str:
    if name == "duration":
        return f"{value} s"
    if name == "seed":
        return f"seed {value}"
    if name == "generate_audio":
        return "audio" if value else "muted"
    if name == "sample_count":
        return f"×{value}"
    if name == "negative_prompt":
        return f"−“{str(value)[:24]}”"
    return str(value)


# -- quick ways to make variants ---------------------------------------------------------------


def every_model(action: str, base: Variant) -> list[Variant]:
    """``base``'s settings on every model that can do ``action``, each nudged to what that model takes."""
    return [_fitted(replace(base, model=spec.id), action) for spec in models_for_action(action)][:MAX_VARIANTS]


def seeds(base: Variant, first: int, count: int) -> list[Variant]:
    """The same settings with seeds ``first`` .. ``first + count - 1``."""
    return [replace(base, seed=first + i) for i in range(max(0, min(count, MAX_VARIANTS)))]


def resolutions(action: str, base: Variant) -> list[Variant]:
    """``base``'s model at each resolution it offers (its other settings nudged to fit, as a tab would)."""
    spec = get_model(base.model)
    return [_fitted(replace(base, resolution=r), action) for r in spec.resolutions]


def _fitted(variant: Variant, action: str) -> Variant:
    """``variant`` with its duration, resolution and audio nudged to what its model offers."""
    caps = capabilities(variant.model, action, variant.resolution, variant.duration, variant.generate_audio)
    spec = get_model(variant.model)
    return replace(
        variant,
        resolution=caps.resolution.value,
        duration=caps.duration.value,
        generate_audio=caps.audio.value if "generate_audio" in fields_taken(spec, action) else None,
        negative_prompt=variant.negative_prompt if "negative_prompt" in fields_taken(spec, action) else None,
        seed=variant.seed if "seed" in fields_taken(spec, action) else None,
    )
