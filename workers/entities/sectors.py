"""Victim sectors named in article text, by phrase (workers/phrases.py)."""

from __future__ import annotations

from functools import lru_cache

from workers.phrases import PhraseIndex

SECTOR_PHRASES: dict[str, tuple[str, ...]] = {
    "government": ("government", "governments", "ministry", "ministries", "parliament", "federal agency",
                   "federal agencies", "public sector", "state agency", "state agencies", "municipality"),
    "defence": ("defence", "defense", "military", "armed forces", "army", "navy", "air force", "weapons",
                "defence contractor", "defense contractor"),
    "diplomatic": ("diplomat", "diplomats", "diplomatic", "embassy", "embassies", "foreign ministry",
                   "foreign affairs", "consulate", "consular"),
    "energy": ("energy", "power grid", "electricity", "substation", "substations", "oil and gas", "pipeline",
               "pipelines", "nuclear", "power plant", "power plants"),
    "water": ("water utility", "water utilities", "water treatment", "water supply", "water system",
              "water systems"),
    "telecommunications": ("telecom", "telecoms", "telecommunications", "mobile operator", "mobile operators",
                           "internet service provider", "internet service providers", "carrier", "carriers"),
    "healthcare": ("hospital", "hospitals", "healthcare", "health care", "pharmaceutical", "vaccine", "vaccines"),
    "finance": ("bank", "banks", "banking", "financial sector", "financial institution",
                "financial institutions", "payment", "payments"),
    "cryptocurrency": ("cryptocurrency", "cryptocurrencies", "crypto exchange", "crypto exchanges", "blockchain"),
    "technology": ("software company", "software companies", "software vendor", "software vendors",
                   "software supply chain", "technology companies", "technology firms", "cloud provider",
                   "cloud providers"),
    "aerospace": ("aerospace", "aviation", "aircraft", "satellite", "satellites"),
    "transportation": ("port", "ports", "shipping", "railway", "railways", "airport", "airports", "logistics"),
    "education": ("university", "universities", "academic", "academics", "academia", "research institute",
                  "research institutes"),
    "media": ("journalist", "journalists", "newsroom", "newsrooms", "media outlet", "media outlets"),
    "elections": ("election", "elections", "campaign staff", "voters"),
    "think-tanks": ("think tank", "think tanks", "policy institute", "policy institutes"),
    "industrial": ("industrial control", "ics", "scada", "manufacturing", "manufacturer", "manufacturers",
                   "factory", "factories"),
}


@lru_cache(maxsize=1)
def _sector_index() -> PhraseIndex[str]:
    return PhraseIndex((phrase, sector) for sector, phrases in SECTOR_PHRASES.items() for phrase in phrases)


def sectors(text: str) -> list[str]:
    found = set(_sector_index().values(text))
    return [name for name in SECTOR_PHRASES if name in found]
