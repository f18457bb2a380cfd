"""Which stories an exchange document holds (web/exchange_api.py's STIX
downloads, web/taxii.py's collections): an actor's, a saved search's, and the
stories of a scope as TAXII slices of STIX objects."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from coverwatch.models import parse_timestamp
from coverwatch.settings import Settings
from coverwatch.taxonomy import Actor
from search.engine import SearchEngine
from search.story_records import SearchScope, StoryRecord, story_records
from web.saved_searches import SavedSearch, SavedSearches
from web.taxii_paging import StorySlice, taxii_timestamp, to_millisecond
from workers.exchange import ExchangeOptions
from workers.exchange.stix import object_dicts

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def actor_scope(actor: Actor) -> SearchScope:
    return SearchScope("", {"actor": [actor.id]})


def find_saved(store: SavedSearches, owner: str, name: str) -> SavedSearch | None:
    """One of ``owner``'s saved searches by id, else by its name (case-insensitively)."""
    found = store.get(owner, name)
    if found is not None:
        return found
    wanted = " ".join(name.split()).casefold()
    return next((saved for saved in store.of(owner) if saved.name.casefold() == wanted), None)


def added_at(record: StoryRecord) -> datetime:
    """When a story's current objects were added to a collection: its last change."""
    return to_millisecond(parse_timestamp(record.last_update) or EPOCH)


def story_slices(engine: SearchEngine, settings: Settings, options: ExchangeOptions, scope: SearchScope | None, *,
                 added_after: datetime | None = None, from_added: datetime | None = None) -> Iterator[StorySlice]:
    """The stories of a collection changed after ``added_after`` (and at or after
    ``from_added``, where a page resumes), oldest change first, as TAXII slices."""
    since, strictly = added_after, True
    if from_added is not None and (added_after is None or from_added > added_after):
        since, strictly = from_added, False
    for record in story_records(engine, settings, since=taxii_timestamp(since) if since else None,
                                strictly_after=strictly, scope=scope):
        added = added_at(record)
        if added_after is not None and added <= added_after:
            continue  # the engine keeps milliseconds as we do; this only guards the rounding

        def render(record: StoryRecord = record) -> list[dict[str, object]]:
            return object_dicts([record], options)

        yield StorySlice(record.id, added, render)
