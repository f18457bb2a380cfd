"""The state of attribution in one line (issue 22, part 2), from ledger rows:
'attributed by the US and UK governments to APT40 (China) since 2024-07-08;
denied by China; Microsoft calls it Gingham Typhoon'. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from coverwatch.taxonomy import countries
from workers.attribution.ledger_rows import LedgerRow, normalise_name

# How the summary names the states that speak most ("the US and UK governments").
_SHORT_STATES = {"US": "US", "GB": "UK", "KP": "North Korea", "KR": "South Korea", "EU": "EU"}
_NAMED_WHEN_DENYING = ("government", "accused")
# Stances after the attributions, in order, and how the line says them.
_RESPONSES = (("denies", "denied by {who}"), ("disputes", "disputed by {who}"),
              ("declines_to_confirm", "{who} declines to confirm"), ("confirms", "confirmed by {who}"))


def state_name(code: str | None) -> str:
    """'China', 'Japan', 'US', 'UK': the short name of an ISO code (the code when unknown)."""
    if not code:
        return ""
    if code in _SHORT_STATES:
        return _SHORT_STATES[code]
    found = next((country for country in countries() if country.code == code), None)
    return found.names[0] if found and found.names else code


def _state_adjective(code: str) -> str:
    """'US', 'UK', 'Australian', 'Japanese': a state as it stands before 'government'."""
    if code in _SHORT_STATES:
        return _SHORT_STATES[code]
    found = next((country for country in countries() if country.code == code), None)
    return found.adjectives[0] if found and found.adjectives else state_name(code)


def _join(words: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1] if words else ""


def _unique(words: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for word in words:
        seen.setdefault(normalise_name(word), word)
    return list(seen.values())


def _day(row: LedgerRow) -> str:
    return (row.first_at or "")[:10]


def _who(row: LedgerRow) -> str:
    """A claimant as the line names it: a state for its government or the accused, else as named."""
    if row.claimant_country and row.claimant_kind in _NAMED_WHEN_DENYING:
        return state_name(row.claimant_country)
    if row.claimant_country and row.claimant_kind == "unnamed_officials":
        return f"unnamed {_state_adjective(row.claimant_country)} officials"
    return row.claimant


def _governments(rows: Sequence[LedgerRow]) -> str:
    """'the US and UK governments', 'the US government and the FBI'."""
    states = _unique(row.claimant_country for row in rows if row.claimant_country)
    named = _unique(row.claimant for row in rows if not row.claimant_country)
    phrases = []
    if states:
        plural = "s" if len(states) > 1 else ""
        phrases.append(f"the {_join([_state_adjective(code) for code in states])} government{plural}")
    return _join(phrases + named)


def _name(group: Sequence[LedgerRow]) -> str:
    """What a group of rows about one subject calls it: for an actor, the alias they use most
    (in the taxonomy's spelling), else the first row's words."""
    aliases = Counter(alias for row in group for alias in row.alias_names)
    return aliases.most_common(1)[0][0] if aliases else group[0].subject or "someone unnamed"


def _subject(group: Sequence[LedgerRow]) -> str:
    """'APT40 (China)', 'China', 'Chinese military hackers (China)'."""
    row = group[0]
    if row.subject_key.startswith("state:"):
        return state_name(row.subject_key.removeprefix("state:"))
    name = _name(group)
    return f"{name} ({state_name(row.subject_state)})" if row.subject_state else name


def _by_subject(rows: Iterable[LedgerRow]) -> dict[str, list[LedgerRow]]:
    grouped: dict[str, list[LedgerRow]] = {}
    for row in rows:
        grouped.setdefault(row.subject_key, []).append(row)
    return grouped


def _attributions(rows: Sequence[LedgerRow]) -> tuple[list[str], dict[str, str]]:
    """The attribution parts of the line and, per actor they name, the name the line gave it."""
    parts: list[str] = []
    named: dict[str, str] = {}
    governments = [row for row in rows if row.claimant_kind == "government" and row.stance == "attributes"]
    for group in _by_subject(governments).values():
        parts.append(f"attributed by {_governments(group)} to {_subject(group)} since {_day(group[0])}")
        if group[0].actor_id:
            named.setdefault(group[0].actor_id, _name(group))
    if governments:
        return parts, named
    others = [row for row in rows if row.stance in ("attributes", "suspects")
              and row.claimant_kind not in ("accused", "victim")]
    if others:
        parts.append("no government attribution yet")
    for group in list(_by_subject(others).values())[:2]:
        verb = "attributed" if any(row.stance == "attributes" for row in group) else "linked"
        who = _unique(_who(row) for row in group)
        claimants = _join(who[:3]) if len(who) <= 3 else ", ".join(who[:3]) + " and others"
        parts.append(f"{verb} by {claimants} to {_subject(group)} since {_day(group[0])}")
        if group[0].actor_id:
            named.setdefault(group[0].actor_id, _name(group))
    return parts, named


def _vendor_names(rows: Sequence[LedgerRow], named: Mapping[str, str]) -> str:
    """'Microsoft calls it Gingham Typhoon': vendors' other names for the actors the line names."""
    phrases: list[str] = []
    for row in rows:
        if (row.claimant_kind != "vendor" or row.actor_id is None or row.actor_id not in named
                or row.stance not in ("attributes", "suspects")):
            continue
        said = normalise_name(named[row.actor_id])
        others = [name for name in row.alias_names if normalise_name(name) != said]
        if others:
            it = "it" if len(named) == 1 else named[row.actor_id]
            phrases.append(f"{row.claimant} calls {it} {_join(_unique(others))}")
    return ", ".join(_unique(phrases))


def attribution_summary(rows: Sequence[LedgerRow]) -> str:
    """The state of attribution in one line, from the ledger rows (in time order):
    'attributed by the US and UK governments to APT40 (China) since 2024-07-08;
    denied by China; Microsoft calls it Gingham Typhoon'. Without a government
    attribution, who else attributes or links it, and to whom."""
    if not rows:
        return "no attribution claims yet"
    parts, named = _attributions(rows)
    for stance, phrase in _RESPONSES:
        who = _unique(_who(row) for row in rows if row.stance == stance)
        if who:
            parts.append(phrase.format(who=_join(who)))
    vendors = _vendor_names(rows, named)
    if vendors:
        parts.append(vendors)
    return "; ".join(parts) if parts else "no attribution yet"
