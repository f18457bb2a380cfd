"""An analyst's mark decides an article's band; the model's verdict waits beside
it (search/relevance_marks.py, workers/marking.py): the pure parts."""

from __future__ import annotations

from datetime import UTC, datetime

from console.main import build_parser
from coverwatch.models import Article
from search.relevance_labels import labelled_example
from search.relevance_marks import (
    Banding,
    MarkLabel,
    RelevanceMark,
    article_marking,
    banding_for,
    model_banding,
    next_mark,
    scored_by_model,
    with_mark,
)
from workers.marking import newly_alertable

MONDAY = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
POSSIBLE = Banding("possible", False)
ON_TOPIC = Banding("on_topic", True)
OFF_TOPIC = Banding("off_topic", False)


def _article(band: str = "possible", on_topic: bool = False) -> Article:
    return Article(url="https://wire.example/turla-embassy", title="Embassy networks breached",
                   body="Investigators found an implant on embassy networks.", source="wire",
                   relevance=0.31, relevance_band=band, on_topic=on_topic)


def _mark(label: MarkLabel | None, who: str = "alice") -> RelevanceMark:
    return RelevanceMark(article_id="a1", label=label, marked_by=who, marked_at=MONDAY)


def test_the_mark_decides_the_band_and_no_mark_leaves_the_model() -> None:
    assert banding_for(POSSIBLE, MarkLabel.ESPIONAGE) == ON_TOPIC
    assert banding_for(ON_TOPIC, MarkLabel.NOT_ESPIONAGE) == OFF_TOPIC
    assert banding_for(POSSIBLE, None) == POSSIBLE


def test_the_models_verdict_is_read_from_its_own_fields_once_kept() -> None:
    marked = {"relevance_band": "on_topic", "on_topic": True, "relevance_model_band": "possible",
              "relevance_model_on_topic": False}
    assert model_banding(marked) == POSSIBLE
    # Written before marks existed: the band there is the model's.
    assert model_banding({"relevance_band": "off_topic", "on_topic": False}) == OFF_TOPIC


def test_a_mark_records_who_when_and_what_it_replaced() -> None:
    document = {"id": "a1", "url": "https://wire.example/x", "title": "Embassy networks breached",
                "relevance_band": "possible", "on_topic": False}
    first = next_mark(None, document, MarkLabel.ESPIONAGE, "alice", MONDAY)
    assert first is not None
    assert (first.label, first.marked_by, first.previous_label, first.model_band) == (
        MarkLabel.ESPIONAGE, "alice", None, "possible")
    flipped = next_mark(first, document, MarkLabel.NOT_ESPIONAGE, "bob", MONDAY)
    assert flipped is not None and flipped.previous_label is MarkLabel.ESPIONAGE
    cleared = next_mark(flipped, document, None, "alice", MONDAY)
    assert cleared is not None and cleared.label is None
    assert [(event.label, event.previous_label, event.by) for event in cleared.history] == [
        (MarkLabel.ESPIONAGE, None, "alice"), (MarkLabel.NOT_ESPIONAGE, MarkLabel.ESPIONAGE, "bob"),
        (None, MarkLabel.NOT_ESPIONAGE, "alice")]


def test_the_same_mark_again_or_clearing_nothing_changes_nothing() -> None:
    document = {"id": "a1", "relevance_band": "possible", "on_topic": False}
    assert next_mark(_mark(MarkLabel.ESPIONAGE), document, MarkLabel.ESPIONAGE, "bob", MONDAY) is None
    assert next_mark(None, document, None, "bob", MONDAY) is None


def test_the_article_fields_carry_the_mark_and_keep_the_model() -> None:
    document = {"relevance_band": "possible", "on_topic": False}
    fields = article_marking(document, _mark(MarkLabel.ESPIONAGE)).document()
    assert fields == {"relevance_band": "on_topic", "on_topic": True, "relevance_model_band": "possible",
                      "relevance_model_on_topic": False, "relevance_mark": "espionage",
                      "relevance_marked_by": "alice", "relevance_marked_at": MONDAY.isoformat()}
    # Cleared: the model's band back, and nothing says "marked" any more.
    marked = {**document, **fields}
    back = article_marking(marked, _mark(None)).document()
    assert (back["relevance_band"], back["on_topic"], back["relevance_mark"], back["relevance_marked_by"]) == (
        "possible", False, None, None)


def test_a_new_score_does_not_undo_a_stored_mark() -> None:
    """The pipeline re-scores, keeps that as the model's verdict, then lays the mark over it."""
    rescored = scored_by_model(_article("on_topic", True))
    marked = with_mark(rescored, _mark(MarkLabel.NOT_ESPIONAGE))
    assert (marked.relevance_band, marked.on_topic, marked.relevance_mark) == ("off_topic", False, "not_espionage")
    assert (marked.relevance_model_band, marked.relevance_model_on_topic) == ("on_topic", True)
    assert marked.to_document()["relevance_marked_by"] == "alice"


def test_an_article_whose_mark_was_cleared_gets_the_model_band_back() -> None:
    article = with_mark(scored_by_model(_article()), _mark(MarkLabel.ESPIONAGE))
    assert article.relevance_band == "on_topic"
    unmarked = with_mark(article, None)
    assert (unmarked.relevance_band, unmarked.on_topic, unmarked.relevance_mark) == ("possible", False, None)


def test_scoring_again_forgets_the_mark_fields_until_the_store_is_read() -> None:
    article = with_mark(scored_by_model(_article()), _mark(MarkLabel.ESPIONAGE))
    rescored = scored_by_model(article)
    assert (rescored.relevance_mark, rescored.relevance_marked_by, rescored.relevance_marked_at) == (None, None, None)
    assert rescored.relevance_model_band == "on_topic"  # the band it was handed is taken as the new score


def test_only_a_mark_that_lets_an_article_alert_sends_it_to_the_alert_stage() -> None:
    assert newly_alertable(POSSIBLE, ON_TOPIC)
    assert not newly_alertable(ON_TOPIC, ON_TOPIC)
    assert not newly_alertable(ON_TOPIC, OFF_TOPIC)
    assert newly_alertable(OFF_TOPIC, POSSIBLE) is False  # possible items never alert on their own
    assert newly_alertable(Banding("possible", False), Banding(None, None))  # legacy articles alerted


def test_an_export_line_has_the_dev_files_shape_and_who_marked_it() -> None:
    article = {"id": "a1", "url": "https://wire.example/x", "title": "Embassy networks breached", "lead": "Lead.",
               "body": "Body.", "source": "wire", "language": "en", "published_at": "2026-12-01T08:00:00+00:00",
               "relevance": 0.31}
    line = labelled_example(_mark(MarkLabel.ESPIONAGE), article)
    assert {key: line[key] for key in ("id", "title", "lead", "body", "date", "on_topic", "label", "marked_by")} == {
        "id": "a1", "title": "Embassy networks breached", "lead": "Lead.", "body": "Body.", "date": "2026-12-01",
        "on_topic": True, "label": "espionage", "marked_by": "alice"}
    gone = labelled_example(_mark(MarkLabel.NOT_ESPIONAGE), None)
    assert (gone["on_topic"], gone["in_index"], gone["body"]) == (False, False, "")


def test_the_relevance_group_takes_more_actions() -> None:
    args = build_parser().parse_args(["relevance", "labels", "export", "--output", "marks.jsonl"])
    assert (args.command, args.relevance_action, args.labels_action, str(args.output)) == (
        "relevance", "labels", "export", "marks.jsonl")
    assert callable(args.handler)
