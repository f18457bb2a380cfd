"""Claims, many per article (issue 22): the seed case and one case per stance,
on sentences written for these tests."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from coverwatch.models import Article
from coverwatch.taxonomy import Actor, default_taxonomy
from workers.attribution import CLAIM_FIELDS, EVIDENCE_CHARS, AttributedClaim, ClaimantKind, Stance, extract_claims
from workers.enrichment import enrich
from workers.entities import default_matcher

SEED_BODY = (
    "For years, hackers working for China's military had deep and persistent access to Japan's classified "
    "defence networks, according to unnamed former US officials interviewed by the newspaper.\n"
    "The intrusion was one of the most damaging ever seen in Tokyo, the officials said.\n"
    "Japan's defence minister declined to confirm that any classified information had leaked.")


def actors(*names: str) -> list[Actor]:
    taxonomy = default_taxonomy()
    return [next(actor for actor in taxonomy.actors if actor.name == name) for name in names]


def claims_of(body: str, found: Sequence[Actor] = ()) -> list[AttributedClaim]:
    return extract_claims("", body, outlet="Daily Wire Desk", actors=found)


def test_the_seed_case_gives_a_refusal_by_japan_and_an_accusation_of_china() -> None:
    claims = claims_of(SEED_BODY)
    refusal = [c for c in claims if c.stance is Stance.DECLINES_TO_CONFIRM]
    assert [(c.claimant_kind, c.claimant_country) for c in refusal] == [(ClaimantKind.GOVERNMENT, "JP")]
    assert refusal[0].claimant == "Japan's defence minister"
    accusation = [c for c in claims if c.stance in (Stance.ATTRIBUTES, Stance.SUSPECTS)]
    assert [(c.claimant_kind, c.claimant_country, c.subject_state) for c in accusation] == [
        (ClaimantKind.UNNAMED_OFFICIALS, "US", "CN")]


def test_a_firm_attribution_by_two_governments_is_one_claim_each() -> None:
    claims = claims_of("The FBI and the UK's NCSC said on Tuesday that the intrusions were carried out by "
                       "Salt Typhoon, a hacking group run by Beijing.", actors("Salt Typhoon"))
    assert [(c.claimant, c.claimant_kind, c.claimant_country, c.stance, c.subject, c.subject_state)
            for c in claims] == [
        ("FBI", ClaimantKind.GOVERNMENT, "US", Stance.ATTRIBUTES, "Salt Typhoon", "CN"),
        ("NCSC", ClaimantKind.GOVERNMENT, "GB", Stance.ATTRIBUTES, "Salt Typhoon", "CN")]


def test_a_hedged_vendor_assessment_suspects() -> None:
    claims = claims_of("ESET said the campaign was likely the work of a Russia-linked espionage group.")
    assert [(c.claimant, c.claimant_kind, c.stance, c.subject_state) for c in claims] == [
        ("ESET", ClaimantKind.VENDOR, Stance.SUSPECTS, "RU")]


def test_a_sentence_naming_several_groups_gives_one_claim_per_group() -> None:
    claims = claims_of("Microsoft said it had seen both APT28 and MuddyWater exploit the flaw.",
                       actors("APT28", "MuddyWater"))
    assert [(c.subject, c.subject_state, c.stance) for c in claims] == [
        ("APT28", "RU", Stance.ATTRIBUTES), ("MuddyWater", "IR", Stance.ATTRIBUTES)]


def test_a_victim_confirms_its_breach() -> None:
    claims = claims_of("Northwind Shipping confirmed that its mail servers had been breached last month.")
    assert [(c.claimant, c.claimant_kind, c.stance, c.subject) for c in claims] == [
        ("Northwind Shipping", ClaimantKind.VICTIM, Stance.CONFIRMS, None)]


def test_a_confirmation_and_a_refusal_in_one_sentence_are_two_claims() -> None:
    claims = claims_of("A Harbour Authority spokesperson confirmed the breach to Reuters but declined to share "
                       "specifics.")
    assert [(c.claimant, c.claimant_kind, c.stance) for c in claims] == [
        ("Harbour Authority spokesperson", ClaimantKind.VICTIM, Stance.CONFIRMS),
        ("Harbour Authority spokesperson", ClaimantKind.VICTIM, Stance.DECLINES_TO_CONFIRM)]


def test_an_outlet_spoken_to_is_no_speaker() -> None:
    claims = claims_of("Northwind Shipping confirmed the breach to NBC and said its ships kept sailing.")
    assert [(c.claimant, c.claimant_kind, c.stance) for c in claims] == [
        ("Northwind Shipping", ClaimantKind.VICTIM, Stance.CONFIRMS)]


def test_a_minister_who_can_confirm_a_hack_confirms() -> None:
    claims = claims_of('Norway\'s foreign minister said, "I can confirm there has been a serious hacking of our '
                       'networks."')
    assert [(c.claimant_kind, c.claimant_country, c.stance) for c in claims] == [
        (ClaimantKind.GOVERNMENT, "NO", Stance.CONFIRMS)]


def test_a_sentence_cut_after_initials_is_read_whole() -> None:
    claims = claims_of("A spokesman for the U.S. Embassy said Russian military hackers were behind the intrusion.")
    assert [(c.claimant_kind, c.claimant_country, c.subject_state) for c in claims] == [
        (ClaimantKind.GOVERNMENT, "US", "RU")]


@pytest.mark.parametrize("sentence", [
    "The BSI said the evidence points towards China.",
    "The BSI said the exploits have Chinese origins.",
    "The BSI said the group operates out of China.",
])
def test_a_state_pointed_to_is_the_subject(sentence: str) -> None:
    assert [(c.claimant, c.subject_state) for c in claims_of(sentence)] == [("BSI", "CN")]


def test_a_vendor_named_for_its_product_does_not_speak() -> None:
    claims = claims_of("Russian hackers are abusing Microsoft Hyper-V to evade endpoint detection.")
    assert [(c.claimant_kind, c.subject_state) for c in claims] == [(ClaimantKind.MEDIA, "RU")]


def test_the_outlet_naming_a_group_in_passing_makes_no_claim() -> None:
    assert claims_of("The modules of the Kimsuky toolkit are written in C.", actors("Kimsuky")) == []


def test_a_state_named_first_gives_way_to_the_group_named_later() -> None:
    claims = claims_of("ESET said Russian hackers were behind the intrusion.\n"
                       "ESET said the intrusion was the work of Sandworm.", actors("Sandworm Team"))
    assert [(c.claimant, c.subject, c.subject_state) for c in claims] == [("ESET", "Sandworm", "RU")]


def test_a_group_the_article_names_and_later_ties_to_a_state_is_its_subject() -> None:
    claims = claims_of("ESET attributed the intrusions to a threat actor it calls Quillfeather.\n"
                       "Quillfeather is a China-linked group active since 2019.")
    assert [(c.claimant, c.stance, c.subject, c.subject_state) for c in claims] == [
        ("Daily Wire Desk", Stance.ATTRIBUTES, "Quillfeather", "CN"), ("ESET", Stance.ATTRIBUTES, "Quillfeather", "CN")]


def test_a_vendor_saying_a_third_party_was_breached_confirms() -> None:
    claims = claims_of("ESET said that the update server of the accounting firm had been breached in April.")
    assert [(c.claimant, c.claimant_kind, c.stance) for c in claims] == [
        ("ESET", ClaimantKind.VENDOR, Stance.CONFIRMS)]


def test_a_breach_someone_noted_was_suffered_is_confirmed() -> None:
    claims = claims_of("ESET noted the agency had suffered a data breach in May.")
    assert [(c.claimant, c.claimant_kind, c.stance) for c in claims] == [
        ("ESET", ClaimantKind.VENDOR, Stance.CONFIRMS)]


def test_an_organisation_saying_none_of_its_customers_were_affected_denies() -> None:
    claims = claims_of("Northwind Shipping said none of its customers were affected by the attack.")
    assert [(c.claimant_kind, c.stance) for c in claims] == [(ClaimantKind.VICTIM, Stance.DENIES)]


@pytest.mark.parametrize("sentence", [
    "Talos said Kimsuky shows strong North Korea nexus indicators in its tooling.",
    "Talos said Kimsuky is considered responsible for the phishing wave.",
    "Talos said that, according to rumours, Kimsuky ran the operation.",
])
def test_a_hedge_where_the_group_is_tied_to_its_state_suspects(sentence: str) -> None:
    claims = claims_of(sentence, actors("Kimsuky"))
    assert [(c.claimant, c.stance, c.subject_state) for c in claims] == [("Talos", Stance.SUSPECTS, "KP")]


def test_the_accused_state_denies() -> None:
    claims = claims_of("China's foreign ministry denied the hacking accusations, calling them groundless smears.")
    assert [(c.claimant_kind, c.claimant_country, c.stance, c.subject_state) for c in claims] == [
        (ClaimantKind.ACCUSED, "CN", Stance.DENIES, "CN")]


def test_independent_researchers_dispute_an_attribution() -> None:
    claims = claims_of("Independent researchers disputed claims that North Korean hackers were behind the theft.")
    assert [(c.claimant_kind, c.stance, c.subject_state) for c in claims] == [
        (ClaimantKind.RESEARCHERS, Stance.DISPUTES, "KP")]


def test_the_outlet_attributing_in_its_own_voice_is_a_media_claim() -> None:
    claims = claims_of("Kimsuky, a North Korean state-sponsored hacking group, has targeted think tanks in "
                       "Seoul since 2012.", actors("Kimsuky"))
    assert [(c.claimant, c.claimant_kind, c.stance, c.subject_state) for c in claims] == [
        ("Daily Wire Desk", ClaimantKind.MEDIA, Stance.ATTRIBUTES, "KP")]


def test_the_same_claim_repeated_is_kept_once_and_evidence_is_trimmed() -> None:
    sentence = "ESET attributed the attacks to a Russian state-sponsored hacking group" + " again" * 60 + "."
    claims = claims_of(f"{sentence}\n{sentence}")
    assert len(claims) == 1 and len(claims[0].evidence) == EVIDENCE_CHARS
    assert tuple(claims[0].to_dict()) == CLAIM_FIELDS


@pytest.mark.parametrize("language", ["ja", "de"])
def test_other_languages_give_no_claims_yet(language: str) -> None:
    assert extract_claims("", SEED_BODY, outlet="x", language=language) == []


def test_the_enrich_stage_stores_the_claims_beside_the_claim_type() -> None:
    article = Article(url="https://news.example/seed", title="Chinese military hackers were inside Japan's networks",
                      body=SEED_BODY, source="daily-wire")
    enriched = enrich(article, default_taxonomy(), default_matcher())
    document = enriched.to_document()
    assert {(c["claimant_kind"], c["stance"]) for c in document["claims"]} >= {
        ("government", "declines_to_confirm"), ("unnamed_officials", "attributes")}
    assert all(tuple(claim) == CLAIM_FIELDS for claim in document["claims"])


# Each costly pattern runs only when its screen passes (workers/attribution/cues.py SCREENS):
# a phrase the pattern matches must pass its screen. Phrases written for this test.
SCREENED = [
    ("denies", "DENIES", "The embassy rejected the accusations as groundless."),
    ("denies", "DENIES", "The vendor said none of its customers were affected."),
    ("denies", "DENIES", "The ministry said there wasn't any security breach."),
    ("declines", "DECLINES", "The company didn't attribute the intrusion to anyone."),
    ("disputes", "DISPUTES", "Outside analysts doubted the attribution."),
    ("confirms", "CONFIRMS", "The port operator acknowledged the incident on Friday."),
    ("suspects", "SUSPECTS", "The campaign was likely run by a state-backed crew."),
    ("suspects", "SUSPECTS", "The actor shows China nexus indicators."),
    ("suspects", "SUSPECTS", "China is considered responsible."),
    ("suspects", "SUSPECTS", "There are signs that the crew is back."),
    ("high_confidence", "HIGH_CONFIDENCE", "Analysts said so with high confidence."),
    ("unnamed", "UNNAMED", "Two people familiar with the inquiry said so."),
    ("country_government", "COUNTRY_GOVERNMENT", "Japan's defence minister said nothing leaked."),
    ("researchers", "RESEARCHERS", "Independent researchers traced the servers."),
    ("other", "OTHER_SOURCES", "According to experts, the tooling is reused."),
    ("appositive", "VENDOR_APPOSITIVE", "The cybersecurity firm Harbor Lights said so."),
]


@pytest.mark.parametrize(("screen", "name", "phrase"), SCREENED)
def test_a_phrase_a_screened_pattern_matches_passes_its_screen(screen: str, name: str, phrase: str) -> None:
    from workers.attribution import cues
    from workers.attribution.cues import screened

    pattern = getattr(cues, name)
    folded_patterns = {"DENIES", "DECLINES", "DISPUTES", "CONFIRMS", "SUSPECTS", "HIGH_CONFIDENCE", "UNNAMED"}
    assert pattern.search(phrase.casefold() if name in folded_patterns else phrase), phrase
    assert screened(phrase, screen)


def test_two_claimants_whose_names_hold_us_inside_a_word_stay_apart() -> None:
    from workers.attribution.reader import _claimant_key

    assert _claimant_key("the U.S. State Department") == _claimant_key("State Department")
    assert _claimant_key("US Cyber Command") == "cyber command"
    assert _claimant_key("Citrus Labs") != _claimant_key("Citr Labs")
    assert _claimant_key("Nexus Security") == "nexus security"
