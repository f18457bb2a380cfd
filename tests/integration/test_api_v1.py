"""The /api/v1 analyst API on the real engine, served by a real uvicorn process."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from coverwatch.models import Article
from coverwatch.settings import Settings
from search.documents import bulk_index
from search.engine import SearchEngine
from search.indexes import ARTICLES, STORIES, refresh

pytestmark = pytest.mark.integration

FIRST = datetime(2026, 10, 5, 6, 0, tzinfo=UTC)
BODY = "Investigators said the Quillwort backdoor sat on mail servers for months. "


def _article(slug: str, title: str, source: str, hours: float, story: str | None, **fields: Any) -> Article:
    return Article(url=f"https://{source}.example.org/{slug}", title=title, source=source,
                   body=(BODY + fields.pop("text", "")) * 3, published_at=FIRST + timedelta(hours=hours),
                   story_id=story, **fields)


@pytest.fixture(scope="module")
def coverage(settings: Settings, engine: SearchEngine) -> Iterator[list[Article]]:
    """Quillwort coverage: one story across three outlets (one a reprint), an
    article per alias of APT28 (one tagged by id only), and two outside any story."""
    from workers.stories import refresh_story_documents

    articles = [
        _article("q1", "Quillwort backdoor found at Danish ministry", "v1-wire", 0, "v1-story-main",
                 text="Fancy Bear was blamed. ", actors=["G0007"], victim_countries=["DK"], language="en",
                 country="US", sectors=["government"], claim_type="government", relevance_band="on_topic"),
        _article("q2", "Dänisches Ministerium bestätigt Quillwort-Fund", "v1-zeitung", 5, "v1-story-main",
                 actors=["G0007"], victim_countries=["DK"], language="de", country="DE", sectors=["government"],
                 claim_type="vendor", relevance_band="on_topic"),
        _article("q3", "Quillwort backdoor found at Danish ministry", "v1-reprints", 9, "v1-story-main",
                 actors=["G0007"], victim_countries=["DK"], language="en", country="GB", relevance_band="possible"),
        _article("q4", "Sofacy tied to Quillwort campaign in Poland", "v1-wire", 30, "v1-story-pl",
                 text="Sofacy operators were named. ", actors=["G0007"], victim_countries=["PL"],
                 sectors=["energy"], relevance_band="on_topic"),
        _article("q5", "GRU unit behind Quillwort, Warsaw says", "v1-daily", 40, "v1-story-gru",
                 actors=["G0007"], victim_countries=["PL"], relevance_band="on_topic"),
        _article("q6", "Quillwort samples shared with researchers", "v1-blog", 50, None, victim_countries=["NO"]),
        _article("q7", "Quillwort indicators published", "v1-blog", 60, None, victim_countries=["NO"]),
    ]
    articles[2].duplicate_of = articles[0].id
    bulk_index(engine, settings.index_name(ARTICLES), [a.to_document() for a in articles], refresh=True)
    refresh_story_documents(["v1-story-main", "v1-story-pl", "v1-story-gru"], engine, settings)
    refresh(engine, settings, STORIES)
    yield articles


def _get(api: httpx.Client, path: str, **params: Any) -> httpx.Response:
    return api.get(path, params=params)


def test_an_alias_finds_every_name_and_the_tagged_actor(api: httpx.Client, coverage: list[Article]) -> None:
    answer = _get(api, "/api/v1/search", q="Quillwort AND \"Forest Blizzard\"")
    assert answer.status_code == 200
    page = answer.json()
    titles = {hit["article"]["title"] for hit in page["hits"]}
    # None of these says "Forest Blizzard": they name Fancy Bear or Sofacy, or are only tagged G0007.
    assert titles == {"Quillwort backdoor found at Danish ministry", "Sofacy tied to Quillwort campaign in Poland",
                      "GRU unit behind Quillwort, Warsaw says"}
    # The note names the canonical actor first; which aliases follow depends on the taxonomy (native scripts too).
    assert page["alias_notes"][0].startswith("Forest Blizzard = APT28: also searched APT28, ")
    assert "Fancy Bear" in page["alias_notes"][0]
    plain = _get(api, "/api/v1/search", q="Quillwort AND title:(\"Forest Blizzard\")").json()
    assert plain["total"] == 0 and plain["alias_notes"] == []


def test_one_hit_per_story_with_the_other_outlets(api: httpx.Client, coverage: list[Article]) -> None:
    page = _get(api, "/api/v1/search", q="Quillwort", sort="newest", duplicates="true").json()
    assert page["total"] == 7
    assert page["groups"] == 5  # three stories and two articles outside any story
    hits = page["hits"]
    assert [hit["article"]["story_id"] for hit in hits] == [None, None, "v1-story-gru", "v1-story-pl",
                                                             "v1-story-main"]
    main = hits[-1]
    assert main["article"]["source"] == "v1-reprints"  # the story's newest article, copies included
    assert main["matching_articles"] == 3
    assert main["more_outlets"] == 2
    assert main["other_outlets"] == ["v1-wire", "v1-zeitung"]
    # Without copies the reprint is not searched, though the story still lists its outlet.
    originals = _get(api, "/api/v1/search", q="Quillwort").json()
    assert originals["total"] == 6
    main = next(hit for hit in originals["hits"] if hit["article"]["story_id"] == "v1-story-main")
    assert main["matching_articles"] == 2
    assert {main["article"]["source"], *main["other_outlets"]} == {"v1-wire", "v1-zeitung"}


def _facet(page: dict[str, Any], name: str) -> dict[str, tuple[int, bool]]:
    facet: dict[str, Any] = next((f for f in page["facets"] if f["name"] == name), {"values": []})
    return {value["value"]: (value["count"], value["selected"]) for value in facet["values"]}


def test_facets_count_and_filter_and_keep_their_own_alternatives(api: httpx.Client, coverage: list[Article]) -> None:
    page = _get(api, "/api/v1/search", q="Quillwort", victim="Denmark", sector="government").json()
    assert page["terms"] == {"victim": ["DK"], "sector": ["government"]}
    assert page["total"] == 2
    assert [hit["article"]["story_id"] for hit in page["hits"]] == ["v1-story-main"]
    assert _facet(page, "victim") == {"DK": (2, True)}  # the sector choice leaves only Danish victims
    assert _facet(page, "sector") == {"government": (2, True)}  # and Danish coverage names one sector
    assert _facet(page, "source") == {"v1-wire": (1, False), "v1-zeitung": (1, False)}
    assert _facet(page, "language") == {"en": (1, False), "de": (1, False)}
    assert _facet(page, "country") == {"US": (1, False), "DE": (1, False)}
    german = _get(api, "/api/v1/search", q="Quillwort", country="Germany").json()
    assert [hit["article"]["source"] for hit in german["hits"]] == ["v1-zeitung"]
    assert _facet(page, "claim") == {"government": (1, False), "vendor": (1, False)}
    actor = next(f for f in page["facets"] if f["name"] == "actor")
    assert actor["values"][0]["label"] == "APT28"
    assert sum(bar["articles"] for bar in page["coverage"]) == 2


def test_a_facet_keeps_its_own_alternatives_countable(api: httpx.Client, coverage: list[Article]) -> None:
    page = _get(api, "/api/v1/search", q="Quillwort", victim="DK").json()
    assert page["total"] == 2
    # Another victim country can still be added: its facet is counted without its own choice.
    assert _facet(page, "victim") == {"DK": (2, True), "PL": (2, False), "NO": (2, False)}
    assert _facet(page, "sector") == {"government": (2, False)}
    both = _get(api, "/api/v1/search", q="Quillwort", victim=["DK", "NO"]).json()
    assert both["total"] == 4 and both["groups"] == 3


def test_filters_by_actor_alias_band_and_dates(api: httpx.Client, coverage: list[Article]) -> None:
    page = _get(api, "/api/v1/search", q="Quillwort", actor="Sofacy", band="on_topic",
                since="2026-10-06", until="2026-10-06T18:00:00Z").json()
    assert page["terms"]["actor"] == ["G0007"]
    assert [hit["article"]["title"] for hit in page["hits"]] == ["Sofacy tied to Quillwort campaign in Poland"]
    later = _get(api, "/api/v1/search", q="Quillwort", since="2026-10-07T00:00:00Z").json()
    assert {hit["article"]["title"] for hit in later["hits"]} == {
        "Quillwort samples shared with researchers", "Quillwort indicators published"}


@pytest.mark.parametrize("query", ["title:(Quillwort", '"Quillwort', "Quillwort AND", "published_at:notadate"])
def test_bad_query_syntax_is_a_clear_400(api: httpx.Client, coverage: list[Article], query: str) -> None:
    answer = _get(api, "/api/v1/search", q=query)
    assert answer.status_code == 400
    assert answer.json()["detail"].startswith(f"cannot parse the query {query!r}")
    page = _get(api, "/", q=query)
    assert page.status_code == 400
    assert "cannot parse the query" in page.text
    # Stories have first_seen where articles have published_at.
    assert _get(api, "/api/v1/stories", q=query.replace("published_at", "first_seen")).status_code == 400


def test_bad_parameters_are_refused_before_the_engine(api: httpx.Client, coverage: list[Article]) -> None:
    assert _get(api, "/api/v1/search", since="yesterday").status_code == 422
    assert _get(api, "/api/v1/search", sort="random").status_code == 422
    assert _get(api, "/api/v1/stories", sort="loudest").status_code == 422


def test_stories_list_by_actor_alias_and_by_outlets(api: httpx.Client, coverage: list[Article]) -> None:
    listing = _get(api, "/api/v1/stories", q="Quillwort", actor="Fancy Bear", sort="outlets").json()
    assert [story["id"] for story in listing["stories"]][:1] == ["v1-story-main"]
    assert {story["id"] for story in listing["stories"]} == {"v1-story-main", "v1-story-pl", "v1-story-gru"}
    # An alias in the query finds the stories of its actor whatever their titles say.
    aliased = _get(api, "/api/v1/stories", q="Quillwort AND Sofacy").json()
    assert {story["id"] for story in aliased["stories"]} == {"v1-story-main", "v1-story-pl", "v1-story-gru"}
    assert aliased["alias_notes"][0].startswith("Sofacy = APT28: also searched APT28")
    newest = _get(api, "/api/v1/stories", q="Quillwort", victim="Poland").json()
    assert [story["id"] for story in newest["stories"]] == ["v1-story-gru", "v1-story-pl"]


def test_story_timeline_says_who_broke_it_and_who_followed(api: httpx.Client, coverage: list[Article]) -> None:
    timeline = _get(api, "/api/v1/stories/v1-story-main").json()
    assert timeline["broke_it"]["source"] == "v1-wire"
    assert [(e["source"], e["role"], e["after_first"]) for e in timeline["entries"]] == [
        ("v1-wire", "broke it", ""), ("v1-zeitung", "followed", "+5 h"), ("v1-reprints", "reprint", "+9 h")]
    assert timeline["languages"] == {"en": 2, "de": 1}
    assert timeline["countries"] == {"US": 1, "DE": 1, "GB": 1}
    assert [o["source"] for o in timeline["outlets"]] == ["v1-wire", "v1-zeitung", "v1-reprints"]
    assert _get(api, "/api/v1/stories/no-such-story").status_code == 404


def test_actor_profile_by_any_alias(api: httpx.Client, coverage: list[Article]) -> None:
    profile = _get(api, "/api/v1/actors/fancy bear").json()
    assert profile["id"] == "G0007" and profile["name"] == "APT28"
    assert "Sofacy" in profile["aliases"] and profile["state"] == "RU"
    assert {"v1-story-main", "v1-story-pl", "v1-story-gru"} <= {s["id"] for s in profile["recent_stories"]}
    assert profile["articles"] >= 4
    assert _get(api, "/api/v1/actors/Nobody Panda").status_code == 404


def test_every_page_and_answer_carries_the_content_security_policy(api: httpx.Client, coverage: list[Article]) -> None:
    for path in ["/", "/?q=Quillwort&victim=DK", "/stories", "/stories/v1-story-main", "/actors/APT28",
                 "/api/v1/search", "/api/search?q=Quillwort"]:
        answer = _get(api, path)
        assert answer.status_code == 200, path
        policy = answer.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src" not in policy, path
        assert answer.headers["referrer-policy"] == "no-referrer"
    assert "cdn.jsdelivr.net" in _get(api, "/docs").headers["content-security-policy"]
    assert "/api/v1/search" in _get(api, "/openapi.json").json()["paths"]


def test_the_unversioned_endpoints_still_answer(api: httpx.Client, coverage: list[Article]) -> None:
    assert {hit["title"] for hit in _get(api, "/api/search", q="Quillwort AND Sofacy").json()["hits"]} == {
        "Sofacy tied to Quillwort campaign in Poland"}
    assert _get(api, "/api/stories/v1-story-main").json()["broke_it"]["source"] == "v1-wire"
