"""Labelled articles for the relevance model: the development files of
``relevance-dev`` and the analysts' marks exported by ``coverwatch relevance
labels export``, read into one shape, grouped by duplicate, and split.

The split keeps copies of one article together (an outlet republished a few
under new ids; a copy on each side would grade the model on what it learned)
and is stratified by file, outlet, year and label: the groups are ordered by
those and by a hash of their first id, and every group where the running count
of held-back groups crosses ``HELDOUT_SHARE`` goes to the held-back split. So
each outlet-year keeps close to the same share on either side, and the split is
the same on every machine and run. It was fixed before any model was trained on
it; changing it would grade the next model on what it was tuned on.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

DEV_FILES = ("articles.jsonl", "cybernews.jsonl")
HELDOUT_SHARE = 0.3
TUNE, HELDOUT = "tune", "heldout"
FEEDBACK = "feedback"
UNTITLED = "(untitled)"  # five dev articles have no title
_NOT_WORD = re.compile(r"\W+")
# A republished copy keeps its opening; 300 folded characters tell copies from look-alikes.
_COPY_PREFIX = 300


class LabelledDataError(ValueError):
    """A labelled file that cannot be read: the message names the file and line."""


@dataclass(frozen=True)
class LabelledArticle:
    id: str
    corpus: str  # the file it came from, "feedback" for analysts' marks
    outlet: str
    year: str
    title: str
    lead: str
    body: str
    on_topic: bool
    ambiguous: bool
    group: str = ""  # the first id of its duplicate group
    split: str = ""


def default_dev_dir() -> Path:
    """``COVERWATCH_SHARED_DIR/relevance-dev``, or ``../shared/relevance-dev`` beside the checkout."""
    shared = os.environ.get("COVERWATCH_SHARED_DIR")
    return (Path(shared) if shared else Path(__file__).resolve().parents[2] / "shared") / "relevance-dev"


def _outlet(row: dict[str, object]) -> str:
    source = row.get("source")
    if isinstance(source, str) and source:
        return source
    url = row.get("url")
    return urlsplit(url).netloc.removeprefix("www.") if isinstance(url, str) and url else "unknown"


def _year(date: object) -> str:
    return str(date)[:4] if date else "unknown"


def read_dev_file(path: Path) -> list[LabelledArticle]:
    """One relevance-dev file (``{"id", "title", "body", "on_topic", "ambiguous", ...}`` per line)."""
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            found.append(LabelledArticle(
                id=str(row["id"]), corpus=path.name, outlet=_outlet(row), year=_year(row.get("date")),
                title=row.get("title") or UNTITLED, lead="", body=str(row["body"]),
                on_topic=bool(row["on_topic"]), ambiguous=bool(row.get("ambiguous", False))))
        except (ValueError, KeyError, TypeError) as error:
            raise LabelledDataError(f"{path}:{number}: not a labelled article ({error})") from error
    return found


@dataclass
class FeedbackRead:
    items: list[LabelledArticle] = field(default_factory=list)
    # (line number, why) for each mark left out of training.
    skipped: list[tuple[int, str]] = field(default_factory=list)


def read_feedback_file(path: Path) -> FeedbackRead:
    """Analysts' marks as ``coverwatch relevance labels export`` writes them (one
    JSON object a line: ``id``, ``label`` espionage|not_espionage, ``title``,
    ``lead``, ``body``, ``source``, ``date``, ``language``). A cleared mark, an
    article no longer in the index (no text) or one in a language the learned
    model does not read is skipped and reported; a line that is not a mark at
    all stops the read, naming the line."""
    read = FeedbackRead()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            label, article_id = row["label"], str(row["id"])
        except (ValueError, KeyError, TypeError) as error:
            raise LabelledDataError(f"{path}:{number}: not an exported mark ({error!r})") from error
        if label not in ("espionage", "not_espionage"):
            read.skipped.append((number, f"label {label!r} is neither espionage nor not_espionage"))
        elif not (row.get("body") or "").strip():
            read.skipped.append((number, f"article {article_id} has no text (no longer in the index)"))
        elif (row.get("language") or "en") != "en":
            read.skipped.append((number, f"article {article_id} is in {row['language']!r}; the model reads English"))
        else:
            read.items.append(LabelledArticle(
                id=f"mark:{article_id}", corpus=FEEDBACK, outlet=str(row.get("source") or "unknown"),
                year=_year(row.get("date")), title=row.get("title") or UNTITLED, lead=row.get("lead") or "",
                body=str(row["body"]), on_topic=label == "espionage", ambiguous=False, group=f"mark:{article_id}",
                split=TUNE))
    return read


def _copy_key(item: LabelledArticle) -> str:
    return _NOT_WORD.sub(" ", item.body.casefold())[:_COPY_PREFIX]


def with_groups(items: Sequence[LabelledArticle]) -> list[LabelledArticle]:
    """Each article with the first id of its copies (same title or same opening)."""
    parent = {item.id: item.id for item in items}

    def root(article_id: str) -> str:
        while parent[article_id] != article_id:
            parent[article_id] = parent[parent[article_id]]
            article_id = parent[article_id]
        return article_id

    first_by_key: dict[str, str] = {}
    for item in items:
        keys = [f"body:{_copy_key(item)}"]
        if item.title != UNTITLED:
            keys.append(f"title:{item.title.casefold().strip()}")
        for key in keys:
            other = first_by_key.setdefault(key, item.id)
            a, b = root(other), root(item.id)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return [replace(item, group=root(item.id)) for item in items]


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def with_splits(items: Sequence[LabelledArticle], heldout_share: float = HELDOUT_SHARE) -> list[LabelledArticle]:
    """Duplicate groups, then the stratified split (module docstring)."""
    grouped = with_groups(items)
    groups: dict[str, list[LabelledArticle]] = {}
    for item in grouped:
        groups.setdefault(item.group, []).append(item)

    def stratum(group: str) -> tuple[str, str, str, bool, str]:
        # The group's own first id, whatever order the files list its copies in.
        first = next(item for item in groups[group] if item.id == group)
        return first.corpus, first.outlet, first.year, first.on_topic, _hash(group)

    split_of: dict[str, str] = {}
    for position, group in enumerate(sorted(groups, key=stratum)):
        crossed = math.floor((position + 1) * heldout_share) > math.floor(position * heldout_share)
        split_of[group] = HELDOUT if crossed else TUNE
    return [replace(item, split=split_of[item.group]) for item in grouped]


def dev_articles(dev_dir: Path | None = None) -> list[LabelledArticle]:
    """Both development files, grouped and split."""
    folder = dev_dir or default_dev_dir()
    items: list[LabelledArticle] = []
    for name in DEV_FILES:
        path = folder / name
        if not path.exists():
            raise LabelledDataError(f"{path}: missing (set COVERWATCH_SHARED_DIR or --dev-dir)")
        items += read_dev_file(path)
    return with_splits(items)


def in_split(items: Iterable[LabelledArticle], split: str) -> list[LabelledArticle]:
    return [item for item in items if split == "all" or item.split == split]
