"""Microsoft Teams incoming webhooks and workflows (``*.webhook.office.com``,
``outlook.office.com`` or any URL written ``teams+https://...``): an Adaptive
Card with the article, its facts and links."""

from __future__ import annotations

import re
from typing import Any

from alerts.channels import register_channel
from alerts.channels._chat import TEXT_CHARS, TITLE_CHARS, ChatChannel, facts, safe_link, shorten
from alerts.messages import AlertContext


def teams_escape(text: str) -> str:
    """Backslash before the characters Teams' markdown acts on, so a title
    cannot bold, link or list anything."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!<>~|])", r"\\\1", text)


@register_channel
class TeamsChannel(ChatChannel):
    kind = "teams"
    hosts = ("webhook.office.com", "outlook.office.com")
    host_subdomains = True

    def message(self, context: AlertContext) -> dict[str, Any]:
        article = context.article
        body: list[dict[str, Any]] = [
            {"type": "TextBlock", "text": teams_escape(shorten(article.title, TITLE_CHARS)), "weight": "Bolder",
             "size": "Medium", "wrap": True},
            {"type": "TextBlock", "text": teams_escape(shorten(context.lead, TEXT_CHARS)), "wrap": True},
            {"type": "FactSet", "facts": [{"title": name, "value": teams_escape(value)}
                                          for name, value in facts(context)]},
        ]
        actions = [{"type": "Action.OpenUrl", "title": label, "url": url}
                   for label, url in (("Read the article", article.canonical_url or article.url),
                                      ("Story", context.story_url), ("Search", context.search_url))
                   if url and safe_link(url)]
        card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
                "version": "1.4", "body": body, "actions": actions}
        return {"type": "message", "summary": f"[Coverwatch] {context.rule_name}: {article.title}"[:TITLE_CHARS],
                "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]}
