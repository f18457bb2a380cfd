"""TAXII 2.1, read-only (issue 23): discovery at ``/taxii2/``, one API root
``/taxii2/coverwatch/``, its collections (web/taxii_collections.py), and each
collection's objects, single objects, their versions and its manifest.

- Every response is ``application/taxii+json;version=2.1``; a request whose
  ``Accept`` names neither that (with or without ``version=2.1``) nor ``*/*``
  gets 406. Refusals are TAXII error messages (``title``, ``description``,
  ``http_status``).
- Signed in like /api/v1: an API token as ``Authorization: Bearer cw_…`` or,
  for clients that only speak Basic, as the password of Basic auth with the
  token's user name (web/auth.py ``identify``); any role reads.
- An object's ``date_added`` is its story's ``last_update``, so ``added_after``
  gives what changed since; pages are ``limit`` objects (default
  :data:`DEFAULT_LIMIT`, at most :data:`MAX_LIMIT`) with ``more`` and ``next``
  and the ``X-TAXII-Date-Added-First``/``-Last`` headers (web/taxii_paging.py).
- ``match[type]``, ``match[id]``, ``match[spec_version]`` and timestamps in
  ``match[version]`` filter the object list, which holds every story's version
  of an object (``first``/``last``/``all`` select nothing there; they select
  among one object's versions at ``objects/{id}/``). A single object and its
  versions are found by reading the collection's stories through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from search.engine import EngineError, EngineUnavailable
from web.auth import SignedIn
from web.exchange_scopes import story_slices
from web.routing import WebDeps, web_route
from web.saved_searches import SavedSearches
from web.taxii_collections import TaxiiCollection, collections_of
from web.taxii_paging import (
    BadFilter,
    Matches,
    Page,
    Position,
    StixObject,
    StorySlice,
    object_version,
    page_of,
    parse_added_after,
    pick_versions,
    taxii_timestamp,
    versions_of,
)
from workers.exchange import ExchangeOptions
from workers.exchange.stix import STIX_MEDIA_TYPE

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
API_ROOT = "coverwatch"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
Limit = Annotated[int | None, Query(ge=1, description=f"objects per page (at most {MAX_LIMIT})")]
AddedAfter = Annotated[str | None, Query(description="only objects added (their story changed) after this time")]
Next = Annotated[str | None, Query(description="the 'next' of the previous page")]


class TaxiiResponse(JSONResponse):
    media_type = TAXII_MEDIA_TYPE


def taxii_error(status: int, title: str, description: str = "") -> TaxiiResponse:
    body = {"title": title, "http_status": str(status)}
    if description:
        body["description"] = description
    return TaxiiResponse(body, status_code=status)


def acceptable(accept: str | None) -> bool:
    """Whether the client takes TAXII 2.1 JSON: any of its media ranges names it, or anything."""
    if not accept:
        return True
    for media_range in accept.split(","):
        parts = [part.strip().lower() for part in media_range.split(";")]
        parameters = dict(part.partition("=")[::2] for part in parts[1:])
        if parts[0] in ("*/*", "application/*"):
            return True
        if parts[0] == "application/taxii+json" and parameters.get("version", "2.1").strip() == "2.1":
            return True
    return False


def not_acceptable() -> TaxiiResponse:
    return taxii_error(406, "Not acceptable", f"this server answers {TAXII_MEDIA_TYPE} only; "
                                              "send it in the Accept header")


def added_headers(added: Sequence[datetime]) -> dict[str, str]:
    if not added:
        return {}
    return {"X-TAXII-Date-Added-First": taxii_timestamp(min(added)),
            "X-TAXII-Date-Added-Last": taxii_timestamp(max(added))}


def envelope(page: Page) -> TaxiiResponse:
    body: dict[str, Any] = {"more": page.more}
    if page.next is not None:
        body["next"] = page.next.token()
    if page.objects:
        body["objects"] = [stix_object for stix_object, _ in page.objects]
    return TaxiiResponse(body, headers=added_headers([added for _, added in page.objects]))


def manifest(page: Page) -> TaxiiResponse:
    body: dict[str, Any] = {"more": page.more}
    if page.next is not None:
        body["next"] = page.next.token()
    if page.objects:
        body["objects"] = [{"id": stix_object["id"], "date_added": taxii_timestamp(added),
                            "version": object_version(stix_object), "media_type": STIX_MEDIA_TYPE}
                           for stix_object, added in page.objects]
    return TaxiiResponse(body, headers=added_headers([added for _, added in page.objects]))


def page_size(limit: int | None) -> int:
    return min(limit or DEFAULT_LIMIT, MAX_LIMIT)


def offset_page(items: Sequence[Any], limit: int | None, token: str | None) -> tuple[Sequence[Any], str | None]:
    """A slice of a short list read whole (one object's versions): ``next`` is the offset."""
    if token is not None and not token.isdigit():
        raise BadFilter(f"next: not a token this server gave: {token!r}")
    start, size = int(token or 0), page_size(limit)
    following = start + size
    return items[start:following], str(following) if following < len(items) else None


@web_route(order=87)
def taxii_router(deps: WebDeps) -> APIRouter:
    settings, search_engine, redis_connection = deps.settings, deps.search_engine, deps.redis_connection
    router = APIRouter(prefix="/taxii2", tags=["TAXII 2.1"], default_response_class=TaxiiResponse)

    def root_url(request: Request) -> str:
        return f"{str(request.base_url).rstrip('/')}/taxii2/{API_ROOT}/"

    def collection_of(principal: SignedIn, collection_id: str) -> TaxiiCollection | None:
        collections = collections_of(SavedSearches(redis_connection(), settings), principal.name)
        return next((collection for collection in collections if collection.id == collection_id), None)

    def slices(collection: TaxiiCollection, added_after: datetime | None,
               start: Position | None = None) -> Iterator[StorySlice]:
        options = ExchangeOptions.from_settings(settings, scope_id=collection.scope_id, title=collection.title)
        return story_slices(search_engine(), settings, options, collection.scope, added_after=added_after,
                            from_added=start.added if start else None)

    def read(request: Request, principal: SignedIn, collection_id: str,
             answer: Callable[[TaxiiCollection], TaxiiResponse]) -> TaxiiResponse:
        """The common steps: the Accept header, the collection, then ``answer``; refusals as TAXII errors."""
        if not acceptable(request.headers.get("accept")):
            return not_acceptable()
        collection = collection_of(principal, collection_id)
        if collection is None:
            return taxii_error(404, "No such collection", f"you can read no collection {collection_id!r}")
        try:
            return answer(collection)
        except BadFilter as refusal:
            return taxii_error(400, "Bad filter", str(refusal))
        except EngineUnavailable:
            return taxii_error(503, "Unavailable", "the search engine is not reachable; try again shortly")
        except EngineError as failure:
            return taxii_error(400, "The collection's search was refused", str(failure)[:300])

    @router.get("/", summary="TAXII discovery: the one API root")
    def discovery(request: Request, principal: SignedIn) -> TaxiiResponse:
        if not acceptable(request.headers.get("accept")):
            return not_acceptable()
        root = root_url(request)
        return TaxiiResponse({"title": "Coverwatch TAXII 2.1",
                              "description": "Stories of state-sponsored cyber espionage as STIX 2.1, read-only",
                              "default": root, "api_roots": [root]})

    @router.get(f"/{API_ROOT}/", summary="The API root")
    def api_root(request: Request, principal: SignedIn) -> TaxiiResponse:
        if not acceptable(request.headers.get("accept")):
            return not_acceptable()
        return TaxiiResponse({"title": "Coverwatch", "description": "Read-only: no collection accepts objects",
                              "versions": [TAXII_MEDIA_TYPE], "max_content_length": 0})

    @router.get(f"/{API_ROOT}/collections/", summary="The collections you read: all stories, your saved searches")
    def collections(request: Request, principal: SignedIn) -> TaxiiResponse:
        if not acceptable(request.headers.get("accept")):
            return not_acceptable()
        found = collections_of(SavedSearches(redis_connection(), settings), principal.name)
        return TaxiiResponse({"collections": [collection.resource() for collection in found]})

    @router.get(f"/{API_ROOT}/collections/{{collection_id}}/", summary="One collection")
    def collection(collection_id: str, request: Request, principal: SignedIn) -> TaxiiResponse:
        return read(request, principal, collection_id, lambda found: TaxiiResponse(found.resource()))

    def listed(request: Request, principal: SignedIn, collection_id: str, added_after: str | None,
               limit: int | None, next: str | None, shape: Callable[..., TaxiiResponse]) -> TaxiiResponse:
        """One page of a collection's objects or manifest: the same filters, the same paging."""
        def answer(found: TaxiiCollection) -> TaxiiResponse:
            matches, after = Matches.from_query(request.query_params), parse_added_after(added_after)
            start = Position.from_token(next) if next else None
            return shape(page_of(slices(found, after, start), matches, page_size(limit), start))

        return read(request, principal, collection_id, answer)

    @router.get(f"/{API_ROOT}/collections/{{collection_id}}/objects/", summary="A page of the collection's objects")
    def objects(collection_id: str, request: Request, principal: SignedIn, added_after: AddedAfter = None,
                limit: Limit = None, next: Next = None) -> TaxiiResponse:
        return listed(request, principal, collection_id, added_after, limit, next, envelope)

    @router.get(f"/{API_ROOT}/collections/{{collection_id}}/manifest/", summary="A page of the collection's manifest")
    def manifest_page(collection_id: str, request: Request, principal: SignedIn, added_after: AddedAfter = None,
                      limit: Limit = None, next: Next = None) -> TaxiiResponse:
        return listed(request, principal, collection_id, added_after, limit, next, manifest)

    def object_versions(found: TaxiiCollection, request: Request, object_id: str,
                        added_after: str | None) -> list[tuple[StixObject, datetime]]:
        only_spec = Matches(spec_versions=Matches.from_query(request.query_params).spec_versions)
        return versions_of(slices(found, parse_added_after(added_after)), object_id, only_spec)

    @router.get(f"/{API_ROOT}/collections/{{collection_id}}/objects/{{object_id}}/",
                summary="One object: its last version, or those match[version] names")
    def single_object(collection_id: str, object_id: str, request: Request, principal: SignedIn,
                      added_after: AddedAfter = None, limit: Limit = None, next: Next = None) -> TaxiiResponse:
        def answer(found: TaxiiCollection) -> TaxiiResponse:
            versions = object_versions(found, request, object_id, added_after)
            if not versions:
                return taxii_error(404, "No such object", f"the collection holds no {object_id!r}")
            picked, following = offset_page(pick_versions(versions, request.query_params.get("match[version]")),
                                            limit, next)
            body: dict[str, Any] = {"more": following is not None}
            if following is not None:
                body["next"] = following
            if picked:
                body["objects"] = [stix_object for stix_object, _ in picked]
            return TaxiiResponse(body, headers=added_headers([added for _, added in picked]))

        return read(request, principal, collection_id, answer)

    @router.get(f"/{API_ROOT}/collections/{{collection_id}}/objects/{{object_id}}/versions/",
                summary="Every version of one object")
    def versions(collection_id: str, object_id: str, request: Request, principal: SignedIn,
                 added_after: AddedAfter = None, limit: Limit = None, next: Next = None) -> TaxiiResponse:
        def answer(found: TaxiiCollection) -> TaxiiResponse:
            every = object_versions(found, request, object_id, added_after)
            if not every:
                return taxii_error(404, "No such object", f"the collection holds no {object_id!r}")
            picked, following = offset_page(every, limit, next)
            body: dict[str, Any] = {"more": following is not None,
                                    "versions": [object_version(stix_object) for stix_object, _ in picked]}
            if following is not None:
                body["next"] = following
            return TaxiiResponse(body, headers=added_headers([added for _, added in picked]))

        return read(request, principal, collection_id, answer)

    return router
