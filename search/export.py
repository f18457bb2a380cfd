"""A result set as CSV or JSON lines, one line at a time (for streaming)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TextIO

from coverwatch.fields import export_columns

# The columns, in order: the ``export`` positions of coverwatch/fields.py.
EXPORT_FIELDS = export_columns()
# A cell starting with one of these is a formula to a spreadsheet; article text comes from the web.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """Text a spreadsheet shows as text, never evaluates."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        # An indicator {"type": "domain", "value": "evil.com"} reads "domain:evil.com".
        return spreadsheet_safe("; ".join(":".join(map(str, item.values())) if isinstance(item, Mapping) else str(item)
                                          for item in value))
    return spreadsheet_safe(str(value))


def csv_lines(articles: Iterable[Mapping[str, Any]], columns: Sequence[str] = EXPORT_FIELDS) -> Iterator[str]:
    """A header line, then one line per record with its ``columns`` (the article
    export's by default), each cell one a spreadsheet shows as text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells: Iterable[str]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(list(cells))
        return buffer.getvalue()

    yield line(columns)
    for article in articles:
        yield line(_cell(article.get(name)) for name in columns)


def jsonl_lines(articles: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """One JSON object per line, with the fields of ``EXPORT_FIELDS`` that the article has."""
    for article in articles:
        yield json.dumps({name: article[name] for name in EXPORT_FIELDS if name in article},
                         ensure_ascii=False) + "\n"


def write_jsonl(records: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    """Each record whole as one JSON line (the archive and the labels export); how many."""
    written = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        written += 1
    return written
