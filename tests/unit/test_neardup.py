import random

from crawlers.demo_site.site import load_demo_articles
from workers.neardup import (
    BANDS,
    ROWS,
    Fingerprint,
    NearCopy,
    band_keys,
    earliest,
    estimated_jaccard,
    fingerprint,
    is_near_duplicate,
)


def _texts() -> list[str]:
    _, articles = load_demo_articles()
    unique = {" ".join(a.paragraphs) for a in articles}
    return sorted(unique)


def _edit(text: str, rate: float, rng: random.Random) -> str:
    words = text.split()
    return " ".join(rng.choice(["the", "said", "new", "officials"]) if rng.random() < rate else w for w in words)


def test_lightly_edited_copies_are_found() -> None:
    rng = random.Random(3)
    for text in _texts():
        assert is_near_duplicate(fingerprint(text), fingerprint(_edit(text, 0.05, rng)))
        # a reprint with its own first paragraph and a trimmed ending
        reprint = "Reprinted from the wire with an added local paragraph. " + text[: len(text) * 8 // 10]
        assert is_near_duplicate(fingerprint(text), fingerprint(reprint))


def test_different_reports_of_one_event_are_not_duplicates() -> None:
    texts = _texts()
    prints = [fingerprint(text) for text in texts]
    for i in range(len(prints)):
        for j in range(i + 1, len(prints)):
            assert not is_near_duplicate(prints[i], prints[j]), (texts[i][:60], texts[j][:60])


def test_identical_text_has_jaccard_one_and_round_trips() -> None:
    text = _texts()[0]
    a = fingerprint(text)
    restored = Fingerprint.from_bytes(a.to_bytes())
    assert estimated_jaccard(a, restored) == 1.0 and restored.shingles == a.shingles
    assert len(band_keys(a.signature)) == BANDS and len(a.signature) >= BANDS * ROWS


def test_original_is_earliest_then_smallest_id() -> None:
    assert earliest("b", 10.0, [NearCopy("a", 20.0)]) == "b"
    assert earliest("b", 10.0, [NearCopy("a", 10.0)]) == "a"
    assert earliest("z", 30.0, [NearCopy("y", 20.0), NearCopy("x", 25.0)]) == "y"
