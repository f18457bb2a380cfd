"""The learned relevance model: one logistic regression over the article's
word and character n-grams (``workers.relevance_text``) and the explainable
cue features (``workers.relevance.article_features``), calibrated to a
probability by a Platt sigmoid fitted on out-of-fold scores.

It ships as ``relevance_model.json`` (terms with their idf and weight, the cue
weights, the calibration, the operating point and the training figures),
written by ``coverwatch relevance train``; ``version`` names the file's
contents and is stored on every article it scores. Pure, and no scikit-learn
at run time: scoring is a sparse dot product.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from coverwatch.settings import get_settings
from workers.relevance_text import SUBLINEAR, SUBLINEAR_SIZE, FieldWeights, field_terms, split_name, term_name

MODEL_FILE = Path(__file__).with_name("relevance_model.json")


class RelevanceModelError(ValueError):
    """A model file that cannot be used: the message names the file and the part."""


@dataclass(frozen=True)
class Scored:
    probability: float
    # What moved the raw score: field -> term -> weight x value, and cue feature -> weight x value.
    term_contributions: FieldWeights = field(default_factory=dict)
    cue_contributions: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class LearnedRelevanceModel:
    version: str
    intercept: float
    # field -> term -> idf / weight (workers.relevance_text spells the terms).
    idf: FieldWeights
    term_weights: FieldWeights
    cue_weights: dict[str, float]
    cue_scale: float
    calibration: tuple[float, float]  # Platt: p = 1 / (1 + exp(-(a * raw + b)))
    on_topic: float
    possible: float
    card: dict[str, Any] = field(default_factory=dict)

    @property
    def term_count(self) -> int:
        return sum(len(terms) for terms in self.term_weights.values())

    def raw_score(self, terms: Mapping[str, Mapping[str, float]], cues: Mapping[str, float]) -> Scored:
        """The linear score before calibration (in ``probability``), with what made it."""
        term_part: FieldWeights = {}
        for field_name, values in terms.items():
            weights = self.term_weights.get(field_name, {})
            term_part[field_name] = {term: weights[term] * value for term, value in values.items() if term in weights}
        cue_part = {name: self.cue_weights.get(name, 0.0) * value * self.cue_scale for name, value in cues.items()}
        raw = self.intercept + sum(sum(part.values()) for part in term_part.values()) + sum(cue_part.values())
        return Scored(raw, term_part, cue_part)

    def calibrate(self, raw: float) -> float:
        a, b = self.calibration
        exponent = -(a * raw + b)
        # Guard the tails: a long article of nothing but cues must not overflow exp.
        return 1.0 / (1.0 + math.exp(min(exponent, 700.0)))

    def score(self, title: str, lead: str, body: str, cues: Mapping[str, float]) -> Scored:
        """``raw_score(weighted_terms(...))`` calibrated, in one pass per field
        (scoring runs on every article; training takes the plain path)."""
        term_part: FieldWeights = {}
        raw = self.intercept
        for field_name, counts in field_terms(title, lead, body).items():
            vocabulary = self._vocabulary.get(field_name, {})
            known = [(term, SUBLINEAR[min(count, SUBLINEAR_SIZE - 1)] * pair[0], pair[1])
                     for term, count in counts.items() if (pair := vocabulary.get(term)) is not None]
            norm = math.sqrt(sum(value * value for _, value, _ in known))
            if norm:
                scale = 1.0 / norm
                part = term_part[field_name] = {term: weight * value * scale for term, value, weight in known}
                raw += sum(part.values())
        cue_part = {name: self.cue_weights.get(name, 0.0) * value * self.cue_scale for name, value in cues.items()}
        return Scored(self.calibrate(raw + sum(cue_part.values())), term_part, cue_part)

    @cached_property
    def _vocabulary(self) -> dict[str, dict[str, tuple[float, float]]]:
        return {field_name: {term: (self.idf[field_name][term], weight) for term, weight in weights.items()}
                for field_name, weights in self.term_weights.items()}

    def to_document(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "card": self.card,
            "operating_point": {"on_topic": self.on_topic, "possible": self.possible},
            "calibration": {"a": self.calibration[0], "b": self.calibration[1]},
            "intercept": self.intercept,
            "cue_scale": self.cue_scale,
            "cue_weights": self.cue_weights,
            # [idf, weight] per term, heaviest first, so the file reads as its own explanation.
            "terms": {term_name(field_name, term): [round(self.idf[field_name][term], 4), round(weight, 5)]
                      for field_name, term, weight in sorted(
                          ((f, t, w) for f, weights in self.term_weights.items() for t, w in weights.items()),
                          key=lambda entry: (-abs(entry[2]), entry[0], entry[1]))},
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any], source: str = "model") -> LearnedRelevanceModel:
        try:
            idf: FieldWeights = {}
            weights: FieldWeights = {}
            for name, (term_idf, weight) in document["terms"].items():
                field_name, term = split_name(name)
                idf.setdefault(field_name, {})[term] = float(term_idf)
                weights.setdefault(field_name, {})[term] = float(weight)
            return cls(
                version=str(document["version"]),
                intercept=float(document["intercept"]),
                idf=idf,
                term_weights=weights,
                cue_weights={name: float(weight) for name, weight in document["cue_weights"].items()},
                cue_scale=float(document["cue_scale"]),
                calibration=(float(document["calibration"]["a"]), float(document["calibration"]["b"])),
                on_topic=float(document["operating_point"]["on_topic"]),
                possible=float(document["operating_point"]["possible"]),
                card=dict(document.get("card") or {}),
            )
        except (KeyError, TypeError, ValueError, IndexError) as error:
            raise RelevanceModelError(f"{source}: not a relevance model ({error!r})") from error


def model_file_text(model: LearnedRelevanceModel) -> str:
    """The model as JSON with one term a line, so a retrained model diffs readably."""
    document = model.to_document()
    terms = document.pop("terms")
    head = json.dumps(document, indent=1, ensure_ascii=False)
    lines = [f" {json.dumps(term, ensure_ascii=False)}: {json.dumps(pair)}" for term, pair in terms.items()]
    return head[:-2] + ',\n "terms": {\n' + ",\n".join(lines) + "\n }\n}\n"


def load_model(path: Path) -> LearnedRelevanceModel:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RelevanceModelError(f"{path}: cannot read ({error})") from error
    return LearnedRelevanceModel.from_document(document, str(path))


@lru_cache(maxsize=1)
def shipped_learned_model() -> LearnedRelevanceModel:
    """The deployment's model: ``COVERWATCH_RELEVANCE_MODEL_FILE`` if set, else the shipped one."""
    return load_model(get_settings().relevance_model_file or MODEL_FILE)
