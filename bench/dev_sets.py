"""Where the shared development sets live: ``../shared`` beside the checkout,
or ``COVERWATCH_SHARED_DIR``. Their texts are read from there at run time and
never copied into the repository."""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    return Path(os.environ.get("COVERWATCH_SHARED_DIR") or ROOT.parent / "shared")


def hash_percent(key: str) -> int:
    """A stable bucket 0..99 for a key: the rule the extraction and relevance
    splits share (each with its own key), the same on every run and machine."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:4], "big") % 100


def load_scorer(path: Path, name: str) -> ModuleType:
    """A dev set's own score.py, loaded from the shared folder as module ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
