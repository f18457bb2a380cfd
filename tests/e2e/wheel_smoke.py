"""Run by tests/e2e/test_wheel.py inside the installed wheel (``PYTHONPATH`` = the
install folder, cwd outside the checkout): the product must come from that
folder and find its templates and static files there. Prints what it rendered."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx

import alerts
import console.main
import coverwatch
import search
import web
from alerts.email import render_alert_email
from alerts.messages import alert_context
from coverwatch.models import Article
from coverwatch.settings import Settings
from web.app import create_app


def _from_the_wheel(installed: Path) -> None:
    for package in (coverwatch, alerts, search, web, console.main):
        where = Path(str(package.__file__)).resolve()
        if not where.is_relative_to(installed):
            raise SystemExit(f"{package.__name__} imported from {where}, not from {installed}")


def _email() -> str:
    settings = Settings(public_url="https://coverwatch.example")
    article = Article(url="https://news.example.com/volt", title="Volt Typhoon in the grid",
                      body="Volt Typhoon hid in water utilities for months. " * 5, source="grid-news",
                      published_at=datetime(2026, 11, 19, 6, 0, tzinfo=UTC), story_id="s123")
    context = alert_context("r1", "Grid", "match", '"Volt Typhoon"', article, settings, "<d1@coverwatch.local>", "")
    message = render_alert_email(context, "desk@example.org", settings)
    html = message.get_body(("html",))
    if html is None or "Volt Typhoon in the grid" not in html.get_content():
        raise SystemExit("the alert email has no html body with the article")
    return str(message["Subject"])


async def _pages() -> tuple[int, str, int]:
    transport = httpx.ASGITransport(app=create_app(Settings()))
    async with httpx.AsyncClient(transport=transport, base_url="http://coverwatch.test") as client:
        login = await client.get("/login")
        stylesheet = await client.get("/static/coverwatch.css")
    return login.status_code, login.text, stylesheet.status_code


def main() -> None:
    _from_the_wheel(Path(sys.argv[1]).resolve())
    print(f"email subject: {_email()}")
    status, page, css = asyncio.run(_pages())
    if status != 200 or "Sign in" not in page or css != 200:
        raise SystemExit(f"login page {status}, stylesheet {css}")
    print(f"login page: {status}, {len(page)} characters; stylesheet: {css}")


if __name__ == "__main__":
    main()
