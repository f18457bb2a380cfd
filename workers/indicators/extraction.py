"""Indicators in news text: candidates found cheaply, read by ioc-finder, then
judged with what news text needs (see the package docstring for the why).

1. The text is refanged (fanging.py), remembering where it was defanged.
2. One pattern finds the few whitespace-delimited words that could hold an
   indicator (a dot before letters, dotted numbers, ``@``, a hex run, colons, a
   coin address); only those words go to ioc-finder, whose grammars cost about
   2 ms on a whole article and some 0.1 ms on its candidate words.
3. Each value is judged against the warning lists (warninglists.py), the
   outlet's own domains and the false positives news text produces: version
   numbers read as addresses (``Flash Player 31.0.0.153``), brand names and
   file names read as domains (``SecurityWeek.Com``, ``setup.sh``), adverts and
   images among the links, contact addresses. A plainly written name, link or
   address counts only where its sentence or its list presents it as an
   indicator (context.py). A value the writer defanged is meant as an indicator
   and skips the news-text checks (not the lists).
"""

from __future__ import annotations

import ipaddress
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import urlsplit

from workers.indicators.context import NewsContext
from workers.indicators.cves import cve_positions
from workers.indicators.fanging import Refanged, refang_marked
from workers.indicators.warninglists import WarningLists, warning_lists
from workers.lang import spaced

# ioc-finder's name for each kind we ask of it, and ours.
LIBRARY_TYPES = {"urls": "url", "domains": "domain", "ipv4s": "ipv4", "ipv6s": "ipv6", "email_addresses": "email",
                 "md5s": "md5", "sha1s": "sha1", "sha256s": "sha256", "bitcoin_addresses": "btc",
                 "monero_addresses": "xmr"}

# Where an indicator could be: a dot before two letters (evil.com, not U.S. or
# e.g.), dotted numbers, "@", colons around hex (IPv6); a long hex run; a coin
# address. Separate patterns, each starting with rare characters: one pattern
# of them all costs ten times as much (the regex engine then tries each offset).
_ANCHORS = (
    re.compile(r"\.(?:[A-Za-z]{2}|\d{1,3}\.\d)|@|:[0-9A-Fa-f]{0,4}:"),
    re.compile(r"[0-9][0-9A-Fa-f]{20}"),  # a hash names a digit within its first dozen characters
    re.compile(r"[134][1-9A-HJ-NP-Za-km-z]{25}"),  # bitcoin (legacy), monero
    re.compile(r"bc1[02-9ac-hj-np-z]{25}"),  # bitcoin (bech32)
)
_SPACES = " \n\t\r\xa0"
_SPACE = re.compile(r"\s")
_LONGEST_WORD = 4000
# More e-mail addresses than this in one text and none of them is read as an indicator.
MAX_ADDRESSES = 100
# Markdown emphasis, code, quotes, brackets and punctuation around a word:
# _tapnetic.pro_, `evil.com`, 'xd.link,', (mopo3.net). ioc-finder refangs what it
# reads, and reads "(mopo3.net)" as "(mopo3.n@" ("(et)" for "at").
_WRAPPING = "*_`'\"“”‘’()[]<>{},;!?."

# An address that is a version: "version 31.0.0.153", "Flash Player 12.0.0.44",
# "releases: 11.12.0.4, 12.3.0.1", "9.4.7.2 and earlier", "10.2.1.15-81sv".
_VERSION_BEFORE = re.compile(
    r"\b(?:versions?|ver|v|releases?|builds?|firmware|kernel|through|section|player|edition|fixed in)\b|\.x\b",
    re.IGNORECASE)
_VERSION_AFTER = re.compile(r"[-_+]\w|\.x\b|\s*(?:and|or)\s+(?:earlier|later|prior|above|below|newer|older|"
                            r"before|after)\b", re.IGNORECASE)
# A hex run that is not a file hash.
_NOT_A_HASH = re.compile(r"\b(?:fingerprints?|commits?|transactions?|txid|tx|blocks?|keys?|serial)\b",
                         re.IGNORECASE)
_HEX = re.compile(r"[0-9a-f]+")
# A name with one of these endings is a file before it is a domain: setup.sh, lib.rs, test.md.
FILE_LIKE_TLDS = frozenset({"zip", "mov", "py", "sh", "md", "rs", "one", "ps", "so", "do", "name", "id", "run"})
# Java and Apple identifiers written backwards: com.apple.service.
_REVERSED_NAME = frozenset({"com", "org", "net"})
_IMAGE = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".ico", ".bmp")
# Where people write to an organisation rather than to a person.
ROLE_MAILBOXES = frozenset({
    "abuse", "contact", "feedback", "help", "info", "investigations", "legal", "media", "news", "newsroom",
    "no-reply", "noreply", "phishing", "postmaster", "press", "privacy", "psirt", "report", "reports", "security",
    "spam", "support", "tips", "webmaster"})
_CONTEXT = 60
# Markdown's backslash escapes (BleepingComputer's bodies: ``360proxy\.com``,
# ``1.2.3\[.\]4``, ``\_name``), undone before anything else reads the text: an
# escaped name is written plainly, and an IOC list of them is still a list.
_MARKDOWN_ESCAPE = re.compile(r"\\+([\\`*_{}\[\]()#+\-.!|<>~])")


@dataclass(frozen=True)
class Indicator:
    """One indicator of compromise, refanged and normalised."""

    type: str  # url, domain, ipv4, ipv6, md5, sha1, sha256, email, cve, btc, xmr
    value: str

    def to_dict(self) -> dict[str, str]:
        return {"type": self.type, "value": self.value}


class IocFinder(Protocol):
    def __call__(self, text: str, **options: Any) -> Any: ...


@lru_cache(maxsize=1)
def _library() -> IocFinder:
    # Imported on first use: its grammars take about a second to build, which
    # every command that imports the enrich stage would otherwise pay.
    from ioc_finder import find_iocs

    finder: IocFinder = find_iocs
    return finder


@dataclass(frozen=True)
class _Word:
    start: int
    text: str  # as written (after refanging)
    folded: str


@dataclass(frozen=True)
class _Found:
    position: int
    indicator: Indicator


def _candidate_words(text: str) -> list[_Word]:
    words: list[_Word] = []
    end = 0
    for anchor in sorted(match.start() for pattern in _ANCHORS for match in pattern.finditer(text)):
        if anchor < end:
            continue
        floor = max(0, anchor - _LONGEST_WORD)
        start = max(text.rfind(space, floor, anchor) for space in _SPACES) + 1
        after = _SPACE.search(text, anchor)
        end = after.start() if after else len(text)
        stripped = text[start:end].strip(_WRAPPING)
        if stripped:
            offset = text.find(stripped, start, end)
            words.append(_Word(offset, stripped, stripped.lower()))
    return words


class _WordIndex:
    """The candidate words' folded texts in one string, one a line, to find a value
    in with one search instead of one per word."""

    def __init__(self, words: list[_Word]) -> None:
        self.words = words
        self.folded = "\n".join(word.folded for word in words)
        self.starts: list[int] = []
        offset = 0
        for word in words:
            self.starts.append(offset)
            offset += len(word.folded) + 1

    def where(self, value: str) -> tuple[_Word, int] | None:
        """The first candidate word holding ``value`` (or, for a URL the library
        unescaped or gave a scheme, its host), and the offset in that word."""
        folded = value.lower()
        for needle in (folded, folded.partition("://")[2].split("/")[0]):
            # A word holds no newline, so the first match in the joined text is in the first word holding it.
            at = self.folded.find(needle) if needle and "\n" not in needle else -1
            if at >= 0:
                index = bisect_right(self.starts, at) - 1
                return self.words[index], at - self.starts[index]
        return None


class _Judge:
    """What to keep of the library's finds in one article."""

    def __init__(self, refanged: Refanged, words: list[_Word], outlets: frozenset[str], lists: WarningLists) -> None:
        self.text = refanged.text
        self.refanged = refanged
        self.word_index = _WordIndex(words)
        self.outlets = outlets
        self.lists = lists
        self.url_hosts: set[str] = set()
        self.context = NewsContext(refanged.text, [(word.start, word.start + len(word.text)) for word in words])

    def _line_before(self, position: int) -> str:
        before = self.text[max(0, position - _CONTEXT):position]
        return before[before.rfind("\n") + 1:]

    def _said_to_be_indicator(self, position: int, length: int, kind: str) -> bool:
        return self.context.presents_as_indicator(position, length, kind)

    def _outlet(self, host: str) -> bool:
        return (self.lists.registered_domain(host) or host) in self.outlets

    def judge(self, kind: str, value: str) -> Iterator[_Found]:
        # A value the library rewrote past finding (leading zeros dropped from
        # 9.2.18.001) is judged as plain text, at the end.
        found = self.word_index.where(value)
        position, written = (found[0].start + found[1], found[0].text[found[1]:found[1] + len(value)]) \
            if found else (len(self.text), value)
        defanged = found is not None and self.refanged.defanged_between(found[0].start,
                                                                         found[0].start + len(found[0].text))
        if kind == "url":
            yield from self._url(value, position, defanged)
        elif kind == "domain":
            if value.lower() not in self.url_hosts and self._domain_kept(value.lower(), written, defanged) \
                    and (defanged or self._said_to_be_indicator(position, len(value), kind)):
                yield _Found(position, Indicator("domain", value.lower()))
        elif kind == "ipv4":
            # An address written with leading zeros (9.2.18.001) is a version.
            if found is not None and value not in self.url_hosts and self._address_kept(value, position, defanged):
                yield _Found(position, Indicator("ipv4", value))
        elif kind == "ipv6":
            address = str(ipaddress.ip_address(value))
            if not self.lists.benign_address(address):
                yield _Found(position, Indicator("ipv6", address))
        elif kind == "email":
            if self._email_kept(value.lower()) and (defanged or self._said_to_be_indicator(position, len(value), kind)):
                yield _Found(position, Indicator("email", value.lower()))
        elif kind in ("md5", "sha1", "sha256"):
            digest = value.lower()
            if self._hash_kept(digest, position):
                yield _Found(position, Indicator(kind, digest))
        else:  # coin addresses: their case is part of them
            yield _Found(position, Indicator(kind, value))

    def _url(self, value: str, position: int, defanged: bool) -> Iterator[_Found]:
        scheme, separator, rest = value.partition("://")
        if not separator:
            scheme, rest = "", value
        host_end = next((at for at, char in enumerate(rest) if char in "/?#"), len(rest))
        try:
            host = urlsplit(f"http://{rest}").hostname or ""
        except ValueError:
            return
        self.url_hosts.add(host)
        path = rest[host_end:].lower()
        address = _is_address(host)
        if (not address and self.lists.registered_domain(host) is None) or self._outlet(host):
            return
        benign = self.lists.benign_address(host) if address else self.lists.benign_domain(host)
        if not defanged and (benign or "utm_" in path or "utm%5f" in path or path.split("?")[0].endswith(_IMAGE)
                             or not self._said_to_be_indicator(position, len(value), "url")):
            return
        normalised = f"{scheme.lower()}://{rest[:host_end].lower()}{rest[host_end:]}" if separator else \
            f"{rest[:host_end].lower()}{rest[host_end:]}"
        yield _Found(position, Indicator("url", normalised))
        if not benign:
            yield _Found(position, Indicator("ipv4" if address == 4 else "ipv6" if address else "domain", host))

    def _domain_kept(self, domain: str, written: str, defanged: bool) -> bool:
        labels = domain.split(".")
        if self.lists.registered_domain(domain) is None or self._outlet(domain):
            return False
        if defanged:
            # The writer's defanging outweighs a list of services attackers lean on, not the top sites.
            return not self.lists.well_known(domain)
        if self.lists.benign_domain(domain):
            return False
        # Indicators are written in lower case; SecurityWeek.Com, CERT.pl and Agent.Biz are names.
        return written == written.lower() and labels[0] not in _REVERSED_NAME \
            and not (len(labels) == 2 and labels[-1] in FILE_LIKE_TLDS)

    def _address_kept(self, address: str, position: int, defanged: bool) -> bool:
        if self.lists.benign_address(address):
            return False
        if defanged:
            return True
        before = self._line_before(position)
        if before[-1:].isalpha() or _VERSION_BEFORE.search(before):
            return False
        return _VERSION_AFTER.match(self.text, position + len(address)) is None

    def _email_kept(self, address: str) -> bool:
        mailbox, _, domain = address.rpartition("@")
        if self.lists.registered_domain(domain) is None or self._outlet(domain):
            return False
        # security@, abuse@, noc@ anywhere (the MISP list); other role mailboxes at known organisations.
        if self.lists.contact_email(address):
            return False
        return not (mailbox in ROLE_MAILBOXES and self.lists.benign_domain(domain))

    def _hash_kept(self, digest: str, position: int) -> bool:
        if self.lists.benign_hash(digest) or not _HEX.fullmatch(digest):
            return False
        if digest.isdigit() or not any(char.isdigit() for char in digest):
            return False
        return _NOT_A_HASH.search(self._line_before(position)) is None


def _is_address(host: str) -> int:
    """4 or 6 for an IP address, 0 for a name."""
    try:
        return ipaddress.ip_address(host).version
    except ValueError:
        return 0


def outlet_registered_domains(outlet_domains: Iterable[str], lists: WarningLists) -> frozenset[str]:
    """The registered domains of the outlet's hosts (``www.example.co.uk`` -> ``example.co.uk``)."""
    hosts = (host.strip().lower().rstrip(".") for host in outlet_domains)
    return frozenset(lists.registered_domain(host) or host for host in hosts if host)


def find_indicators(text: str, outlet_domains: Iterable[str] = ()) -> list[Indicator]:
    """Every indicator in ``text``, deduplicated, in the order first named."""
    refanged = refang_marked(_MARKDOWN_ESCAPE.sub(r"\1", spaced(text)))
    found = [_Found(position, Indicator("cve", cve)) for position, cve in cve_positions(refanged.text)]
    words = _candidate_words(refanged.text)
    if sum("@" in word.text for word in words) > MAX_ADDRESSES:
        # An address book (a page listing a parliament's e-mail addresses) is no indicator
        # list, and ioc-finder's address grammar took 160 ms over one such page; a real list
        # of more senders than this loses its addresses (no article of the dev sets has one).
        words = [word for word in words if "@" not in word.text]
    if words:
        lists = warning_lists()
        judge = _Judge(refanged, words, outlet_registered_domains(outlet_domains, lists), lists)
        library = _library()("\n".join(word.text for word in words), parse_domain_from_url=False,
                             parse_from_url_path=False, parse_domain_from_email_address=False,
                             parse_address_from_cidr=False, parse_domain_name_from_xmpp_address=False,
                             included_ioc_types=list(LIBRARY_TYPES))
        # URLs first: their hosts are judged with them, not again as bare names.
        for library_type, kind in LIBRARY_TYPES.items():
            for value in library.get(library_type) or ():
                found.extend(judge.judge(kind, value))
    ordered = sorted(enumerate(found), key=lambda item: (item[1].position, item[0]))
    return list(dict.fromkeys(item.indicator for _, item in ordered))
