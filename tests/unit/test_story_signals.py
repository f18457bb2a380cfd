"""Each signal of the story step on small hand-written cases, and the demo's
stories whatever the order its articles arrive in."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from coverwatch.models import Article
from coverwatch.taxonomy import default_taxonomy
from crawlers.demo_site.site import load_demo_articles
from workers.clustering import ClusterItem, OnlineClusterer, name_mismatch, similarity
from workers.enrichment import enrich
from workers.entities import default_matcher
from workers.stories import item_from_article, vectorise
from workers.story_terms import article_vector, background_idf, mentioned_years, salient_names

NOW = datetime(2026, 3, 2, tzinfo=UTC)


def _item(item_id: str, title: str, body: str) -> ClusterItem:
    return ClusterItem(item_id, article_vector(title, "", body), NOW, names=salient_names(title, body),
                       years=mentioned_years(title, body))


def test_rare_names_outweigh_common_words() -> None:
    assert background_idf("kazuar") > 2 * background_idf("ministry") > 0
    vector = article_vector("Kazuar found at ministry", "", "The ministry said Kazuar was found. The ministry said.")
    assert next(iter(vector)) == "kazuar"


def test_a_vector_does_not_depend_on_what_came_before() -> None:
    title, body = "Turla implant found", "Investigators found a Turla implant on ministry servers in Copenhagen."
    assert article_vector(title, "", body) == article_vector(title, "", body)


def test_salient_names_are_repeated_or_headline_capitalised_words() -> None:
    names = salient_names("Charger Jamal Okafor arrested",
                          "San Diego lineman Jamal Okafor was arrested. Police said Okafor was stopped. The Team won.")
    assert {"jamal", "okafor"} <= names
    assert "team" not in names and "police" not in names  # opening a sentence, or too common


def test_same_wording_different_people_is_two_incidents() -> None:
    template = ("Chargers {name} was arrested on suspicion of drunk driving early Saturday, the team said. "
                "{name} was stopped by officers in San Diego and booked into jail. {name} was released on bail.")
    jackson = _item("a", "Chargers receiver Vincent Ngata arrested on DUI charge",
                    template.format(name="Vincent Ngata"))
    jackson_again = _item("b", "Ngata arrested on suspicion of DUI",
                          template.format(name="Ngata") + " Vincent Ngata is the team's leading receiver.")
    williams = _item("c", "Chargers lineman Jamal Okafor arrested on DUI charge",
                     template.format(name="Jamal Okafor"))
    assert name_mismatch(jackson, jackson_again) == 0.0
    assert name_mismatch(jackson, williams) > 0.5
    assert similarity(jackson, jackson_again) > 2 * similarity(jackson, williams)


def test_years_that_do_not_meet_pull_similarity_down() -> None:
    body = "Microsoft released an emergency patch for Internet Explorer after attacks on a zero-day flaw in {year}."
    first = _item("a", "Microsoft patches Internet Explorer", body.format(year="2008"))
    same_year = _item("b", "Microsoft patches Internet Explorer", body.format(year="2008") + " Users should update.")
    other_year = _item("c", "Microsoft patches Internet Explorer", body.format(year="2013") + " Users should update.")
    assert similarity(first, other_year) < 0.5 * similarity(first, same_year)


def _demo_articles() -> list[Article]:
    taxonomy, matcher = default_taxonomy(), default_matcher()
    _, demo = load_demo_articles()
    articles = [enrich(Article(url=f"https://{a.outlet}.example/{a.slug}", title=a.title, lead=a.lead,
                               body="\n".join(a.paragraphs), source=a.outlet, published_at=a.published),
                       taxonomy, matcher) for a in demo]
    vectorise(articles)
    return articles


def _partition(articles: list[Article], batch: int) -> frozenset[frozenset[str]]:
    clusterer = OnlineClusterer()
    story_of = {}
    for start in range(0, len(articles), batch):
        chunk = sorted(articles[start:start + batch], key=lambda a: (a.published_at or a.crawled_at, a.id))
        for article in chunk:
            story_of[article.id] = clusterer.assign(item_from_article(article), []).story_id
    members: dict[str, set[str]] = {}
    for article_id, story_id in story_of.items():
        members.setdefault(story_id, set()).add(article_id)
    return frozenset(frozenset(group) for group in members.values())


def test_the_demo_makes_the_same_stories_in_any_arrival_order() -> None:
    articles = _demo_articles()
    in_order = _partition(sorted(articles, key=lambda a: (a.published_at or a.crawled_at, a.id)), batch=len(articles))
    for seed in range(6):
        shuffled = list(articles)
        random.Random(seed).shuffle(shuffled)
        assert _partition(shuffled, batch=4) == in_order, seed
