"""Scores for the quality goals: BCubed F1 for clusters, pairwise P/R for duplicates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def bcubed(gold: Mapping[str, str], predicted: Mapping[str, str]) -> tuple[float, float, float]:
    """BCubed precision, recall and F1 of a clustering, item -> cluster label."""
    items = [item for item in gold if item in predicted]
    if not items:
        return 0.0, 0.0, 0.0
    gold_members: dict[str, set[str]] = {}
    predicted_members: dict[str, set[str]] = {}
    for item in items:
        gold_members.setdefault(gold[item], set()).add(item)
        predicted_members.setdefault(predicted[item], set()).add(item)
    precision = recall = 0.0
    for item in items:
        same_gold = gold_members[gold[item]]
        same_predicted = predicted_members[predicted[item]]
        overlap = len(same_gold & same_predicted)
        precision += overlap / len(same_predicted)
        recall += overlap / len(same_gold)
    precision /= len(items)
    recall /= len(items)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def pair_scores(gold_pairs: Iterable[frozenset[str]],
                found_pairs: Iterable[frozenset[str]]) -> tuple[float, float]:
    gold, found = set(gold_pairs), set(found_pairs)
    precision = len(gold & found) / len(found) if found else 1.0
    recall = len(gold & found) / len(gold) if gold else 1.0
    return precision, recall


def token_f1(expected: str, extracted: str) -> float:
    """Bag-of-words F1 between an expected and an extracted body, the usual
    measure for main-text extraction."""
    from collections import Counter

    gold, found = Counter(expected.split()), Counter(extracted.split())
    overlap = sum((gold & found).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(found.values()), overlap / sum(gold.values())
    return 2 * precision * recall / (precision + recall)
