"""How much an article is about state-sponsored cyber espionage, and why.

English articles are scored by the learned model (``workers.relevance_model``):
a logistic regression over the article's word and character n-grams and the
cue features below, trained on real labelled news (``coverwatch relevance
train``) and calibrated to a probability. Articles in the other languages
Coverwatch reads are scored by the cue features alone, through each language's
profile (``workers/lang``): no labelled news exists for them, and the English
model must not score text it cannot read.

Sentence cues (``workers.relevance_cues``) become a few article features a
reader can check: is a state named as the actor in the headline or lead, how
many sentences name one and how firmly, how much of the article is about the
state rather than about crime or a patch, and whether the headline itself is
about crime or a patch with no state in it (a state in the body of such a piece
is mostly background). A nationality beside a gang or a fraudster ("Russian
hackers in a crime gang") is not read as an implied state. A sentence that
raises a state only as a possibility ("could be state-sponsored") or denies one
("not state-sponsored") does not count as naming it. The cue-only model's
weights are ``relevance_weights.json`` (``bench/train_relevance.py``).

Two thresholds cut the score into bands: ``on_topic`` is indexed and alerts,
``possible`` is indexed and searchable, and reaches only subscribers who asked
for such items in their digests, ``off_topic`` is dropped unless the source
keeps it. Each model carries its own operating point; the settings override it
only when set. Every score names the model version that gave it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from coverwatch.settings import get_settings
from coverwatch.taxonomy import Actor
from workers.lang import profile
from workers.lang import split_sentences as native_sentences
from workers.lang.cues import native_sentence_cues
from workers.phrases import split_sentences
from workers.relevance_cues import SentenceCues, headline_cues, sentence_cues
from workers.relevance_evidence import FEATURE_LABELS, describe
from workers.relevance_model import LearnedRelevanceModel, shipped_learned_model

WEIGHTS_FILE = Path(__file__).with_name("relevance_weights.json")
# The cue-only model (other languages) and the operating point chosen for it on
# relevance-dev (bench/relevance_dev.py before the learned model).
CUE_MODEL_VERSION = "cues-2026.11"
CUE_OPERATING_POINT = (0.38, 0.08)
# Languages the learned model reads; the others keep their cue profiles.
LEARNED_LANGUAGES = frozenset({"en"})
# The headline, the lead and the first body sentences say what an article is about.
LEAD_BODY_SENTENCES = 2

FEATURES = tuple(FEATURE_LABELS)


class RelevanceBand(StrEnum):
    ON_TOPIC = "on_topic"
    POSSIBLE = "possible"
    OFF_TOPIC = "off_topic"


@dataclass(frozen=True)
class RelevanceThresholds:
    on_topic: float
    possible: float

    @classmethod
    def from_settings(cls, default: RelevanceThresholds | None = None) -> RelevanceThresholds:
        """The settings' thresholds where set, else ``default`` (a model's own
        operating point), else the learned English model's."""
        settings = get_settings()
        if default is None:
            learned = shipped_learned_model()
            default = cls(learned.on_topic, learned.possible)
        return cls(default.on_topic if settings.relevance_on_topic is None else settings.relevance_on_topic,
                   default.possible if settings.relevance_possible is None else settings.relevance_possible)

    def band(self, score: float) -> RelevanceBand:
        if score >= self.on_topic:
            return RelevanceBand.ON_TOPIC
        return RelevanceBand.POSSIBLE if score >= self.possible else RelevanceBand.OFF_TOPIC


@dataclass(frozen=True)
class Relevance:
    score: float
    band: RelevanceBand
    evidence: list[str] = field(default_factory=list)
    model_version: str = CUE_MODEL_VERSION

    @property
    def on_topic(self) -> bool:
        return self.band is RelevanceBand.ON_TOPIC


@dataclass(frozen=True)
class RelevanceModel:
    intercept: float
    weights: dict[str, float]

    def contributions(self, features: dict[str, float]) -> dict[str, float]:
        return {name: self.weights.get(name, 0.0) * value for name, value in features.items()}

    def score(self, features: dict[str, float]) -> float:
        return 1 / (1 + math.exp(-(self.intercept + sum(self.contributions(features).values()))))


@lru_cache(maxsize=1)
def shipped_model() -> RelevanceModel:
    document = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    return RelevanceModel(float(document["intercept"]), {k: float(v) for k, v in document["weights"].items()})


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _count(sentences: Sequence[SentenceCues], wanted: str) -> float:
    return math.log1p(sum(1 for cues in sentences if getattr(cues, wanted)))


def article_features(lead: Sequence[SentenceCues], body: Sequence[SentenceCues]) -> dict[str, float]:
    every = [*lead, *body]
    firm_state = [c for c in every if c.state and not (c.negated or c.hypothetical)]
    state_ish = [c for c in every if (c.any_state or c.unlinked_actor) and not (c.negated or c.hypothetical)]
    crime = sum(1 for c in every if c.crime)
    patch = sum(1 for c in every if c.patch)
    return {
        "state_in_lead": float(any(c.state and not (c.negated or c.hypothetical) for c in lead)),
        "implied_state_in_lead": float(any(_implied_only(c) for c in lead)),
        "state_sentences": math.log1p(len(firm_state)),
        "implied_state_sentences": math.log1p(sum(1 for c in every if _implied_only(c) and not c.negated)),
        "state_tool_sentences": _count(every, "state_tools"),
        "espionage_in_lead": float(any(c.espionage for c in lead)),
        "espionage_sentences": _count(every, "espionage"),
        "state_operation_sentences": math.log1p(sum(1 for c in every if c.operation and c.any_state)),
        "attributed_sentences": math.log1p(sum(1 for c in every if c.any_state and c.firm and not c.negated)),
        # Only when nothing firmer is said: on-topic reporting weighs possibilities too.
        "state_only_hypothetical": float(not firm_state and any(c.any_state and c.hypothetical for c in every)),
        "negated_state": float(any(c.negated for c in every)),
        "crime_in_lead": float(any(c.crime for c in lead)),
        "crime_share": _share(crime, len(every)),
        "patch_in_lead": float(any(c.patch for c in lead)),
        "patch_share": _share(patch, len(every)),
        "state_share": _share(len(state_ish), len(state_ish) + crime + patch),
        "state_in_title": float(any(c.in_title and _names_state(c) for c in lead)),
        "title_crime_or_patch": float(any(c.in_title and (c.crime or c.criminal_actor or c.patch) for c in lead)
                                      and not any(c.in_title and (_names_state(c) or c.espionage) for c in lead)),
    }


def _implied_only(cues: SentenceCues) -> bool:
    """A nationality or an untied group as the actor, with no state named and no
    gang or fraudster beside it ("Russian-speaking hackers, a gang that sold cards"
    names a criminal, not a state)."""
    return bool(cues.implied_state or cues.unlinked_actor) and not (cues.state or cues.criminal_actor)


def _names_state(cues: SentenceCues) -> bool:
    return (cues.any_state or bool(cues.unlinked_actor)) and not (cues.negated or cues.hypothetical)


def split_cues(title: str, lead: str, body: str, actors: Sequence[Actor],
               language: str = "en") -> tuple[list[SentenceCues], list[SentenceCues]]:
    """Cues of the headline-and-lead sentences and of the rest of the body. A
    language with a profile (workers/lang) is read with its own vocabulary."""
    native = profile(language)
    if native is not None:
        headline = list(native_sentences(title, language))
        head = [*headline, *native_sentences(lead, language)]
        rest = list(native_sentences(body, language))
        head += rest[:LEAD_BODY_SENTENCES]
        lead_cues = [native_sentence_cues(s, actors, native) for s in head]
        body_cues = [native_sentence_cues(s, actors, native) for s in rest[LEAD_BODY_SENTENCES:]]
        for cues in lead_cues[:len(headline)]:
            cues.in_title = True
        return lead_cues, body_cues
    headline = list(split_sentences(title))
    rest = list(split_sentences(body))
    lead_cues = [headline_cues(s, actors) for s in headline]
    lead_cues += [sentence_cues(s, actors) for s in [*split_sentences(lead), *rest[:LEAD_BODY_SENTENCES]]]
    return lead_cues, [sentence_cues(s, actors) for s in rest[LEAD_BODY_SENTENCES:]]


def is_dropped(band: str | None) -> bool:
    """Only the off-topic band leaves the pipeline; "possible" stays searchable."""
    return band == RelevanceBand.OFF_TOPIC


def relevance_features(title: str, lead: str, body: str, actors: Sequence[Actor],
                       language: str = "en") -> dict[str, float]:
    """The model's input for one article; the trainer reads the same function."""
    return article_features(*split_cues(title, lead, body, actors, language))


def score_relevance(title: str, lead: str, body: str, actors: Sequence[Actor], claim_type: str | None = None,
                    thresholds: RelevanceThresholds | None = None,
                    model: RelevanceModel | None = None, language: str = "en",
                    learned: LearnedRelevanceModel | None = None) -> Relevance:
    """Score, band, evidence and model version for one article. ``actors``: the
    taxonomy actors the enrich stage found in it; ``claim_type``: its attribution
    claim, for the evidence. English goes to the learned model unless a cue
    ``model`` is given; other languages to the cue model."""
    lead_cues, body_cues = split_cues(title, lead, body, actors, language)
    features = article_features(lead_cues, body_cues)
    if language in LEARNED_LANGUAGES and model is None:
        learned = learned or shipped_learned_model()
        scored = learned.score(title, lead, body, features)
        score = round(scored.probability, 3)
        band = (thresholds or RelevanceThresholds.from_settings(RelevanceThresholds(learned.on_topic,
                                                                                    learned.possible))).band(score)
        evidence = describe(lead_cues, body_cues, scored.cue_contributions, claim_type, scored.term_contributions)
        return Relevance(score, band, evidence, learned.version)
    model = model or shipped_model()
    score = round(model.score(features), 3)
    band = (thresholds or RelevanceThresholds.from_settings(RelevanceThresholds(*CUE_OPERATING_POINT))).band(score)
    return Relevance(score, band, describe(lead_cues, body_cues, model.contributions(features), claim_type),
                     CUE_MODEL_VERSION)
