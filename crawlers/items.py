"""What the spiders yield, and the named outcomes they count."""

from __future__ import annotations

from coverwatch.models import Article


class ArticleItem(dict[str, object]):
    """A crawled article as a JSON-safe record, ready for the broker."""

    @classmethod
    def from_article(cls, article: Article) -> ArticleItem:
        return cls(article.model_dump(mode="json"))
