from datetime import UTC, datetime, timedelta

from coverwatch.models import Article
from coverwatch.taxonomy import default_taxonomy
from tests.fixtures.story_corpus import build_corpus
from workers.clustering import (
    ClusterItem,
    OnlineClusterer,
    new_story_id,
    similarity,
    stories_to_merge,
)
from workers.enrichment import enrich
from workers.entities import default_matcher
from workers.evaluation import bcubed, pair_scores
from workers.stories import item_from_article, vectorise

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def _item(item_id: str, vector: dict[str, float], days: float = 0, victims: frozenset[str] = frozenset(),
          story_id: str | None = None) -> ClusterItem:
    return ClusterItem(item_id, vector, T0 + timedelta(days=days), victims=victims, story_id=story_id)


def test_bcubed_and_pair_scores() -> None:
    gold = {"a": "1", "b": "1", "c": "2"}
    assert bcubed(gold, {"a": "x", "b": "x", "c": "y"}) == (1.0, 1.0, 1.0)
    precision, recall, _ = bcubed(gold, {"a": "x", "b": "x", "c": "x"})
    assert recall == 1.0 and round(precision, 3) == round((2 / 3 * 2 + 1 / 3) / 3, 3)
    assert pair_scores([frozenset("ab")], [frozenset("ab"), frozenset("bc")]) == (0.5, 1.0)


def test_conflicting_victims_and_time_pull_similarity_down() -> None:
    vector = {"breach": 0.6, "ministry": 0.6, "phishing": 0.52}
    same = similarity(_item("a", vector, victims=frozenset({"PL"})), _item("b", vector, victims=frozenset({"PL"})))
    other_victim = similarity(_item("a", vector, victims=frozenset({"PL"})),
                              _item("b", vector, victims=frozenset({"DE"})))
    later = similarity(_item("a", vector), _item("b", vector, days=20))
    assert same > 0.95 and other_victim < same * 0.6 and later < same * 0.25


def test_online_assignment_is_deterministic_per_article() -> None:
    clusterer = OnlineClusterer()
    first = clusterer.assign(_item("a", {"x": 1.0}), [])
    second = clusterer.assign(_item("b", {"x": 1.0}), [])
    unrelated = clusterer.assign(_item("c", {"y": 1.0}), [])
    assert first.opened and first.story_id == new_story_id("a")
    assert not second.opened and second.story_id == first.story_id
    assert unrelated.opened


def test_merge_finds_converged_stories_only() -> None:
    shared = {"kazuar": 0.7, "ministry": 0.5, "denmark": 0.5}
    other = {"football": 0.8, "cup": 0.6}
    stories = {
        "s1": [_item("a", shared, story_id="s1"), _item("b", shared, story_id="s1")],
        "s2": [_item("c", shared, 1, story_id="s2")],
        "s3": [_item("d", other, story_id="s3")],
    }
    assert stories_to_merge(stories) == [("s2", "s1")]


def test_two_incidents_per_topic_are_kept_apart_on_the_labelled_corpus() -> None:
    records, gold = build_corpus(seed=5)
    taxonomy, matcher = default_taxonomy(), default_matcher()
    articles = sorted((enrich(Article.model_validate(r), taxonomy, matcher) for r in records),
                      key=lambda a: a.published_at or a.crawled_at)
    vectorise(articles)
    clusterer = OnlineClusterer()
    predicted = {article.url: clusterer.assign(item_from_article(article), []).story_id for article in articles}
    _, _, f1 = bcubed(gold, predicted)
    assert f1 >= 0.9, f1
