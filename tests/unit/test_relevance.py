"""Topic relevance through the real enrich stage, on sentences written for these
tests in the style of cyber news: each trap that fooled the old scorer, and the
coverage a monitor must keep."""

from __future__ import annotations

import pytest

from coverwatch.models import Article
from coverwatch.settings import Settings, get_settings
from coverwatch.taxonomy import default_taxonomy
from workers import relevance_cues
from workers.enrichment import enrich
from workers.entities import default_matcher
from workers.relevance import (
    CUE_OPERATING_POINT,
    RelevanceBand,
    RelevanceModel,
    RelevanceThresholds,
    is_dropped,
    score_relevance,
    shipped_model,
)
from workers.relevance_cues import Cue, sentence_cues
from workers.relevance_model import shipped_learned_model


def _enriched(title: str, body: str) -> Article:
    article = Article(url="https://news.example.com/story", title=title, body=body, source="example")
    return enrich(article, default_taxonomy(), default_matcher())


TRAPS = {
    "country as a criminal base": (
        "Police shut down card shop that sold millions of stolen cards",
        "European police took down an underground marketplace based in Russia that sold stolen payment "
        "card details. Investigators said the administrators, Russian-speaking cybercriminals, made "
        "millions of dollars from the fraud. Buyers paid in bitcoin and used the cards for online "
        "shopping. Two suspects were arrested in Spain."),
    "vendor as a patch source": (
        "Patch now: flaw in Chinese phones lets apps read your messages",
        "Researchers found a vulnerability in the firmware of phones made by a Chinese manufacturer. "
        "Google and the vendor released a security update on Tuesday and urged users to install it. "
        "The bug, tracked as CVE-2018-1234, affects several million handsets. No attacks have been "
        "seen so far, the researchers said."),
    "state as the victim of crime": (
        "Ransomware gang hits Ukrainian tax ministry",
        "A ransomware gang encrypted servers at Ukraine's tax ministry and demanded a ransom in "
        "bitcoin. Police said the group was financially motivated and had hit dozens of companies "
        "this year. The ministry said it would not pay and restored its systems from backups."),
    "hypothetical state sponsor": (
        "Bank hit by cyber attack, customers' data stolen",
        "A regional bank said attackers stole the account details of 40,000 customers. One analyst "
        "said the attack could be state-sponsored, but no group has been named and the bank said it "
        "had received an extortion demand. The bank has informed the police and hired a forensics firm."),
    "APT in passing in a ransomware story": (
        "Ransomware attack shuts down hospital chain's systems",
        "A ransomware attack forced a hospital chain to divert ambulances on Monday. The criminals "
        "demanded a ransom of 50 bitcoin to unlock patient records. The gang got in through an "
        "unpatched VPN server. The same flaw was used last year by APT28, a group linked to Russian "
        "military intelligence. Hospital staff went back to paper records while the ransom demand "
        "was considered. Police said the extortion gang has hit other clinics this year."),
    "nationals, explicitly not a state": (
        "Two Iranian men charged over city ransomware attacks",
        "Prosecutors charged two Iranian nationals with running a ransomware scheme that extorted "
        "more than $6 million from hospitals and city governments. Officials said the attacks were "
        "not state-sponsored and the men acted for profit. The men remain at large."),
}

ON_TOPIC = {
    "government attribution": (
        "UK blames Russia's GRU for wave of cyber attacks",
        "The British government formally attributed a series of cyber attacks on media outlets and a "
        "sports agency to the GRU, Russia's military intelligence service. The foreign secretary said "
        "the campaign was carried out by a unit also known as Fancy Bear. Moscow denied the accusation."),
    "indictment of state hackers": (
        "US charges Chinese military hackers with stealing trade secrets",
        "The Justice Department indicted five officers of the People's Liberation Army on charges of "
        "hacking into American companies to steal trade secrets. Prosecutors said the officers worked "
        "for a unit in Shanghai that ran a long espionage campaign against the energy and steel "
        "industries. China rejected the charges as fabricated."),
    "vendor report on an APT": (
        "Researchers: APT29 targets European diplomats with phishing lures",
        "Security researchers said APT29, a group believed to work for Russia's foreign intelligence "
        "service, sent phishing emails to diplomats at several European embassies. The cyber espionage "
        "campaign used invitations to a fake reception to deliver a backdoor, the firm said."),
    "state-linked group stealing for money": (
        "Lazarus hackers target cryptocurrency exchanges with fake job offers",
        "The North Korea-linked Lazarus Group is sending fake job offers to staff at cryptocurrency "
        "exchanges, researchers warned. The group, which US officials tie to Pyongyang's "
        "Reconnaissance General Bureau, has stolen hundreds of millions of dollars in digital coins."),
}


@pytest.mark.parametrize("case", sorted(TRAPS))
def test_traps_do_not_alert(case: str) -> None:
    article = _enriched(*TRAPS[case])
    assert article.relevance_band != RelevanceBand.ON_TOPIC, (article.relevance, article.relevance_evidence)
    assert article.on_topic is False


@pytest.mark.parametrize("case", sorted(ON_TOPIC))
def test_state_operations_are_on_topic(case: str) -> None:
    article = _enriched(*ON_TOPIC[case])
    assert article.relevance_band == RelevanceBand.ON_TOPIC, (article.relevance, article.relevance_evidence)
    assert article.on_topic is True
    assert any(line.startswith("who: a state") for line in article.relevance_evidence)


def test_every_on_topic_case_outscores_every_trap() -> None:
    lowest_on_topic = min(_enriched(*case).relevance or 0.0 for case in ON_TOPIC.values())
    highest_trap = max(_enriched(*case).relevance or 0.0 for case in TRAPS.values())
    assert lowest_on_topic > highest_trap


def test_unrelated_news_is_dropped() -> None:
    article = _enriched("Rovers win the cup", "Two late goals won the final for Rovers on Saturday.")
    assert article.relevance_band == RelevanceBand.OFF_TOPIC and is_dropped(article.relevance_band)
    assert "who: nobody named" in article.relevance_evidence


def test_evidence_says_who_what_and_how_firmly() -> None:
    evidence = _enriched(*ON_TOPIC["government attribution"]).relevance_evidence
    assert evidence[0].startswith("who: a state or state-linked group (")
    assert "GRU" in evidence[0]
    assert evidence[1].startswith("what: ")
    assert evidence[2] == "how firmly: attributed (government claim)"
    # Then the features that moved the score, strongest first, each with its weight.
    weights = [float(line.split(" ", 1)[0]) for line in evidence[3:]]
    assert weights and weights == sorted(weights, key=lambda weight: -abs(weight))


def test_hypothetical_and_denied_state_links_are_named_as_such() -> None:
    hypothetical = _enriched(*TRAPS["hypothetical state sponsor"]).relevance_evidence
    denied = _enriched(*TRAPS["nationals, explicitly not a state"]).relevance_evidence
    assert "how firmly: only as a possibility" in hypothetical
    assert "who: nobody named" in hypothetical  # a possible sponsor is not who did it
    assert "how firmly: the article says it was not a state" in denied


def test_headline_weighs_more_than_the_same_words_deep_in_the_body() -> None:
    filler = " ".join(f"The company said update {n} of its app adds dark mode." for n in range(8))
    lead = score_relevance("Chinese state hackers breach ministry", "", filler, [])
    buried = score_relevance("App adds dark mode", "", filler + " Chinese state hackers breach ministry.", [])
    assert lead.score > buried.score


def test_bands_follow_the_thresholds() -> None:
    thresholds = RelevanceThresholds(on_topic=0.6, possible=0.2)
    assert thresholds.band(0.6) is RelevanceBand.ON_TOPIC
    assert thresholds.band(0.59) is RelevanceBand.POSSIBLE
    assert thresholds.band(0.2) is RelevanceBand.POSSIBLE
    assert thresholds.band(0.19) is RelevanceBand.OFF_TOPIC
    assert not is_dropped(RelevanceBand.POSSIBLE) and is_dropped(RelevanceBand.OFF_TOPIC)


def test_thresholds_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COVERWATCH_RELEVANCE_ON_TOPIC", "0.7")
    monkeypatch.setenv("COVERWATCH_RELEVANCE_POSSIBLE", "0.05")
    settings = Settings()
    assert (settings.relevance_on_topic, settings.relevance_possible) == (0.7, 0.05)
    get_settings.cache_clear()
    try:
        assert RelevanceThresholds.from_settings() == RelevanceThresholds(0.7, 0.05)
    finally:
        get_settings.cache_clear()


def test_unset_thresholds_are_the_models_own_operating_point(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COVERWATCH_RELEVANCE_ON_TOPIC", raising=False)
    monkeypatch.delenv("COVERWATCH_RELEVANCE_POSSIBLE", raising=False)
    get_settings.cache_clear()
    try:
        model = shipped_learned_model()
        assert RelevanceThresholds.from_settings() == RelevanceThresholds(model.on_topic, model.possible)
        assert model.possible < model.on_topic
        cue_point = RelevanceThresholds(*CUE_OPERATING_POINT)
        assert RelevanceThresholds.from_settings(cue_point) == cue_point
    finally:
        get_settings.cache_clear()


def test_a_middle_score_is_possible_and_kept() -> None:
    # A flat model scores every article 0.5: between the two thresholds.
    flat = RelevanceModel(intercept=0.0, weights={})
    relevance = score_relevance("Anything", "", "Any text at all.", [],
                                thresholds=RelevanceThresholds(on_topic=0.8, possible=0.3), model=flat)
    assert relevance.score == 0.5 and relevance.band is RelevanceBand.POSSIBLE and not relevance.on_topic


def test_shipped_weights_point_the_expected_way() -> None:
    weights = shipped_model().weights
    assert weights["state_in_lead"] > 0 and weights["state_share"] > 0
    assert weights["crime_share"] <= 0 and weights["patch_share"] <= 0


@pytest.mark.parametrize("sentence", [
    "RANSOMWARE hit the council.", "Ransomware hit the council.", "It was ransomed.",
    "The FSB and APT 28 were named.", "A cyber-espionage campaign.",
])
def test_cue_prefilter_never_hides_a_match(sentence: str) -> None:
    for cue in (Cue(r"ransom\w*"), Cue(r"cyber[- ]?espionage"), Cue(r"APT ?\d*", case_sensitive=True),
                Cue(r"FSB", r"GRU", case_sensitive=True)):
        assert cue.found(sentence, sentence.casefold()) == [m.group(0) for m in cue.pattern.finditer(sentence)]


def test_acronyms_are_case_sensitive() -> None:
    assert not sentence_cues("That was an apt description of the gru-some scene.", []).espionage
    assert sentence_cues("APT10 was named.", []).espionage == ["APT10"]


def test_country_counts_only_when_tied_to_the_act() -> None:
    assert sentence_cues("The forum is based in Russia and run from Moscow.", []).state == []
    assert sentence_cues("Russia-backed hackers hit the grid.", []).state == ["Russia-backed"]
    assert sentence_cues("Suspected Iranian hackers sent the emails.", []).implied_state == ["Iranian hackers"]


def test_relevance_separates_espionage_from_other_news() -> None:
    # Moved from test_claims_relevance.py and rewritten for the banded scorer.
    spy = _enriched("Russian spies breached defence ministry",
                    "A state-sponsored group linked to the GRU exfiltrated files.")
    crime = _enriched("Ransomware gang hits hospital",
                      "A financially motivated ransomware gang encrypted systems and posted data on its leak site.")
    sport = _enriched("Rovers win the cup", "Two late goals won the final.")
    assert spy.relevance_band == RelevanceBand.ON_TOPIC and (spy.relevance or 0.0) > 0.9
    assert crime.relevance_band == RelevanceBand.OFF_TOPIC
    assert "who: criminals, insiders or nobody named" in crime.relevance_evidence
    assert sport.relevance_band == RelevanceBand.OFF_TOPIC and "who: nobody named" in sport.relevance_evidence


def test_every_shipped_cue_has_its_cheap_prefilter() -> None:
    # An alternative with no literal start would make its cue run the regex on every sentence.
    shipped = [value for value in vars(relevance_cues).values() if isinstance(value, Cue)]
    assert len(shipped) >= 8
    assert all(cue.stems for cue in shipped)
