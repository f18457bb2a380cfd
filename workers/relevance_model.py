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
from functools import lru_cache
from pathlib import Path
from typing import Any

from coverwatch.settings import get_settings
from workers.relevance_text import field_terms, weighted_terms

MODEL_FILE = Path(__file__).with_name("relevance_model.json")


class RelevanceModelError(ValueError):
    """A model file that cannot be used: the message names the file and the part."""


@dataclass(frozen=True)
class Scored:
    probability: float
    # What moved the raw score, term or cue feature -> weight x value.
    term_contributions: dict[str, float] = field(default_factory=dict)
    cue_contributions: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class LearnedRelevanceModel:
    version: str
    intercept: float
    idf: dict[str, float]
    term_weights: dict[str, float]
    cue_weights: dict[str, float]
    cue_scale: float
    calibration: tuple[float, float]  # Platt: p = 1 / (1 + exp(-(a * raw + b)))
    on_topic: float
    possible: float
    card: dict[str, Any] = field(default_factory=dict)

    def raw_score(self, terms: Mapping[str, float], cues: Mapping[str, float]) -> Scored:
        """The linear score before calibration, with what made it (probability 0 here)."""
        term_part = {term: self.term_weights[term] * value for term, value in terms.items()
                     if term in self.term_weights}
        cue_part = {name: self.cue_weights.get(name, 0.0) * value * self.cue_scale for name, value in cues.items()}
        raw = self.intercept + sum(term_part.values()) + sum(cue_part.values())
        return Scored(raw, term_part, cue_part)

    def calibrate(self, raw: float) -> float:
        a, b = self.calibration
        exponent = -(a * raw + b)
        # Guard the tails: a long article of nothing but cues must not overflow exp.
        return 1.0 / (1.0 + math.exp(min(exponent, 700.0)))

    def score(self, title: str, lead: str, body: str, cues: Mapping[str, float]) -> Scored:
        terms = weighted_terms(field_terms(title, lead, body), self.idf)
        raw = self.raw_score(terms, cues)
        return Scored(self.calibrate(raw.probability), raw.term_contributions, raw.cue_contributions)

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
            "terms": {term: [round(self.idf[term], 4), round(self.term_weights[term], 5)]
                      for term in sorted(self.term_weights, key=lambda t: -abs(self.term_weights[t]))},
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any], source: str = "model") -> LearnedRelevanceModel:
        try:
            terms = document["terms"]
            return cls(
                version=str(document["version"]),
                intercept=float(document["intercept"]),
                idf={term: float(pair[0]) for term, pair in terms.items()},
                term_weights={term: float(pair[1]) for term, pair in terms.items()},
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
