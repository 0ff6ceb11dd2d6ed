"""What a request costs, from the models' published table or the operator's own prices.

The newer page publishes per-second prices for the official tiers; per-call tiers read "TBD (see
console)" and the older page publishes none. Those come from the operator (``WAVE_PRICES``): until
set they read "price not set", never a guessed number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..texts import text
from .models import Billing
from .values import Resolved

PRICE_NOT_SET = text("veo.prices.price_not_set", "price not set")
PER_CALL = text("veo.prices.per_call", "{price} per call")
PER_SECOND = text("veo.prices.per_second", "{price}/s")
ONE_VIDEO = text("veo.prices.one_video", "{count} video")
VIDEOS = text("veo.prices.videos", "{count} videos")
NO_OPERATOR_PRICE = text("veo.prices.no_operator_price", "the operator has not set a price for this per-call tier")
NO_PRICE_AT_ALL = text(
    "veo.prices.no_price_at_all", "the provider publishes no price for this model and the operator has not set one"
)
UNPRICED_SUMMARY = text("veo.prices.unpriced_summary", "Price not set: {who} (WAVE_PRICES). {seconds} s × {videos}.")
PER_CALL_SUMMARY = text("veo.prices.per_call_summary", "{unit} × {videos} = {total} (fixed price, 8 s)")
PER_SECOND_SUMMARY = text("veo.prices.per_second_summary", "{unit} × {seconds} s × {videos} = {total}")
#: What a price is for and where it comes from, by (audio, published): the readout's second line.
_NOTES = {
    (True, True): text("veo.prices.note_audio_published", "{resolution} with audio · published price"),
    (False, True): text("veo.prices.note_muted_published", "{resolution} muted · published price"),
    (True, False): text("veo.prices.note_audio_operator", "{resolution} with audio · operator's price"),
    (False, False): text("veo.prices.note_muted_operator", "{resolution} muted · operator's price"),
}


@dataclass(frozen=True)
class Estimate:
    model: str
    billing: Billing
    #: USD per second (per-second and older-page models) or per call; ``None`` when not set.
    unit_price: float | None
    seconds: int
    samples: int
    source: str  # "published" or "operator"
    resolution: str
    audio: bool

    @property
    def price_set(self) -> bool:
        return self.unit_price is not None

    @property
    def per_video(self) -> float | None:
        if self.unit_price is None:
            return None
        if self.billing is Billing.PER_CALL:
            return self.unit_price
        return self.unit_price * self.seconds

    @property
    def total(self) -> float | None:
        per_video = self.per_video
        return None if per_video is None else round(per_video * self.samples, 6)

    def unit_text(self) -> str:
        if self.unit_price is None:
            return PRICE_NOT_SET()
        if self.billing is Billing.PER_CALL:
            return PER_CALL(price=f"${self.unit_price:.2f}")
        return PER_SECOND(price=f"${self.unit_price:.2f}")

    def note(self) -> str:
        """What the price is for and whose it is, e.g. ``1080p muted · published price``."""
        return _NOTES[(self.audio, self.source == "published")](resolution=self.resolution)

    def summary(self) -> str:
        """One line for the readout, e.g. ``$0.12/s × 8 s × 2 videos = $1.92``."""
        videos = (ONE_VIDEO if self.samples == 1 else VIDEOS)(count=self.samples)
        if self.unit_price is None:
            who = NO_OPERATOR_PRICE() if self.billing is Billing.PER_CALL else NO_PRICE_AT_ALL()
            return UNPRICED_SUMMARY(who=who, seconds=self.seconds, videos=videos)
        total = f"${self.total:.2f}"
        if self.billing is Billing.PER_CALL:
            return PER_CALL_SUMMARY(unit=self.unit_text(), videos=videos, total=total)
        return PER_SECOND_SUMMARY(unit=self.unit_text(), seconds=self.seconds, videos=videos, total=total)


def estimate(resolved: Resolved, operator_prices: Mapping[str, float] | None = None) -> Estimate:
    """Price the request; ``resolved`` must come from a request the rules accept.

    Each sample is a separate video, so the total is per-video price × samples.
    """
    spec = resolved.model
    operator_prices = operator_prices or {}
    unit: float | None = None
    source = "operator"
    if spec.prices is not None:
        unit = spec.prices.per_second.get((resolved.resolution, resolved.audio))
        source = "published"
    elif spec.id in operator_prices:
        unit = float(operator_prices[spec.id])
    return Estimate(
        model=spec.id,
        billing=spec.billing,
        unit_price=unit,
        seconds=resolved.duration,
        samples=resolved.samples,
        source=source,
        resolution=resolved.resolution,
        audio=resolved.audio,
    )
