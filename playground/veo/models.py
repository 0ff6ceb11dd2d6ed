"""The single source of truth for Veo models on the Wave API: what each model is and offers, as data.

Every fact here comes from the provider's two pages in ``shared/seeds``:

* the newer page (``000_…``): four variants ``veo3.1-quality-official``, ``veo3.1-fast-official``
  (official, billed per second) and ``veo3.1-quality``, ``veo3.1-lite`` (reverse-engineered, billed
  per call, 8 s only), with a per-second price table;
* the older page (``001_…``): ``veo-3.1``, ``veo-3.1-fast``, ``veo-3.0``, with ``negative_prompt``,
  ``seed`` (3.1 series only), ``extra.personGeneration`` and "1080p and 4K need 8 s"; it publishes
  no prices and documents only text-to-video.

:data:`MODELS` is the one list; everything else in :mod:`playground.veo` reads it: the rules
(:mod:`.rules`), the request body (:mod:`.request`), the form's controls (:mod:`.capabilities`) and
the prices (:mod:`.prices`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ..texts import text

ACTIONS: tuple[str, ...] = ("generate", "image2video", "first_last_frame", "remix")
#: The actions' names as the page's tabs show them; Messages, so a rule naming one is said whole in Chinese.
ACTION_LABELS: dict[str, str] = {
    "generate": text("veo.models.action_generate", "Text → Video")(),
    "image2video": text("veo.models.action_image2video", "Image → Video")(),
    "first_last_frame": text("veo.models.action_first_last_frame", "First + Last frame")(),
    "remix": text("veo.models.action_remix", "Remix")(),
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
#: The newer page lists ``image_urls`` ("generic image-reference array") without a limit. Veo 3.1 takes at
#: most three reference images, so three is the playground's documented limit: more are refused before
#: anything is uploaded or sent, rather than left for the provider to drop or reject after billing.
MAX_REFERENCE_IMAGES = 3
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
    Channel.OFFICIAL: text("veo.models.channel_official", "Official direct (Vertex AI)")(),
    Channel.REVERSE: text("veo.models.channel_reverse", "Reverse-engineered")(),
    Channel.LEGACY: text("veo.models.channel_legacy", "Older API page")(),
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
        name=text("veo.models.name_quality_official", "Veo 3.1 Quality (official)")(),
        channel=Channel.OFFICIAL,
        billing=Billing.PER_SECOND,
        blurb=text(
            "veo.models.blurb_quality_official", "flagship, final-delivery quality; 4/6/8 s up to 4K, billed per second"
        )(),
        durations=(4, 6, 8),
        resolutions=("720p", "1080p", "4k"),
        prices=_official_prices(0.16, 0.32, 0.48),
        **_NEWER_COMMON,
    ),
    ModelSpec(
        id="veo3.1-fast-official",
        name=text("veo.models.name_fast_official", "Veo 3.1 Fast (official)")(),
        channel=Channel.OFFICIAL,
        billing=Billing.PER_SECOND,
        blurb=text(
            "veo.models.blurb_fast_official", "fast tier for iteration drafts; 4/6/8 s up to 4K, billed per second"
        )(),
        durations=(4, 6, 8),
        resolutions=("720p", "1080p", "4k"),
        prices=_official_prices(0.08, 0.12, 0.28),
        **_NEWER_COMMON,
    ),
    ModelSpec(
        id="veo3.1-quality",
        name=text("veo.models.name_quality_reverse", "Veo 3.1 Quality (reverse-engineered)")(),
        channel=Channel.REVERSE,
        billing=Billing.PER_CALL,
        blurb=text(
            "veo.models.blurb_quality_reverse", "flagship variant at a fixed per-call price; 8 s only, up to 1080p"
        )(),
        durations=(8,),
        resolutions=("720p", "1080p"),
        **_NEWER_COMMON,
    ),
    ModelSpec(
        id="veo3.1-lite",
        name=text("veo.models.name_lite_reverse", "Veo 3.1 Lite (reverse-engineered)")(),
        channel=Channel.REVERSE,
        billing=Billing.PER_CALL,
        blurb=text(
            "veo.models.blurb_lite_reverse", "lightweight variant at a fixed per-call price; 8 s only, up to 1080p"
        )(),
        durations=(8,),
        resolutions=("720p", "1080p"),
        **_NEWER_COMMON,
    ),
    ModelSpec(
        id="veo-3.1",
        name=text("veo.models.name_veo_3_1", "VEO 3.1 (older page)")(),
        blurb=text("veo.models.blurb_veo_3_1", "native audio, 4K; seed and negative prompt; 1080p/4K need 8 s")(),
        resolutions=("720p", "1080p", "4k"),
        supports_seed=True,
        **_OLDER_COMMON,
    ),
    ModelSpec(
        id="veo-3.1-fast",
        name=text("veo.models.name_veo_3_1_fast", "VEO 3.1 Fast (older page)")(),
        blurb=text("veo.models.blurb_veo_3_1_fast", "fast VEO 3.1 with native audio and 4K; 1080p/4K need 8 s")(),
        resolutions=("720p", "1080p", "4k"),
        supports_seed=True,
        **_OLDER_COMMON,
    ),
    ModelSpec(
        id="veo-3.0",
        name=text("veo.models.name_veo_3_0", "VEO 3.0 (older page)")(),
        blurb=text("veo.models.blurb_veo_3_0", "VEO 3.0 with native audio; up to 1080p, which needs 8 s")(),
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


#: Every value each choice field may take on some model, for a message to a caller who sends
#: something that is not text at all; which of them a given model offers is :mod:`.rules`' job.
CHOICES: dict[str, tuple[str, ...]] = {
    "model": tuple(MODELS_BY_ID),
    "action": ACTIONS,
    "resolution": tuple(dict.fromkeys(r for m in MODELS for r in m.resolutions)),
    "aspect_ratio": ASPECT_RATIOS,
    "person_generation": tuple(dict.fromkeys(p for m in MODELS for p in m.person_choices)),
    "resize_mode": RESIZE_MODES,
}
