"""The fast text cosines of story assignment agree with the plain one."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from workers.clustering import (
    ARRAY_POOL,
    ClusterItem,
    OnlineClusterer,
    item_cosine,
    similarity,
    story_scores,
    text_cosines,
)
from workers.vectors import cosines, term_arrays

WORDS = [f"w{number}" for number in range(60)]


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    """The plain cosine the fast ones must equal: the sum over the smaller vector's terms."""
    if len(a) > len(b):
        a, b = b, a
    return sum(weight * b.get(term, 0.0) for term, weight in a.items())


def _vector(rng: random.Random, size: int, words: list[str] = WORDS) -> dict[str, float]:
    weights = {word: rng.random() for word in rng.sample(words, size)}
    norm = sum(value * value for value in weights.values()) ** 0.5 or 1.0
    return dict(sorted(((word, value / norm) for word, value in weights.items()), key=lambda item: -item[1]))


def _item(name: str, vector: dict[str, float], story: str | None = None) -> ClusterItem:
    return ClusterItem(id=name, vector=vector, published=datetime(2026, 1, 1, tzinfo=UTC), story_id=story)


def test_item_cosine_is_the_plain_cosine_to_the_last_bit() -> None:
    rng = random.Random(3)
    for _ in range(400):
        a, b = _vector(rng, rng.randint(0, 40)), _vector(rng, rng.randint(0, 40))
        assert item_cosine(_item("a", a), _item("b", b)) == cosine(a, b)


def test_array_cosines_agree_with_the_plain_cosine() -> None:
    rng = random.Random(5)
    mine = _vector(rng, 30)
    others = [_vector(rng, rng.choice([0, 1, 5, 30, 59])) for _ in range(50)]
    others += [{}, {}]  # vectors without terms, last too: no segment of their own
    found = cosines(term_arrays(mine), [term_arrays(other) for other in others])
    assert len(found) == len(others)
    for value, other in zip(found, others, strict=True):
        assert abs(value - cosine(mine, other)) < 1e-12
    assert found[-1] == 0.0
    assert cosines(term_arrays({}), [term_arrays(mine)]) == [0.0]
    assert cosines(term_arrays(mine), []) == []


def test_few_candidates_are_left_to_the_plain_cosine() -> None:
    rng = random.Random(7)
    item = _item("x", _vector(rng, 10))
    few = [_item(f"c{n}", _vector(rng, 10)) for n in range(ARRAY_POOL - 1)]
    assert text_cosines(item, few) == [None] * len(few)
    many = [*few, _item("last", _vector(rng, 10))]
    assert all(value is not None for value in text_cosines(item, many))


def test_story_scores_are_the_same_with_many_candidates() -> None:
    rng = random.Random(11)
    item = _item("x", _vector(rng, 25))
    pool = [_item(f"c{n}", _vector(rng, 25), story=f"s{n % 7}") for n in range(3 * ARRAY_POOL)]
    scored = {score.story_id: score.score for score in story_scores(item, pool)}
    for story, score in scored.items():
        members = sorted((similarity(item, c) for c in pool if c.story_id == story), reverse=True)[:3]
        assert abs(score - sum(members) / len(members)) < 1e-12
    assert len(scored) == 7


def test_batch_of_look_alikes_still_splits_by_story() -> None:
    """Many items sharing most terms (as a batch of one incident's coverage):
    the earlier-neighbour count and the array cosines keep one story per incident."""
    rng = random.Random(13)
    first, second = _vector(rng, 25, WORDS[:30]), _vector(rng, 25, WORDS[30:])
    clusterer = OnlineClusterer()
    stories = [clusterer.assign(_item(f"{kind}{n}", dict(vector)), []).story_id
               for n in range(2 * ARRAY_POOL) for kind, vector in (("a", first), ("b", second))]
    assert len(set(stories[0::2])) == 1 and len(set(stories[1::2])) == 1
    assert stories[0] != stories[1]
