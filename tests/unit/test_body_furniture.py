"""What the extractor takes out of today's pages and what it puts back: furniture pruned before
readability, prose readability missed merged from trafilatura, the lead set apart from the body,
invisible characters and ruby annotations, XHTML declarations."""

from __future__ import annotations

from lxml import html as lxml_html

from crawlers.body_choice import Candidates, prose_paragraphs, prose_share, voted, with_missing_prose
from crawlers.body_lead import page_lead, with_lead
from crawlers.body_pruning import prune_boilerplate
from crawlers.body_text import block_text
from crawlers.extraction import extract_article

PARAGRAPH = ("Investigators said the intrusion began with a spear-phishing message sent to engineers at the "
             "plant, and that the attackers moved through the network for several weeks before detection. ")


def _paragraphs(count: int, label: str = "Paragraph") -> str:
    return "".join(f"<p>{PARAGRAPH}{label} {n}.</p>" for n in range(count))


def _page(article: str, *, head: str = "", outside: str = "") -> str:
    return f"<html><head>{head}</head><body><article>{article}</article>{outside}</body></html>"


def test_captions_related_boxes_and_pointer_lines_are_pruned_inside_the_article() -> None:
    article = (_paragraphs(3)
               + "<figure><img src='a.jpg'><figcaption>Foto: Agency / Photographer</figcaption></figure>"
               + "<div class='vce-related-box'><h3>Auch interessant</h3><a href='/x'>Another story</a></div>"
               + "<div class='share-bar'><a href='/fb'>Share on Facebook</a></div>"
               + "<p><strong>Lea también:</strong> <a href='/y'>Otra noticia</a></p>"
               + "<p class='newsletter-teaser'>Sign up for our newsletter.</p>" + _paragraphs(3, "Later"))
    body = extract_article(_page(article), "https://news.example/a").body
    assert body.count("Investigators said") == 6
    for furniture in ("Photographer", "Another story", "Share on Facebook", "Otra noticia", "newsletter"):
        assert furniture not in body


def test_a_container_holding_prose_is_kept_whatever_its_class_says() -> None:
    tree = lxml_html.fromstring(f"<html><body><div class='content-sidebar-wrap'>{_paragraphs(4)}</div>"
                                "<div class='non-paywall'><p>Short but the article's own.</p></div>"
                                "<aside class='sidebar'><a href='/z'>Most read</a></aside></body></html>")
    prune_boilerplate(tree)
    text = block_text(tree)
    assert text.count("Investigators said") == 4
    assert "Short but the article's own." in text  # "non-paywall" describes, it does not name furniture
    assert "Most read" not in text


def test_a_long_line_opening_with_a_cue_word_is_a_paragraph_not_a_pointer() -> None:
    tree = lxml_html.fromstring(f"<html><body><p>Read more: {PARAGRAPH * 2}</p><p>Read more: elsewhere</p>"
                                "</body></html>")
    prune_boilerplate(tree)
    text = block_text(tree)
    assert "Read more: Investigators" in text and "elsewhere" not in text


def test_prose_readability_missed_is_merged_where_trafilatura_has_it() -> None:
    first, missing, last = (f"{label} {PARAGRAPH}" for label in ("First.", "Missing.", "Last."))
    prose = (first, missing, last)
    merged = with_missing_prose(f"{first}\n{last}", f"{first}\n{missing}\nA short teaser line\n{last}", prose)
    assert merged.split("\n") == [first, missing, last]  # the teaser is no page prose and stays out


def test_short_lines_stay_only_when_both_extractors_kept_them() -> None:
    readable = f"Subheading both kept\n{PARAGRAPH}\nPhoto: Agency\nShare this article"
    other = f"Subheading both kept\n{PARAGRAPH}"
    assert voted(readable, other) == other
    assert Candidates(readability=readable, page_chars=len(readable)).second_opinion_wanted
    assert not Candidates(readability=PARAGRAPH * 8, page_chars=len(PARAGRAPH) * 8).second_opinion_wanted


def test_readability_is_doubted_when_it_holds_little_of_the_page_prose() -> None:
    # Paragraphs are told apart by their openings, so each opens with its own words here.
    tree = lxml_html.fromstring("<html><body>" + "".join(f"<p>Part {n}: {PARAGRAPH}</p>" for n in range(5))
                                + "<p>Too short to be prose.</p></body></html>")
    prose = prose_paragraphs(tree)
    assert len(prose) == 5
    kept = "\n".join(prose[:2])
    assert prose_share(prose, kept) == 0.4
    assert Candidates(readability=kept * 3, page_chars=len(kept) * 3, prose=prose).doubtful
    assert not Candidates(readability="\n".join(prose), page_chars=len(kept) * 3, prose=prose).doubtful


def test_the_lead_set_apart_from_the_body_opens_it_once() -> None:
    lead = "The agency confirmed on Monday that the breach reached the ministry's classified network."
    page = _page(_paragraphs(4), outside=f"<a href='/other'><p class='lead'>{lead} (another story)</p></a>")
    page = page.replace("<article>", f"<header><p class='standfirst'>{lead}</p></header><article>")
    body = extract_article(page, "https://news.example/a").body
    assert body.split("\n")[0] == lead and body.count(lead) == 1
    assert with_lead(body, lead) == body


def test_a_lead_without_a_class_is_the_block_repeating_the_description() -> None:
    lead = "Officials said the intrusion lasted weeks and reached engineering workstations of the plant."
    tree = lxml_html.fromstring(f"<html><body><p>Short line</p><p>{lead}</p>{_paragraphs(2)}</body></html>")
    assert page_lead(tree, lead) == lead
    assert page_lead(tree, "") == ""


def test_soft_hyphens_and_ruby_annotations_stay_out_of_the_text() -> None:
    fragment = lxml_html.fromstring("<div><p>Mit\u00adtel\u00adal\u00adter</p>"
                                    "<p><ruby>子<rp>(</rp><rt>こ</rt><rp>)</rp></ruby>ども</p></div>")
    assert block_text(fragment) == "Mittelalter\n子ども"


def test_an_xhtml_page_with_an_xml_declaration_is_read() -> None:
    page = '<?xml version="1.0" encoding="utf-8"?>\n' + _page(_paragraphs(4))
    assert extract_article(page, "https://news.example/a").body.count("Investigators said") == 4
