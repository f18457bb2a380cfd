"""The attribution ledger (issue 22, part 2): who says who did it, across a
story's articles (or an actor's stories), each statement once.

Pure: articles in (the stored documents, or any mappings with ``id``, ``title``,
``source``, ``published_at``/``event_time``/``crawled_at``, ``url``,
``story_id`` and the ``claims`` workers/attribution/ extracts), rows out.

- :func:`fold_claims` folds every claim into :class:`LedgerRow` s: the same
  claimant (names compared case- and space-insensitively, without a leading
  "the") with the same stance about the same subject is one row, holding the
  first article that carried it, the outlets and articles repeating it and every
  name the claimant gave the subject. A subject is the taxonomy actor it names
  (any alias), else the state it names, else its words; no subject but a
  subject state is that state. Rows come in the order they first appeared.
- :func:`group_rows` groups them by claimant kind (governments first).
- :func:`attribution_summary` is the state of attribution in one line, built
  from the rows: government attributions with their countries and first date,
  who denies, disputes, declines to confirm or confirms, and the names vendors
  give the same actor.
- :func:`story_ledger` is all three for one story's articles.

The actor's view (its ledger across stories, first government attribution and
naming crosswalk) is workers/attribution/actor_ledger.py; the folding is in
ledger_rows.py and the line in ledger_summary.py, all importable from here.
Reading the articles from the engine is search/claim_ledger.py; a caller
composes the two, e.g.
``story_ledger(story_claim_articles(engine, settings, story_id))``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from coverwatch.taxonomy import Taxonomy
from workers.attribution.ledger_rows import (
    KIND_TITLES,
    ArticleRef,
    ClaimFilter,
    ClaimGroup,
    Ledger,
    LedgerRow,
    SubjectIndex,
    article_date,
    article_ref,
    fold_claims,
    group_rows,
    normalise_name,
    subject_index,
)
from workers.attribution.ledger_summary import attribution_summary, state_name

__all__ = [
    "KIND_TITLES",
    "ArticleRef",
    "ClaimFilter",
    "ClaimGroup",
    "Ledger",
    "LedgerRow",
    "SubjectIndex",
    "article_date",
    "article_ref",
    "attribution_summary",
    "fold_claims",
    "group_rows",
    "normalise_name",
    "state_name",
    "story_ledger",
    "subject_index",
]


def story_ledger(articles: Iterable[Mapping[str, Any]], taxonomy: Taxonomy | None = None) -> Ledger:
    """A story's ledger: its articles' claims folded, grouped, and summed up in one line."""
    index = subject_index(taxonomy)
    rows, claims, carrying = fold_claims(articles, index)
    return Ledger(attribution_summary(rows), rows, group_rows(rows), claims, carrying)
