from pathlib import Path

import pytest

from coverwatch.settings import PROJECT_ROOT
from crawlers.sources import SourceFileError, load_sources, parse_sources

GOOD = """
sources:
  - name: northgate-wire
    kind: feed
    urls: https://news.example.com/feed.xml
    language: en
    country: GB
  - name: packet-signal
    urls: [https://a.example.com/rss, https://a.example.com/atom]
"""


def test_valid_file_parses_into_typed_sources() -> None:
    sources = parse_sources(GOOD)
    assert [s.name for s in sources] == ["northgate-wire", "packet-signal"]
    assert sources[0].start_urls == ["https://news.example.com/feed.xml"]
    assert sources[0].country == "GB"
    assert len(sources[1].start_urls) == 2
    assert sources[1].language == "en"


def test_bad_yaml_names_the_file() -> None:
    with pytest.raises(SourceFileError, match=r"mine\.yml: not valid YAML"):
        parse_sources("sources: [name: x\n  - oops", "mine.yml")


def test_missing_top_level_list() -> None:
    with pytest.raises(SourceFileError, match="top-level 'sources:' list"):
        parse_sources("outlets: []")


def test_unknown_key_names_the_entry() -> None:
    text = GOOD + "  - name: third-outlet\n    urls: https://c.example.com/f\n    colour: red\n"
    with pytest.raises(SourceFileError, match=r"entry 3 \('third-outlet'\): colour: Extra inputs"):
        parse_sources(text)


@pytest.mark.parametrize("bad_url", ["not a url", "ftp://example.com/feed", "example.com/feed"])
def test_bad_url_names_the_entry(bad_url: str) -> None:
    text = f"sources:\n  - name: broken-one\n    urls: '{bad_url}'\n"
    with pytest.raises(SourceFileError, match=r"entry 1 \('broken-one'\): urls\.0"):
        parse_sources(text)


def test_bad_country_and_duplicate_names() -> None:
    with pytest.raises(SourceFileError, match="country"):
        parse_sources("sources:\n  - name: x-outlet\n    urls: https://a.example/f\n    country: gbr\n")
    doubled = "sources:\n" + "  - name: same\n    urls: https://a.example/f\n" * 2
    with pytest.raises(SourceFileError, match="duplicate source name 'same'"):
        parse_sources(doubled)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(SourceFileError, match="cannot read"):
        load_sources(tmp_path / "missing.yml")


def test_shipped_sources_file_is_valid() -> None:
    assert load_sources(PROJECT_ROOT / "crawlers" / "sources.yml")
