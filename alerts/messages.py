"""One context per alert, built once; every channel renders its message from it
(email through templates, webhooks as JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from coverwatch.models import Article
from coverwatch.settings import Settings

LEAD_CHARS = 400


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


@dataclass(frozen=True)
class AlertContext:
    rule_id: str
    rule_name: str
    rule_type: str
    query_string: str
    article: Article
    message_id: str
    # What the rule type adds ("reached 5 outlets within 6 hours"); empty for plain matches.
    summary: str
    details: dict[str, Any]
    lead: str
    published: str
    search_url: str
    story_url: str
    # The folder of alerts/templates/ an email of it is rendered from (the rule type's).
    template: str = "article_alert"

    def template_values(self, recipient: str) -> dict[str, Any]:
        """What the Jinja templates see."""
        return {
            "rule": {"id": self.rule_id, "name": self.rule_name, "type": self.rule_type,
                     "query_string": self.query_string},
            "article": self.article,
            "subscriber": recipient,
            "summary": self.summary,
            "details": self.details,
            "lead": self.lead,
            "published": self.published,
            "search_url": self.search_url,
            "story_url": self.story_url,
        }

    def payload(self) -> dict[str, Any]:
        """The JSON a webhook receives: plain fields, no markup."""
        article = self.article
        return {
            "message_id": self.message_id,
            "rule": {"id": self.rule_id, "name": self.rule_name, "type": self.rule_type,
                     "query_string": self.query_string},
            "summary": self.summary,
            "details": self.details,
            "article": {
                "id": article.id, "title": article.title, "url": article.canonical_url,
                "source": article.source, "language": article.language,
                "published_at": article.published_at.isoformat() if article.published_at else None,
                "lead": self.lead, "story_id": article.story_id, "actors": article.actor_names,
                "attributed_states": article.attributed_states, "victim_countries": article.victim_countries,
                "claim_type": article.claim_type, "relevance": article.relevance,
            },
            "story_url": self.story_url or None,
            "search_url": self.search_url,
        }


def alert_context(rule_id: str, rule_name: str, rule_type: str, query_string: str, article: Article,
                  settings: Settings, message_id: str, summary: str = "",
                  details: dict[str, Any] | None = None, template: str = "article_alert") -> AlertContext:
    search_terms = query_string or article.title
    return AlertContext(
        rule_id=rule_id, rule_name=rule_name, rule_type=rule_type, query_string=query_string,
        article=article, message_id=message_id, summary=summary, details=dict(details or {}),
        lead=shorten(article.lead or article.body, LEAD_CHARS),
        published=article.published_at.strftime("%d %b %Y %H:%M UTC") if article.published_at else "",
        search_url=f"{settings.public_url}/?{urlencode({'q': search_terms})}",
        story_url=f"{settings.public_url}/stories/{quote(article.story_id)}" if article.story_id else "",
        template=template,
    )
