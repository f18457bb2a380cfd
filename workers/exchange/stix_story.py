"""One story as STIX 2.1 objects: what its articles say, in STIX's terms.

- the story is a ``report`` (its articles as external references) and the
  intrusion it reports a ``campaign``; everything below is in the report's
  ``object_refs``;
- the actors the articles name (taxonomy ids) are ``intrusion-set`` s, and the
  campaign is ``attributed-to`` each;
- the sponsoring states claims and articles name are ``threat-actor`` s of type
  nation-state, ``located-at`` their country;
- techniques are ``attack-pattern`` s, malware ``malware``, CVE ids
  ``vulnerability`` s; the campaign and each intrusion-set ``uses`` the first
  two and ``targets`` the last, the victims' countries (``location``) and
  sectors (``identity`` of class "class");
- indicators are ``indicator`` s with STIX patterns that ``indicates`` the
  campaign and each intrusion-set;
- each attribution claim (the story's ledger, workers/attribution/: the same
  claimant, stance and subject once) is a relationship from the campaign to the
  actor or state it names (and from that actor to its state), whose
  ``description`` says who claims it, with what stance, and the evidence
  sentence: ``attributed-to`` when the claimant attributes, suspects or
  confirms; ``related-to`` when they deny, dispute or decline to confirm, which
  attributes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from coverwatch.models import parse_timestamp
from coverwatch.taxonomy import Actor, Taxonomy
from search.story_records import StoryRecord
from search.vocabulary import value_label
from workers.attribution.ledger import LedgerRow, attribution_summary, fold_claims, state_name, subject_index
from workers.exchange import ExchangeOptions
from workers.exchange.stix_graph import StixGraph, StoryDrawing
from workers.exchange.stix_patterns import indicator_value
from workers.exchange.stix_reference import (
    ATTACK_GROUP_ID,
    COUNTRY_CODE,
    CVE_ID,
    STIX_SECTORS,
    TECHNIQUE_ID,
    technique_details,
    technique_url,
)

ATTRIBUTING = frozenset({"attributes", "suspects", "confirms"})
STANCE_WORDS = {"attributes": "attributes it to", "suspects": "suspects", "confirms": "confirms",
                "declines_to_confirm": "declines to confirm", "denies": "denies", "disputes": "disputes"}


def story_span(record: StoryRecord, fallback: datetime) -> tuple[datetime, datetime]:
    """(first seen, last changed) of a story: its document's dates, else its articles', else ``fallback``."""
    moments = [parse_timestamp(article.get("event_time") or article.get("crawled_at")) for article in record.articles]
    known = sorted(moment for moment in moments if moment)
    first = parse_timestamp(record.first_seen) or (known[0] if known else fallback)
    last = parse_timestamp(record.last_update) or (known[-1] if known else first)
    return first, max(first, last)


def draw_story(graph: StixGraph, record: StoryRecord, options: ExchangeOptions, taxonomy: Taxonomy) -> StoryDrawing:
    """Draw ``record`` into ``graph``: every object of the story, its report last."""
    story = StoryDrawing(*story_span(record, options.generated_at))
    originals = record.originals or record.articles
    campaign = graph.draw(story, "campaign", ("story", record.id), name=record.title or record.id,
                          description=f"The intrusion {options.producer} story {record.id} reports "
                                      f"({options.story_url(record.id)}).")
    actors = [taxonomy.by_id[actor_id] for actor_id in record.values("actors") if actor_id in taxonomy.by_id]
    perpetrators = [campaign]
    for actor in actors:
        intrusion_set = draw_actor(graph, story, actor)
        named_in = sum(1 for article in originals if actor.id in (article.get("actors") or ()))
        graph.relate(story, campaign, "attributed-to", intrusion_set,
                     f"Named in {named_in} of the story's {len(originals)} reports.")
        perpetrators.append(intrusion_set)
    for target in _facts(graph, story, record):
        relationship_type = "uses" if target.startswith(("attack-pattern--", "malware--")) else "targets"
        for perpetrator in perpetrators:
            graph.relate(story, perpetrator, relationship_type, target)
    for indicator in _indicators(graph, story, record):
        for perpetrator in perpetrators:
            graph.relate(story, indicator, "indicates", perpetrator)
    rows, _, _ = fold_claims(originals, subject_index(taxonomy))
    claimed_states = _claims(graph, story, record.id, campaign, rows, taxonomy)
    for state in record.values("attributed_states"):
        if isinstance(state, str) and COUNTRY_CODE.match(state) and state not in claimed_states:
            tying = sum(1 for article in originals if state in (article.get("attributed_states") or ()))
            graph.relate(story, campaign, "attributed-to", draw_state(graph, story, state),
                         f"{tying} of the story's {len(originals)} reports tie the intrusion to "
                         f"{state_name(state)} ({options.producer}'s reading of the text; no claim quoted).")
    draw_report(graph, story, record, options, attribution_summary(rows))
    return story


def draw_actor(graph: StixGraph, story: StoryDrawing, actor: Actor) -> str:
    properties: dict[str, Any] = {"name": actor.name}
    aliases = [alias for alias in actor.aliases if alias != actor.name]
    if aliases:
        properties["aliases"] = aliases
    if actor.sponsor or actor.state:
        properties["description"] = "Suspected sponsor: " + ", ".join(
            part for part in (actor.sponsor, state_name(actor.state) if actor.state else "") if part)
    if ATTACK_GROUP_ID.match(actor.id):
        properties["external_references"] = [{"source_name": "mitre-attack", "external_id": actor.id,
                                               "url": f"https://attack.mitre.org/groups/{actor.id}/"}]
    return graph.draw(story, "intrusion-set", ("actor", actor.id), **properties)


def draw_country(graph: StixGraph, story: StoryDrawing, code: str) -> str:
    return graph.draw(story, "location", ("country", code), name=value_label("country", code), country=code)


def draw_state(graph: StixGraph, story: StoryDrawing, code: str) -> str:
    """The state a claim names as sponsor: a nation-state threat actor located in it."""
    name = state_name(code)
    state = graph.draw(story, "threat-actor", ("state", code), name=f"{name} (state sponsor)",
                       threat_actor_types=["nation-state"],
                       description=f"The state of {value_label('country', code)}, as attribution claims name it.")
    graph.relate(story, state, "located-at", draw_country(graph, story, code))
    return state


def _facts(graph: StixGraph, story: StoryDrawing, record: StoryRecord) -> list[str]:
    """Techniques, malware, vulnerabilities, victim countries and sectors, drawn."""
    drawn: list[str] = []
    for technique in record.values("techniques"):
        if isinstance(technique, str) and TECHNIQUE_ID.match(technique):
            details = technique_details(technique)
            properties: dict[str, Any] = {"name": details.name, "external_references": [
                {"source_name": "mitre-attack", "external_id": technique, "url": technique_url(technique)}]}
            if details.tactics:
                properties["kill_chain_phases"] = [{"kill_chain_name": details.kill_chain, "phase_name": tactic}
                                                   for tactic in details.tactics]
            drawn.append(graph.draw(story, "attack-pattern", ("technique", technique), **properties))
    for name in record.values("malware"):
        if isinstance(name, str) and name.strip():
            drawn.append(graph.draw(story, "malware", ("malware", name.strip().casefold()), name=name.strip(),
                                    is_family=True))
    for cve in _cve_ids(record):
        drawn.append(graph.draw(story, "vulnerability", ("cve", cve), name=cve,
                                external_references=[{"source_name": "cve", "external_id": cve}]))
    for code in record.values("victim_countries"):
        if isinstance(code, str) and COUNTRY_CODE.match(code):
            drawn.append(draw_country(graph, story, code))
    for sector in record.values("sectors"):
        if isinstance(sector, str) and sector.strip():
            sector_properties: dict[str, Any] = {"name": f"{sector.strip()} sector", "identity_class": "class"}
            if sector in STIX_SECTORS:
                sector_properties["sectors"] = [STIX_SECTORS[sector]]
            drawn.append(graph.draw(story, "identity", ("sector", sector.strip()), **sector_properties))
    return drawn


def _cve_ids(record: StoryRecord) -> list[str]:
    found = [str(cve).upper() for cve in record.values("cves")]
    found += [value.value.upper() for value in map(indicator_value, record.values("indicators"))
              if value is not None and value.type == "cve"]
    return [cve for cve in dict.fromkeys(found) if CVE_ID.match(cve)]


def _indicators(graph: StixGraph, story: StoryDrawing, record: StoryRecord) -> list[str]:
    drawn = []
    for value in map(indicator_value, record.values("indicators")):
        pattern = value.pattern if value else None
        if value is None or pattern is None:
            continue  # CVE ids are vulnerabilities; other types have no STIX observable
        drawn.append(graph.draw(
            story, "indicator", ("indicator", value.type, value.value), name=f"{value.type}: {value.value}",
            description=f"A {value.type} named in news coverage of a state-sponsored intrusion.",
            pattern=pattern, pattern_type="stix", indicator_types=["malicious-activity"]))
    return drawn


def claim_description(row: LedgerRow) -> str:
    """Who claims what, with what stance, in their words, and where it was first reported."""
    who = row.claimant + " (" + ", ".join(part for part in (
        row.claimant_kind.replace("_", " "), state_name(row.claimant_country) if row.claimant_country else "")
        if part) + ")"
    about = row.subject or (state_name(row.subject_state) if row.subject_state else "")
    said = f"{who} {STANCE_WORDS.get(row.stance, row.stance.replace('_', ' '))}" + (f" {about}" if about else "")
    first = f"first reported by {row.first_article.outlet}" + (f" on {row.first_at[:10]}" if row.first_at else "")
    outlets = f"{row.outlets} outlet" + ("s" if row.outlets != 1 else "")
    return f"{said}: \u201c{row.evidence}\u201d ({first}; {outlets})."


def _claims(graph: StixGraph, story: StoryDrawing, story_id: str, campaign: str, rows: Sequence[LedgerRow],
            taxonomy: Taxonomy) -> set[str]:
    """Each ledger row as relationships to what it names; the states the claims name."""
    states: set[str] = set()
    for row in rows:
        relationship_type = "attributed-to" if row.stance in ATTRIBUTING else "related-to"
        description = claim_description(row)
        state = row.subject_state or (row.subject_key[6:] if row.subject_key.startswith("state:") else None)
        state = state if state and COUNTRY_CODE.match(state) else None
        actor = taxonomy.by_id.get(row.actor_id) if row.actor_id else None
        if actor is not None:
            intrusion_set = draw_actor(graph, story, actor)
            graph.relate(story, campaign, relationship_type, intrusion_set, description, key=("claim", row.key))
            if state:
                graph.relate(story, intrusion_set, relationship_type, draw_state(graph, story, state), description,
                             key=("claim", story_id, row.key))
        elif state:
            graph.relate(story, campaign, relationship_type, draw_state(graph, story, state), description,
                         key=("claim", row.key))
        if state:
            states.add(state)
    return states


def draw_report(graph: StixGraph, story: StoryDrawing, record: StoryRecord, options: ExchangeOptions,
                attribution: str) -> str:
    originals = record.originals or record.articles
    outlets = sorted({str(article.get("source")) for article in originals if article.get("source")})
    description = f"{len(originals)} report" + ("s" if len(originals) != 1 else "") + \
        f" from {len(outlets)} outlet" + ("s" if len(outlets) != 1 else "")
    if originals and originals[0].get("source"):
        description += f", first by {originals[0]['source']}"
    if attribution:
        description += f". Attribution: {attribution}"
    return graph.draw(story, "report", ("story", record.id), name=record.title or record.id,
                      published=story.first, report_types=["threat-report"], description=description + ".",
                      external_references=article_references(record, options), object_refs=list(story.refs))


def article_references(record: StoryRecord, options: ExchangeOptions) -> list[dict[str, str]]:
    """The story's page, then each article (originals, then copies naming what they copy)."""
    references = [{"source_name": options.producer, "url": options.story_url(record.id), "external_id": record.id}]
    copies = [article for article in record.articles if article.get("duplicate_of")]
    for article in [*(record.originals or ()), *copies]:
        reference = _article_reference(article)
        if reference:
            references.append(reference)
    return references


def _article_reference(article: Mapping[str, Any]) -> dict[str, str] | None:
    url = article.get("url") or article.get("canonical_url")
    if not url:
        return None
    reference = {"source_name": str(article.get("source") or "news"), "url": str(url)}
    title = str(article.get("title") or "")
    if article.get("duplicate_of"):
        title = f"{title} (a copy of article {article['duplicate_of']})".strip()
    if title:
        reference["description"] = title
    return reference
