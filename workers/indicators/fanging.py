"""Refanging and defanging: the two directions between an indicator as written
to be safe (``hxxp://evil[.]com``, ``1.2.3[.]4``, ``bad[at]evil(.)net``) and the
value a machine can use.

Refanging is ours rather than the library's: ioc-finder refangs too, but with
some twenty substitutions over the whole text (about 1 ms per article, half its
time), while defanged text is rare in news; one pattern that finds nothing on
most articles is enough here, and it tells which spans were defanged, which
the extractor trusts more (a writer who defangs a value means it as an
indicator). Only bracketed markers are undone: a bare `` dot `` or `` at `` is
an English word."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

# Markdown escapes its brackets (``7zip\[.\]com``), hence the backslash. Two
# patterns, each starting with a few rare characters, scan an article in some
# 20 microseconds; one pattern with both (or with optional spaces first) takes
# 20 times as long, as the regex engine then tries every offset.
_BRACKETED = re.compile(r"[\\\[({]\[?\s?(?P<mark>\.|dot|at|@|://?|:)\s?\\?[\])}]", re.IGNORECASE)
_SCHEME = re.compile(r"xxp|XXp|XXP|xXp|Xxp|\*\*p|fxp|FXP")
_SCHEME_FOLLOWS = re.compile(r"s?(?:\\?\[)?:", re.IGNORECASE)


@dataclass(frozen=True)
class Refanged:
    """A text with its defanged markers undone, and where in it they were."""

    text: str
    marks: Sequence[int]  # offsets in ``text`` of each undone marker, ascending

    def defanged_between(self, start: int, end: int) -> bool:
        """Whether a marker was undone within text[start:end]."""
        at = bisect_left(self.marks, start)
        return at < len(self.marks) and self.marks[at] <= end


def _edits(text: str) -> list[tuple[int, int, str]]:
    """(start, end, replacement) of each marker, in text order."""
    edits: list[tuple[int, int, str]] = []
    for match in _BRACKETED.finditer(text):
        mark = match["mark"].lower()
        start, end = match.span()
        if mark in (".", "dot", "at", "@"):
            # "evil [.] com", "bad [at] evil.com": the spaces are part of the marker.
            if text[start - 1:start] == " " and text[end:end + 1] == " ":
                start, end = start - 1, end + 1
            edits.append((start, end, "." if mark in (".", "dot") else "@"))
        else:
            edits.append((start, end, mark))
    for match in _SCHEME.finditer(text):
        ftp = match[0].lower() == "fxp"
        start = match.start() if ftp else match.start() - 1
        if (ftp or text[start:start + 1] in ("h", "H")) and _SCHEME_FOLLOWS.match(text, match.end()):
            edits.append((start, match.end(), "ftp" if ftp else "http"))
    return sorted(edits)


def refang_marked(text: str) -> Refanged:
    """``text`` refanged, with the offsets of what was changed."""
    edits = _edits(text)
    if not edits:
        return Refanged(text, ())
    parts: list[str] = []
    marks: list[int] = []
    written = last = 0
    for start, end, replacement in edits:
        if start < last:
            continue
        parts.append(text[last:start])
        written += start - last
        marks.append(written)
        parts.append(replacement)
        written += len(replacement)
        last = end
    parts.append(text[last:])
    return Refanged("".join(parts), tuple(marks))


def refang(text: str) -> str:
    """``hxxp://evil[.]com`` -> ``http://evil.com``; text without markers unchanged."""
    return refang_marked(text).text


def _defang_last_dot(value: str) -> str:
    head, dot, tail = value.rpartition(".")
    return f"{head}[.]{tail}" if dot else value


def defang(value: str, type: str) -> str:
    """The indicator made safe to show: no link a mail client or browser would follow.

    Domains and IPv4 addresses get their last dot bracketed (``evil[.]com``,
    ``1.2.3[.]4``), URLs ``hxxp`` and a bracketed dot in their host, e-mail
    addresses ``[@]``, IPv6 addresses their last colon; hashes, CVE ids and
    coin addresses link nowhere and stay as they are."""
    if type in ("domain", "ipv4"):
        return _defang_last_dot(value)
    if type == "ipv6":
        head, colon, tail = value.rpartition(":")
        return f"{head}[:]{tail}" if colon else value
    if type == "email":
        local, at, domain = value.rpartition("@")
        return f"{local}[@]{_defang_last_dot(domain)}" if at else value
    if type == "url":
        scheme, separator, rest = value.partition("://")
        if not separator:
            scheme, rest = "", value
        host_end = next((at for at, char in enumerate(rest) if char in "/?#"), len(rest))
        host = _defang_last_dot(rest[:host_end])
        scheme = re.sub(r"^(?i:http)", "hxxp", scheme).replace("ftp", "fxp")
        return f"{scheme}://{host}{rest[host_end:]}" if separator else f"{host}{rest[host_end:]}"
    return value
