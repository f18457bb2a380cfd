"""``match``: every matching article alerts as it is indexed (the percolator),
once per story, or per article while it has no story."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from alerts.rule_model import AlertRule, Firing
from alerts.rule_types import register_rule_type
from alerts.rule_types._coverage import matching_articles
from coverwatch.models import Article
from coverwatch.settings import Settings
from search.engine import SearchEngine


def story_key(article: Article) -> str:
    return article.story_id or article.id


@register_rule_type
class MatchRule(AlertRule):
    type: Literal["match"] = "match"

    def preview(self, engine: SearchEngine, settings: Settings, since: datetime,
                until: datetime) -> list[Firing]:
        firings: dict[str, Firing] = {}
        for article in matching_articles(engine, settings, self, since, until):
            key = story_key(article)
            if key not in firings:  # the first match of a story is the one that alerts
                firings[key] = Firing(self, article, key, article.published_at or article.crawled_at)
        return list(firings.values())
