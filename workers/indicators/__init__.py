"""Indicators of compromise named in an article: URLs, domains, IPv4 and IPv6
addresses, e-mail addresses, MD5/SHA-1/SHA-256 hashes, CVE ids, bitcoin and
monero addresses; refanged, normalised (lower-case names and hashes, upper-case
CVE ids), known-benign values left out. Pure; the warning lists and the
library's grammars are loaded once per process, on first use.

The library is ioc-finder, read only on the words that could hold an
indicator, with refanging of our own. Compared on the 495 articles of
relevance-dev (docs/indicators.md has the figures): iocextract refangs
greedily (``remotejobs@u.s``, ``http://2024.By``), finds no domains outside
URLs and costs 9.8 ms of CPU per article; iocsearcher and ioc-finder find the
same indicators (iocsearcher adds social handles we do not want) but cost 6.7
and 1.8 ms on whole articles. ioc-finder is the cheapest and its grammars
validate each kind (TLDs, address ranges, coin checksums); half its time is
refanging every text twenty ways, which our one pattern does for the few
defanged articles, and the rest drops to about a tenth when it reads only the
candidate words. CVE ids come from our own pattern (cves.py), shared with the
``cves`` field.
"""

from __future__ import annotations

from collections.abc import Iterable

from workers.indicators.cves import CVE_PATTERN, cve_ids
from workers.indicators.extraction import Indicator, find_indicators
from workers.indicators.fanging import defang, refang

INDICATOR_TYPES = ("url", "domain", "ipv4", "ipv6", "email", "md5", "sha1", "sha256", "cve", "btc", "xmr")

__all__ = ["CVE_PATTERN", "INDICATOR_TYPES", "Indicator", "cve_ids", "defang", "extract_indicators", "refang"]


def extract_indicators(text: str, *, outlet_domains: Iterable[str] = ()) -> list[Indicator]:
    """Every indicator ``text`` names, deduplicated, in first-seen order, with
    the outlet's own domains (and their subdomains) left out."""
    return find_indicators(text, outlet_domains)
