"""Text cosines of one article against many candidates in a few array operations.

Story assignment scores each article against every candidate the engine found
and every earlier article of its batch that shares its top terms; when a batch
covers few incidents that is a hundred or more cosines per article, and the
Python loop over shared terms was most of the assignment's CPU. Here each
vector becomes a sorted array of term numbers and an array of weights, made once
per vector, and the dot products with all candidates are one sorted look-up, one
product and one segmented sum. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# Term numbers are only compared with each other: a fresh numbering (when this one
# has grown large in a long-lived worker) just makes the arrays again.
MAX_NUMBERED_TERMS = 1_000_000


class _TermNumbers:
    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}

    def of(self, terms: Sequence[str]) -> npt.NDArray[np.int64]:
        numbers = self.numbers
        return np.fromiter((numbers.setdefault(term, len(numbers)) for term in terms), dtype=np.int64,
                           count=len(terms))


_numbering = _TermNumbers()


@dataclass(frozen=True, eq=False)
class TermArrays:
    """A vector as term numbers (ascending) and their weights, under one numbering."""

    numbering: _TermNumbers
    numbers: npt.NDArray[np.int64]
    weights: npt.NDArray[np.float64]

    @property
    def current(self) -> bool:
        return self.numbering is _numbering


def renumber_if_large() -> None:
    """Begin a fresh numbering once this one is large; called before a set of
    arrays is made, never while one is, so arrays compared together share one."""
    global _numbering
    if len(_numbering.numbers) > MAX_NUMBERED_TERMS:
        _numbering = _TermNumbers()


def term_arrays(vector: Mapping[str, float]) -> TermArrays:
    numbers = _numbering.of(list(vector))
    weights = np.fromiter(vector.values(), dtype=np.float64, count=len(numbers))
    order = np.argsort(numbers)
    return TermArrays(_numbering, numbers[order], weights[order])


def cosines(mine: TermArrays, others: Sequence[TermArrays]) -> list[float]:
    """The dot product of ``mine`` with each of ``others`` (L2-normalised vectors:
    their cosines). All must come from one numbering (``TermArrays.current``).
    Equal to the plain sum over shared terms up to the rounding of the last bit."""
    if not others:
        return []
    if mine.numbers.size == 0:
        return [0.0] * len(others)
    lengths = np.fromiter((other.numbers.size for other in others), dtype=np.int64, count=len(others))
    filled = lengths > 0  # reduceat cannot sum an empty segment: vectors without terms share none
    if not filled.any():
        return [0.0] * len(others)
    numbers = np.concatenate([other.numbers for other in others])
    weights = np.concatenate([other.weights for other in others])
    places = np.minimum(np.searchsorted(mine.numbers, numbers), mine.numbers.size - 1)
    products = np.where(mine.numbers[places] == numbers, mine.weights[places] * weights, 0.0)
    starts = np.cumsum(lengths[filled]) - lengths[filled]
    sums = np.zeros(len(others))
    sums[filled] = np.add.reduceat(products, starts)
    return [float(value) for value in sums]
