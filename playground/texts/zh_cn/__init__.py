"""The Chinese of every :class:`~playground.texts.Template`, by key, with the same ``{holes}``.

One file per part of the app that declares templates, so each stays beside what it translates.
Model ids, API field names and values (``pad``, ``allow_adult``, ``raw``), URLs and numbers stay as
they are written; a test checks that each entry has exactly its template's holes.
"""

from __future__ import annotations

from .compare import COMPARE
from .media import MEDIA
from .net import NET
from .params import PARAMS
from .runs import RUNS
from .veo import VEO
from .wave import WAVE
from .web import WEB

PARTS: dict[str, dict[str, str]] = {
    "veo": VEO,
    "wave": WAVE,
    "runs": RUNS,
    "web": WEB,
    "params": PARAMS,
    "net": NET,
    "media": MEDIA,
    "compare": COMPARE,
}
ZH_CN: dict[str, str] = {key: zh for part in PARTS.values() for key, zh in part.items()}

__all__ = ["PARTS", "ZH_CN"]
