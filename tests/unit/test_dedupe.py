import pytest

from coverwatch.models import Article
from workers.dedupe import DedupeDecision, Verdict, body_hash, decide, normalise_body
from workers.stages import apply_dedupe, parse_articles, reconcile_originals, unique_by_id


def test_normalisation_folds_typography_and_spacing() -> None:
    a = "Russian spies had access —  for 18 months.\n\nThe ministry “confirmed” it."
    b = "russian SPIES had access - for 18 months. The ministry \"confirmed\" it."
    assert normalise_body(a) == normalise_body(b)
    assert body_hash(a) == body_hash(b)


def test_accents_fold_but_words_matter() -> None:
    assert body_hash("Café attaque") == body_hash("cafe attaque")
    assert body_hash("The FSB was responsible.") != body_hash("The SVR was responsible.")


def test_decide() -> None:
    assert decide("a", "new", None) == DedupeDecision("a", Verdict.NEW)
    assert decide("a", "seen", "a") == DedupeDecision("a", Verdict.SEEN)
    assert decide("b", "duplicate", "a") == DedupeDecision("b", Verdict.DUPLICATE, "a")
    assert decide("b", "takeover", "a") == DedupeDecision("b", Verdict.TAKEOVER, "a")
    with pytest.raises(ValueError):
        decide("a", "surprise", None)


def _record(url: str, body: str = "x" * 300, title: str = "Title") -> dict[str, object]:
    return {"url": url, "title": title, "body": body, "source": "demo"}


def test_parse_articles_rejects_bad_records_and_keeps_the_rest() -> None:
    articles, rejected = parse_articles([
        _record("https://a.example/1"),
        _record("not-a-url"),
        _record("https://a.example/2", title=""),
        {"title": "no url"},
        _record("https://a.example/3"),
    ])
    assert [a.canonical_url for a in articles] == ["https://a.example/1", "https://a.example/3"]
    assert len(rejected) == 3
    assert all(a.body_hash for a in articles)


def test_same_canonical_url_within_a_batch_is_one_article() -> None:
    articles, _ = parse_articles([_record("https://a.example/1?utm_source=x"),
                                  _record("https://a.example/1#c")])
    assert len(unique_by_id(articles)) == 1


def test_apply_dedupe_links_the_copy() -> None:
    original = Article(url="https://a.example/1", title="t", body="b", source="s")
    copy = Article(url="https://b.example/1", title="t", body="b", source="s2")
    marked = apply_dedupe([original, copy], [decide(original.id, "new", None),
                                             decide(copy.id, "duplicate", original.id)])
    assert marked[0].duplicate_of is None
    assert marked[1].duplicate_of == original.id


def test_reconcile_points_at_the_current_original() -> None:
    first = Article(url="https://a.example/1", title="t", body="b", source="s")
    second = Article(url="https://b.example/1", title="t", body="b", source="s2")
    second.duplicate_of = first.id
    reconciled = reconcile_originals([first, second], [second.id, second.id])
    assert reconciled[0].duplicate_of == second.id
    # The owner of the exact body keeps whatever near-duplicate link it has.
    assert reconciled[1].duplicate_of == first.id
