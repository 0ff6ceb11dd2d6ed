"""Who is asking: a browser, a signed-in account, and the address they come from.

A browser identity (see :mod:`.identity`) is free to make: clearing storage or opening a new client
gives a fresh one. So spending on the server's key also asks two things a visitor cannot reset at
will: the account they signed in with (Hugging Face, or a login proxy the operator trusts), which
is the same on every browser; and, for anonymous visitors, the address their requests come from.

Addresses and proxy headers are believed only from peers the operator named
(``PLAYGROUND_TRUSTED_PROXIES``). Anyone can send ``X-Forwarded-For`` or ``X-Forwarded-User``, from
loopback as easily as from anywhere. On a Space the peer is always the platform's proxy, which
appends the address it saw, so there the last ``X-Forwarded-For`` hop is believed without setup.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from ..settings import IPNetwork, Settings
from ..texts import text


class AccountKind(StrEnum):
    HUGGING_FACE = "hf"
    #: A name set by a login proxy in front of a self-hosted server.
    PROXY = "proxy"


@dataclass(frozen=True)
class Account:
    """A signed-in visitor: the same person on every browser they sign in from."""

    kind: AccountKind
    username: str
    #: The provider's stable user id, when it gives one (Hugging Face's ``sub``).
    subject: str = ""
    #: Organisations the provider says the user belongs to (lower case).
    orgs: frozenset[str] = frozenset()

    @property
    def owner(self) -> str:
        # The stable id and the name together: a renamed account starts afresh rather than a new
        # holder of an old name inheriting someone's history.
        key = f"{self.kind}:{self.subject}:{self.username.lower()}"
        return f"user-{hashlib.sha256(key.encode()).hexdigest()[:32]}"

    @property
    def label(self) -> str:
        return f"@{self.username}" if self.kind is AccountKind.HUGGING_FACE else self.username


@dataclass(frozen=True)
class RequestFacts:
    """What the web layer passes down about one request: no framework object crosses into runs."""

    session_id: str
    #: The address of whoever opened the connection (a proxy, when there is one).
    peer: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    #: The userinfo Hugging Face sign-in left in the session, if the visitor is signed in.
    oauth_userinfo: Mapping[str, object] | None = None


@dataclass(frozen=True)
class Visitor:
    """One visitor as far as runs, history and budgets are concerned."""

    #: The id runs are filed under: the account's when signed in, else the browser's (or this session's).
    owner: str
    #: A keyed hash of the client address, for the caps anonymous visitors share; None when signed in.
    address: str | None = None
    account: Account | None = None
    #: The browser identity's own owner id, whose earlier runs join the account on sign-in.
    browser_owner: str | None = None
    #: Why this visitor may not run on the server's key (the allow-list), or None when they may.
    server_key_refusal: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.account is not None


def _hops(value: str) -> list[str]:
    return [hop.strip() for hop in value.split(",") if hop.strip()]


def _in(address: str, networks: tuple[IPNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


class Proxies:
    """Which peers may speak for the client: the operator's list, and on a Space its own proxy."""

    def __init__(self, settings: Settings) -> None:
        self.trusted = settings.trusted_proxies
        self.on_space = settings.on_space
        self.user_header = settings.trusted_user_header

    def configured(self, peer: str) -> bool:
        return _in(peer, self.trusted)

    def client_address(self, facts: RequestFacts) -> str:
        """The address the request really comes from, as far as trusted proxies say.

        ``X-Forwarded-For`` is read from the right: each trusted proxy appended the address it saw,
        so the first hop that is not one of them is the client; hops left of it are whatever the
        client chose to send.
        """
        if not (self.configured(facts.peer) or self.on_space):
            return facts.peer
        hops = _hops(_header(facts.headers, "x-forwarded-for"))
        for hop in reversed(hops):
            if not self.configured(hop):
                return hop
        return hops[0] if hops else facts.peer

    def proxy_user(self, facts: RequestFacts) -> str | None:
        """The user a trusted login proxy vouches for; the header from anyone else is ignored."""
        if not self.user_header or not self.configured(facts.peer):
            return None
        name = _header(facts.headers, self.user_header).strip()
        return name or None


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name.lower()), "")
    return value


def account_from_userinfo(userinfo: Mapping[str, object] | None) -> Account | None:
    """The account Hugging Face sign-in put in the session (the OIDC userinfo)."""
    if not userinfo:
        return None
    username = userinfo.get("preferred_username")
    if not isinstance(username, str) or not username.strip():
        return None
    orgs = userinfo.get("orgs")
    org_names = frozenset(
        org["preferred_username"].lower()
        for org in (orgs if isinstance(orgs, list) else [])
        if isinstance(org, dict) and isinstance(org.get("preferred_username"), str)
    )
    subject = userinfo.get("sub")
    return Account(AccountKind.HUGGING_FACE, username.strip(), str(subject or ""), org_names)


KEPT_FOR_TEAM = text(
    "runs.visitors.kept_for_team",
    "This server's key is kept for its team: sign in with Hugging Face as an allowed user to run on it.",
)
NOT_ON_LIST = text(
    "runs.visitors.not_on_list", "{account} is not on this server's list of people who may run on its key."
)


@dataclass(frozen=True)
class AllowList:
    """Who may spend the server's key when the operator restricts it."""

    users: frozenset[str]
    orgs: frozenset[str]

    @property
    def restricted(self) -> bool:
        return bool(self.users or self.orgs)

    def refusal(self, account: Account | None) -> str | None:
        if not self.restricted:
            return None
        if account is None:
            return KEPT_FOR_TEAM()
        if "*" in self.users or account.username.lower() in self.users or account.orgs & self.orgs:
            return None
        return NOT_ON_LIST(account=account.label)


class Visitors:
    """Turns the facts of a request into a :class:`Visitor`."""

    def __init__(self, settings: Settings, address_key: bytes) -> None:
        self.proxies = Proxies(settings)
        self.allow = AllowList(settings.allowed_users, settings.allowed_orgs)
        self._address_key = address_key

    def __repr__(self) -> str:
        return "Visitors()"

    def address_owner(self, address: str) -> str:
        """A keyed hash: the history counts by address without keeping anyone's address."""
        digest = hmac.new(self._address_key, address.encode(), hashlib.sha256).hexdigest()[:32]
        return f"address-{digest}"

    def account(self, facts: RequestFacts) -> Account | None:
        proxy_user = self.proxies.proxy_user(facts)
        if proxy_user:
            return Account(AccountKind.PROXY, proxy_user)
        return account_from_userinfo(facts.oauth_userinfo)

    def visitor(self, browser_owner: str | None, session_owner: str, facts: RequestFacts) -> Visitor:
        account = self.account(facts)
        refusal = self.allow.refusal(account)
        if account is not None:
            return Visitor(account.owner, None, account, browser_owner, refusal)
        address = self.proxies.client_address(facts)
        return Visitor(
            browser_owner or session_owner,
            self.address_owner(address) if address else None,
            None,
            browser_owner,
            refusal,
        )
