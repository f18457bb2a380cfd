"""Candidates read from doc values: the vector parsed from ``cluster_features``
(cached per process by the features themselves)."""

from __future__ import annotations

from workers.stories import item_from_doc_values


def _fields(features: list[str]) -> dict[str, list[str]]:
    return {"id": ["a1"], "cluster_features": features, "event_time": ["1767225600000"], "story_id": ["s1"],
            "actors": ["G0007"]}


def test_vector_is_heaviest_first_and_the_last_weight_of_a_term_counts() -> None:
    item = item_from_doc_values("a1", _fields(["apt|0.2", "ministry|0.7", "hackers|0.5", "apt|0.4"]))
    assert list(item.vector.items()) == [("ministry", 0.7), ("hackers", 0.5), ("apt", 0.4)]
    assert item.story_id == "s1" and item.actors == frozenset({"G0007"})


def test_rewritten_features_are_parsed_anew() -> None:
    first = item_from_doc_values("a1", _fields(["ministry|0.7", "hackers|0.5"]))
    again = item_from_doc_values("a1", _fields(["ministry|0.7", "hackers|0.5"]))
    changed = item_from_doc_values("a1", _fields(["ministry|0.6", "grid|0.5"]))
    assert again.vector == first.vector == {"ministry": 0.7, "hackers": 0.5}
    assert changed.vector == {"ministry": 0.6, "grid": 0.5}
    assert item_from_doc_values("a2", {"id": ["a2"]}).vector == {}
