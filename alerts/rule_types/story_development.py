"""``story_development``: a story the rule matches (``query_string``, ``filters``)
alerts only when it gains something new since the rule last alerted on it: a
new claimant kind with a stance (a government attributing after vendors did, a
denial), a new attributed state, victim country or actor, or at least
``min_new_outlets`` new outlets. The story's first article is its baseline
(``alert_on_first: true`` alerts on it too); a rewrite that adds nothing stays
quiet.

Runs at index time, in the alert stage after percolation, for the same reasons
as ``attribution``: a development arrives with an article, which the message
names as its first reporter, and the percolator has already picked the rules
the article matches. What the story had when the rule last alerted is a
document per (rule, story) in the engine (alerts/development_state.py),
written with create or compare-and-set only: two workers racing on two
articles of one story each compute from what they read, one write wins and the
other reads again, so each development is taken in, and fired, once. The
firing's key is the story and a hash of what is new, so delivery claims send it
once per subscriber even when it is fired again (a redelivered stage finds its
own article as the state's last development and fires that again). Beat would
have had to re-read every active story on each tick to learn what one
article's arrival already says.

What counts is the story's on-topic coverage, every outlet's, up to the
article in (time, id) order; only on-topic articles trigger it (alerts/bands.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from alerts.development_state import read_state, write_state
from alerts.developments import Carrier, Development, advance, carrier_of, development_lines, replay_story, with_carrier
from alerts.rule_model import AlertRule, Firing
from alerts.rule_types import register_rule_type
from alerts.rule_types._coverage import articles_by_id, matching_articles
from alerts.rule_types._story_reads import coverage_of, rule_matches_in
from coverwatch.models import Article
from coverwatch.settings import Settings
from search.engine import SearchEngine

# Two workers rarely race more than once on a story; a bound keeps a pathological case from spinning.
MAX_WRITE_ATTEMPTS = 8


@register_rule_type
class StoryDevelopmentRule(AlertRule):
    type: Literal["story_development"] = "story_development"
    # Outlets new since the last alert that alone make a development; None: outlets never do.
    min_new_outlets: int | None = Field(default=None, ge=1, le=1000)
    alert_on_first: bool = False

    reads_engine = True
    email_template = "development_alert"

    def summary(self) -> str:
        outlets = f", or {self.min_new_outlets} new outlets" if self.min_new_outlets else ""
        return (f"story_development: new claims, states, victims or actors{outlets} in "
                f"{self.query_string or 'filters'}")

    def fires_on(self, article: Article, opened_story: bool) -> bool:
        return False  # decided by engine_firings, against the stored state

    def _firing(self, article: Article, found: Development, fired_at: datetime) -> Firing:
        lines = development_lines(found) or [f"New story: {article.title}"]
        return Firing(self, article, found.key, fired_at, "; ".join(lines),
                      {"changes": lines, "story_id": found.story_id,
                       "developments": [name.replace("\x1f", ":") for name in found.elements],
                       "new_outlets": list(found.outlets)})

    def _replayed(self, article: Article, last: dict[str, Any], fired_at: datetime) -> Firing:
        return Firing(self, article, str(last["group_key"]), fired_at, str(last.get("summary") or ""),
                      dict(last.get("details") or {}))

    def engine_firings(self, engine: SearchEngine, settings: Settings, article: Article,
                       now: datetime) -> list[Firing]:
        if article.story_id is None:
            return []  # not clustered: no story to develop
        story, own = article.story_id, carrier_of(article)
        for _ in range(MAX_WRITE_ATTEMPTS):
            stored = read_state(engine, settings, self.id, story)
            if stored is not None and stored.last.get("article_id") == article.id:
                return [self._replayed(article, stored.last, now)]  # this article's development, fired before
            carriers = with_carrier(coverage_of(engine, settings, [story], own.at).get(story, []), own)
            step = advance(stored.state if stored else None, carriers, article.id, story, self.min_new_outlets,
                           self.alert_on_first)
            if step.state is None:
                return []
            firing = self._firing(article, step.development, now) if step.development else None
            last = ({"article_id": article.id, "group_key": firing.group_key, "summary": firing.summary,
                     "details": firing.details} if firing else None)
            if write_state(engine, settings, self.id, story, step.state, last, stored, now):
                return [firing] if firing else []
        raise RuntimeError(f"rule {self.name!r}: story {story} kept changing under {MAX_WRITE_ATTEMPTS} writes")

    def preview(self, engine: SearchEngine, settings: Settings, since: datetime,
                until: datetime) -> list[Firing]:
        """The stories the rule matched in the period, replayed from their first
        article: what it would have alerted on had it existed all along."""
        stories = sorted({a.story_id for a in matching_articles(engine, settings, self, since, until) if a.story_id})
        coverage = coverage_of(engine, settings, stories, until)
        triggers = rule_matches_in(engine, settings, self, stories)
        fired: list[tuple[Carrier, Development]] = []
        for story in stories:
            fired += [(carrier, found) for carrier, found in replay_story(
                coverage.get(story, []), triggers, story, self.min_new_outlets, self.alert_on_first)
                if since <= carrier.at < until]
        articles = articles_by_id(engine, settings, [carrier.article_id for carrier, _ in fired])
        return [self._firing(articles[carrier.article_id], found, carrier.at)
                for carrier, found in fired if carrier.article_id in articles]
