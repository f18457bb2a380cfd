"""Fixtures of the UI tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from coverwatch.settings import Settings


@pytest.fixture(scope="module")
def screenshots(settings: Settings) -> Path:
    """Where the UI tests leave what the browser showed, for a reviewer to look at."""
    folder = settings.var_dir / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
