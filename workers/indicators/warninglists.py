"""Known-benign values, from the MISP warning lists that ``pymispwarninglists``
ships: what an article names that is no indicator of anything.

Only the lists that say "benign" for news are loaded, once per process: all of
them take 1.7 s and some 360 MB (a million Tranco and a million Chrome UX
hostnames); these take about 0.3 s and 30 MB. Left out on purpose: cloud, CDN
and VPN address ranges (attackers rent those; a C2 address in AWS is still an
indicator), dynamic DNS and parking domains (abused, not benign) and the 200,000 NSRL
benign-file hashes (news cites malware hashes, not system files). The lists
are read as data: the package's own loader imports jsonschema (over two
seconds) and holds every list.

A domain is benign when it, or the domain registered above it, is on a list,
except under the hosting services attackers use (the LOTS project's list:
``evil.000webhostapp.com`` is not vouched for by ``000webhostapp.com``). The
registered domain is found with IANA's TLDs and Mozilla's public suffixes, both
also shipped as warning lists (so ``evil.github.io`` and ``x.co.uk`` are their
own registered domains)."""

from __future__ import annotations

import importlib.util
import ipaddress
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any


def lists_dir() -> Path:
    """Where pymispwarninglists keeps its lists, found without importing it (its
    import loads jsonschema, over two seconds, for validation we do not use)."""
    spec = importlib.util.find_spec("pymispwarninglists")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("pymispwarninglists is not installed")
    return Path(spec.origin).parent / "data" / "misp-warninglists" / "lists"

# Top sites, big platforms, security vendors' and analysis services' domains that
# articles cite, hostnames software calls home to, special-use names (RFC 6761).
WELL_KNOWN_DOMAINS = ("tranco10k", "cisco_top10k", "majestic_million", "alexa", "moz-top500", "google", "microsoft",
                      "microsoft-office365", "microsoft-win10-connection-endpoints", "security-provider-blogpost",
                      "automated-malware-analysis", "captive-portals", "rfc6761")
# Legitimate services attacks lean on (IP loggers, what-is-my-IP, link shorteners):
# benign when cited, but a writer who defangs one names it as part of the attack.
ABUSABLE_SERVICES = ("whats-my-ip", "url-shortener")
# Hosting whose customers' subdomains are theirs, not the platform's.
SHARED_HOSTING = ("lots-project",)
PUBLIC_SUFFIXES = ("tlds", "second-level-tlds")
# Private (RFC 1918), special and documentation (RFC 5735, RFC 3849), shared
# (RFC 6598), multicast and link-local ranges.
RESERVED_NETWORKS = ("rfc1918", "rfc5735", "rfc3849", "rfc6598", "multicast", "ipv6-linklocal")
# Public DNS resolvers (8.8.8.8, 1.1.1.1): addresses, not ranges.
PUBLIC_RESOLVERS = ("public-dns-v4", "public-dns-v6")
# Empty files, EICAR, and hashes often in IOC lists that are false positives.
BENIGN_HASHES = ("empty-hashes", "eicar.com", "common-ioc-false-positive", "ti-falsepositives")
CONTACT_EMAILS = ("common-contact-emails",)


def _load(name: str) -> dict[str, Any]:
    with (lists_dir() / name / "list.json").open(encoding="utf-8") as listing:
        loaded: dict[str, Any] = json.load(listing)
    return loaded


def _names(lists: Iterable[str]) -> frozenset[str]:
    # Hostname lists write a suffix match as ".example.com"; we match parents anyway.
    return frozenset(entry.strip().lower().lstrip(".") for name in lists for entry in _load(name)["list"])


def _misp_regex(entry: str) -> re.Pattern[str]:
    """A MISP regex entry, written ``/pattern/flags``."""
    body, _, flags = entry[1:].rpartition("/")
    return re.compile(body, re.IGNORECASE if "i" in flags else 0)


@dataclass(frozen=True)
class WarningLists:
    """The loaded lists, as sets and network filters."""

    domains: frozenset[str]
    abusable_services: frozenset[str]
    shared_hosting: frozenset[str]
    tlds: frozenset[str]
    public_suffixes: frozenset[str]
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    resolvers: frozenset[str]
    hashes: frozenset[str]
    contact_emails: tuple[re.Pattern[str], ...]

    def registered_domain(self, host: str) -> str | None:
        """``www.evil.co.uk`` -> ``evil.co.uk``; None for a public suffix or an unknown TLD."""
        labels = host.split(".")
        if labels[-1] not in self.tlds:
            return None
        for start in range(1, len(labels)):
            if ".".join(labels[start:]) in self.public_suffixes:
                return ".".join(labels[start - 1:])
        return None

    def benign_domain(self, host: str) -> bool:
        """A well-known site, or an IP logger, what-is-my-IP service or link shortener."""
        return self.well_known(host) or self._listed(host, self.abusable_services)

    def well_known(self, host: str) -> bool:
        """On the top-site, vendor and resolver lists."""
        return self._listed(host, self.domains)

    def _listed(self, host: str, names: frozenset[str]) -> bool:
        if host in names:
            return True
        registered = self.registered_domain(host)
        return registered is not None and registered in names and registered not in self.shared_hosting

    def benign_address(self, address: str) -> bool:
        try:
            parsed = ipaddress.ip_address(address)
        except ValueError:
            return True  # not an address at all
        if not parsed.is_global or parsed.is_multicast or parsed.compressed in self.resolvers:
            return True
        return any(parsed in network for network in self.networks if network.version == parsed.version)

    def benign_hash(self, digest: str) -> bool:
        return digest in self.hashes

    def contact_email(self, address: str) -> bool:
        return any(pattern.match(address) for pattern in self.contact_emails)


@lru_cache(maxsize=1)
def warning_lists() -> WarningLists:
    """The lists, read once per process."""
    return WarningLists(
        domains=_names(WELL_KNOWN_DOMAINS),
        abusable_services=_names(ABUSABLE_SERVICES),
        shared_hosting=_names(SHARED_HOSTING),
        tlds=_names(("tlds",)),
        public_suffixes=_names(PUBLIC_SUFFIXES),
        networks=tuple(ipaddress.ip_network(entry) for name in RESERVED_NETWORKS for entry in _load(name)["list"]),
        resolvers=frozenset(ipaddress.ip_address(entry).compressed for name in PUBLIC_RESOLVERS
                            for entry in _load(name)["list"]),
        hashes=_names(BENIGN_HASHES),
        contact_emails=tuple(_misp_regex(entry) for name in CONTACT_EMAILS for entry in _load(name)["list"]),
    )
