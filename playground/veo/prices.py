"""What a request costs, from the models' published table or the operator's own prices.

The newer page publishes per-second prices for the official tiers; per-call tiers read "TBD (see
console)" and the older page publishes none. Those come from the operator (``WAVE_PRICES``): until
set they read "price not set", never a guessed number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .models import Billing
from .values import Resolved


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
            return "price not set"
        if self.billing is Billing.PER_CALL:
            return f"${self.unit_price:.2f} per call"
        return f"${self.unit_price:.2f}/s"

    def summary(self) -> str:
        """One line for the readout, e.g. ``$0.12/s × 8 s × 2 videos = $1.92``."""
        videos = f"{self.samples} video{'s' if self.samples != 1 else ''}"
        if self.unit_price is None:
            who = (
                "the operator has not set a price for this per-call tier"
                if self.billing is Billing.PER_CALL
                else "the provider publishes no price for this model and the operator has not set one"
            )
            return f"Price not set: {who} (WAVE_PRICES). {self.seconds} s × {videos}."
        if self.billing is Billing.PER_CALL:
            return f"{self.unit_text()} × {videos} = ${self.total:.2f} (fixed price, 8 s)"
        return f"{self.unit_text()} × {self.seconds} s × {videos} = ${self.total:.2f}"


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
