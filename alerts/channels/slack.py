"""Slack incoming webhooks (``hooks.slack.com`` or any URL written
``slack+https://...``): a Block Kit message with the article, its facts and
links to the story and the search."""

from __future__ import annotations

from typing import Any

from alerts.channels import register_channel
from alerts.channels._chat import TEXT_CHARS, TITLE_CHARS, ChatChannel, facts, safe_link, shorten
from alerts.messages import AlertContext


def slack_escape(text: str) -> str:
    # Slack's mrkdwn reads <...> as links and mentions; these three are all it asks to escape.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@register_channel
class SlackChannel(ChatChannel):
    kind = "slack"
    hosts = ("hooks.slack.com",)

    def message(self, context: AlertContext) -> dict[str, Any]:
        article = context.article
        title = slack_escape(shorten(article.title, TITLE_CHARS))
        link = safe_link(article.canonical_url or article.url)
        heading = f"*<{link}|{title}>*" if link else f"*{title}*"
        fact_lines = "\n".join(f"*{name}:* {slack_escape(value)}" for name, value in facts(context))
        links = [f"<{url}|{label}>" for label, url in (("Story", context.story_url), ("Search", context.search_url))
                 if url and safe_link(url)]
        blocks: list[dict[str, Any]] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": heading}},
            {"type": "section", "text": {"type": "mrkdwn", "text": shorten(slack_escape(context.lead), TEXT_CHARS)}},
            {"type": "section", "text": {"type": "mrkdwn", "text": fact_lines}},
        ]
        if links:
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(links)}]})
        # ``text`` is what notifications and clients without blocks show.
        return {"text": f"[Coverwatch] {slack_escape(context.rule_name)}: {title}", "blocks": blocks}
