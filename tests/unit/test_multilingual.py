"""Each profiled language end to end through the enrich stage: the language found
from the text, actors named in the native script, the attributed state, the victim
country, the claim type and the relevance band; and a crime report in the same
language stays off topic."""

from __future__ import annotations

import pytest

from coverwatch.models import Article
from coverwatch.taxonomy import default_taxonomy
from workers.enrichment import enrich
from workers.entities import ActorMatcher, default_matcher
from workers.lang import LANGUAGES, detect_language, profile, spaced, split_sentences

# language, headline, body, actor id, sponsor, victim, claim type
ESPIONAGE = [
    ("ja", "北朝鮮のハッカー集団、日本の防衛企業を標的に",
     "警察庁は、北朝鮮のハッカー集団ラザルスが日本の防衛企業を標的にサイバー攻撃を仕掛け、機密情報を盗んだと断定した。",
     "G0032", "KP", "JP", "government"),
    ("zh", "美方指责俄罗斯黑客入侵乌克兰电网",
     "美国联邦调查局指责俄罗斯军事情报机构下属的黑客组织沙虫入侵了乌克兰电网，并实施破坏。",
     "G0034", "RU", "UA", "government"),
    ("ko", "북한 김수키, 한국 외교부 겨냥 해킹",
     "국가정보원은 북한 해킹조직 김수키가 한국 외교부를 겨냥해 기밀 자료를 탈취했다고 발표했다.",
     "G0094", "KP", "KR", "government"),
    ("de", "Russische Hacker spähten polnisches Verteidigungsministerium aus",
     "Die Bundesregierung macht die Gruppe APT28 des russischen Militärgeheimdienstes GRU für die Spionage im "
     "polnischen Verteidigungsministerium verantwortlich. Die Angreifer lasen vertrauliche Dokumente.",
     "G0007", "RU", "PL", "government"),
    ("ru", "Китайские хакеры атаковали министерство обороны Японии",
     "Американская компания Mandiant сообщила, что китайские хакеры из группировки APT41 похитили секретные "
     "документы министерства обороны Японии.",
     "G0096", "CN", "JP", "vendor"),
]

CRIME = [
    ("ja", "病院にランサムウェア攻撃", "犯罪グループが身代金を要求した。警察は金銭目的のサイバー犯罪とみている。"),
    ("zh", "电商平台遭勒索软件攻击", "犯罪团伙索要赎金，警方认为这是以牟利为目的的网络犯罪。"),
    ("ko", "쇼핑몰 랜섬웨어 감염", "범죄 조직이 몸값을 요구했다. 경찰은 금전 목적의 사이버 범죄로 보고 있다."),
    ("de", "Ransomware legt Stadtwerke lahm", "Die Erpresser fordern Lösegeld. Die Polizei ermittelt gegen "
     "Cyberkriminelle."),
    ("ru", "Мошенники атаковали банк", "Киберпреступники требуют выкуп, полиция возбудила дело о мошенничестве."),
]


def _enriched(title: str, body: str) -> Article:
    article = Article(url="https://example.invalid/a", title=title, body=body, source="test")
    return enrich(article, default_taxonomy(), default_matcher())


@pytest.mark.parametrize(("language", "title", "body", "actor", "sponsor", "victim", "claim"), ESPIONAGE,
                         ids=[case[0] for case in ESPIONAGE])
def test_espionage_report_is_read_in_its_language(language: str, title: str, body: str, actor: str,
                                                  sponsor: str, victim: str, claim: str) -> None:
    article = _enriched(title, body)
    assert article.language == language
    assert actor in article.actors
    assert sponsor in article.attributed_states
    assert victim in article.victim_countries and sponsor not in article.victim_countries
    assert article.claim_type == claim
    assert article.relevance_band == "on_topic"


@pytest.mark.parametrize(("language", "title", "body"), CRIME, ids=[case[0] for case in CRIME])
def test_crime_report_stays_off_topic(language: str, title: str, body: str) -> None:
    article = _enriched(title, body)
    assert article.language == language
    assert article.relevance_band != "on_topic"
    assert not article.attributed_states


@pytest.mark.parametrize("language", ["ja", "zh", "ru", "de"])
def test_denial_by_the_accused_state(language: str) -> None:
    title, body = {
        "ja": ("ロシア、サイバー攻撃への関与を否定", "ロシア政府はハッカー集団APT28による攻撃への関与を否定した。"),
        "zh": ("外交部否认黑客指控", "外交部发言人否认中国黑客入侵的指控，称其毫无根据。"),
        "ru": ("Москва отвергла обвинения", "Москва отвергла обвинения в причастности российских хакеров к атаке."),
        "de": ("Moskau weist Vorwürfe zurück", "Moskau wies die Vorwürfe gegen russische Hacker als haltlos zurück."),
    }[language]
    assert _enriched(title, body).claim_type == "denied"


def test_cjk_alias_is_found_without_word_boundaries() -> None:
    matcher = default_matcher()
    assert matcher.actor_ids("韓国の防衛企業を狙ったのはラザルスだった。", "ja") == ["G0032"]
    assert matcher.actor_ids("北朝鮮のハッカー集団がAPT28と協力", "ja") == ["G0007"]  # Latin inside kanji
    # A digit-and-kanji alias is looked up in the spaced text, as it is written in it.
    assert "G0006" in matcher.actor_ids("人民解放軍61398部隊が関与した。", "ja")


def test_latin_aliases_keep_their_word_boundaries() -> None:
    # "APT28" inside a longer word is no mention in Latin-script text.
    assert default_matcher().actor_ids("Die XAPT28X-Kampagne war ein Scherz.", "de") == []


def test_native_alias_needs_the_taxonomy_entry() -> None:
    from coverwatch.taxonomy import Actor, Taxonomy

    matcher = ActorMatcher(Taxonomy([Actor("X1", "Example", ("例示集団",), state="RU")]))
    assert matcher.actor_ids("例示集団が侵入した。", "ja") == ["X1"]
    assert matcher.actor_ids("別の集団が侵入した。", "ja") == []


@pytest.mark.parametrize(("text", "declared", "expected"), [
    ("防衛省のネットワークに侵入したとみられる。", "en", "ja"),
    ("美国联邦调查局指责中国黑客入侵电信网络。", "en", "zh"),
    ("북한 해킹조직이 국방부를 겨냥했다.", "en", "ko"),
    ("Хакеры атаковали сеть министерства обороны.", "en", "ru"),
    ("Die Angreifer hatten Zugriff auf die Dokumente und die Behörden ermitteln mit dem BSI.", "en", "de"),
    ("The attackers had access to the documents and the ministry is investigating.", "en", "en"),
    ("The attackers had access to the documents and the ministry is investigating.", "de", "en"),
    ("Japan's National Police Agency (警察庁) said the Lazarus Group stole the funds from the exchange.", "en", "en"),
    ("IvantiのVPN機器とMicrosoft Exchangeサーバーが侵入口になった。", "en", "ja"),
])
def test_language_detection(text: str, declared: str, expected: str) -> None:
    assert detect_language(text, declared) == expected


def test_sentences_end_at_full_width_stops_and_german_ordinals_do_not() -> None:
    assert split_sentences("侵入された。被害は不明だ！", "ja") == ("侵入された。", "被害は不明だ！")
    assert split_sentences("Am 3. März wurde es entdeckt. Danach nicht.", "de") == (
        "Am 3. März wurde es entdeckt.", "Danach nicht.")
    assert split_sentences("Атака началась. Потом всё стихло.", "ru") == ("Атака началась.", "Потом всё стихло.")


def test_spaced_separates_latin_names_from_cjk_only() -> None:
    assert spaced("集団APT28が2024年に") == "集団 APT28 が 2024 年に"
    assert spaced("No CJK here: APT28") == "No CJK here: APT28"


def test_every_profile_loads_and_english_has_none() -> None:
    assert profile("en") is None
    for code in LANGUAGES:
        language = profile(code)
        assert language is not None and language.countries and language.cue("espionage").pattern.pattern
