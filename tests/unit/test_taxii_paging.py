"""TAXII pages (web/taxii_paging.py) and Accept negotiation (web/taxii.py),
without a server: pages of ``limit`` objects across stories, ``next`` resuming
where the last page stopped, the marking given once a page, filters, a story
that changes between pages given again, and one object's versions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from web.taxii import acceptable
from web.taxii_paging import (
    BadFilter,
    Matches,
    Position,
    StixObject,
    StorySlice,
    page_of,
    parse_added_after,
    pick_versions,
    taxii_timestamp,
    versions_of,
)

DAY = datetime(2025, 3, 1, tzinfo=UTC)
ANY = Matches()
MARKING = {"type": "marking-definition", "id": "marking-definition--clear", "created": "2022-10-01T00:00:00.000Z"}


def story(name: str, day: int, count: int, shared: str = "intrusion-set--shared") -> StorySlice:
    added = DAY + timedelta(days=day)
    version = taxii_timestamp(added)
    objects: list[StixObject] = [MARKING, {"type": "intrusion-set", "id": shared, "modified": version}]
    objects += [{"type": "indicator", "id": f"indicator--{name}-{number}", "modified": version}
                for number in range(count)]
    return StorySlice(name, added, lambda: objects)


def read_all(slices: Sequence[StorySlice], limit: int, matches: Matches = ANY) -> list[list[str]]:
    pages: list[list[str]] = []
    start: Position | None = None
    while True:
        page = page_of(slices, matches, limit, Position.from_token(start.token()) if start else None)
        pages.append([str(stix_object["id"]) for stix_object, _ in page.objects])
        if not page.more:
            return pages
        start = page.next


def test_pages_hold_limit_objects_and_next_resumes_without_gaps_or_repeats() -> None:
    slices = [story("a", 1, 3), story("b", 2, 4), story("c", 3, 0)]
    pages = read_all(slices, limit=3)
    assert [len(page) for page in pages[:-1]] == [3] * (len(pages) - 1) and pages[-1]
    given = [object_id for page in pages for object_id in page]
    # The shared intrusion-set is one version per story; the marking the same version everywhere.
    assert given.count("intrusion-set--shared") == 3
    assert [object_id for object_id in given if object_id.startswith("indicator")] == [
        *(f"indicator--a-{n}" for n in range(3)), *(f"indicator--b-{n}" for n in range(4))]
    whole = page_of(slices, ANY, 100)
    assert not whole.more and whole.next is None
    assert [str(o["id"]) for o, _ in whole.objects].count("marking-definition--clear") == 1
    assert [added for _, added in whole.objects][-1] == DAY + timedelta(days=3)


def test_a_story_that_changes_between_pages_is_given_again_whole_at_the_end() -> None:
    first = page_of([story("a", 1, 3), story("b", 2, 3)], ANY, 4)
    assert first.next is not None and first.next.story_id == "a"
    # Story a changed (day 5) before the client asked for the next page.
    after = page_of([story("b", 2, 3), story("a", 5, 3)], ANY, 100, first.next)
    ids = [str(o["id"]) for o, _ in after.objects]
    assert ids[:3] == ["marking-definition--clear", "intrusion-set--shared", "indicator--b-0"]
    assert ids[-3:] == ["indicator--a-0", "indicator--a-1", "indicator--a-2"]


def test_filters_by_type_id_and_version() -> None:
    slices = [story("a", 1, 2), story("b", 2, 2)]
    only_indicators = Matches.from_query({"match[type]": "indicator"})
    assert read_all(slices, 3, only_indicators) == [
        ["indicator--a-0", "indicator--a-1", "indicator--b-0"], ["indicator--b-1"]]
    one = Matches.from_query({"match[id]": "intrusion-set--shared,indicator--b-1"})
    assert read_all(slices, 10, one) == [["intrusion-set--shared", "intrusion-set--shared", "indicator--b-1"]]
    dated = Matches.from_query({"match[version]": taxii_timestamp(DAY + timedelta(days=2)), "match[type]": "indicator"})
    assert read_all(slices, 10, dated) == [["indicator--b-0", "indicator--b-1"]]
    assert read_all(slices, 10, Matches.from_query({"match[spec_version]": "2.0"})) == [[]]
    with pytest.raises(BadFilter, match="match\\[version\\]"):
        Matches.from_query({"match[version]": "yesterday"})
    with pytest.raises(BadFilter, match="next"):
        Position.from_token("not-a-token")
    with pytest.raises(BadFilter, match="added_after"):
        parse_added_after("soon")
    assert parse_added_after("2025-03-02T00:00:00.123456Z") == datetime(2025, 3, 2, 0, 0, 0, 123000, tzinfo=UTC)


def test_one_objects_versions_oldest_first_and_which_match_version_picks() -> None:
    slices = [story("a", 1, 1), story("b", 2, 1), story("c", 3, 1)]
    versions = versions_of(slices, "intrusion-set--shared", ANY)
    assert [added.day for _, added in versions] == [2, 3, 4]
    assert pick_versions(versions, None) == versions[-1:]
    assert pick_versions(versions, "first") == versions[:1]
    assert pick_versions(versions, "all") == versions
    assert pick_versions(versions, f"first,{taxii_timestamp(DAY + timedelta(days=3))}") == [versions[0], versions[2]]
    assert versions_of(slices, "indicator--nowhere", ANY) == []


@pytest.mark.parametrize(("accept", "taken"), [
    (None, True), ("*/*", True), ("application/taxii+json;version=2.1", True),
    ("application/taxii+json", True), ("text/html, application/taxii+json; version=2.1", True),
    ("application/json", False), ("text/html", False), ("application/taxii+json;version=2.0", False),
    ("application/stix+json;version=2.1", False),
])
def test_accept_negotiation(accept: str | None, taken: bool) -> None:
    assert acceptable(accept) is taken
