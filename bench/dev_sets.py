"""Where the shared development sets live: ``../shared`` beside the checkout,
or ``COVERWATCH_SHARED_DIR``. Their texts are read from there at run time and
never copied into the repository."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    return Path(os.environ.get("COVERWATCH_SHARED_DIR") or ROOT.parent / "shared")
