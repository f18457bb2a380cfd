"""Which MISP warning lists a value is on, as MISP checks them: a list applies
only to the attribute types it names (``matching_attributes``), ``string``
lists match exactly, ``hostname`` lists the host and every parent domain (of a
URL's host too), ``cidr`` lists any address inside, ``substring`` and
``regex`` lists anywhere in the value.

The lists come from ``pymispwarninglists`` (the same lists MISP ships).
pymispwarninglists' own ``search`` does this too, but walks a million-entry
list per value in its exact mode (0.1-0.3 s a value) and takes 13 s to load
in it; here the lists are indexed once instead (sets by host suffix, networks
by prefix length), loaded lazily on the first check and kept for the process:
the load takes some 3 s and 350 MB at its peak, so only a process that renders
MISP events pays it.
"""

from __future__ import annotations

import ipaddress
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

# Attribute types the MISP events we make carry (workers/exchange/misp_attributes.py);
# lists naming none of them are not kept.
CHECKED_TYPES = frozenset({"ip-dst", "domain", "hostname", "url", "md5", "sha1", "sha256", "email-src", "btc", "xmr"})


def _regex(entry: str) -> re.Pattern[str] | None:
    """MISP writes regex entries PHP-style: ``/pattern/flags``."""
    if entry.startswith("/") and entry.rfind("/") > 0:
        body, flags = entry[1:entry.rfind("/")], entry[entry.rfind("/") + 1:]
        try:
            return re.compile(body, re.IGNORECASE if "i" in flags else 0)
        except re.error:
            return None
    return None


def _host(value: str) -> str:
    if "://" in value:
        return (urlsplit(value).hostname or value).lower()
    return value.lower().rstrip(".")


@dataclass
class WarningList:
    """One list, indexed for its type on first use (the entries are then let go)."""

    name: str
    kind: str  # string, hostname, cidr, substring, regex
    entries: Sequence[str]
    types: frozenset[str]  # matching_attributes; empty: every type
    _hosts: frozenset[str] | None = field(default=None, repr=False)
    _exact: frozenset[str] | None = field(default=None, repr=False)
    _networks: dict[tuple[int, int], set[int]] | None = field(default=None, repr=False)
    _patterns: list[re.Pattern[str]] | None = field(default=None, repr=False)

    def applies_to(self, misp_type: str) -> bool:
        return not self.types or misp_type in self.types

    def holds(self, value: str) -> bool:
        if self.kind == "string":
            if self._exact is None:
                self._exact, self.entries = frozenset(self.entries), ()
            return value in self._exact or value.lower() in self._exact
        if self.kind == "hostname":
            return self._holds_host(_host(value))
        if self.kind == "cidr":
            return self._holds_address(value)
        if self.kind == "substring":
            lowered = value.lower()
            return any(entry.lower() in lowered for entry in self.entries)
        if self.kind == "regex":
            if self._patterns is None:
                self._patterns = [pattern for pattern in map(_regex, self.entries) if pattern is not None]
            return any(pattern.search(value) for pattern in self._patterns)
        return False

    def _holds_host(self, host: str) -> bool:
        if self._hosts is None:
            self._hosts, self.entries = frozenset(entry.lower().strip(".") for entry in self.entries), ()
        labels = host.split(".")
        return any(".".join(labels[start:]) in self._hosts for start in range(len(labels)))

    def _holds_address(self, value: str) -> bool:
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return False
        if self._networks is None:
            self._networks = {}
            for entry in self.entries:
                try:
                    network = ipaddress.ip_network(entry, strict=False)
                except ValueError:
                    continue
                shift = network.max_prefixlen - network.prefixlen
                key = (network.version, network.prefixlen)
                self._networks.setdefault(key, set()).add(int(network.network_address) >> shift)
            self.entries = ()
        number = int(address)
        return any(number >> (address.max_prefixlen - prefixlen) in starts
                   for (version, prefixlen), starts in self._networks.items() if version == address.version)


class WarningIndex:
    """Every applicable list, asked as MISP asks them."""

    def __init__(self, lists: Iterable[WarningList]) -> None:
        self.lists = [warning_list for warning_list in lists
                      if not warning_list.types or warning_list.types & CHECKED_TYPES]
        self._lock = threading.Lock()  # the lazy per-list indexes are built once, not per thread

    @classmethod
    def from_documents(cls, documents: Iterable[Mapping[str, Any]]) -> WarningIndex:
        """From list documents as MISP's warninglists repository writes them."""
        return cls(WarningList(str(document["name"]), str(document["type"]), document["list"],
                               frozenset(document.get("matching_attributes") or ())) for document in documents)

    def lists_holding(self, value: str, misp_type: str) -> list[str]:
        """The names of the lists that hold ``value`` as an attribute of ``misp_type``."""
        with self._lock:
            return [warning_list.name for warning_list in self.lists
                    if warning_list.applies_to(misp_type) and warning_list.holds(value)]


_loaded: WarningIndex | None = None
_loading = threading.Lock()


def warning_index() -> WarningIndex:
    """The lists pymispwarninglists ships, loaded on first use and kept."""
    global _loaded
    with _loading:
        if _loaded is None:
            from pymispwarninglists.api import WarningLists

            shipped = WarningLists(slow_search=False)
            _loaded = WarningIndex.from_documents(warning_list.warninglist for warning_list in shipped.values())
        return _loaded
