"""The learned relevance model's parts: terms, the split, the training rule,
the model file, the evidence and the language guard. Texts are written for
these tests; the dev set's articles never enter the repository."""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter
from pathlib import Path

import pytest

from workers.relevance import CUE_MODEL_VERSION, RelevanceBand, score_relevance
from workers.relevance_data import (
    HELDOUT,
    TUNE,
    LabelledArticle,
    LabelledDataError,
    read_dev_file,
    read_feedback_file,
    with_splits,
)
from workers.relevance_model import (
    LearnedRelevanceModel,
    RelevanceModelError,
    load_model,
    model_file_text,
    shipped_learned_model,
)
from workers.relevance_text import (
    BODY,
    LEAD,
    TITLE,
    field_terms,
    readable,
    split_name,
    term_name,
    weighted_terms,
    words,
)
from workers.relevance_training import operating_point


def _reference_terms(title: str, lead: str, body: str) -> dict[str, Counter[str]]:
    """The terms spelled out occurrence by occurrence, the slow way the fast one must equal."""
    from workers.relevance_text import CHAR_SIZES, LEAD_WORDS, _variants

    def word_terms(tokens: list[str], pairs: bool) -> Counter[str]:
        terms: Counter[str] = Counter()
        for token in tokens:
            if len(token) > 1:
                terms[token] += 1
            for variant in _variants(token):
                terms[variant] += 1
        if pairs:
            for first, second in itertools.pairwise(tokens):
                terms[f"{first} {second}"] += 1
        return terms

    title_words, body_words = words(title), words(body)
    headline = word_terms(title_words, True)
    for token in title_words:
        padded = f" {token} "
        for size in CHAR_SIZES:
            for start in range(len(padded) - size + 1):
                headline[f"#{padded[start:start + size]}"] += 1
    return {TITLE: headline, LEAD: word_terms([*words(lead), *body_words][:LEAD_WORDS], True),
            BODY: word_terms(body_words, False)}


def test_terms_equal_the_occurrence_by_occurrence_count() -> None:
    title = "China-linked APT41 hackers breach ministry"
    body = ("Hackers linked to APT41 breached the ministry. The ministry said the hackers used CVE-2024-1234. "
            "State-sponsored hackers, officials said, kept access for months. ") * 3
    fast = field_terms(title, "A lead about the breach.", body)
    slow = _reference_terms(title, "A lead about the breach.", body)
    assert {field: dict(counts) for field, counts in slow.items()} == fast


def test_hyphenated_words_and_numbers_give_their_parts_and_shapes() -> None:
    terms = field_terms("", "", "State-sponsored group APT28 exploited CVE-2023-23397")[BODY]
    assert {"state-sponsored", "state", "sponsored", "apt28", "apt00", "cve-0000-00000"} <= set(terms)
    headline = field_terms("Turla strikes", "", "")[TITLE]
    assert {"turla", "turla strikes", "# tu", "#urla ", "#strik"} <= set(headline)


def test_term_names_spell_the_field_and_read_back() -> None:
    for field, term in ((TITLE, "turla strikes"), (LEAD, "state-sponsored"), (TITLE, "#urla ")):
        assert split_name(term_name(field, term)) == (field, term)
    assert term_name(TITLE, "#spie") == "t#spie" and term_name(BODY, "spy") == "b:spy"
    with pytest.raises(ValueError, match="not a term name"):
        split_name("x:spy")


def test_each_field_is_unit_length_over_known_terms_only() -> None:
    counts = {TITLE: {"spy": 2, "unknown": 9}, BODY: {"spy": 1, "ransom": 3}}
    idf = {TITLE: {"spy": 2.0}, BODY: {"spy": 1.5, "ransom": 1.0}}
    weighted = weighted_terms(counts, idf)
    assert "unknown" not in weighted[TITLE]
    assert weighted[TITLE]["spy"] == pytest.approx(1.0)
    assert math.hypot(weighted[BODY]["spy"], weighted[BODY]["ransom"]) == pytest.approx(1.0)
    # Sublinear tf: three occurrences weigh 1 + ln 3, not 3.
    assert weighted[BODY]["ransom"] / weighted[BODY]["spy"] == pytest.approx((1 + math.log(3)) * 1.0 / 1.5)


def _item(article_id: str, body: str, on_topic: bool, outlet: str = "example", year: str = "2020",
          title: str = "") -> LabelledArticle:
    return LabelledArticle(article_id, "test.jsonl", outlet, year, title or f"Title {article_id}", "", body,
                           on_topic, False)


def test_copies_share_a_split_and_each_stratum_keeps_its_share() -> None:
    items = [_item(f"a{n}", f"Body number {n} about the {'spies' if n % 2 else 'gang'}.", n % 2 == 1,
                   outlet=f"outlet{n % 3}") for n in range(60)]
    items.append(_item("copy-of-a7", items[7].body, True, outlet="elsewhere", year="2021"))
    items.append(_item("retitled", "Different opening entirely.", False, title=items[8].title))
    split = {item.id: item for item in with_splits(items)}
    assert split["copy-of-a7"].split == split["a7"].split and split["copy-of-a7"].group == "a7"
    assert split["retitled"].split == split["a8"].split
    held = [item for item in split.values() if item.split == HELDOUT]
    assert 0.25 <= len(held) / len(split) <= 0.35
    for outlet in ("outlet0", "outlet1", "outlet2"):
        stratum = [item for item in split.values() if item.outlet == outlet]
        assert 0.2 <= sum(item.split == HELDOUT for item in stratum) / len(stratum) <= 0.4
    # The same input gives the same split, whatever its order.
    again = {item.id: item.split for item in with_splits(list(reversed(items)))}
    assert again == {article_id: item.split for article_id, item in split.items()}


def test_dev_file_lines_are_read_and_a_broken_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "cybernews.jsonl"
    path.write_text(json.dumps({"id": "thn:1", "source": "thehackernews", "title": None, "body": "Text.",
                                "date": "2014-03-01", "url": None, "on_topic": True, "ambiguous": True}) + "\n"
                    + '{"id": "thn:2"}\n', encoding="utf-8")
    with pytest.raises(LabelledDataError, match=r"cybernews.jsonl:2"):
        read_dev_file(path)
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    (item,) = read_dev_file(path)
    assert (item.outlet, item.year, item.title, item.on_topic, item.ambiguous) == (
        "thehackernews", "2014", "(untitled)", True, True)


def test_feedback_marks_are_read_and_unusable_ones_reported(tmp_path: Path) -> None:
    rows = [
        {"id": "abc", "label": "espionage", "title": "Spies", "lead": "", "body": "State spies.", "source": "wire",
         "date": "2026-11-30", "language": "en"},
        {"id": "gone", "label": "not_espionage", "title": "Old", "body": "", "language": "en"},
        {"id": "ja", "label": "espionage", "title": "スパイ", "body": "国家のハッカー", "language": "ja"},
        {"id": "clr", "label": None, "title": "Cleared", "body": "Text."},
    ]
    path = tmp_path / "marks.jsonl"
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    read = read_feedback_file(path)
    assert [(item.id, item.on_topic, item.split) for item in read.items] == [("mark:abc", True, TUNE)]
    assert [number for number, _ in read.skipped] == [2, 3, 4]
    path.write_text("not json\n", encoding="utf-8")
    with pytest.raises(LabelledDataError, match=r"marks\.jsonl:1"):
        read_feedback_file(path)


def test_operating_point_follows_the_stated_rule() -> None:
    # Ten on-topic articles scored 0.45..0.9 and ten off-topic ones 0.05..0.5:
    # best F1 is where the two meet; "possible" keeps 98% of on-topic recall below it.
    positives = [(0.45 + 0.05 * n, True) for n in range(10)]
    negatives = [(0.05 + 0.05 * n, False) for n in range(10)]
    on_topic, possible, table = operating_point([positives + negatives])
    assert on_topic == max(table, key=lambda t: (round(table[t]["f1"], 6), t))
    assert table[on_topic]["f1"] == max(row["f1"] for row in table.values())
    assert possible < on_topic and table[possible]["recall"] >= 0.98
    assert all(table[t]["recall"] < 0.98 for t in table if possible < t < on_topic)


def _tiny_model(**changes: object) -> LearnedRelevanceModel:
    model = LearnedRelevanceModel(
        version="lr-test", intercept=-1.0, idf={TITLE: {"spies": 1.0}, BODY: {"ransomware": 1.0}},
        term_weights={TITLE: {"spies": 3.0}, BODY: {"ransomware": -2.0}}, cue_weights={"state_in_lead": 1.0},
        cue_scale=0.5,
        calibration=(1.0, 0.0), on_topic=0.6, possible=0.2)
    return LearnedRelevanceModel(**{**model.__dict__, **changes})


def test_the_model_file_round_trips_and_a_broken_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text(model_file_text(_tiny_model()), encoding="utf-8")
    assert load_model(path) == _tiny_model()
    path.write_text('{"version": "x"}', encoding="utf-8")
    with pytest.raises(RelevanceModelError, match=r"model\.json"):
        load_model(path)


def test_a_learned_score_is_calibrated_and_explained() -> None:
    model = _tiny_model()
    spies = score_relevance("Spies", "", "Nothing else.", [], learned=model)
    gang = score_relevance("Quarterly update", "", "Ransomware.", [], learned=model)
    assert spies.score > gang.score and spies.model_version == "lr-test"
    assert spies.score == pytest.approx(1 / (1 + math.exp(-(-1.0 + 3.0))), abs=0.001)
    assert '+3.00 "spies" in the headline' in spies.evidence
    assert any('"ransomware" in the body' in line and line.startswith("-") for line in gang.evidence)
    assert readable("t#spie") == '"…spie…" in the headline'


def test_text_the_english_model_cannot_read_keeps_the_cue_model() -> None:
    german = score_relevance("Russische Hacker greifen Ministerium an",
                             "", "Hacker des russischen Geheimdienstes drangen in das Netz ein.", [], language="de")
    assert german.model_version == CUE_MODEL_VERSION
    english = score_relevance("Russian hackers attack ministry", "", "Hackers of Russia's intelligence service.", [])
    assert english.model_version == shipped_learned_model().version != CUE_MODEL_VERSION


def test_the_shipped_model_separates_espionage_from_crime() -> None:
    espionage = score_relevance(
        "Chinese state-sponsored hackers breached defence ministry networks",
        "", "Officials attributed the intrusion to a group working for China's Ministry of State Security, "
        "which kept persistent access to classified networks for months.", [])
    crime = score_relevance(
        "Ransomware gang leaks hospital patient data after ransom refused",
        "", "The cybercriminals encrypted servers and demanded a ransom in bitcoin; police are investigating.", [])
    assert espionage.band is RelevanceBand.ON_TOPIC
    assert crime.band is RelevanceBand.OFF_TOPIC


def test_the_one_pass_score_equals_the_trainers_path() -> None:
    model = shipped_learned_model()
    title, body = "Kremlin-linked hackers target ministry", "APT28 phished diplomats. " * 4 + "Patch now."
    cues = {"state_in_lead": 1.0, "crime_share": 0.25}
    fast = model.score(title, "", body, cues)
    plain = model.raw_score(weighted_terms(field_terms(title, "", body), model.idf), cues)
    assert fast.probability == pytest.approx(model.calibrate(plain.probability))
    assert fast.term_contributions.keys() == plain.term_contributions.keys()
    for field, terms in plain.term_contributions.items():
        assert fast.term_contributions[field] == pytest.approx(terms)
