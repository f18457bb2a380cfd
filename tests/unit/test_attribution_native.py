"""Claims in a profiled language (workers/attribution/native.py) and the demo's
seed story (issue 22, part 4), sentence by sentence, on text written for them."""

from __future__ import annotations

from coverwatch.models import Article
from coverwatch.taxonomy import Actor, default_taxonomy
from crawlers.demo_site.site import SEED_STORY, load_demo_articles
from workers.attribution import ClaimantKind, Stance, extract_claims
from workers.enrichment import enrich
from workers.entities import default_matcher


def _blacktech() -> list[Actor]:
    return [next(actor for actor in default_taxonomy().actors if actor.name == "BlackTech")]


def _claims(body: str, language: str, found: list[Actor] | None = None) -> list[tuple[object, ...]]:
    return [(c.claimant, c.claimant_kind, c.claimant_country, c.stance, c.subject_state)
            for c in extract_claims("", body, outlet="desk", actors=found or [], language=language)]


def test_a_minister_who_will_not_confirm_a_leak_is_his_own_government_declining() -> None:
    body = ("森田健二防衛相は6日の記者会見で、情報が漏えいしたかどうかについて"
            "「事柄の性質上、お答えは差し控える」と述べ、確認を避けた。")
    assert _claims(body, "ja") == [("防衛相", ClaimantKind.GOVERNMENT, "JP", Stance.DECLINES_TO_CONFIRM, None)]


def test_the_speaker_is_the_government_word_before_the_refusal_not_the_victim() -> None:
    body = ("中国軍のハッカーが防衛省の機密ネットワークに侵入していたとする報道について、"
            "森田防衛相は漏えいの有無の確認を避けた。")
    assert [claim[0] for claim in _claims(body, "ja")] == ["防衛相"]


def test_an_accused_state_denying_in_japanese_or_chinese() -> None:
    assert _claims("中国外務省の報道官は、日本の防衛網への侵入への関与を「事実無根だ」と否定した。", "ja") == [
        ("中国外務省の報道官", ClaimantKind.ACCUSED, "CN", Stance.DENIES, "CN")]
    assert _claims("外交部发言人表示，有关指责毫无根据，中方坚决反对。", "zh")[0][1:] == (
        ClaimantKind.ACCUSED, "CN", Stance.DENIES, "CN")


def test_a_formal_attribution_by_a_government_names_the_actor() -> None:
    body = ("日本政府と米政府は12日、防衛網への侵入を中国の攻撃グループBlackTechによるものと断定し、"
            "共同で注意喚起を出した。")
    found = _claims(body, "ja", _blacktech())
    assert ("日本政府", ClaimantKind.GOVERNMENT, "JP", Stance.ATTRIBUTES, "CN") in found


def test_unnamed_sources_and_hedges_are_no_government_attribution() -> None:
    assert _claims("関係者によると、政府は中国軍のハッカーの関与を特定したとみられる。", "ja") == []
    assert _claims("The minister declined to comment.", "xx") == []  # a language nobody reads


def test_the_seed_story_says_who_says_who_did_it_article_by_article() -> None:
    outlets, demo = load_demo_articles()
    languages = {outlet["slug"]: outlet.get("language", "en") for outlet in outlets}
    by_key = {article.key: article for article in demo}
    found = []
    for key in SEED_STORY:
        article = by_key[key]
        enriched = enrich(Article(url=f"https://{article.outlet}.example/{article.slug}", title=article.title,
                                  lead=article.lead, body="\n".join(article.paragraphs), source=article.outlet,
                                  published_at=article.published, language=languages[article.outlet]),
                          default_taxonomy(), default_matcher())
        found.append({(c["claimant_kind"], c["claimant_country"], c["stance"], c["subject_state"])
                      for c in enriched.claims})
    assert found == [
        {("unnamed_officials", "US", "attributes", "CN")},
        {("government", "JP", "declines_to_confirm", None)},
        {("accused", "CN", "denies", "CN")},
        {("government", "US", "attributes", "CN"), ("government", "JP", "attributes", "CN"),
         ("accused", "CN", "denies", "CN")},
    ]
