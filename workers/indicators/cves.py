"""CVE ids in article text, normalised to upper case and in order of first mention:
the one CVE pattern of the code base (the ``cves`` field and the ``cve``
indicators both come from it)."""

from __future__ import annotations

import re

from workers.lang import spaced

# Typesetting turns hyphens into non-breaking hyphens (U+2011) and dashes.
_DASH = "[-\u2010\u2011\u2012\u2013\u2014]"
CVE_PATTERN = re.compile(rf"\bCVE{_DASH}(\d{{4}}){_DASH}(\d{{4,7}})\b", re.IGNORECASE)


def cve_positions(text: str) -> list[tuple[int, str]]:
    """Each CVE id with the offset it is first named at."""
    if "cve" not in text.lower():  # ignoring case, no other letter passes for c, v or e
        return []
    first: dict[str, int] = {}
    for match in CVE_PATTERN.finditer(text):
        first.setdefault(f"CVE-{match[1]}-{match[2]}", match.start())
    return [(offset, cve) for cve, offset in first.items()]


def cve_ids(text: str) -> list[str]:
    if "cve" not in text.lower():
        return []
    return [cve for _, cve in cve_positions(spaced(text))]
