"""The indicator gold set (bench/data/indicators_gold.jsonl, docs/indicators-gold.md)
holds ids and normalised expected values only, split by a hash of each article's
copy group, from four shared dev sets (relevance-dev, extraction-dev and its modern
pages, story-dev); where they are present, every id is an article there, a
relevance-dev group is the one the relevance split finds, and every expected value
is written in the text the bench reads (for HTML pages, what the crawler's extractor
makes of them) in the form (plain or defanged) the gold says."""

from __future__ import annotations

import ipaddress
import json
import re
from collections import Counter
from functools import cache
from typing import Any

import pytest

from bench.dev_sets import hash_percent, shared_dir
from bench.indicators_dev import FORMS, SETS, TYPES, canonical, form_of, key_of, read_gold, texts

ROWS = read_gold()
KEYS = {"set", "file", "id", "group", "outlet_domains", "expected", "optional", "not_indicators", "split"}
HASH_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64}
DEV_DIR = shared_dir() / "relevance-dev"
needs_dev_set = pytest.mark.skipif(not (DEV_DIR / "cybernews.jsonl").exists(),
                                   reason="../shared/relevance-dev is not beside the repository")
needs_all_dev_sets = pytest.mark.skipif(not all((shared_dir() / name).is_dir() for name in SETS),
                                        reason="the shared dev sets are not beside the repository")
FILES = {"relevance-dev": re.compile(r"(?:articles|cybernews)\.jsonl"),
         "story-dev": re.compile(r"ecbplus/articles\.jsonl"),
         "extraction-dev": re.compile(r"pages/[\w.-]+\.html\.gz"),
         "extraction-dev/modern": re.compile(r"pages/\S+\.html\.gz")}
# The defanging the gold's articles use, undone (Markdown escapes first): enough to
# find each labelled value in its text without the extractor under test.
_ESCAPE = re.compile(r"\\+([\[\]._()*-])")
_REFANGS = ((re.compile(r"\[\.\]|\(\.\)|\[dot\]", re.IGNORECASE), "."), (re.compile(r"hxxp", re.IGNORECASE), "http"),
            (re.compile(r"\[at\]|\(at\)", re.IGNORECASE), "@"))


def value_is_normalised(kind: str, value: str) -> bool:
    if kind == "cve":
        return re.fullmatch(r"CVE-\d{4}-\d{4,7}", value) is not None
    if kind in HASH_LENGTHS:
        return re.fullmatch(rf"[0-9a-f]{{{HASH_LENGTHS[kind]}}}", value) is not None
    if kind in ("ipv4", "ipv6"):
        address = ipaddress.ip_address(value)
        return address.version == int(kind[-1]) and str(address) == value
    if kind == "domain":
        return re.fullmatch(r"(?:[a-z0-9-]+\.)+[a-z]{2,}", value) is not None
    if kind == "email":
        return re.fullmatch(r"[a-z0-9._%+-]+@(?:[a-z0-9-]+\.)+[a-z]{2,}", value) is not None
    if kind == "url":
        return re.fullmatch(r"https?://[a-z0-9.-]+(?::\d+)?(?:/\S*)?", value) is not None
    return bool(value) and value == value.strip()


def held_by_hash(group: str) -> bool:
    return hash_percent(f"indicators-gold:{group}") < 30


def test_rows_have_the_fields_and_unique_ids() -> None:
    assert all(set(row) == KEYS for row in ROWS), [row["id"] for row in ROWS if set(row) != KEYS][:3]
    counts = Counter((row["set"], row["file"], row["id"]) for row in ROWS)
    assert [key for key, count in counts.items() if count > 1] == []
    assert {row["set"] for row in ROWS} == set(SETS)
    assert [row["id"] for row in ROWS if not FILES[row["set"]].fullmatch(row["file"])] == []
    assert all(all(isinstance(host, str) and host for host in row["outlet_domains"]) for row in ROWS)
    # relevance-dev's items all have an outlet; ECB+ articles and a few pages name none.
    assert all(row["outlet_domains"] for row in ROWS if row["set"] == "relevance-dev")


def test_values_have_known_types_and_are_normalised() -> None:
    for row in ROWS:
        for entry in row["expected"] + row["optional"]:
            assert entry["type"] in TYPES, (row["id"], entry)
            assert value_is_normalised(entry["type"], entry["value"]), (row["id"], entry)
        assert all(entry["form"] in FORMS for entry in row["expected"]), row["id"]
        assert all(isinstance(value, str) and value == value.strip() for value in row["not_indicators"]), row["id"]


def test_a_value_is_expected_optional_or_not_an_indicator_never_two() -> None:
    for row in ROWS:
        expected = {canonical(e["type"], e["value"]) for e in row["expected"]}
        optional = {canonical(o["type"], o["value"]) for o in row["optional"]}
        assert len(expected) == len(row["expected"]) and not expected & optional, row["id"]
        named = {value.casefold() for _, value in expected | optional}
        assert not named & {value.casefold() for value in row["not_indicators"]}, row["id"]


def test_both_splits_are_there_by_the_hash_of_the_copy_group() -> None:
    assert all(row["split"] == ("held" if held_by_hash(row["group"]) else "tune") for row in ROWS)
    held = sum(row["split"] == "held" for row in ROWS)
    assert 0.2 < held / len(ROWS) < 0.4
    for split in ("tune", "held"):
        rows = [row for row in ROWS if row["split"] == split]
        assert any(row["expected"] for row in rows) and any(not row["expected"] for row in rows), split
        assert any(e["form"] == "defanged" for row in rows for e in row["expected"]), split


@cache
def dev_texts() -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for name in ("articles.jsonl", "cybernews.jsonl"):  # relevance-dev only: ids and copy groups
        with (DEV_DIR / name).open(encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                found[(name, str(record["id"]))] = record
    return found


@needs_dev_set
def test_every_id_is_an_article_of_the_dev_set_in_its_copy_group() -> None:
    from workers.relevance_data import dev_articles

    records = dev_texts()
    relevance = [row for row in ROWS if row["set"] == "relevance-dev"]
    assert [(row["file"], row["id"]) for row in relevance if (row["file"], row["id"]) not in records] == []
    groups = {item.id: item.group for item in dev_articles(DEV_DIR)}
    assert [row["id"] for row in relevance if groups[row["id"]] != row["group"]] == []
    # Other sets have no copies: an article is its own group.
    assert [row["id"] for row in ROWS if row["set"] != "relevance-dev" and row["group"] != row["id"]] == []


@needs_all_dev_sets
def test_every_expected_value_is_written_in_its_article_as_labelled() -> None:
    from bench.indicators_dev import gold

    wrong = []
    articles = texts()  # every gold id's text, as the bench reads it (it fails on a missing one)
    assert len(articles) == len(ROWS)
    for row, item in zip(ROWS, gold(), strict=True):
        text = articles[key_of(item)]
        refanged = _ESCAPE.sub(r"\1", text)
        for pattern, replacement in _REFANGS:
            refanged = pattern.sub(replacement, refanged)
        for entry in row["expected"]:
            kind, value = canonical(entry["type"], entry["value"])
            if value.casefold() not in refanged.casefold() or form_of(text, kind, value) != entry["form"]:
                wrong.append((row["id"], entry))
    assert wrong == []
