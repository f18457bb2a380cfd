"""Debian's headless Chromium driven by Playwright for the UI tests, signed in
through the real login page when a test needs a user."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# No sandbox (CI runs as root), and nothing that would reach for the internet.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def sign_in(page: Any, base_url: str, name: str, password: str) -> None:
    page.goto(base_url + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("form.login button[type=submit]")
    page.wait_for_selector("form.account")


@contextmanager
def chromium_page(base_url: str = "", login: tuple[str, str] | None = None, *,
                  height: int = 900) -> Iterator[Any]:
    """A page of a fresh headless Chromium, signed in as ``login`` (name,
    password) at ``base_url`` when given; the browser is closed after."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": height})
            if login is not None:
                sign_in(page, base_url, *login)
            yield page
        finally:
            browser.close()
