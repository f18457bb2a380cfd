"""Why an article got its relevance score, in words an analyst reads in the UI,
the API, the export and alert emails: who acted, what was done, how firmly,
then the features and the phrases that moved the score most."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from workers.relevance_cues import SentenceCues
from workers.relevance_text import readable, term_name

FEATURE_LABELS: dict[str, str] = {
    "state_in_lead": "a state or state-linked group acts in the headline or lead",
    "implied_state_in_lead": "a nationality or unattributed group acts in the headline or lead",
    "state_sentences": "sentences naming a state or state-linked group as actor",
    "implied_state_sentences": "sentences with a state link only implied",
    "state_tool_sentences": "sentences on a state's hacking programme",
    "espionage_in_lead": "espionage in the headline or lead",
    "espionage_sentences": "sentences about espionage",
    "state_operation_sentences": "sabotage or influence tied to a state",
    "attributed_sentences": "sentences attributing, charging or sanctioning a state actor",
    "state_only_hypothetical": "a state raised only as a possibility",
    "negated_state": "the article says it was not a state",
    "crime_in_lead": "crime for profit in the headline or lead",
    "crime_share": "share of sentences about crime for profit",
    "patch_in_lead": "a vulnerability or patch in the headline or lead",
    "patch_share": "share of sentences about vulnerabilities and patches",
    "state_share": "state sentences against crime and patch sentences",
    "state_in_title": "a state or state-linked group in the headline",
    "title_crime_or_patch": "the headline is about crime or a patch, with no state in it",
}
SHOWN_FEATURES = 5
SHOWN_PHRASES_FOR = 4
SHOWN_PHRASES_AGAINST = 3
MIN_SHOWN = 0.05
SHOWN_WORDS = 4


def _words(sentences: Sequence[SentenceCues], cue: str) -> list[str]:
    found: dict[str, str] = {}
    for cues in sentences:
        for word in getattr(cues, cue):
            found.setdefault(word.casefold(), word)
    return list(found.values())[:SHOWN_WORDS]


def _sentences_with(sentences: Sequence[SentenceCues], cue: str) -> int:
    return sum(1 for cues in sentences if getattr(cues, cue))


def who(sentences: Sequence[SentenceCues]) -> str:
    # A state raised only as a possibility, or denied, is not who did it.
    sentences = [cues for cues in sentences if not (cues.hypothetical or cues.negated)]
    state_count = sum(1 for cues in sentences if cues.any_state or cues.unlinked_actor)
    if _sentences_with(sentences, "crime") > 2 * state_count:
        return "criminals, insiders or nobody named"
    for cue, kind in (("state", "a state or state-linked group"), ("state_tools", "a state's hacking programme"),
                      ("implied_state", "a state link only implied"), ("unlinked_actor", "a group tied to no state")):
        words = _words(sentences, cue)
        if words:
            return f"{kind} ({', '.join(words)})"
    return "criminals, insiders or nobody named" if _sentences_with(sentences, "crime") else "nobody named"


def what(sentences: Sequence[SentenceCues]) -> str:
    kinds = {"espionage": "espionage", "operation": "sabotage or influence", "crime": "theft or extortion for profit",
             "patch": "a vulnerability or patch"}
    counts = {cue: _sentences_with(sentences, cue) for cue in kinds}
    cue = max(counts, key=lambda name: counts[name])
    if not counts[cue]:
        return "no espionage, sabotage, crime or patch named"
    return f"{kinds[cue]} ({', '.join(_words(sentences, cue))})"


def how_firmly(sentences: Sequence[SentenceCues], claim_type: str | None) -> str:
    stated = [cues for cues in sentences if cues.any_state or cues.espionage]
    if any(cues.negated for cues in stated):
        return "the article says it was not a state"
    if claim_type == "denied":
        return "attributed, and denied by the accused"
    if any(cues.firm for cues in stated):
        named_claim = claim_type in ("government", "vendor")
        return f"attributed ({claim_type} claim)" if named_claim else "attributed or suspected"
    if any(cues.hypothetical for cues in stated):
        return "only as a possibility"
    return "no attribution" if not stated else "named, not attributed"


def phrases(term_contributions: Mapping[str, Mapping[str, float]], sign: int, count: int) -> list[str]:
    """The words and word pairs that moved the learned score most one way. Character
    n-grams count in the score but read as noise, so only whole words are named."""
    chosen = sorted(((term_name(field, term), weight) for field, terms in term_contributions.items()
                     for term, weight in terms.items() if weight * sign >= MIN_SHOWN and not term.startswith("#")),
                    key=lambda item: (-abs(item[1]), item[0]))
    return [f"{weight:+.2f} {readable(name)}" for name, weight in chosen[:count]]


def describe(lead: Sequence[SentenceCues], body: Sequence[SentenceCues], contributions: dict[str, float],
             claim_type: str | None, term_contributions: Mapping[str, Mapping[str, float]] | None = None) -> list[str]:
    """who / what / how firmly, then the cue features and, for the learned model,
    the phrases that weighed most for and against."""
    every = [*lead, *body]
    evidence = [f"who: {who(every)}", f"what: {what(every)}", f"how firmly: {how_firmly(every, claim_type)}"]
    strongest = sorted((item for item in contributions.items() if abs(item[1]) >= MIN_SHOWN),
                       key=lambda item: -abs(item[1]))[:SHOWN_FEATURES]
    evidence += [f"{weight:+.2f} {FEATURE_LABELS.get(name, name)}" for name, weight in strongest]
    if term_contributions:
        evidence += phrases(term_contributions, 1, SHOWN_PHRASES_FOR)
        evidence += phrases(term_contributions, -1, SHOWN_PHRASES_AGAINST)
    return evidence
