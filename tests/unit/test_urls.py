import pytest

from coverwatch.urls import InvalidURL, article_id, canonicalize_url


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("HTTPS://News.Example.COM:443/a/b.html#comments", "https://news.example.com/a/b.html"),
        ("http://example.com:80/x?utm_source=rss&utm_medium=feed", "http://example.com/x"),
        ("https://example.com/x?b=2&fbclid=abc&a=1", "https://example.com/x?a=1&b=2"),
        ("https://example.com/story/amp/", "https://example.com/story"),
        ("https://amp.example.com/story.amp.html", "https://example.com/story.html"),
        ("https://example.com//double//slash", "https://example.com/double/slash"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("https://example.com/x?id=42&gclid=1&mc_cid=2", "https://example.com/x?id=42"),
    ],
)
def test_canonicalize_url(raw: str, canonical: str) -> None:
    assert canonicalize_url(raw) == canonical


def test_query_parameters_that_name_the_article_are_kept() -> None:
    assert canonicalize_url("https://example.com/view?article=991") == (
        "https://example.com/view?article=991")


@pytest.mark.parametrize("raw", ["ftp://example.com/x", "/relative/path", "mailto:a@b.c", ""])
def test_non_http_urls_are_rejected(raw: str) -> None:
    with pytest.raises(InvalidURL):
        canonicalize_url(raw)


def test_article_id_is_stable_across_spellings() -> None:
    a = article_id(canonicalize_url("https://Example.com/a?utm_campaign=x"))
    b = article_id(canonicalize_url("https://example.com/a#top"))
    assert a == b
    assert a != article_id(canonicalize_url("https://example.com/b"))
