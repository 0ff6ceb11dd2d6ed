"""Who a visitor is, across refreshes and restarts, without accounts.

The server hands each new browser a random token signed with the server's secret and the page
keeps it in ``gr.BrowserState``. Gradio's BrowserState "encryption" happens in the browser with a
secret the page itself carries (it is in ``/config``), so it hides the value from other sites, not
from the visitor: the signature is what stops a visitor from making up an identity, and the
token's 192 random bits are what stop them from guessing another's. Runs are filed under a hash of
the token (the owner id), so the history database never holds a token that could be replayed.

Because BrowserState's secret is published, it is never the signing secret: it is derived from it
one way (:func:`browser_state_secret`), so publishing it reveals nothing that signs. Versions before
this one handed BrowserState the signing secret itself, so tokens of that era ("v1") could be
minted by anyone who read the page; they are no longer accepted, and the secret file they were
signed with is replaced (see the README: those browsers start a fresh history).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

_PREFIX = "v2"
#: The file the published-era secret lived in; removed at start-up, since everyone may know it.
_PUBLISHED_SECRET_FILE = "identity-secret"
SECRET_FILE = "identity-secret-v2"


def load_secret(data_dir: Path, env_value: str = "") -> str:
    """The server's signing secret: ``PLAYGROUND_SECRET``, else one kept in the data folder.

    It must survive restarts, or every visitor would lose their history at each one.
    """
    (data_dir / _PUBLISHED_SECRET_FILE).unlink(missing_ok=True)
    if env_value.strip():
        return env_value.strip()
    path = data_dir / SECRET_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(value)
    return value


def derived_key(secret: str, purpose: str) -> bytes:
    """A key for one purpose only: knowing it (or another purpose's key) gives nothing of ``secret``."""
    return hmac.new(secret.encode(), f"veo-playground/{purpose}".encode(), hashlib.sha256).digest()


def browser_state_secret(secret: str) -> str:
    """What Gradio's BrowserState may obscure stored values with: public by Gradio's design."""
    return derived_key(secret, "browser-state").hex()


class Identities:
    def __init__(self, secret: str) -> None:
        self._key = derived_key(secret, "identity-v2")
        #: Hashes client addresses for the caps anonymous visitors share.
        self.address_key = derived_key(secret, "client-address")

    def __repr__(self) -> str:  # the signing key stays out of logs and tracebacks
        return "Identities()"

    def _sign(self, nonce: str) -> str:
        return hmac.new(self._key, nonce.encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self) -> str:
        nonce = secrets.token_urlsafe(24)
        return f"{_PREFIX}.{nonce}.{self._sign(nonce)}"

    def valid(self, token: str | None) -> bool:
        parts = (token or "").split(".")
        return len(parts) == 3 and parts[0] == _PREFIX and hmac.compare_digest(parts[2], self._sign(parts[1]))

    def browser_owner(self, token: str | None) -> str | None:
        """The owner id of a browser's identity token, or None when the token is not one this server signed."""
        if self.valid(token):
            return "visitor-" + hashlib.sha256(token.encode()).hexdigest()[:32]  # type: ignore[union-attr]
        return None

    @staticmethod
    def session_owner(session_hash: str) -> str:
        """What a page without a valid token owns: only its own session."""
        return "session-" + hashlib.sha256(session_hash.encode()).hexdigest()[:32]

    def owner(self, token: str | None, session_hash: str) -> str:
        """The owner id runs are filed under: the browser's identity, else only this session's."""
        return self.browser_owner(token) or self.session_owner(session_hash)
