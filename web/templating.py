"""The Jinja environment every analyst page renders with (autoescaping on).

Each page is told who is signed in (``principal``: name, role and the session's
CSRF token for its forms), so the header can offer the logout button.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel import Locale
from fastapi import Request
from fastapi.templating import Jinja2Templates

from web.page_parts import web_href
from workers.indicators import defang

HERE = Path(__file__).parent


def _signed_in(request: Request) -> dict[str, Any]:
    return {"principal": getattr(request.state, "principal", None)}


_ENGLISH_NAMES = Locale("en").languages


def language_name(code: str) -> str:
    """A language code as analysts read it ("nl" is "Dutch"); unknown codes as they are."""
    return str(_ENGLISH_NAMES.get(code, code))


TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"), context_processors=[_signed_in])
TEMPLATES.env.filters["web_href"] = web_href
TEMPLATES.env.filters["language_name"] = language_name
# Indicators are stored refanged (for copying from the API); a page shows them unclickable.
TEMPLATES.env.filters["defang"] = defang
