"""Which URLs Coverwatch may fetch or post to (server-side request forgery guard).

A crawl follows URLs that outsiders choose (feed entries, sitemap children,
redirects) and a webhook target is typed by a rule author, so neither may lead
into the machine's own network: loopback, private, link-local (cloud metadata at
169.254.169.254), carrier-grade NAT, multicast, reserved and other non-global
addresses are refused, in every spelling (``http://2130706433/``,
``http://0x7f.1/``, ``[::ffff:127.0.0.1]``), as are ``localhost`` names and
schemes other than http(s). An operator who runs sources or receivers on an
internal network allows those ranges with ``COVERWATCH_ALLOWED_PRIVATE_NETWORKS``
(CIDRs, comma separated; empty by default); the demo and the tests allow
127.0.0.0/8 explicitly.

A host name is refused when *any* of its addresses is refused: the client may
connect to whichever it likes. A name that does not resolve is not ours to
judge: the fetch then fails as a DNS error of its own.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from coverwatch.networks import IPNetwork, parse_networks
from coverwatch.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str], list[str]]

ALLOWED_SCHEMES = frozenset({"http", "https"})
LOCALHOST_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
CARRIER_GRADE_NAT = ipaddress.IPv4Network("100.64.0.0/10")
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
METADATA_ADDRESSES = frozenset({ipaddress.IPv4Address("169.254.169.254"), ipaddress.IPv6Address("fd00:ec2::254")})


class URLRefused(ValueError):
    """A URL the network policy does not let Coverwatch request; says why."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url[:200]!r} refused: {reason}")
        self.url = url
        self.reason = reason


def _ipv4_number(part: str) -> int | None:
    # inet_aton rules, which resolvers and browsers apply to a host name made
    # of numbers: 0x.. is hex, a leading 0 is octal, anything else decimal.
    if not part:
        return None
    try:
        if part[:2].lower() == "0x":
            return int(part[2:] or "0", 16)
        if len(part) > 1 and part.startswith("0"):
            return int(part[1:], 8)
        return int(part, 10) if part.isdigit() else None
    except ValueError:
        return None


def numeric_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The address a host spelled as 1-4 numbers stands for (``2130706433``,
    ``0x7f.1``, ``0177.0.0.1``), or None when it is not such a spelling."""
    parts = host.split(".")
    if len(parts) > 4:
        return None
    numbers = [_ipv4_number(part) for part in parts]
    if any(number is None for number in numbers):
        return None
    values = [number for number in numbers if number is not None]
    *leading, last = values
    if any(value > 255 for value in leading) or last >= 256 ** (5 - len(values)):
        return None
    total = last
    for position, value in enumerate(leading):
        total += value << (8 * (3 - position))
    return ipaddress.IPv4Address(total)


def literal_address(host: str) -> IPAddress | None:
    """The address a URL host names literally, in any spelling, or None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    return numeric_ipv4(host)


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped, compatible, NAT64, 6to4)."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    packed = int(address)
    if address in NAT64 or (packed >> 32 == 0 and packed > 0xFFFF):
        return ipaddress.IPv4Address(packed & 0xFFFFFFFF)
    return None


def is_localhost_name(host: str) -> bool:
    # Resolvers answer these from /etc/hosts or by rule (RFC 6761), never from DNS.
    return host in LOCALHOST_NAMES or host.endswith(".localhost")


def _category(address: IPAddress) -> str | None:
    """Why an address is off limits, or None for a public address."""
    if address in METADATA_ADDRESSES:
        return "cloud metadata address"
    checks = (("loopback", address.is_loopback), ("unspecified", address.is_unspecified),
              ("link-local", address.is_link_local), ("multicast", address.is_multicast),
              ("carrier-grade NAT", isinstance(address, ipaddress.IPv4Address) and address in CARRIER_GRADE_NAT),
              ("private", address.is_private), ("reserved", address.is_reserved),
              ("not globally routable", not address.is_global))
    return next((name for name, applies in checks if applies), None)


def _system_resolver(host: str) -> list[str]:
    try:
        answers = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return [str(answer[4][0]) for answer in answers]


@dataclass(frozen=True)
class NetPolicy:
    """The rule plus the operator's allowed ranges; ``resolver`` is injectable for tests."""

    allowed: tuple[IPNetwork, ...] = ()
    resolver: Resolver = _system_resolver

    @classmethod
    def from_settings(cls, settings: Settings) -> NetPolicy:
        return cls(parse_networks(settings.allowed_private_networks))

    def _is_allowed(self, address: IPAddress) -> bool:
        return any(address.version == network.version and address in network for network in self.allowed)

    def address_refusal(self, address: IPAddress) -> str | None:
        if self._is_allowed(address):
            return None
        inner = embedded_ipv4(address)
        if inner is not None:
            if self._is_allowed(inner):
                return None
            inner_reason = _category(inner)
            if inner_reason is not None:
                return f"{address} carries {inner}, a {inner_reason} address"
        reason = _category(address)
        return f"{address} is a {reason} address" if reason else None

    def static_refusal(self, url: str) -> str | None:
        """What can be refused without DNS: scheme, a missing host, localhost
        names and literal addresses in any spelling."""
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").rstrip(".")
        except ValueError as failure:
            return f"not a URL: {failure}"
        if parts.scheme.lower() not in ALLOWED_SCHEMES:
            return f"scheme {parts.scheme or '(none)'!r} is not http or https"
        if not host:
            return "no host"
        if is_localhost_name(host):
            # Refused outright unless loopback is allowed; then its answers are
            # judged like any name's (localhost may answer ::1 as well).
            loopbacks: tuple[IPAddress, ...] = (ipaddress.IPv4Address("127.0.0.1"), ipaddress.IPv6Address("::1"))
            allowed = any(self._is_allowed(loopback) for loopback in loopbacks)
            return None if allowed else f"{host} is this machine (loopback)"
        address = literal_address(host.split("%", 1)[0])
        return self.address_refusal(address) if address is not None else None

    def refusal(self, url: str) -> str | None:
        """Why ``url`` may not be requested, or None; resolves the host (every answer)."""
        reason = self.static_refusal(url)
        if reason is not None:
            return reason
        host = (urlsplit(url).hostname or "").rstrip(".")
        if literal_address(host.split("%", 1)[0]) is not None:
            return None
        return self._resolved_refusal(host, self.resolver(host))

    def _resolved_refusal(self, host: str, answers: Iterable[str]) -> str | None:
        for answer in answers:
            try:
                address = ipaddress.ip_address(answer.split("%", 1)[0])
            except ValueError:
                continue
            reason = self.address_refusal(address)
            if reason is not None:
                return f"{host} resolves to {reason}"
        return None

    def check(self, url: str) -> None:
        """Raise :class:`URLRefused` when ``url`` may not be requested."""
        reason = self.refusal(url)
        if reason is not None:
            raise URLRefused(url, reason)
