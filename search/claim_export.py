"""An attribution ledger's rows as CSV or JSON lines (issue 22, part 2), one
line at a time: ``/api/v1/stories/{id}/claims?format=csv|jsonl`` and the
actor's. Rows come in as flat mappings (web/claim_ledgers.py makes them)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from search.export import csv_lines

LEDGER_COLUMNS = ("claimant_kind", "claimant", "claimant_country", "stance", "subject", "subject_names", "actor_id",
                  "subject_state", "victim", "first_at", "first_article_id", "first_article_title",
                  "first_article_outlet", "first_article_url", "first_article_story_id", "outlets", "outlet_names",
                  "articles", "stories", "evidence")


def ledger_csv_lines(rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """A header, then one line per ledger row (cells a spreadsheet shows as text)."""
    return csv_lines(rows, LEDGER_COLUMNS)


def ledger_jsonl_lines(rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """One JSON object per ledger row, with the columns of :data:`LEDGER_COLUMNS`."""
    for row in rows:
        yield json.dumps({name: row.get(name) for name in LEDGER_COLUMNS}, ensure_ascii=False) + "\n"
