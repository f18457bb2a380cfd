"""The relevance bands as alerting sees them.

Every article is scored into a band (workers/relevance.py): ``on_topic``
alerts every subscription of a matching rule; ``possible`` is matched too, but
reaches only a stored subscription that opted in (``include_possible``), and
only as an entry of that subscriber's next digest, never as a message of its
own; ``off_topic`` (indexed only when a source keeps it) never alerts.

The rule types that count matches from beat (threshold, story_growth, spike,
new_term, flatline) count on-topic articles only (search/queries.py,
``_alertable_between`` and ``_alertable_after``): an opt-in belongs to one
subscription, a count to the rule, so counting possible items would change
what fires for every subscriber of the rule.
"""

from __future__ import annotations

from enum import StrEnum

from coverwatch.models import Article


class Band(StrEnum):
    # The values of workers.relevance.RelevanceBand, as articles store them;
    # spelled out here because alerts/ does not import the enrichment code.
    ON_TOPIC = "on_topic"
    POSSIBLE = "possible"
    OFF_TOPIC = "off_topic"


def band_of(article: Article) -> Band:
    """The band an article alerts as. Articles scored before bands existed carry
    only ``on_topic`` (or nothing) and alert as they always did."""
    if article.relevance_band == Band.POSSIBLE:
        return Band.POSSIBLE
    if article.relevance_band == Band.OFF_TOPIC or article.on_topic is False:
        return Band.OFF_TOPIC
    return Band.ON_TOPIC


def percolates(article: Article) -> bool:
    """Whether the alert stage matches the article against the rules at all."""
    return band_of(article) is not Band.OFF_TOPIC
