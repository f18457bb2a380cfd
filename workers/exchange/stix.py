"""Stories as a STIX 2.1 bundle (``coverwatch export --format stix``, the
/api/v1/.../stix downloads and the TAXII collections of web/taxii.py).

What a story becomes is workers/exchange/stix_story.py; the drafts are merged
by stable id in stix_graph.py and built here by the stix2 library, which checks
every property (patterns included) as it builds. Every object but the TLP
marking carries ``created_by_ref`` (the producer identity) and
``object_marking_refs`` (the deployment's TLP 2.0 marking, stix_reference.py).

Ids are UUIDv5 (:func:`~workers.exchange.stable_uuid`) so that a story exported
twice gives the same ids; stix2-validator warns that STIX 2.1 would rather have
UUIDv4 for domain objects (a SHOULD, check 103), which stable ids cannot be.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import stix2

from coverwatch.taxonomy import Taxonomy, default_taxonomy
from search.story_records import StoryRecord
from workers.exchange import ExchangeOptions, exchange_format, stable_uuid
from workers.exchange.stix_graph import ObjectDraft, StixGraph
from workers.exchange.stix_reference import TLP2_MARKING_IDS, producer_identity, tlp_marking
from workers.exchange.stix_story import draw_story

STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
STIX_CLASSES: Mapping[str, type[Any]] = {
    "attack-pattern": stix2.AttackPattern, "campaign": stix2.Campaign, "identity": stix2.Identity,
    "indicator": stix2.Indicator, "intrusion-set": stix2.IntrusionSet, "location": stix2.Location,
    "malware": stix2.Malware, "relationship": stix2.Relationship, "report": stix2.Report,
    "threat-actor": stix2.ThreatActor, "vulnerability": stix2.Vulnerability,
}


def stix_objects(records: Sequence[StoryRecord], options: ExchangeOptions,
                 taxonomy: Taxonomy | None = None) -> list[Any]:
    """The stix2 objects of ``records``: the marking, the producer, then each story's, shared ones once."""
    taxonomy = taxonomy or default_taxonomy()
    graph = StixGraph()
    for record in records:
        draw_story(graph, record, options, taxonomy)
    marking, producer = tlp_marking(options.tlp), producer_identity(options)
    return [marking, producer, *(built(draft, producer.id, marking.id) for draft in graph)]


def built(draft: ObjectDraft, producer_id: str, marking_id: str) -> Any:
    """The stix2 object of a draft, dated by its span, made by the producer, marked."""
    properties = {**draft.properties, "id": draft.id, "created": draft.first, "modified": draft.last,
                  "created_by_ref": producer_id, "object_marking_refs": [marking_id]}
    if draft.type == "indicator":
        properties["valid_from"] = draft.first
    return STIX_CLASSES[draft.type](**properties)


def object_dicts(records: Sequence[StoryRecord], options: ExchangeOptions,
                 taxonomy: Taxonomy | None = None) -> list[dict[str, Any]]:
    """The same objects as plain JSON values, as a TAXII envelope carries them."""
    # One serialisation of a bundle is several times quicker than one per object.
    bundle = stix2.Bundle(objects=stix_objects(records, options, taxonomy))
    return list(json.loads(bundle.serialize())["objects"])


def object_version(stix_object: Mapping[str, Any]) -> str:
    """A STIX object's version: its ``modified``, or ``created`` for objects without one (markings)."""
    return str(stix_object.get("modified") or stix_object["created"])


def bundle_id(records: Sequence[StoryRecord], options: ExchangeOptions) -> str:
    """The same bundle id for the same scope at the same state of its stories."""
    newest = max((record.last_update or "" for record in records), default="")
    return f"bundle--{stable_uuid('bundle', options.scope_id, newest, *sorted(r.id for r in records))}"


@exchange_format("stix", STIX_MEDIA_TYPE, "a STIX 2.1 bundle: a report per story with its actors, techniques, "
                                          "vulnerabilities, victims, indicators and attribution claims")
def render_stix(records: Sequence[StoryRecord], options: ExchangeOptions) -> str:
    """A STIX 2.1 bundle of the stories."""
    bundle = stix2.Bundle(objects=stix_objects(records, options), id=bundle_id(records, options))
    # stix2's own pretty printing sorts every property by the specification's
    # order, some ten times slower than building the objects; indent the compact form.
    return json.dumps(json.loads(bundle.serialize()), indent=2, ensure_ascii=False) + "\n"


__all__ = ["STIX_MEDIA_TYPE", "TLP2_MARKING_IDS", "bundle_id", "object_dicts", "object_version", "render_stix",
           "stix_objects"]
