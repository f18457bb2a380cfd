"""The TAXII collections a user reads (web/taxii.py): every story, and one per
saved search of theirs. Ids are UUIDv5 of what the collection is, so they stay
the same across restarts and machines, and a TAXII client configured with one
keeps reading the same stories."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from search.story_records import SearchScope
from web.saved_searches import SavedSearch, SavedSearchError, SavedSearches, describe, search_scope
from workers.exchange import stable_uuid
from workers.exchange.stix import STIX_MEDIA_TYPE

ALL_STORIES_ID = str(stable_uuid("taxii-collection", "all"))


@dataclass(frozen=True)
class TaxiiCollection:
    id: str
    title: str
    description: str
    scope: SearchScope | None  # None: every story
    scope_id: str  # ExchangeOptions.scope_id

    def resource(self) -> dict[str, Any]:
        """The collection resource of TAXII 2.1 (section 5.2.1): read-only, STIX 2.1."""
        return {"id": self.id, "title": self.title, "description": self.description, "can_read": True,
                "can_write": False, "media_types": [STIX_MEDIA_TYPE]}


ALL_STORIES = TaxiiCollection(ALL_STORIES_ID, "All stories",
                              "Every story Coverwatch holds, as STIX 2.1 reports with their actors, techniques, "
                              "vulnerabilities, victims, indicators and attribution claims; an object is added "
                              "when its story last changed.", None, "all")


def saved_collection_id(saved: SavedSearch) -> str:
    return str(stable_uuid("taxii-collection", "saved", saved.owner, saved.id))


def saved_collection(saved: SavedSearch) -> TaxiiCollection | None:
    """The collection of a saved search; None for one whose query no longer parses."""
    try:
        scope = search_scope(saved)
    except SavedSearchError:
        return None
    return TaxiiCollection(saved_collection_id(saved), f"Saved search: {saved.name}",
                           f"The stories the saved search of {saved.owner} reaches ({describe(saved)}).", scope,
                           f"saved:{saved.owner}:{saved.id}")


def collections_of(store: SavedSearches, owner: str) -> list[TaxiiCollection]:
    """Every story, then the user's saved searches, newest first."""
    found = [saved_collection(saved) for saved in store.of(owner)]
    return [ALL_STORIES, *(collection for collection in found if collection is not None)]
