"""``new_story``: the article that opens a new story alerts when it matches;
later coverage of the story stays quiet."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from alerts.rule_model import AlertRule, Firing
from alerts.rule_types import register_rule_type
from alerts.rule_types._coverage import first_article_ids, matching_articles
from coverwatch.models import Article
from coverwatch.settings import Settings
from search.engine import SearchEngine


@register_rule_type
class NewStoryRule(AlertRule):
    type: Literal["new_story"] = "new_story"

    def fires_on(self, article: Article, opened_story: bool) -> bool:
        return opened_story

    def percolated_firing(self, article: Article, now: datetime) -> Firing:
        return Firing(self, article, article.story_id or article.id, now, "opened a new story",
                      {"opened_story": article.story_id})

    def preview(self, engine: SearchEngine, settings: Settings, since: datetime,
                until: datetime) -> list[Firing]:
        matches = [article for article in matching_articles(engine, settings, self, since, until)
                   if article.story_id]
        firsts = first_article_ids(engine, settings, [article.story_id or "" for article in matches])
        return [Firing(self, article, article.story_id or article.id, article.published_at or article.crawled_at,
                       "opened a new story", {"opened_story": article.story_id})
                for article in matches if firsts.get(article.story_id or "") == article.id]
