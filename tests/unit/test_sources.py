from collections import Counter
from pathlib import Path

import pytest

from coverwatch.settings import PROJECT_ROOT
from crawlers.sources import SourceFileError, SourceKind, load_sources, parse_sources

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


SHIPPED = PROJECT_ROOT / "crawlers" / "sources.yml"
# The countries whose national press the list must cover, and the languages the
# incidents we monitor are reported in first.
NATIONAL_PRESS_COUNTRIES = ("US", "GB", "JP", "KR", "TW", "AU", "DE", "FR", "NL", "UA", "IN")
REQUIRED_LANGUAGES = ("en", "ja", "ko", "de")
REQUIRED_TAGS = ("wire", "trade-press", "government", "cert", "vendor-research")


def test_shipped_sources_file_has_the_promised_mix() -> None:
    sources = load_sources(SHIPPED)  # every entry valid, names unique, or this raises
    assert len(sources) >= 150
    for source in sources:
        assert source.country and source.tags, f"{source.name} lacks a country or tags"
    by_country = Counter(source.country for source in sources if "national-press" in source.tags
                         or "broadcaster" in source.tags)
    thin = [country for country in NATIONAL_PRESS_COUNTRIES if by_country[country] < 3]
    assert not thin, f"fewer than 3 press or broadcast sources for {thin}: {dict(by_country)}"
    by_language = Counter(source.language for source in sources)
    assert all(by_language[language] >= 5 for language in REQUIRED_LANGUAGES), dict(by_language)
    by_tag = Counter(tag for source in sources for tag in source.tags)
    assert all(by_tag[tag] >= 5 for tag in REQUIRED_TAGS), dict(by_tag)
    assert {source.kind for source in sources} >= {SourceKind.FEED, SourceKind.SITEMAP}


def test_shipped_sources_have_distinct_addresses_and_say_they_are_unchecked() -> None:
    sources = load_sources(SHIPPED)
    urls = [url for source in sources for url in source.start_urls]
    assert len(urls) == len(set(urls)), [url for url, n in Counter(urls).items() if n > 1]
    assert "sources check" in SHIPPED.read_text(encoding="utf-8").split("sources:")[0]
