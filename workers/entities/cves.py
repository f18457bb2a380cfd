"""CVE ids in article text, normalised to upper case and in order of first mention."""

from __future__ import annotations

import re

from workers.lang import spaced

CVE_PATTERN = re.compile(r"\bCVE-(\d{4})-(\d{4,7})\b", re.IGNORECASE)


def cve_ids(text: str) -> list[str]:
    if "cve-" not in text.lower():  # ignoring case, no other letter passes for c, v or e
        return []
    text = spaced(text)
    return list(dict.fromkeys(f"CVE-{year}-{number}" for year, number in CVE_PATTERN.findall(text)))
