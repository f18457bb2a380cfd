"""Names of the monthly article indices (search/article_indices.py)."""

from __future__ import annotations

import pytest

from coverwatch.settings import Settings
from search.article_indices import member_month, member_version, month_of
from search.indexes import monthly_index


def test_month_of_follows_the_event_time_then_the_crawl() -> None:
    assert month_of({"event_time": "2026-10-31T23:59:00+00:00", "crawled_at": "2026-11-02T01:00:00+00:00"}) \
        == "2026.10"
    assert month_of({"event_time": None, "crawled_at": "2027-01-01T00:00:00+00:00"}) == "2027.01"


def test_a_document_without_any_date_is_refused() -> None:
    with pytest.raises(KeyError):
        month_of({"id": "undated"})


def test_names_round_trip() -> None:
    name = monthly_index(Settings(index_prefix="desk"), "2026.12", version=3)
    assert name == "desk-articles-v3-2026.12"
    assert (member_version(name), member_month(name)) == (3, "2026.12")


def test_an_index_of_an_older_release_has_a_version_and_no_month() -> None:
    assert (member_version("desk-articles-v1"), member_month("desk-articles-v1")) == (1, None)
    assert member_version("desk-articles") is None
