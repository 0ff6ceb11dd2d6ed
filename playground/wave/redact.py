"""Keys out of what the provider says: every piece of its text passes through a :class:`Redactor`.

A provider (or a proxy in front of it) may echo the request back, ``Authorization: Bearer …``
included, in an error message, a failed task's ``error.message`` or a debugging field of a task.
Whatever it returns is shown in the page, raised to API callers, logged and stored, so the client
replaces every form of the keys in play with :data:`MARKER` before any of it leaves the client.

Besides the key as typed, the forms a provider might echo are covered: its ``Bearer`` header
value, percent-encoding (a key echoed inside a URL), JSON and HTML escaping, and base64 (a header
dump encoded for transport). Base64 of a key inside a longer text depends on where the key falls
in 3-byte groups, so for each of the three alignments the part of the encoding that depends on
the key alone is redacted: that finds ``base64("Bearer <key>")``, ``base64("user:<key>")`` and
the like without knowing what surrounds the key.
"""

from __future__ import annotations

import base64
import html
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

MARKER = "[redacted]"
#: A base64 core shorter than this would match ordinary text by chance: such keys rely on their
#: whole-string forms (the key, its Bearer header and their complete base64) instead.
_MIN_BASE64_CORE = 8


def _base64_cores(secret: bytes) -> set[str]:
    """For each alignment, the base64 characters that depend on ``secret`` alone.

    With ``r`` bytes before it, the secret starts in the middle of a 3-byte group unless ``r`` is a
    multiple of 3; the characters of a group shared with the neighbours are left out.
    """
    cores: set[str] = set()
    for lead in range(3):
        encoded = base64.b64encode(b"\0" * lead + secret).decode()
        first_group = 0 if lead == 0 else 1  # the group the filler shares with the secret
        usable_bytes = len(secret) - ((3 - lead) % 3)
        whole_groups = max(0, usable_bytes // 3)
        core = encoded[first_group * 4 : (first_group + whole_groups) * 4]
        if len(core) >= _MIN_BASE64_CORE:
            cores |= {core, core.replace("+", "-").replace("/", "_")}  # and the URL-safe alphabet
    return cores


def _forms(secret: str) -> set[str]:
    """Every spelling of ``secret`` a provider might echo."""
    raw = secret.encode("utf-8", "surrogatepass")
    bearer = f"Bearer {secret}".encode("utf-8", "surrogatepass")
    forms = {
        secret,
        f"Bearer {secret}",
        json.dumps(secret)[1:-1],
        json.dumps(secret)[1:-1].replace("/", "\\/"),
        html.escape(secret),
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
        quote(secret),
    }
    for whole in (raw, bearer):
        encoded = base64.b64encode(whole).decode()
        forms |= {encoded, encoded.rstrip("="), base64.urlsafe_b64encode(whole).decode().rstrip("=")}
    forms |= _base64_cores(raw)
    # Percent-encoders differ in the case of their hex digits.
    forms |= {re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), f) for f in list(forms) if "%" in f}
    return {f for f in forms if f}


@dataclass(frozen=True)
class Redactor:
    """Replaces the secrets it was built with, in any of their forms, by :data:`MARKER`."""

    _pattern: re.Pattern[str] | None

    @classmethod
    def of(cls, *secrets: str | None) -> Redactor:
        """A redactor for these secrets; empty ones (no server key, say) are skipped."""
        forms: set[str] = set()
        for secret in secrets:
            if secret:
                forms |= _forms(secret)
        if not forms:
            return cls(None)
        # Longest first, so "Bearer <key>" goes as a whole rather than leaving "Bearer " behind.
        alternatives = sorted(forms, key=lambda f: (-len(f), f))
        return cls(re.compile("|".join(re.escape(f) for f in alternatives)))

    def __repr__(self) -> str:  # the pattern spells the secrets out
        return "Redactor(…)"

    def text(self, value: str) -> str:
        if self._pattern is None or not value:
            return value
        return self._pattern.sub(MARKER, value)

    def value(self, value: Any) -> Any:
        """A parsed JSON value with every string in it redacted, dictionary keys included."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.value(k): self.value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(v) for v in value]
        return value

    def optional(self, value: str | None) -> str | None:
        return None if value is None else self.text(value)
