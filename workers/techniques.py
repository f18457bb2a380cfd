"""MITRE ATT&CK techniques an article names, by id (``T1566``, ``T1566.001``) or
by name ("spearphishing attachment", "OS credential dumping"), and the tactics
they serve. Pure; the table is coverwatch/taxonomy/attack.py's, read once per process.

Names are matched whole and case-insensitively, with care, as many are common
words (measured on relevance-dev: docs/indicators.md):

- a technique's name of several words counts as written ("OS Credential
  Dumping", "Supply Chain Compromise"), except the few news uses for other
  things (``COMMON_PHRASES``: "Valid Accounts", "Remote Access Tools");
- a sub-technique's name ("Email Addresses", "Malicious Link", "Social Media",
  "SMS Messages" are sub-techniques) counts beside its parent (by name or id),
  in an article that speaks ATT&CK (names ATT&CK, MITRE, TTPs or a technique
  id), or when the phrase is rare in English (wordfreq Zipf below 3:
  "Spearphishing Attachment", "Credential Stuffing", "Dead Drop Resolver");
- a name of one word ("Masquerading", "Proxy", "At", "Software") counts only in
  an article that speaks ATT&CK, and only when the word is rare in English
  ("Kerberoasting", "Rundll32", not "Proxy" or "Software");
- a name two techniques share stands for the one whose parent the article
  names, else for the first (Phishing's "Spearphishing Attachment", not
  Phishing for Information's).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from wordfreq import zipf_frequency

from coverwatch.taxonomy.attack import TACTIC_TITLES, Technique, attack_table

# No \b first: a pattern starting with a literal is scanned many times faster.
_ID = re.compile(r"T[01]\d{3}(?:\.\d{3})?\b")
_WORD = re.compile(r"[a-z0-9]+")
_TTPS = re.compile(r"TTPs?\b")
# Technique names news text uses in their everyday sense.
COMMON_PHRASES = frozenset({
    "valid accounts", "web service", "data destruction", "remote access tools", "remote access software",
    "code injection", "encrypted channel", "compromise accounts", "data encrypted", "user execution",
    "video capture", "audio capture", "screen capture", "input capture", "financial theft", "remote services",
    "external remote services", "native api", "data staged", "upload malware", "obtain capabilities",
    "develop capabilities", "acquire infrastructure", "search engines", "location tracking", "network devices",
    "cloud services", "email spoofing", "impersonation", "wi fi networks",
})
RARE = 3.0  # Zipf frequency in English below which a phrase names the technique and little else


@dataclass(frozen=True)
class Name:
    words: tuple[str, ...]
    ids: tuple[str, ...]
    sub: bool  # a sub-technique's name
    rare: bool  # rare in English: names the technique and little else


@dataclass(frozen=True)
class TechniqueTable:
    names: dict[str, list[Name]]  # by first word, the longest name first

    @property
    def by_id(self) -> Mapping[str, Technique]:
        return attack_table().by_id


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


@lru_cache(maxsize=1)
def technique_table() -> TechniqueTable:
    attack = attack_table()
    by_id = attack.by_id
    ids_of: dict[tuple[str, ...], list[str]] = {}
    for technique in by_id.values():
        ids_of.setdefault(tuple(_words(technique.name)), []).append(technique.id)
    for former, technique_id in attack.former_names:
        if technique_id in by_id:
            ids_of.setdefault(tuple(_words(former)), [technique_id])
    names: dict[str, list[Name]] = {}
    for words, ids in ids_of.items():
        if " ".join(words) in COMMON_PHRASES:
            continue
        # Enterprise and mobile name some techniques alike; enterprise is what news means.
        chosen = tuple(technique_id for technique_id in ids if by_id[technique_id].domain == "enterprise") or tuple(ids)
        names.setdefault(words[0], []).append(Name(
            words, chosen, sub=all(by_id[technique_id].parent for technique_id in chosen),
            rare=zipf_frequency(" ".join(words), "en") < RARE))
    for candidates in names.values():
        candidates.sort(key=lambda name: -len(name.words))
    return TechniqueTable(names)


def _named(words: list[str], table: TechniqueTable) -> list[Name]:
    """Each technique name in the words, in order, the longest match first."""
    found: list[Name] = []
    end = 0
    for at in [at for at, word in enumerate(words) if word in table.names]:
        if at < end:
            continue
        for name in table.names[words[at]]:
            if tuple(words[at:at + len(name.words)]) == name.words:
                found.append(name)
                end = at + len(name.words)
                break
    return found


def _speaks_attack(text: str) -> bool:
    """Whether the article names ATT&CK, MITRE or TTPs (not HTTPS)."""
    if "ATT&CK" in text or "MITRE" in text:
        return True
    return any(text[match.start() - 1:match.start()] != "H" for match in _TTPS.finditer(text)) if "TTP" in text \
        else False


def _counts(name: Name, parents: set[str], attack_context: bool, table: TechniqueTable) -> tuple[str, ...]:
    """The ids a name found in the text stands for there (none, when too common a phrase)."""
    beside_parent = tuple(technique_id for technique_id in name.ids if table.by_id[technique_id].parent in parents)
    if beside_parent:
        return beside_parent
    # Phishing's and Phishing for Information's "Spearphishing Attachment": the first, the older meaning.
    first = name.ids[:1]
    if len(name.words) == 1:
        return first if attack_context and name.rare else ()
    if name.sub and not (name.rare or attack_context):
        return ()
    return first


def find_techniques(text: str) -> list[str]:
    """ATT&CK technique ids named in ``text`` (sub-techniques as ``T1566.001``): the
    ids as written first, in order, then those named, in order."""
    table = technique_table()
    ids = [match[0] for match in _ID.finditer(text)
           if match[0] in table.by_id and not text[match.start() - 1:match.start()].isalnum()]
    named = _named(_WORD.findall(text.casefold()), table)
    attack_context = bool(ids) or _speaks_attack(text)
    parents = {technique_id.split(".")[0] for technique_id in ids}
    parents |= {name.ids[0] for name in named if len(name.ids) == 1 and not name.sub and len(name.words) > 1}
    for name in named:
        ids.extend(_counts(name, parents, attack_context, table))
    return list(dict.fromkeys(ids))


def tactics_of(ids: Iterable[str]) -> list[str]:
    """The tactics (short names: ``initial-access``) the techniques serve, in ATT&CK's order."""
    by_id = attack_table().by_id
    tactics = {tactic for technique_id in ids if technique_id in by_id for tactic in by_id[technique_id].tactics}
    return [tactic for tactic in TACTIC_TITLES if tactic in tactics]
