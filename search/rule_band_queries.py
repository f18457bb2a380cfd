"""What a rule matches in each relevance band, for its preview (alerts/evaluation.py):
the possibly on-topic articles that reach digests which opted in, and the
off-topic ones sources keep, which never alert. The on-topic preview itself
reads search/queries.py's alertable articles, as the rule types do."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# The clustering vectors are large and no message or preview reads them.
VECTOR_FIELDS = ["cluster_terms", "cluster_weights", "cluster_features", "cluster_names"]


def _originals_between(query: Mapping[str, Any], since: str, until: str,
                       bands: Sequence[str]) -> dict[str, Any]:
    # Copies never alert, whatever their band; the period is [since, until) like the on-topic preview's.
    return {"bool": {
        "filter": [dict(query), {"range": {"event_time": {"gte": since, "lt": until}}},
                   {"terms": {"relevance_band": list(bands)}}],
        "must_not": [{"exists": {"field": "duplicate_of"}}],
    }}


def band_matches_between(query: Mapping[str, Any], since: str, until: str, band: str,
                         size: int = 1000) -> dict[str, Any]:
    """The originals of one band a rule matches in [since, until), oldest first."""
    return {
        "size": size,
        "query": _originals_between(query, since, until, [band]),
        "sort": [{"event_time": {"order": "asc"}}, {"id": "asc"}],
        "_source": {"excludes": VECTOR_FIELDS},
    }


def band_counts_between(query: Mapping[str, Any], since: str, until: str,
                        bands: Sequence[str]) -> dict[str, Any]:
    """How many originals of each band a rule matches in [since, until), without fetching any."""
    return {
        "size": 0,
        "query": _originals_between(query, since, until, bands),
        "aggs": {"bands": {"terms": {"field": "relevance_band", "size": max(len(bands), 1)}}},
    }
