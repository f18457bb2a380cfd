"""`coverwatch export --format stix|misp|atom --story ID` against a real node:
each prints one document of the story that its own reader accepts."""

from __future__ import annotations

import json

import feedparser
import pytest
from pymisp import MISPEvent
from stix2validator import validate_string

from console.main import main
from coverwatch.settings import Settings
from search.engine import SearchEngine
from tests.fixtures.claim_ledger_story import index_ledger_story

STORY = "export-formats-story"


@pytest.fixture(scope="module")
def story(settings: Settings, engine: SearchEngine) -> str:
    index_ledger_story(engine, settings, STORY, "export-formats")
    return STORY


def _export(capsys: pytest.CaptureFixture[str], *arguments: str) -> str:
    assert main(["export", *arguments]) == 0
    return capsys.readouterr().out


def test_stix_is_one_valid_bundle_with_the_story_report(story: str, capsys: pytest.CaptureFixture[str]) -> None:
    printed = _export(capsys, "--format", "stix", "--story", story)
    assert validate_string(printed).is_valid
    reports = [item for item in json.loads(printed)["objects"] if item["type"] == "report"]
    assert [report["name"] for report in reports] == ["Officials suspect Chinese hackers in Lanternfall intrusion"]
    assert _export(capsys, "--format", "stix", "--story", story) == printed  # same ids, same document


def test_misp_loads_as_one_event_per_story(story: str, capsys: pytest.CaptureFixture[str]) -> None:
    events = json.loads(_export(capsys, "--format", "misp", "--story", story))["response"]
    assert len(events) == 1
    event = MISPEvent()
    event.load(events[0])
    assert event.info == "Officials suspect Chinese hackers in Lanternfall intrusion"
    assert any(attribute.type == "link" for attribute in event.attributes)


def test_atom_has_one_entry_for_the_story_not_one_per_copy(story: str, capsys: pytest.CaptureFixture[str]) -> None:
    feed = feedparser.parse(_export(capsys, "--format", "atom", "--story", story))
    assert feed.bozo == 0
    assert [entry.title for entry in feed.entries] == ["Officials suspect Chinese hackers in Lanternfall intrusion"]


def test_the_feed_of_every_story_reads_the_newest(story: str, capsys: pytest.CaptureFixture[str]) -> None:
    feed = feedparser.parse(_export(capsys, "--format", "atom"))
    assert feed.bozo == 0
    assert 1 <= len(feed.entries) <= 50


def test_an_unknown_story_is_an_error(story: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--format", "stix", "--story", "no-such-story-zz"]) == 1
    assert "no story 'no-such-story-zz'" in capsys.readouterr().err
