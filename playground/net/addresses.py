"""What kind of place a host names, for every decision to connect somewhere a visitor chose.

One classifier serves pasted image links, remix clips and callback URLs, in the app and in the
simulator, so a spelling refused in one place is refused in all of them. Nothing here does I/O:
resolving a name is the caller's job (see :mod:`playground.net.targets`); this module reads what a host
says and what an address is. It imports neither Gradio nor httpx, so any layer can use it.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from enum import Enum

from ..texts import text

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Full stops a resolver reads as "." (IDNA: ideographic, full-width and half-width ones).
_DOTS = re.compile("[\u3002\uff0e\uff61]")
#: Suffixes no public DNS answers for: they only ever mean this machine or its own network.
_LOCAL_SUFFIXES = (".local", ".internal", ".home.arpa", ".localdomain")
#: The well-known NAT64 prefix: on a NAT64 network ``64:ff9b::7f00:1`` reaches 127.0.0.1.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class Kind(Enum):
    """What an address (or a name that can only be local) is; the value is how a sentence names it (a Message)."""

    PUBLIC = text("net.addresses.public", "a public address")()
    LOOPBACK = text("net.addresses.loopback", "this computer itself")()
    UNSPECIFIED = text("net.addresses.unspecified", "an unspecified address")()
    LINK_LOCAL = text("net.addresses.link_local", "a link-local address (such as the cloud metadata service)")()
    MULTICAST = text("net.addresses.multicast", "a multicast address")()
    PRIVATE = text("net.addresses.private", "a private network address")()
    RESERVED = text("net.addresses.reserved", "a reserved address that is not on the public internet")()
    LOCAL_NAME = text("net.addresses.local_name", "a name only a local network knows")()

    @property
    def public(self) -> bool:
        return self is Kind.PUBLIC

    def reachable(self, *, loopback: bool = False) -> bool:
        """Whether this app may connect here: a public address always, this machine only where ``loopback``
        allows it (a simulator, a test), a private or reserved place never."""
        return self is Kind.PUBLIC or (loopback and self is Kind.LOOPBACK)


@dataclass(frozen=True)
class Host:
    """A URL's host as a resolver would see it."""

    text: str  # normalised: what is looked up, or the canonical address
    address: IPAddress | None  # set when the host spells an address, in any spelling

    @property
    def kind(self) -> Kind | None:
        """Known without DNS: the kind of a literal address or of a local-only name; None for other names."""
        if self.address is not None:
            return classify(self.address)
        return name_kind(self.text)


def normalise_host(raw: str) -> str:
    """NFKC (full-width digits become digits), every IDNA full stop a dot, no brackets, no trailing dot,
    lower case, and IDNA for non-ASCII names: the spelling the resolver ends up with.

    Raises ValueError for a host no resolver could take.
    """
    text = _DOTS.sub(".", unicodedata.normalize("NFKC", raw.strip()))
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    text = text.rstrip(".").lower()
    if not text:
        raise ValueError("no host name")
    if not text.isascii():
        try:
            text = text.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise ValueError("a host name that cannot be looked up") from None
    return text


def parse_host(raw: str) -> Host:
    """The host's normalised text and, when it spells one, its address. Raises ValueError."""
    text = normalise_host(raw)
    address = parse_address(text)
    return Host(str(address) if address is not None else text, address)


def parse_address(text: str) -> IPAddress | None:
    """The address ``text`` spells, as the C resolver reads it (``127.1``, ``0x7f.1``, ``2130706433``,
    ``0177.0.0.1``, ``::ffff:127.0.0.1``); None for a name."""
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return _inet_aton(text)
    # ::ffff:10.0.0.1 is 10.0.0.1 itself, so it is named (and connected to) as that.
    return ip.ipv4_mapped if ip.version == 6 and ip.ipv4_mapped else ip  # type: ignore[union-attr]


def _inet_aton(text: str) -> ipaddress.IPv4Address | None:
    # inet_aton's forms: a.b.c.d, a.b.c (c fills 16 bits), a.b (b fills 24) and a (all 32), each part
    # decimal, 0-prefixed octal or 0x hex. Parsed here rather than by the platform, so it never varies.
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    try:
        numbers = [_aton_part(p) for p in parts]
    except ValueError:
        return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (4 - len(head)):
        return None
    value = sum(n << (8 * (3 - i)) for i, n in enumerate(head)) + last
    return ipaddress.IPv4Address(value)


def _aton_part(part: str) -> int:
    if re.fullmatch(r"0x[0-9a-f]*", part):
        return int(part[2:] or "0", 16)
    if re.fullmatch(r"0[0-7]*", part):
        return int(part, 8)
    if re.fullmatch(r"[1-9][0-9]*", part):
        return int(part)
    raise ValueError(part)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries and reaches (mapped, 6to4, NAT64)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def classify(ip: IPAddress) -> Kind:
    """Only PUBLIC may be connected to on a visitor's say-so; every other kind is refused."""
    if ip.version == 6:
        embedded = _embedded_ipv4(ip)  # type: ignore[arg-type]
        if embedded is not None:
            return classify(embedded)
    if ip.is_loopback:
        return Kind.LOOPBACK
    if ip.is_unspecified:
        return Kind.UNSPECIFIED
    if ip.is_link_local:
        return Kind.LINK_LOCAL
    if ip.is_multicast:
        return Kind.MULTICAST
    if ip.is_reserved:  # before private: 240/4 and broadcast are both, and "reserved" says more
        return Kind.RESERVED
    if ip.is_private or (ip.version == 6 and ip.is_site_local):  # type: ignore[union-attr]
        return Kind.PRIVATE
    if not ip.is_global:  # e.g. 100.64/10, shared carrier-grade NAT space
        return Kind.RESERVED
    return Kind.PUBLIC


def address_kind(text: str) -> Kind | None:
    """The kind of an address a resolver answered; None when it is not an address at all."""
    ip = parse_address(text)
    return classify(ip) if ip is not None else None


def name_kind(name: str) -> Kind | None:
    """LOOPBACK or LOCAL_NAME for names that are local by definition, None for a name DNS must answer.

    ``localhost`` and ``*.localhost`` are this machine (RFC 6761); ``*.local`` (mDNS), ``*.internal``
    (cloud metadata such as ``metadata.google.internal``), ``*.home.arpa`` and ``*.localdomain`` are
    never on public DNS, and a name without a dot only resolves through this server's hosts file or
    search domains (``metadata``, a container's service names).
    """
    if name == "localhost" or name.endswith(".localhost"):
        return Kind.LOOPBACK
    if "." not in name or name.endswith(_LOCAL_SUFFIXES):
        return Kind.LOCAL_NAME
    return None
