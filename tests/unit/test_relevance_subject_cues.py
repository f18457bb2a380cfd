"""The cues added for real news (issue 14): what the headline is about, a gang
beside a nationality, a country named as the link. Sentences written for these
tests in the style of cyber news."""

from __future__ import annotations

from coverwatch.models import Article
from coverwatch.taxonomy import default_taxonomy
from workers.enrichment import enrich
from workers.entities import default_matcher
from workers.relevance import RelevanceBand, relevance_features, split_cues
from workers.relevance_cues import sentence_cues


def _enriched(title: str, body: str) -> Article:
    article = Article(url="https://news.example.com/story", title=title, body=body, source="example")
    return enrich(article, default_taxonomy(), default_matcher())


PATCH_BODY = (
    "The company shipped fixes for 48 vulnerabilities this month, six of them rated critical. "
    "Administrators should install the security update on mail servers first, the advisory said. "
    "One of the flaws, in the calendar component, lets an attacker run code remotely. "
    "The vendor thanked two outside researchers who reported the bugs. "
    "Earlier this year a state-sponsored group exploited a similar flaw against a ministry. "
    "The next round of updates is due on the second Tuesday of next month.")


def test_headline_flag_marks_only_the_title() -> None:
    lead, body = split_cues("Vendor fixes 48 flaws", "", PATCH_BODY, [])
    assert lead[0].in_title and not any(cues.in_title for cues in [*lead[1:], *body])


def test_patch_headline_with_a_state_in_passing_does_not_alert() -> None:
    features = relevance_features("Vendor fixes 48 flaws in monthly security update", "", PATCH_BODY, [])
    assert features["title_crime_or_patch"] == 1.0 and features["state_in_title"] == 0.0
    article = _enriched("Vendor fixes 48 flaws in monthly security update", PATCH_BODY)
    assert article.relevance_band != RelevanceBand.ON_TOPIC, (article.relevance, article.relevance_evidence)


def test_the_same_state_story_under_a_state_headline_alerts() -> None:
    title = "State-sponsored hackers exploited mail server flaw to spy on ministry"
    body = ("Investigators said the group, linked to a foreign intelligence service, read the ministry's "
            "email for months. Officials attributed the espionage campaign to the same state-backed hackers "
            "in a statement on Monday. The vendor has since released a fix.")
    features = relevance_features(title, "", body, [])
    assert features["state_in_title"] == 1.0 and features["title_crime_or_patch"] == 0.0
    assert _enriched(title, body).relevance_band == RelevanceBand.ON_TOPIC


def test_a_state_in_the_headline_outweighs_a_crime_word_there() -> None:
    features = relevance_features("Researchers see North Korea link to ransomware outbreak", "", "", [])
    assert features["state_in_title"] == 1.0 and features["title_crime_or_patch"] == 0.0


def test_a_nationality_beside_a_gang_is_not_an_implied_state() -> None:
    gang = "Russian hackers in a crime gang sold the stolen card numbers on a forum."
    unattributed = "Russian hackers broke into the parliament's email server."
    assert sentence_cues(gang, []).criminal_actor == ["crime gang"]
    assert relevance_features("Card numbers sold online", "", gang, [])["implied_state_sentences"] == 0.0
    assert relevance_features("Parliament hacked", "", unattributed, [])["implied_state_sentences"] > 0.0


def test_gang_of_one_nationality_stealing_cards_does_not_alert() -> None:
    article = _enriched(
        "Fraudsters behind card-skimming spree arrested",
        "Police arrested four Romanian hackers, members of a crime gang that planted skimmers on cash "
        "machines across Europe. The gang sold the card details on underground forums and laundered "
        "the money through shell companies, prosecutors said.")
    assert article.relevance_band != RelevanceBand.ON_TOPIC, (article.relevance, article.relevance_evidence)


def test_a_country_named_as_the_link_is_a_state_cue() -> None:
    assert sentence_cues("Analysts see a North Korea link in the code.", []).state == ["North Korea link"]
    assert sentence_cues("The samples point to links to Iran, the firm said.", []).state == ["Iran"]
    assert sentence_cues("The firm has offices in Iran and links to its partners.", []).state == []


def test_state_sponsorship_said_in_other_words_is_a_state_cue() -> None:
    assert sentence_cues("The campaign was sponsored by that country, the firm said.", []).state
    assert sentence_cues("Government hackers read the diplomats' mail.", []).state == ["Government hackers"]
    assert sentence_cues("The conference was sponsored by a bank and a phone maker.", []).state == []


def test_blackmail_is_crime_for_profit() -> None:
    assert sentence_cues("The hackers tried to blackmail the clinic's patients.", []).crime == ["blackmail"]


def test_it_is_possible_is_a_possibility_not_an_attribution() -> None:
    raised = sentence_cues("It\u2019s possible the thieves borrowed the name of APT28 to scare victims.", [])
    assert raised.espionage and raised.hypothetical and not raised.firm
    assert not sentence_cues("APT28 used the name in its emails, the firm said.", []).hypothetical


def test_a_gang_in_the_headline_makes_it_a_crime_headline() -> None:
    features = relevance_features("Gang empties cash machines across three countries", "", "", [])
    assert features["title_crime_or_patch"] == 1.0
