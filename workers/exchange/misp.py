"""Stories as MISP events (pymisp): ``coverwatch export --format misp`` prints
them, ``coverwatch misp push`` and the ``misp`` alert channel send them to a
MISP instance (workers/exchange/misp_push.py).

One event per story, ``published`` false (an analyst publishes):

- ``uuid`` from the story id (UUIDv5), so a story pushed again updates its
  event; attributes and the report have stable uuids too;
- ``info`` the story's title, ``date`` the day it was first seen, ``timestamp``
  (of the event and of each attribute and report) its ``last_update``, so a
  consumer sees when it changed and MISP accepts the edit as newer;
- ``threat_level_id`` from who says who did it: 1 (high) once a government
  attributes it, 2 (medium) when a known actor or a sponsoring state is named,
  3 (low) otherwise; ``analysis`` 0 (initial) on one report, 1 (ongoing) on
  more, never 2: news keeps coming; ``distribution`` 0 (this organisation
  only), for the instance's administrators to widen;
- attributes: the indicators and CVEs the reports carry, and each article as a
  ``link`` (workers/exchange/misp_attributes.py);
- tags: the deployment's TLP (``tlp:clear`` ...), the threat-actor, ATT&CK
  attack-pattern, country (victim countries) and sector galaxy clusters
  (workers/exchange/misp_galaxies.py), ``coverwatch:attributed-state="CN"``
  for the states named as sponsors and ``coverwatch:relevance-band`` for the
  best band of the reports;
- an event report "Attribution (Coverwatch)": the state of attribution in one
  line and a table of who says who did it (workers/attribution/ledger.py).

The export is ``{"response": [{"Event": ...}, ...]}``, the shape of MISP's own
REST search export, which MISP's JSON import and ``MISPEvent.load`` both read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from coverwatch.taxonomy import Taxonomy, default_taxonomy
from coverwatch.taxonomy.attack import attack_table
from search.story_records import StoryRecord
from workers.attribution.ledger import Ledger, story_ledger
from workers.exchange import ExchangeOptions, exchange_format, stable_uuid
from workers.exchange.misp_attributes import AttributeSpec, indicator_attributes, link_attributes
from workers.exchange.misp_galaxies import actor_tag, country_tag, sector_tag, technique_tag
from workers.exchange.misp_warnings import WarningIndex, warning_index

if TYPE_CHECKING:
    from pymisp import MISPAttribute, MISPEvent

MEDIA_TYPE = "application/json"
DISTRIBUTION_ORGANISATION_ONLY = 0
REPORT_NAME = "Attribution (Coverwatch)"
MARKDOWN_SPECIALS = str.maketrans({char: "\\" + char for char in "\\`*_[]<>|#"})


class ThreatLevel(IntEnum):
    HIGH = 1
    MEDIUM = 2
    LOW = 3


class Analysis(IntEnum):
    INITIAL = 0
    ONGOING = 1




def government_attributes(ledger: Ledger) -> bool:
    return any(row.claimant_kind == "government" and row.stance == "attributes" for row in ledger.rows)


def threat_level(record: StoryRecord, ledger: Ledger) -> ThreatLevel:
    if government_attributes(ledger):
        return ThreatLevel.HIGH
    if record.values("actors") or record.values("attributed_states"):
        return ThreatLevel.MEDIUM
    return ThreatLevel.LOW


def analysis_level(record: StoryRecord) -> Analysis:
    return Analysis.ONGOING if len(record.originals) > 1 else Analysis.INITIAL



def technique_namer() -> Callable[[str], str | None]:
    """ATT&CK names by technique id, from the table the technique field is read with."""
    by_id = attack_table().by_id

    def name_of(technique_id: str) -> str | None:
        technique = by_id.get(technique_id)
        return technique.name if technique else None

    return name_of


def event_tags(record: StoryRecord, options: ExchangeOptions, taxonomy: Taxonomy) -> list[str]:
    tags = [f"tlp:{options.tlp}"]
    tags += [tag for tag in (actor_tag(str(actor), taxonomy) for actor in record.values("actors")) if tag]
    name_of = technique_namer()
    tags += [technique_tag(str(technique), name_of(str(technique))) for technique in record.values("techniques")]
    tags += [tag for tag in (country_tag(str(code)) for code in record.values("victim_countries")) if tag]
    tags += [tag for tag in (sector_tag(str(sector)) for sector in record.values("sectors")) if tag]
    tags += [f'coverwatch:attributed-state="{code}"' for code in record.values("attributed_states")]
    band = record.band
    if band:
        tags.append(f'coverwatch:relevance-band="{band}"')
    return list(dict.fromkeys(tags))


def _cell(value: object) -> str:
    return " ".join(str(value or "").split()).translate(MARKDOWN_SPECIALS) or "-"


def attribution_report(record: StoryRecord, ledger: Ledger) -> str | None:
    """Markdown: the state of attribution, who says who did it, and the malware
    the reports name; None when they say nothing of either."""
    malware = record.values("malware")
    if not ledger.rows and not malware:
        return None
    lines = [f"**State of attribution:** {_cell(ledger.summary)}", ""]
    if ledger.rows:
        lines += ["| Claimant | Kind | Country | Stance | Subject | First reported | Outlets |",
                  "|---|---|---|---|---|---|---|"]
        for row in ledger.rows:
            first = f"{row.first_article.outlet} {(row.first_article.date or '')[:10]}".strip()
            lines.append("| " + " | ".join(_cell(cell) for cell in (
                row.claimant, row.claimant_kind.replace("_", " "), row.claimant_country, row.stance.replace("_", " "),
                row.subject, first, row.outlets)) + " |")
        lines.append("")
    if malware:
        lines.append(f"**Malware named:** {_cell(', '.join(map(str, malware)))}")
    return "\n".join(lines).strip() + "\n"


def _attribute(event_id: str, spec: AttributeSpec, changed: datetime) -> MISPAttribute:
    # pymisp is imported where an event is made: it takes a second to import (its
    # warning lists, jsonschema), which every process that loads the alert channels
    # (workers, the web app) would otherwise pay at start.
    from pymisp import MISPAttribute

    attribute = MISPAttribute()
    attribute.from_dict(type=spec.misp_type, value=spec.value, category=spec.category, to_ids=spec.to_ids,
                        comment=spec.comment, uuid=str(stable_uuid("misp-attribute", event_id, spec.misp_type,
                                                                    spec.value)))
    attribute.timestamp = changed
    attribute.force_timestamp = True  # pymisp drops an edited object's timestamp otherwise
    return attribute


def story_event(record: StoryRecord, options: ExchangeOptions, *, warnings: WarningIndex | None = None,
                taxonomy: Taxonomy | None = None) -> MISPEvent:
    """The story's MISP event (see the module docstring)."""
    from pymisp import MISPEvent, MISPEventReport

    taxonomy = taxonomy or default_taxonomy()
    ledger = story_ledger(record.articles, taxonomy)
    changed = record.changed_at or options.generated_at
    first_seen = record.first_seen_at or changed
    event = MISPEvent()
    event.from_dict(uuid=str(stable_uuid("misp-event", record.id)), info=record.title or f"Story {record.id}",
                    date=date(first_seen.year, first_seen.month, first_seen.day), published=False,
                    threat_level_id=int(threat_level(record, ledger)), analysis=int(analysis_level(record)),
                    distribution=DISTRIBUTION_ORGANISATION_ONLY)
    event.timestamp = changed
    event.force_timestamp = True
    specs = [*indicator_attributes(record, warnings or warning_index()),
             *link_attributes(record, options.story_url(record.id))]
    for spec in specs:
        event.attributes.append(_attribute(record.id, spec, changed))
    for tag in event_tags(record, options, taxonomy):
        event.add_tag(tag)
    content = attribution_report(record, ledger)
    if content is not None:
        report = MISPEventReport()
        report.from_dict(name=REPORT_NAME, content=content, distribution=5,  # 5: as the event
                         uuid=str(stable_uuid("misp-report", record.id, "attribution")))
        report.timestamp = changed
        report.force_timestamp = True
        event.event_reports.append(report)
    return event


def event_document(event: MISPEvent) -> dict[str, Any]:
    """``{"Event": {...}}``: what MISP's API takes and answers with."""
    return {"Event": json.loads(event.to_json())}


@exchange_format("misp", MEDIA_TYPE, "MISP event JSON, one event per story ({\"response\": [{\"Event\": ...}]})")
def render(records: Sequence[StoryRecord], options: ExchangeOptions) -> str:
    """MISP event JSON for these stories, as MISP's own REST search exports events."""
    taxonomy = default_taxonomy()
    response = [event_document(story_event(record, options, taxonomy=taxonomy)) for record in records]
    return json.dumps({"response": response}, indent=2, ensure_ascii=False) + "\n"
