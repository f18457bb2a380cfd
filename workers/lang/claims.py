"""Attribution claims in a profiled language, with the rules of the English
reader (``workers.claims``) and the profile's words: a sentence claims when it
names a culprit and someone stands behind it; a government body with a formal act
makes it a government claim, a vendor a vendor claim, unnamed sources or hedges a
suspicion; an accused state's denial is a denial."""

from __future__ import annotations

from collections.abc import Sequence

from coverwatch.taxonomy import Actor
from workers.claim_types import PRIORITY, Claim, ClaimType
from workers.lang import ACCUSED_STATES, LanguageProfile, split_sentences
from workers.lang.cues import native_sentence_cues
from workers.lang.places import country_spans


def _culprit(sentence: str, actors: Sequence[Actor], language: LanguageProfile) -> bool:
    cues = native_sentence_cues(sentence, actors, language)
    return bool(cues.state or cues.implied_state or cues.unlinked_actor)


def _denier(sentence: str, language: LanguageProfile) -> str | None:
    named = language.claims["deniers"].found(sentence)
    if named:
        return named[0]
    accused = [sentence[start:end] for code, start, end in country_spans(sentence, language) if code in ACCUSED_STATES]
    return accused[0] if accused else None


def sentence_claims(sentence: str, actors: Sequence[Actor], language: LanguageProfile) -> list[Claim]:
    words = language.claims
    claims: list[Claim] = []
    if words["denial"].search(sentence):
        denier = _denier(sentence, language)
        if denier:
            claims.append(Claim(ClaimType.DENIED, sentence, denier))
    if not _culprit(sentence, actors, language) or language.cue("negation").search(sentence):
        return claims
    unnamed = words["unnamed"].search(sentence)
    government = words["government"].found(sentence)
    if government and words["formal"].search(sentence) and not unnamed:
        claims.append(Claim(ClaimType.GOVERNMENT, sentence, government[0]))
        return claims
    vendors = words["vendors"].found(sentence)
    if vendors and words["vendor_act"].search(sentence):
        claims.append(Claim(ClaimType.VENDOR, sentence, vendors[0]))
        return claims
    if unnamed or government or vendors:
        claims.append(Claim(ClaimType.SUSPECTED, sentence, None))
    return claims


def native_claim(title: str, body: str, actors: Sequence[Actor], language: LanguageProfile) -> Claim | None:
    """As ``workers.claims.classify_claim``: a denial in the headline makes the
    article a denial story, else the strongest claim, the body's first."""
    headline = [claim for sentence in split_sentences(title, language.code)
                for claim in sentence_claims(sentence, actors, language)]
    denial = next((claim for claim in headline if claim.type is ClaimType.DENIED), None)
    if denial:
        return denial
    claims = [claim for sentence in split_sentences(body, language.code)
              for claim in sentence_claims(sentence, actors, language)] + headline
    for claim_type in PRIORITY:
        found = next((claim for claim in claims if claim.type is claim_type), None)
        if found:
            return found
    return None
