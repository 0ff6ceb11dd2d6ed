"""Operator settings, read from the environment once at start-up.

Nothing here belongs to a visitor: a visitor's own key travels with their request, never here.
Gradio's own variables (``GRADIO_SERVER_NAME``, ``GRADIO_SERVER_PORT``…) are left to Gradio, which
reads them itself when the app launches.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .veo import MODELS_BY_ID, Billing

DEFAULT_BASE_URL = "https://www.qingbo.dev"
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class SettingsError(ValueError):
    """A setting the operator gave cannot be used; the message names it."""


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    value = _float(env, name, default)
    if value < 0 or value != int(value):
        raise SettingsError(f"{name} must be a whole number, 0 or more (0: no limit)")
    return int(value)


def _path(env: Mapping[str, str], name: str) -> Path | None:
    raw = env.get(name, "").strip()
    return Path(raw) if raw else None


def _flag(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    return raw in ("1", "true", "yes", "on")


def _money(env: Mapping[str, str], name: str) -> float | None:
    if not env.get(name, "").strip():
        return None
    value = _float(env, name, 0.0)
    if value < 0:
        raise SettingsError(f"{name} must be a non-negative amount in USD")
    return value


def _names(env: Mapping[str, str], name: str) -> frozenset[str]:
    """A comma list of names, compared without case (Hugging Face names are case-insensitive)."""
    return frozenset(part.strip().lower() for part in env.get(name, "").split(",") if part.strip())


def _networks(env: Mapping[str, str], name: str) -> tuple[IPNetwork, ...]:
    networks = []
    for part in env.get(name, "").split(","):
        if not part.strip():
            continue
        try:
            networks.append(ipaddress.ip_network(part.strip(), strict=False))
        except ValueError:
            raise SettingsError(f"{name}: {part.strip()!r} is not an IP address or network") from None
    return tuple(networks)


def public_base_url_from_env(env: Mapping[str, str]) -> str | None:
    """Where the internet reaches this app: ``PUBLIC_BASE_URL``, else the Space's own host.

    Hugging Face sets ``SPACE_HOST`` (``owner-name.hf.space``) in every Space; an operator can turn
    the self-detection off with ``PUBLIC_BASE_URL=none`` (a private Space is not reachable).
    """
    raw = env.get("PUBLIC_BASE_URL", "").strip()
    if raw.lower() in ("none", "off", "0"):
        return None
    if raw:
        if not raw.startswith(("http://", "https://")):
            raise SettingsError(f"PUBLIC_BASE_URL must start with http:// or https://, got {raw!r}")
        return raw.rstrip("/")
    space_host = env.get("SPACE_HOST", "").strip()
    return f"https://{space_host}" if space_host else None


def parse_operator_prices(text: str, origin: str) -> dict[str, float]:
    """Read ``{"model-id": price}``; per-call tiers in USD per call, older-page models in USD per second."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingsError(f"{origin} is not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise SettingsError(f"{origin} must be a JSON object of model id to price")
    prices: dict[str, float] = {}
    for model_id, value in raw.items():
        spec = MODELS_BY_ID.get(model_id)
        if spec is None:
            raise SettingsError(f"{origin}: unknown model {model_id!r}")
        if spec.billing is Billing.PER_SECOND:
            raise SettingsError(f"{origin}: {model_id} has a published price; it cannot be overridden")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise SettingsError(f"{origin}: the price of {model_id} must be a non-negative number")
        prices[model_id] = float(value)
    return prices


@dataclass(frozen=True)
class Settings:
    #: The server's own key; when empty, visitors type their own or the app runs on the simulator.
    api_key: str = field(default="", repr=False)
    base_url: str = DEFAULT_BASE_URL
    #: Force the embedded simulator even when a key is set.
    demo: bool = False
    operator_prices: Mapping[str, float] = field(default_factory=dict)
    #: How long the page waits for a task before it says so and keeps the task id.
    poll_deadline: float = 20 * 60.0
    request_timeout: float = 30.0
    #: Simulated timings in demo mode: realistic enough to watch, short enough to wait for.
    sim_queue_seconds: float = 2.0
    sim_processing_seconds: float = 12.0
    data_dir: Path = Path(".playground-data")
    #: Finished videos; defaults to ``data_dir/media``.
    media_dir_setting: Path | None = None
    #: The run history database; defaults to ``data_dir/history.sqlite3``.
    db_path_setting: Path | None = None
    #: ``PLAYGROUND_DATABASE_URL``: a SQLite file (``sqlite:///…``) or a PostgreSQL server; default :attr:`db_path`.
    database_url_setting: str = field(default="", repr=False)
    #: ``PLAYGROUND_MEDIA_URL``: ``s3://bucket/prefix`` keeps videos and posters in a bucket too.
    media_url: str = ""
    #: This replica's name in leases; by default one of its own (see ``runs.leases.replica_id``).
    replica_id: str = ""
    #: ``PLAYGROUND_SECRET`` was given (a shared database needs every replica to sign alike).
    secret_given: bool = field(default=False, repr=False)
    #: Where the internet reaches this app (image self-hosting, callbacks); None when it cannot.
    public_base_url: str | None = None
    #: Caps on what runs on the server's key may cost, in USD; None means no cap.
    budget_per_visitor: float | None = None
    budget_total: float | None = None
    #: The visitor cap counts runs of this many past hours, so it renews instead of locking forever.
    budget_window_hours: float = 24.0
    #: How long a signed link to a visitor's video or poster works after the page shows it.
    media_link_hours: float = 24.0
    #: The per-visitor cap for a signed-in visitor (their account, on every browser); defaults to the visitor cap.
    budget_per_user_setting: float | None = None
    #: Runs on the server's key one visitor (and, when anonymous, one address) may start per minute.
    runs_per_minute: int = 6
    #: Offer "Sign in with Hugging Face" (on a Space with ``hf_oauth: true``, or ``PLAYGROUND_SIGN_IN=1``).
    sign_in: bool = False
    #: Serve the MCP tools at /gradio_api/mcp (``PLAYGROUND_MCP=0`` turns them off).
    mcp: bool = True
    #: When either is set, only these signed-in users (``*``: any) or members of these orgs run on the server's key.
    allowed_users: frozenset[str] = frozenset()
    allowed_orgs: frozenset[str] = frozenset()
    #: A header a login proxy sets to the signed-in user's name, honoured only from ``trusted_proxies``.
    trusted_user_header: str = ""
    #: Peers allowed to set ``X-Forwarded-For`` and ``trusted_user_header``; none by default, loopback included.
    trusted_proxies: tuple[IPNetwork, ...] = ()
    #: Running as a Hugging Face Space: the platform's proxy, the peer of every request, adds X-Forwarded-For.
    on_space: bool = False

    @property
    def demo_mode(self) -> bool:
        return self.demo or not self.api_key

    @property
    def budget_per_user(self) -> float | None:
        return self.budget_per_user_setting if self.budget_per_user_setting is not None else self.budget_per_visitor

    @property
    def server_key_restricted(self) -> bool:
        """Whether only allow-listed, signed-in visitors may spend the server's key."""
        return bool(self.allowed_users or self.allowed_orgs)

    @property
    def media_dir(self) -> Path:
        return self.media_dir_setting or self.data_dir / "media"

    @property
    def db_path(self) -> Path:
        return self.db_path_setting or self.data_dir / "history.sqlite3"

    @property
    def database_url(self) -> str:
        return self.database_url_setting or f"sqlite:///{self.db_path}"

    @property
    def shared_database(self) -> bool:
        """Whether the database is a server other replicas may share (so they must agree on the secret)."""
        return self.database_url.split(":", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        prices: dict[str, float] = {}
        price_file = env.get("WAVE_PRICES_FILE", "").strip()
        if price_file:
            try:
                prices.update(parse_operator_prices(Path(price_file).read_text(), f"WAVE_PRICES_FILE ({price_file})"))
            except OSError as exc:
                raise SettingsError(f"WAVE_PRICES_FILE cannot be read: {exc}") from None
        if env.get("WAVE_PRICES", "").strip():
            prices.update(parse_operator_prices(env["WAVE_PRICES"], "WAVE_PRICES"))
        base_url = (env.get("WAVE_BASE_URL", "").strip() or DEFAULT_BASE_URL).rstrip("/")
        if base_url.endswith("/v1"):
            base_url = base_url[: -len("/v1")]  # the client adds /v1/...; forgive the common slip
        settings = cls(
            api_key=env.get("WAVE_API_KEY", "").strip(),
            base_url=base_url,
            demo=_flag(env, "WAVE_DEMO"),
            operator_prices=prices,
            poll_deadline=_float(env, "WAVE_POLL_DEADLINE_SECONDS", 20 * 60.0),
            request_timeout=_float(env, "WAVE_REQUEST_TIMEOUT_SECONDS", 30.0),
            sim_queue_seconds=_float(env, "SIM_QUEUE_SECONDS", 2.0),
            sim_processing_seconds=_float(env, "SIM_PROCESSING_SECONDS", 12.0),
            data_dir=Path(env.get("PLAYGROUND_DATA_DIR", "").strip() or ".playground-data"),
            media_dir_setting=_path(env, "PLAYGROUND_MEDIA_DIR"),
            db_path_setting=_path(env, "PLAYGROUND_DB"),
            database_url_setting=env.get("PLAYGROUND_DATABASE_URL", "").strip(),
            media_url=env.get("PLAYGROUND_MEDIA_URL", "").strip(),
            replica_id=env.get("PLAYGROUND_REPLICA_ID", "").strip(),
            secret_given=bool(env.get("PLAYGROUND_SECRET", "").strip()),
            public_base_url=public_base_url_from_env(env),
            budget_per_visitor=_money(env, "PLAYGROUND_BUDGET_PER_VISITOR_USD"),
            budget_total=_money(env, "PLAYGROUND_BUDGET_TOTAL_USD"),
            budget_window_hours=_float(env, "PLAYGROUND_BUDGET_WINDOW_HOURS", 24.0),
            media_link_hours=_float(env, "PLAYGROUND_MEDIA_LINK_HOURS", 24.0),
            budget_per_user_setting=_money(env, "PLAYGROUND_BUDGET_PER_USER_USD"),
            runs_per_minute=_count(env, "PLAYGROUND_RUNS_PER_MINUTE", 6),
            sign_in=_flag(env, "PLAYGROUND_SIGN_IN", default=bool(env.get("OAUTH_CLIENT_ID", "").strip())),
            mcp=_flag(env, "PLAYGROUND_MCP", default=True),
            allowed_users=_names(env, "PLAYGROUND_ALLOWED_USERS"),
            allowed_orgs=_names(env, "PLAYGROUND_ALLOWED_ORGS"),
            trusted_user_header=env.get("PLAYGROUND_TRUSTED_USER_HEADER", "").strip(),
            trusted_proxies=_networks(env, "PLAYGROUND_TRUSTED_PROXIES"),
            on_space=bool(env.get("SPACE_ID", "").strip()),
        )
        if settings.shared_database and not settings.secret_given:
            raise SettingsError(
                "PLAYGROUND_SECRET must be set when PLAYGROUND_DATABASE_URL is a shared database: "
                "every replica signs visitors' identities and links with it, so all of them need the same one"
            )
        return settings
