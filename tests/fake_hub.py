"""A Hugging Face hub on 127.0.0.1 that knows a few users by token: enough for Gradio's sign-in.

Outside a Space, Gradio's "Sign in with Hugging Face" signs the visitor in as whoever the machine's
token belongs to (``HF_TOKEN``, asked of ``{HF_ENDPOINT}/api/whoami-v2`` once at start-up). An app
started with ``HF_ENDPOINT`` pointing here and one of these tokens signs visitors in as that user,
without a byte leaving the machine.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class HubUser:
    name: str
    token: str
    orgs: tuple[str, ...] = ()

    def whoami(self) -> dict:
        return {
            "type": "user",
            "id": f"id-{self.name}",
            "name": self.name,
            "fullname": self.name.title(),
            "avatarUrl": f"https://example.invalid/{self.name}.png",
            "orgs": [{"type": "org", "name": org, "fullname": org} for org in self.orgs],
        }


@dataclass
class FakeHub:
    url: str
    users: dict[str, HubUser] = field(default_factory=dict)
    #: Tokens whoami was asked about, in order.
    asked: list[str] = field(default_factory=list)


@contextmanager
def fake_hub(*users: HubUser) -> Iterator[FakeHub]:
    by_token = {user.token: user for user in users}
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            asked.append(token)
            user = by_token.get(token)
            if self.path.split("?")[0] != "/api/whoami-v2" or user is None:
                self._send(401, {"error": "Invalid credentials in Authorization header"})
                return
            self._send(200, user.whoami())

        def _send(self, status: int, payload: dict) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield FakeHub(f"http://127.0.0.1:{server.server_port}", dict(by_token), asked)
    finally:
        server.shutdown()
        server.server_close()
