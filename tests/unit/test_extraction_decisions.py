"""Each decision the extractor makes, on small pages written for the purpose."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from crawlers.body_choice import Candidates, choose, visible_chars
from crawlers.body_text import block_text
from crawlers.extraction import NoArticleBody, decode_page, extract_article, fallback_title, page_headings

PARAGRAPH = ("Investigators said the intrusion began with a spear-phishing message sent to engineers at the "
             "plant, and that the attackers moved through the network for several weeks before detection. ")


def _article(paragraphs: int, *, head: str = "", before: str = "", after: str = "") -> str:
    body = "".join(f"<p>{PARAGRAPH}Paragraph {n}.</p>" for n in range(paragraphs))
    return (f"<html><head>{head}</head><body>{before}<article>{body}</article>{after}</body></html>")


# --- charset --------------------------------------------------------------------------------

def test_utf8_bytes_win_over_a_legacy_declaration() -> None:
    page = '<meta charset="iso-8859-1"><p>Kosovo’s status, Zürich</p>'.encode()
    assert "Kosovo’s status, Zürich" in decode_page(page, b"text/html; charset=windows-1252")


def test_legacy_bytes_use_the_declared_charset() -> None:
    page = '<meta charset="iso-8859-2"><p>Łódź i Kraków</p>'.encode("iso-8859-2")
    assert "Łódź i Kraków" in decode_page(page)


def test_undeclared_legacy_bytes_fall_back_to_cp1252() -> None:
    assert "naïve café – “quoted”" in decode_page("<p>naïve café – “quoted”</p>".encode("cp1252"))


def test_unknown_declared_charset_is_skipped() -> None:
    page = '<meta charset="x-no-such-charset"><p>Señor</p>'.encode("cp1252")
    assert "Señor" in decode_page(page)


def test_utf16_with_a_byte_order_mark() -> None:
    page = "\ufeff<p>Grüße aus Köln</p>".encode("utf-16-le")
    assert decode_page(page) == "<p>Grüße aus Köln</p>"


# --- block text -----------------------------------------------------------------------------

def test_block_text_puts_one_block_per_line_and_collapses_layout_whitespace() -> None:
    fragment = lxml_html.fromstring("<div>\n  <h2>Heading</h2><p>One   <b>bold</b>\n word</p>"
                                    "<script>var x = 1;</script><p>Two<br>lines</p><!-- note --></div>")
    assert block_text(fragment) == "Heading\nOne bold word\nTwo\nlines"


# --- the chooser ----------------------------------------------------------------------------

def test_readability_is_trusted_when_long_and_most_of_the_page() -> None:
    candidates = Candidates(readability="x" * 3000, page_chars=4000)
    assert not candidates.doubtful
    assert choose(candidates) == "x" * 3000


@pytest.mark.parametrize(("readable", "page_chars"), [(300, 400), (1000, 5000)])
def test_readability_is_doubted_when_short_or_a_small_share_of_the_page(readable: int, page_chars: int) -> None:
    assert Candidates(readability="x" * readable, page_chars=page_chars).doubtful


def test_trafilatura_wins_when_readability_kept_too_little_of_it() -> None:
    candidates = Candidates(readability="r" * 300, page_chars=5000, trafilatura="t" * 2000)
    assert choose(candidates) == "t" * 2000


def test_readability_keeps_its_text_when_trafilatura_is_not_much_longer() -> None:
    candidates = Candidates(readability="r" * 1000, page_chars=5000, trafilatura="t" * 3000)
    assert choose(candidates) == "r" * 1000


def test_an_empty_readability_result_is_rescued_and_an_empty_rescue_ignored() -> None:
    assert choose(Candidates(readability="", page_chars=900, trafilatura="t" * 800)) == "t" * 800
    assert choose(Candidates(readability="r" * 400, page_chars=900, trafilatura="")) == "r" * 400


def test_visible_chars_ignores_scripts_styles_and_layout_whitespace() -> None:
    tree = lxml_html.fromstring("<html><body><p>abc   def</p>\n\n<script>var long_name = 1;</script>"
                                "<style>p { color: red }</style></body></html>")
    # Separators around the removed script are approximate; the script's 20-odd characters are not counted.
    assert len("abc def") <= visible_chars(tree) <= len("abc def") + 2


# --- the whole extractor on synthetic pages -------------------------------------------------

def test_navigation_and_footer_stay_out_of_the_body() -> None:
    page = _article(6, head="<title>Plant breach</title>",
                    before="<nav><a href='/'>Home</a> <a href='/world'>World</a> <a href='/tech'>Tech</a></nav>",
                    after="<footer><a href='/about'>About us</a> <a href='/privacy'>Privacy</a></footer>")
    body = extract_article(page, "https://news.example/a").body
    assert body.count("Investigators said") == 6
    assert "Privacy" not in body and "Home" not in body


def test_a_page_without_headline_metadata_keeps_its_body_and_takes_the_h1() -> None:
    page = _article(5, head="<title>Plant breach traced to phishing | Example News</title>",
                    before="<h1>Plant breach traced to phishing</h1>")
    extracted = extract_article(page, "https://news.example/b")
    assert extracted.title == "Plant breach traced to phishing"
    assert not extracted.body.startswith("Plant breach")  # the headline is not part of the body


def test_title_falls_back_to_the_title_element_then_the_first_line() -> None:
    tree = lxml_html.fromstring("<html><head><title>Only a title</title></head><body><h1>Site</h1></body></html>")
    assert page_headings(tree) == ["Only a title", "Site"]
    assert fallback_title([], "A first line that says what happened\nmore") == "A first line that says what happened"
    assert fallback_title([], "word " * 60).endswith("…")


def test_a_title_that_swallowed_the_page_is_repaired() -> None:
    # A broken comment marker after the title text, and no </title>: the parser reads the rest as title.
    swallowed = "<head><title>Breach library-->\n" + "<script>var slot = 1;</script>\n" * 60
    page = _article(5).replace("<head></head>", swallowed)
    assert "</title>" not in page
    body = extract_article(page, "https://news.example/c").body
    assert body.count("Investigators said") == 5
    assert "<p>" not in body and "var slot" not in body  # the article's text, not the page's source


def test_a_script_shell_is_a_named_error() -> None:
    shell = "<html><head><title>App</title></head><body><div id='root'></div><script>boot()</script></body></html>"
    with pytest.raises(NoArticleBody):
        extract_article(shell, "https://spa.example/1")


def test_json_ld_article_body_stands_in_for_an_empty_page_body() -> None:
    story = PARAGRAPH * 3
    head = ('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Breach", '
            f'"articleBody": "{story}"}}</script>')
    page = f"<html><head>{head}</head><body><div id='root'></div></body></html>"
    assert extract_article(page, "https://spa.example/2").body == story.strip()
