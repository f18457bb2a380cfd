"""One digest per subscriber: grouped by story, each story and article once,
newest coverage first, stories already sent immediately left out."""

from datetime import UTC, datetime, timedelta

from alerts.digests import DigestEntry, group_digest

T0 = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def entry(rule: str, article: str, story: str | None, minutes: int, title: str = "") -> DigestEntry:
    return DigestEntry(address="desk@example.org", recipient="desk@example.org", rule_id=rule, rule_name=rule.title(),
                       group_key=story or article, story_id=story, article_id=article,
                       title=title or f"Article {article}", url=f"https://news.example/{article}", source="wire",
                       published_at=T0 + timedelta(minutes=minutes), lead="", queued_at=T0, due_at=T0)


ENTRIES = [
    entry("turla", "a1", "s-turla", 0, "Turla opens the story"),
    entry("turla", "a2", "s-turla", 50),
    entry("defence", "a2", "s-turla", 50),  # the same article through a second rule
    entry("typhoon", "b1", "s-typhoon", 90),
    entry("typhoon", "c1", None, 30),  # no story yet: keyed by the article
]


def test_each_story_once_newest_coverage_first() -> None:
    stories = group_digest(ENTRIES, already_sent=set(), public_url="https://cw.example")
    assert [story.key for story in stories] == ["s-typhoon", "s-turla", "c1"]
    turla = stories[1]
    assert [article.title for article in turla.articles] == ["Article a2", "Turla opens the story"]
    assert turla.title == "Turla opens the story"  # headed by the coverage that opened it
    assert turla.articles[0].rule_names == ["Defence", "Turla"]
    assert turla.rule_names == ["Defence", "Turla"]
    assert turla.story_url == "https://cw.example/stories/s-turla"
    assert stories[2].story_url == ""


def test_a_story_sent_immediately_is_not_repeated() -> None:
    stories = group_digest(ENTRIES, already_sent={"s-turla"}, public_url="https://cw.example")
    assert [story.key for story in stories] == ["s-typhoon", "c1"]


def test_an_article_sent_before_it_had_a_story_is_matched_by_its_key() -> None:
    late = entry("typhoon", "c1", None, 30).model_copy(update={"story_id": "s-later", "group_key": "c1"})
    assert group_digest([late], already_sent={"c1"}, public_url="https://cw.example") == []


def test_entry_ids_are_stable_per_subscriber_rule_and_article() -> None:
    assert ENTRIES[1].id != ENTRIES[2].id  # two rules: two entries, one article line in the digest
    assert entry("turla", "a1", "s-turla", 5).id == ENTRIES[0].id
