"""Signing a headless browser in through the real login page."""

from __future__ import annotations

from typing import Any


def sign_in(page: Any, base_url: str, name: str, password: str) -> None:
    page.goto(base_url + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("form.login button[type=submit]")
    page.wait_for_selector("form.account")
