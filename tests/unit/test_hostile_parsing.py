"""Property-based hostile input for every parser that reads outsiders' bytes:
feeds, sitemaps, page decoding and extraction, URL canonicalisation and the
analyst's query syntax. Each may refuse an input only with its own named error,
and the properties that make the output usable must hold. Counts go to
var/figures/security-properties.json (tests/fixtures/hostile_figures.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from html import escape
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coverwatch.urls import InvalidURL, canonicalize_url
from crawlers.extraction import ExtractionError, decode_page, extract_article
from crawlers.spiders.feed import MalformedFeed, feed_entries, plain_title
from crawlers.spiders.sitemap import MalformedSitemap, parse_sitemap
from search.query_syntax import QuerySyntaxError, check_syntax, expand_actor_aliases, tokenize
from tests.fixtures.hostile import SCRIPT_PAYLOADS, billion_laughs_feed, external_entity_feed
from tests.fixtures.hostile_figures import record_figures, tally

COUNTS: Counter[str] = Counter()
QUICK = settings(max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module", autouse=True)
def _record() -> Iterator[None]:
    yield
    record_figures("properties", COUNTS)


hostile_text = st.one_of(st.text(max_size=300), st.sampled_from(SCRIPT_PAYLOADS),
                         st.text(alphabet="<>&\"';:/\\?#[]@%{}()*~^!=.-_ \x00\ufffd", max_size=80))
hosts = st.one_of(st.from_regex(r"\A[a-z0-9][a-z0-9\-.]{0,30}\Z"), st.sampled_from(
    ["example.com", "AMP.Example.COM.", "[::1]", "[fe80::1%25eth0]", "127.0.0.1", "xn--bcher-kva.example",
     "bücher.example", "a..b", "[::1", "host:99999", "", "user:pw@host", "h\u0000st"]))
url_like = st.one_of(
    st.text(max_size=200),
    st.builds(lambda scheme, host, port, path, query, fragment: f"{scheme}://{host}{port}{path}{query}{fragment}",
              st.sampled_from(["http", "https", "HTTP", "ftp", "javascript", ""]), hosts,
              st.sampled_from(["", ":80", ":443", ":8080", ":0", ":99999", ":abc", ":"]),
              st.one_of(st.just(""), st.text(alphabet="/abc.%-_~amp", max_size=40).map(lambda p: "/" + p)),
              st.lists(st.tuples(st.sampled_from(["id", "utm_source", "ref", "p", "a b", "", "fbclid", "Z"]),
                                 st.text(alphabet="abc123 &=%+", max_size=8)), max_size=5).map(
                  lambda pairs: "?" + "&".join(f"{k}={v}" for k, v in pairs) if pairs else ""),
              st.sampled_from(["", "#top", "#", "#<script>"])))


@QUICK
@given(url_like)
def test_canonical_urls_are_fixed_points(url: str) -> None:
    canonical = tally(COUNTS, lambda: canonicalize_url(url), (InvalidURL,))
    if canonical is None:
        return
    assert canonicalize_url(canonical) == canonical
    assert canonical.startswith(("http://", "https://")) and "#" not in canonical


def _feed(title: str, link: str, author: str) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(title)}</title>'
            f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
            f"<author>{escape(author)}</author><description>{escape(title)}</description></item>"
            "</channel></rss>").encode("utf-8", "surrogatepass")


@QUICK
@given(st.one_of(st.binary(max_size=400), st.builds(_feed, hostile_text, url_like, hostile_text)))
def test_feeds_give_entries_or_a_named_refusal(body: bytes) -> None:
    entries = tally(COUNTS, lambda: feed_entries(body), (MalformedFeed,))
    for entry in entries or []:
        assert isinstance(entry["url"], str) and entry["url"]
        assert "\n" not in entry["title"] and entry["title"] == entry["title"].strip()


@QUICK
@given(hostile_text)
def test_plain_titles_keep_no_tags(title: str) -> None:
    plain = tally(COUNTS, lambda: plain_title(title), ())
    assert plain is not None and plain == " ".join(plain.split())


def test_entity_declarations_are_refused_before_any_expansion(tmp_path_factory: pytest.TempPathFactory) -> None:
    secret = tmp_path_factory.mktemp("xxe") / "secret.txt"
    secret.write_text("do not leak", encoding="utf-8")
    for feed in (billion_laughs_feed("http://fixture.example"),
                 external_entity_feed("http://fixture.example", str(secret))):
        COUNTS["hostile_inputs"] += 1
        with pytest.raises(MalformedFeed, match="entities"):
            feed_entries(feed.body)


def _sitemap(kind: str, locs: list[str]) -> bytes:
    element = "sitemap" if kind == "sitemapindex" else "url"
    children = "".join(f"<{element}><loc>{escape(loc)}</loc><lastmod>{escape(loc[:25])}</lastmod></{element}>"
                       for loc in locs)
    return (f'<?xml version="1.0"?><{kind} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{children}'
            f"</{kind}>").encode("utf-8", "surrogatepass")


@QUICK
@given(st.one_of(st.binary(max_size=400),
                 st.builds(_sitemap, st.sampled_from(["urlset", "sitemapindex", "rss"]),
                           st.lists(url_like, max_size=4)),
                 st.sampled_from([billion_laughs_feed("http://x.example").body.replace(b"rss", b"urlset"),
                                  b'<?xml version="1.0" encoding="x-unknown"?><urlset/>',
                                  b'<?xml version="1.0" encoding="utf-16"?><urlset/>'])))
def test_sitemaps_give_links_or_a_named_refusal(body: bytes) -> None:
    parsed = tally(COUNTS, lambda: parse_sitemap(body), (MalformedSitemap,))
    if parsed is not None:
        kind, links = parsed
        assert kind in {"index", "urlset"}
        assert all(isinstance(link["url"], str) for link in links)


charsets = st.sampled_from([b"", b"text/html", b"text/html; charset=utf-8", b"text/html; charset=idna",
                            b"text/html; charset=base64", b"text/html; charset=utf-16", b"text/html; charset=nope",
                            b"text/html; charset=utf_7", b"text/html; charset=punycode"])


@QUICK
@given(st.binary(max_size=600), charsets)
def test_any_bytes_decode_to_text(body: bytes, content_type: bytes) -> None:
    text = tally(COUNTS, lambda: decode_page(body, content_type), ())
    assert isinstance(text, str)


def _page(title: str, author: str, body: str, image: str) -> str:
    # Raw on purpose, as a hostile outlet would serve it.
    return (f"<html><head><title>{title}</title><meta name='author' content=\"{author}\">"
            f"<meta property='og:image' content=\"{image}\"></head><body><article><h1>{title}</h1>"
            + f"<p>{body} state-sponsored espionage group breached a ministry network.</p>" * 4
            + "</article></body></html>")


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=400), st.builds(_page, hostile_text, hostile_text, hostile_text, url_like),
                 st.integers(1, 400).map(lambda depth: "<div>" * depth + "text " * 60 + "</div>" * depth)))
def test_extraction_gives_an_article_or_a_named_refusal(page: str) -> None:
    extracted = tally(COUNTS, lambda: extract_article(page, "https://news.example/a/1"), (ExtractionError,))
    if extracted is not None:
        assert extracted.body.strip() and isinstance(extracted.title, str)
        assert extracted.image is None or extracted.image.lower().startswith(("http://", "https://"))


queries = st.one_of(st.text(max_size=120), st.text(alphabet='ab "()[]{}:*?~^\\/!+-&|ANDORNT', max_size=60),
                    st.lists(st.sampled_from(["Fancy Bear", "APT28", "AND", "OR", "NOT", "(", ")", '"', "title:",
                                              "[a TO b]", "Turla", "\\", "*", "~2", "Volt Typhoon", "{"]),
                             max_size=10).map(" ".join))


def _checked(query: str) -> bool:
    check_syntax(query)
    return True


@QUICK
@given(queries)
def test_queries_parse_or_raise_the_syntax_error(query: str) -> None:
    tokens = tally(COUNTS, lambda: tokenize(query), (QuerySyntaxError,))
    if tokens is None:
        return
    assert all(0 <= a.start < a.end <= b.start for a, b in pairwise(tokens))
    assert all(query[token.start:token.end] == token.text for token in tokens)
    expanded = tally(COUNTS, lambda: expand_actor_aliases(query), ())
    assert expanded is not None
    checked = tally(COUNTS, lambda: _checked(query), (QuerySyntaxError,))
    if checked:
        # Expanding aliases must never turn a query the analyst got right into one that does not parse.
        check_syntax(expanded.query_string)


def test_markup_nested_ten_thousand_deep_is_read_or_refused_by_name() -> None:
    nested_html = "<div>" * 10_000 + "<p>state-sponsored espionage group breached a ministry network.</p>" * 6 \
        + "</div>" * 10_000
    nested_xml = b"<rss version='2.0'><channel>" + b"<x>" * 10_000 + b"</x>" * 10_000 + b"</channel></rss>"
    tally(COUNTS, lambda: extract_article(nested_html, "https://news.example/a/2"), (ExtractionError,))
    tally(COUNTS, lambda: feed_entries(nested_xml), (MalformedFeed,))
    tally(COUNTS, lambda: parse_sitemap(nested_xml.replace(b"rss", b"urlset")), (MalformedSitemap,))
