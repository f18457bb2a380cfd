"""The exchange's reads (search/story_records.py) against a real node: stories
with their articles, changed since a time, one story, the stories a search reaches."""

from __future__ import annotations

from coverwatch.settings import Settings
from search.engine import SearchEngine
from search.story_records import SearchScope, story_records
from tests.fixtures.claim_ledger_story import index_ledger_story


def test_stories_come_with_their_articles_oldest_first_and_copies_marked(
        own_indices: Settings, engine: SearchEngine) -> None:
    index_ledger_story(engine, own_indices, "story-records-a", "records-a")
    index_ledger_story(engine, own_indices, "story-records-b", "records-b")

    records = list(story_records(engine, own_indices))

    assert sorted(record.id for record in records) == ["story-records-a", "story-records-b"]
    first = records[0]
    assert [article["source"] for article in first.articles] == [
        "ledger-daily", "ledger-wire", "ledger-post", "ledger-echo"]
    assert [article["source"] for article in first.originals] == ["ledger-daily", "ledger-wire", "ledger-post"]
    assert first.values("actors") == ["G0128"]
    assert first.last_update is not None


def test_one_story_changes_since_and_a_search_scope_narrow_the_read(
        own_indices: Settings, engine: SearchEngine) -> None:
    index_ledger_story(engine, own_indices, "story-records-c", "records-c")
    record = next(iter(story_records(engine, own_indices)))
    assert record.last_update

    assert [r.id for r in story_records(engine, own_indices, story_ids=["story-records-c"])] == ["story-records-c"]
    assert [r.id for r in story_records(engine, own_indices, story_ids=["no-such-story"])] == []
    assert [r.id for r in story_records(engine, own_indices, since=record.last_update)] == ["story-records-c"]
    assert [r.id for r in story_records(engine, own_indices, since=record.last_update, strictly_after=True)] == []
    reached = story_records(engine, own_indices, scope=SearchScope("Beijing rejects", {"actor": ["G0128"]}))
    assert [r.id for r in reached] == ["story-records-c"]
    assert list(story_records(engine, own_indices, scope=SearchScope("nothing-matches-this-zzq"))) == []


def test_a_story_s_articles_are_read_whole_past_one_page(own_indices: Settings, engine: SearchEngine) -> None:
    from search.story_records import story_members

    index_ledger_story(engine, own_indices, "story-records-d", "records-d")
    index_ledger_story(engine, own_indices, "story-records-e", "records-e")
    whole = story_members(engine, own_indices, ["story-records-d", "story-records-e"])
    paged = story_members(engine, own_indices, ["story-records-d", "story-records-e"], page_size=3)
    assert [len(whole[story]) for story in ("story-records-d", "story-records-e")] == [4, 4]
    assert paged == whole
