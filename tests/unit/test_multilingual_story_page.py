"""The story page says in which languages a story was covered, by name."""

from __future__ import annotations

from web.templating import TEMPLATES
from web.timelines import StoryTimeline, TimelineEntry


def test_story_page_names_the_languages_of_its_coverage() -> None:
    entry = TimelineEntry(id="1", source="tokyo-net-shimpo", title="デンマーク国防省に侵入", url="https://example.jp/a",
                          when=None, role="broke it", after_first="", language="ja")
    timeline = StoryTimeline(story={"title": "Danish ministry breach", "outlets": ["a", "b", "c"]}, entries=[entry],
                             outlets=[], languages={"en": 2, "ja": 1, "nl": 1, "xx": 1}, countries={}, first_at=None,
                             last_at=None, broke_it=entry)
    html = TEMPLATES.env.get_template("story.html").render(timeline=timeline)
    assert "covered in 4 languages" in html
    assert '<span lang="en" title="en">English</span> (2 outlets)' in html
    assert '<span lang="ja" title="ja">Japanese</span> (1 outlet)' in html
    assert '<span lang="nl" title="nl">Dutch</span> (1 outlet)' in html  # any language, not a listed few
    assert '<span lang="xx" title="xx">xx</span>' in html  # a language without a name keeps its code
