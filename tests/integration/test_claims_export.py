"""Claims, many per article (issue 22): stored as nested objects with the article,
found claim by claim, and carried by `coverwatch export` as ``claims``."""

from __future__ import annotations

from coverwatch.models import Article
from coverwatch.settings import Settings
from coverwatch.taxonomy import default_taxonomy
from search.documents import index_articles
from search.engine import SearchEngine
from search.indexes import ARTICLES
from workers.archive import EXPORT_FIELDS, iter_export
from workers.attribution import CLAIM_FIELDS
from workers.enrichment import enrich
from workers.entities import default_matcher

# Written for this test.
BODY = ("Hackers working for China's military had deep access to Japan's classified defence networks for years, "
        "according to unnamed former US officials.\n"
        "Japan's defence minister declined to confirm that any classified information had leaked.")


def test_claims_are_stored_nested_and_exported(engine: SearchEngine, own_indices: Settings) -> None:
    article = enrich(Article(url="https://claims.example/seed", title="Inside Japan's defence networks", body=BODY,
                             source="claims-wire"), default_taxonomy(), default_matcher())
    assert article.claims, "the seed text carries claims"
    index_articles(engine, own_indices, [article.to_document()], refresh=True)

    exported = [line for line in iter_export(engine, own_indices, None) if line["id"] == article.id]
    assert "claims" in EXPORT_FIELDS
    assert exported[0]["claims"] == article.claims
    assert all(set(claim) == set(CLAIM_FIELDS) for claim in exported[0]["claims"])

    def hits(kind: str, country: str) -> int:
        query = {"query": {"nested": {"path": "claims", "query": {"bool": {"filter": [
            {"term": {"claims.claimant_kind": kind}}, {"term": {"claims.claimant_country": country}}]}}}}}
        answer = engine.request("POST", f"/{own_indices.index_name(ARTICLES)}/_search", query)
        return int(answer["hits"]["total"]["value"])

    # Matched claim by claim: Japan's government and US officials are in it, a Japanese official is not.
    assert hits("government", "JP") == 1 and hits("unnamed_officials", "US") == 1
    assert hits("unnamed_officials", "JP") == 0
