"""Cross-language story linking: the language-independent evidence of an article,
the similarity used when two languages differ, the online assignment that finds
other-language neighbours, and the search fields of a query in another script."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from search.indexes import ARTICLE_PROPERTIES
from search.queries import ARTICLE_SEARCH_FIELDS, article_text_fields, story_candidates
from workers.clustering import ClusterItem, OnlineClusterer, cross_language_evidence, similarity
from workers.story_evidence import days, evidence_keys, latin_names, numbers
from workers.story_terms import terms

DAY = datetime(2026, 3, 2, 8, tzinfo=UTC)


def test_numbers_meet_across_separators_and_multipliers() -> None:
    assert numbers("5,000 files and 2.5 million emails", "en") == {"n:5000", "n:2500000"}
    assert numbers("5.000 Dateien und 2,5 Millionen E-Mails", "de") == {"n:5000", "n:2500000"}
    assert numbers("文書5000件と250万通のメール", "ja") == {"n:5000", "n:2500000"}
    assert numbers("5 000 документов и 2,5 млн писем", "ru") == {"n:5000", "n:2500000"}
    # Years, small numbers and CJK calendar numbers are not counts.
    assert numbers("In 2025, 3 people; 11月18日に", "ja") == set()


def test_days_of_a_month_in_each_language() -> None:
    assert days("on November 18 and 3 March", "en") == {"d:11-18", "d:03-03"}
    assert days("am 18. November", "de") == {"d:11-18"}
    assert days("18 ноября", "ru") == {"d:11-18"}
    assert days("11月18日に発覚", "ja") == {"d:11-18"}
    assert days("11월 18일 발표", "ko") == {"d:11-18"}


def test_latin_names_inside_cjk_and_capitalised_in_english() -> None:
    assert latin_names("IvantiのVPN経由でAPT28が侵入", "ja") == {"w:ivanti", "w:vpn", "w:apt28"}
    # Sentence openers and common words are no names.
    assert latin_names("Hackers used Ivanti gear. The Ministry said so.", "en") == {"w:ivanti"}


def test_evidence_keys_put_the_strongest_kinds_first() -> None:
    keys = evidence_keys("t", "", "CVE-2026-1187 on May 2", "en", actors=["G0007"], states=["RU"],
                         cves=["CVE-2026-1187"])
    assert keys[0] == "c:CVE-2026-1187" and keys[1] == "a:G0007" and keys[-1] == "s:RU"


def _item(item_id: str, language: str, evidence: set[str], vector: dict[str, float] | None = None,
          **fields: frozenset[str]) -> ClusterItem:
    return ClusterItem(id=item_id, vector=vector or {f"{item_id}-word": 1.0}, published=DAY, language=language,
                       evidence=frozenset(evidence), **fields)  # type: ignore[arg-type]


SAME_INCIDENT = {"a:G0034", "m:caddywiper", "n:12", "n:40", "d:02-26", "s:RU", "v:PL"}


def test_reports_of_one_incident_in_two_languages_are_alike() -> None:
    english = _item("en", "en", SAME_INCIDENT | {"w:warsaw"})
    german = _item("de", "de", SAME_INCIDENT | {"w:umspannwerken"})
    assert similarity(english, german) > 0.5
    # Their words never meet, so compared as one language they would not be.
    assert similarity(english, _item("de", "", SAME_INCIDENT)) == 0.0


def test_one_weeks_coverage_of_one_state_is_not_enough() -> None:
    english = _item("en", "en", SAME_INCIDENT)
    other = _item("ja", "ja", {"s:RU", "v:PL", "n:12"})
    assert cross_language_evidence(english, other) < 0.13


def test_conflicting_actors_damp_cross_language_evidence() -> None:
    shared = {"n:12", "n:40", "d:02-26", "v:PL", "s:RU"}
    plain = similarity(_item("a", "en", shared), _item("b", "de", shared))
    conflicting = similarity(_item("a", "en", shared, actors=frozenset({"G0034"})),
                             _item("b", "de", shared, actors=frozenset({"G0007"})))
    assert conflicting < plain * 0.7


def test_same_language_items_keep_the_text_similarity() -> None:
    vector = {"wiper": 0.8, "substations": 0.6}
    first, second = _item("a", "en", set(), vector), _item("b", "en", set(), vector)
    assert abs(similarity(first, second) - 1.0) < 1e-3


def test_online_assignment_finds_the_other_language_report_by_its_evidence() -> None:
    clusterer = OnlineClusterer()
    english = clusterer.assign(_item("en", "en", SAME_INCIDENT), [])
    unrelated = clusterer.assign(_item("ja-other", "ja", {"s:CN", "v:JP", "n:99"}), [])
    german = _item("de", "de", SAME_INCIDENT)
    german.published = DAY + timedelta(hours=5)
    joined = clusterer.assign(german, [])
    assert not joined.opened and joined.story_id == english.story_id
    assert unrelated.story_id != english.story_id


def test_cjk_terms_are_character_pairs_without_kana_endings() -> None:
    assert terms("防衛省に侵入した") == ["防衛", "衛省", "省に", "に侵", "侵入", "入し"]
    assert "apt28" in terms("集団APT28が侵入")


def test_candidate_query_adds_other_language_evidence_only_when_given() -> None:
    plain = story_candidates("x", ["wiper", "grid"], ["G0034"], "a", "b", ["id"], 25)
    assert plain["query"]["bool"]["minimum_should_match"] == 2
    linked = story_candidates("x", ["wiper", "grid"], ["G0034"], "a", "b", ["id"], 25,
                              evidence=["a:G0034", "n:12"], language="de")
    other = linked["query"]["bool"]["should"][1]["bool"]
    assert other["must_not"] == [{"term": {"language": "de"}}]
    assert {"term": {"cluster_evidence": "n:12"}} in other["should"] and other["minimum_should_match"] == 2
    assert linked["query"]["bool"]["should"][0]["bool"]["should"] == plain["query"]["bool"]["should"]


def test_search_fields_follow_the_query_script() -> None:
    assert article_text_fields("Turla AND defence") == ARTICLE_SEARCH_FIELDS
    # CJK queries leave the English fields, which split their words into single characters.
    assert article_text_fields("防衛省 APT28") == ["title.cjk^3", "lead.cjk^2", "body.cjk", "actors^2", "source"]
    assert "body" not in article_text_fields("방산업체")
    assert "body.ru" in article_text_fields("шпионаж") and "body.cjk" not in article_text_fields("шпионаж")
    assert "body.de" in article_text_fields("Verteidigungsministerium Dänemark")


def test_article_text_is_indexed_in_every_language_analyser() -> None:
    for field in ("title", "lead", "body"):
        analysers = {name: sub["analyzer"] for name, sub in ARTICLE_PROPERTIES[field]["fields"].items()}
        assert analysers == {"exact": "standard", "cjk": "cjk", "de": "german", "ru": "russian"}
    assert ARTICLE_PROPERTIES["cluster_evidence"] == {"type": "keyword"}
