"""Where the shared development sets live: ``../shared`` beside the checkout,
or ``COVERWATCH_SHARED_DIR``. Their texts are read from there at run time and
never copied into the repository."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    return Path(os.environ.get("COVERWATCH_SHARED_DIR") or ROOT.parent / "shared")


def hash_percent(key: str) -> int:
    """A stable bucket 0..99 for a key: the rule the extraction and relevance
    splits share (each with its own key), the same on every run and machine."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:4], "big") % 100
