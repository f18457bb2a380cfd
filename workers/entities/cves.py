"""CVE ids in article text: the pattern lives with the indicators (workers/indicators/cves.py),
so the ``cves`` field and the ``cve`` indicators are one reading of the text."""

from __future__ import annotations

from workers.indicators.cves import CVE_PATTERN, cve_ids

__all__ = ["CVE_PATTERN", "cve_ids"]
