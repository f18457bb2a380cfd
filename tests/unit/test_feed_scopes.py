"""What a saved search's feed reads (web/saved_searches.py ``search_scope``): the
query as the workspace runs it, actor aliases expanded, facet values as stored;
and the feed token's text format (web/feed_tokens.py), which no API token passes."""

from __future__ import annotations

import pytest

from web.credentials import api_token_text
from web.feed_tokens import feed_secret, feed_token_text, split_feed_token
from web.saved_searches import SavedSearch, SavedSearchError, search_scope


def test_a_saved_search_reaches_what_the_workspace_searched() -> None:
    saved = SavedSearch("s1", "ana", "Fancy Bear in China", query='"Fancy Bear" AND espionage',
                        terms={"actor": ["APT31"], "state": ["China"], "band": ["on_topic"]}, since="2025-01-01")

    scope = search_scope(saved)

    assert '"Sofacy"' in scope.query and 'actors:"G0007"' in scope.query and scope.query.endswith("AND espionage")
    assert scope.terms == {"actor": ("G0128",), "state": ("CN",), "band": ("on_topic",)}


def test_a_saved_query_that_does_not_parse_is_refused_with_the_reason() -> None:
    with pytest.raises(SavedSearchError, match="a bracket is opened and never closed"):
        search_scope(SavedSearch("s2", "ana", "broken", query="(unbalanced"))


def test_feed_tokens_split_as_issued_and_api_tokens_do_not_pass_for_them() -> None:
    secret = feed_secret("key", "a1b2c3d4e5f6")
    text = feed_token_text("a1b2c3d4e5f6", secret)

    assert split_feed_token(text) == ("a1b2c3d4e5f6", secret)
    assert feed_secret("key", "a1b2c3d4e5f6") == secret != feed_secret("other key", "a1b2c3d4e5f6")
    assert split_feed_token(api_token_text("a1b2c3d4e5f6", "x" * 43)) is None
    for forged in ("", "cwf_", "cwf_a1b2c3d4e5f6_short", f"cwf_a1b2/../_{secret}", f"cwf_a1b2c3d4e5f6_{secret}-"):
        assert split_feed_token(forged) is None
