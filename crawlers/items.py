"""What the spiders yield, and the named outcomes they count."""

from __future__ import annotations

from coverwatch.models import Article


class ArticleItem(dict[str, object]):
    """A crawled article as a JSON-safe record, ready for the broker. ``seen_as``
    (not part of the record) holds the canonical URLs that the seen-set takes
    once the article has been handed to the workers."""

    seen_as: tuple[str, ...] = ()

    @classmethod
    def from_article(cls, article: Article, seen_as: tuple[str, ...] = ()) -> ArticleItem:
        item = cls(article.model_dump(mode="json"))
        item.seen_as = seen_as
        return item
