"""Stories as MISP events (workers/exchange/misp.py): what an event carries,
that its JSON loads back through pymisp unchanged, stable ids, the to_ids rule,
galaxy tags and the threat level."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from pymisp import MISPEvent

from coverwatch.taxonomy import Actor, default_taxonomy
from search.story_records import StoryRecord
from tests.fixtures.misp_story import (
    C2_DOMAIN,
    LISTED_ADDRESS,
    PAYLOAD_SHA256,
    PHISHING_SENDER,
    misp_story,
    misp_story_documents,
    small_warning_index,
)
from workers.attribution.ledger import story_ledger
from workers.exchange import ExchangeOptions, get_format, stable_uuid
from workers.exchange.misp import (
    Analysis,
    ThreatLevel,
    analysis_level,
    attribution_report,
    event_document,
    story_event,
    threat_level,
)
from workers.exchange.misp_attributes import describe_types
from workers.exchange.misp_galaxies import actor_crosswalk, actor_tag, country_tag
from workers.exchange.misp_warnings import WarningIndex

OPTIONS = ExchangeOptions(public_url="https://coverwatch.example", tlp="amber+strict")


def _event(record: StoryRecord | None = None, options: ExchangeOptions = OPTIONS) -> MISPEvent:
    return story_event(record or misp_story(), options, warnings=small_warning_index())


def _loaded(event: MISPEvent) -> MISPEvent:
    loaded = MISPEvent()
    loaded.load(json.dumps(event_document(event)))
    return loaded


def _epoch(moment: datetime | float) -> int:
    """pymisp types timestamps as datetimes or numbers."""
    return int(moment.timestamp()) if isinstance(moment, datetime) else int(moment)


def _by_value(event: MISPEvent) -> dict[str, Any]:
    return {attribute.value: attribute for attribute in event.attributes}


def test_the_event_round_trips_through_pymisp_with_uuids_attributes_tags_and_report() -> None:
    event = _event()
    loaded = _loaded(event)

    assert loaded.uuid == str(stable_uuid("misp-event", "story-misp")) == event.uuid
    assert loaded.info == "US and UK name APT31 behind Lanternfall"
    assert str(loaded.date) == "2025-03-05"
    assert _epoch(loaded.timestamp) == 1742029200  # last_update, 2025-03-15 09:00 UTC
    assert loaded.published is False
    assert [(a.uuid, a.type, a.value, a.category, a.to_ids, a.comment) for a in loaded.attributes] == [
        (a.uuid, a.type, a.value, a.category, a.to_ids, a.comment) for a in event.attributes]
    assert all(_epoch(a.timestamp) == 1742029200 for a in loaded.attributes)
    assert [tag.name for tag in loaded.tags] == [tag.name for tag in event.tags]
    assert [report.uuid for report in loaded.event_reports] == [report.uuid for report in event.event_reports]
    assert "attributed by the US and UK governments to APT31" in loaded.event_reports[0].content


def test_indicators_get_misp_types_categories_and_the_first_article_citing_them() -> None:
    attributes = _by_value(_event())

    expected = {LISTED_ADDRESS: ("ip-dst", "Network activity"), C2_DOMAIN: ("domain", "Network activity"),
                PAYLOAD_SHA256: ("sha256", "Payload delivery"), PHISHING_SENDER: ("email-src", "Payload delivery"),
                "CVE-2024-3400": ("vulnerability", "External analysis")}
    for value, (misp_type, category) in expected.items():
        assert (attributes[value].type, attributes[value].category) == (misp_type, category)
    assert "x.onion" not in attributes  # a type MISP has no name for is left out
    assert attributes[C2_DOMAIN].comment.startswith("First reported by ledger-daily 2025-03-05: Officials suspect")
    # Reported first by the second article only:
    assert attributes[PHISHING_SENDER].comment.startswith("First reported by ledger-wire 2025-03-12:")
    # Two articles report the address; it is one attribute.
    assert sum(1 for a in _event().attributes if a.value == LISTED_ADDRESS) == 1


def test_to_ids_only_for_detection_types_on_no_warning_list() -> None:
    attributes = _by_value(_event())

    assert attributes[C2_DOMAIN].to_ids is True
    assert attributes[PAYLOAD_SHA256].to_ids is True
    assert attributes[LISTED_ADDRESS].to_ids is False
    assert "On MISP warning list: RFC 5737 documentation ranges" in attributes[LISTED_ADDRESS].comment
    assert attributes["https://update.microsoft.com/kb"].to_ids is False  # a subdomain of a listed host
    assert attributes["CVE-2024-3400"].to_ids is False  # MISP's default for vulnerabilities
    assert not any(a.to_ids for a in attributes.values() if a.type == "link")


def test_every_attribute_is_a_category_and_type_pair_misp_accepts() -> None:
    types = describe_types()
    for attribute in _event().attributes:
        assert types.allows(attribute.category, attribute.type), (attribute.category, attribute.type)


def test_each_article_is_a_link_after_the_story_page() -> None:
    links = [a for a in _event().attributes if a.type == "link"]

    assert links[0].value == "https://coverwatch.example/stories/story-misp"
    assert [a.value for a in links[1:]] == [f"https://ledger-{outlet}.example.com/story-misp-{n}" for n, outlet in
                                            enumerate(("daily", "wire", "post", "echo"), start=1)]
    assert links[-1].comment.endswith("(a copy of ledger-wire's report)")


def test_tags_carry_the_tlp_and_the_galaxy_clusters() -> None:
    tags = [tag.name for tag in _event().tags]

    assert tags[0] == "tlp:amber+strict"
    assert 'misp-galaxy:threat-actor="APT31"' in tags  # G0128, ZIRCONIUM in ATT&CK, APT31 in the galaxy
    assert 'misp-galaxy:country="japan"' in tags
    assert 'misp-galaxy:sector="Defense"' in tags
    assert 'coverwatch:attributed-state="CN"' in tags
    assert 'coverwatch:relevance-band="on_topic"' in tags
    techniques = [tag for tag in tags if tag.startswith("misp-galaxy:mitre-attack-pattern=")]
    assert len(techniques) == 2 and all(("T1566.001" in tag) != ("T1190" in tag) for tag in techniques)
    assert len(tags) == len(set(tags))


def test_technique_tags_carry_the_attack_name_as_misp_names_its_clusters() -> None:
    documents = misp_story_documents("techniques", "techniques")
    documents[0]["techniques"] = ["T1566.001", "T9999"]

    tags = [tag.name for tag in _event(misp_story("techniques", documents=documents)).tags]

    assert 'misp-galaxy:mitre-attack-pattern="Spearphishing Attachment - T1566.001"' in tags
    assert 'misp-galaxy:mitre-attack-pattern="Exploit Public-Facing Application - T1190"' in tags
    assert 'misp-galaxy:mitre-attack-pattern="T9999"' in tags  # not in the table: the id alone


def test_the_same_story_gives_the_same_ids_and_a_change_moves_only_the_timestamps() -> None:
    first, again = _event(), _event()
    changed = _event(misp_story(last_update="2025-03-20T10:00:00+00:00"))

    assert event_document(first) == event_document(again)
    assert changed.uuid == first.uuid
    assert [a.uuid for a in changed.attributes] == [a.uuid for a in first.attributes]
    assert _epoch(changed.timestamp) > _epoch(first.timestamp)
    assert all(a.timestamp == changed.timestamp for a in changed.attributes)


def test_threat_level_follows_who_says_who_did_it_and_analysis_the_reports() -> None:
    taxonomy = default_taxonomy()
    record = misp_story()
    assert threat_level(record, story_ledger(record.articles, taxonomy)) is ThreatLevel.HIGH
    assert analysis_level(record) is Analysis.ONGOING

    unclaimed = [{**document, "claims": []} for document in misp_story_documents("quiet", "quiet")]
    quiet = misp_story("quiet", documents=unclaimed)
    assert threat_level(quiet, story_ledger(quiet.articles, taxonomy)) is ThreatLevel.MEDIUM  # APT31 named

    anonymous = [{**document, "claims": [], "actors": [], "attributed_states": []} for document in unclaimed[:1]]
    single = misp_story("single", documents=anonymous)
    assert threat_level(single, story_ledger(single.articles, taxonomy)) is ThreatLevel.LOW
    assert analysis_level(single) is Analysis.INITIAL
    assert attribution_report(single, story_ledger(single.articles, taxonomy)) is None
    assert _event(single).event_reports == []


def test_the_report_table_survives_markdown_in_what_articles_say() -> None:
    documents = misp_story_documents("marked", "marked")
    documents[0]["claims"] = [{"claimant": "A | B <script>", "claimant_kind": "vendor", "claimant_country": None,
                               "stance": "attributes", "subject": "APT31", "subject_state": "CN", "victim": None,
                               "evidence": "..."}]
    record = misp_story("marked", documents=documents)

    content = attribution_report(record, story_ledger(record.articles, default_taxonomy()))

    assert content is not None
    row = next(line for line in content.splitlines() if "A \\| B" in line)
    assert "\\<script\\>" in row
    assert row.count(" | ") == 6  # seven cells, the claimant's bar escaped


def test_the_registered_renderer_prints_misp_search_json_with_real_warning_lists() -> None:
    documents = misp_story_documents("story-lists", "lists")
    documents[0]["indicators"] = [{"type": "ipv4", "value": "192.168.10.4"}, {"type": "ipv4", "value": "8.8.8.8"},
                                  {"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e"},
                                  {"type": "domain", "value": C2_DOMAIN}]
    records = [misp_story("story-lists", documents=documents), misp_story("story-other")]

    document = json.loads(get_format("misp").render(records, OPTIONS))

    assert [item["Event"]["uuid"] for item in document["response"]] == [
        str(stable_uuid("misp-event", "story-lists")), str(stable_uuid("misp-event", "story-other"))]
    loaded = MISPEvent()
    loaded.load(document["response"][0])
    to_ids = {a.value: a.to_ids for a in loaded.attributes}
    # RFC 1918, a public resolver and the empty file's hash are on MISP's lists; the C2 domain on none.
    assert to_ids == {**to_ids, "192.168.10.4": False, "8.8.8.8": False,
                      "d41d8cd98f00b204e9800998ecf8427e": False, C2_DOMAIN: True}


def test_warning_lists_apply_as_misp_applies_them() -> None:
    index = WarningIndex.from_documents([
        {"name": "hosts", "type": "hostname", "list": ["example.org"], "matching_attributes": ["domain", "url"]},
        {"name": "exact", "type": "string", "list": ["abc123"], "matching_attributes": ["md5"]},
        {"name": "nets", "type": "cidr", "list": ["10.0.0.0/8", "2001:db8::/32"]},
        {"name": "contacts", "type": "regex", "list": ["/^(abuse|noc)@.*$/i"], "matching_attributes": ["email-src"]},
        {"name": "mail", "type": "substring", "list": ["@mailinator."], "matching_attributes": ["email-src"]},
    ])

    assert index.lists_holding("c2.example.org", "domain") == ["hosts"]
    assert index.lists_holding("http://www.example.org/a", "url") == ["hosts"]
    assert index.lists_holding("badexample.org", "domain") == []
    assert index.lists_holding("example.org", "email-src") == []  # the list does not apply to the type
    assert index.lists_holding("ABC123", "md5") == ["exact"]
    assert index.lists_holding("10.20.30.40", "ip-dst") == ["nets"]
    assert index.lists_holding("2001:db8:1::5", "ip-dst") == ["nets"]
    assert index.lists_holding("11.0.0.1", "ip-dst") == []
    assert index.lists_holding("Abuse@corp.test", "email-src") == ["contacts"]
    assert index.lists_holding("x@mailinator.com", "email-src") == ["mail"]


def test_actor_crosswalk_prefers_the_cluster_named_like_the_actor() -> None:
    actor = Actor("G9999", "Copper Owl", aliases=("Owl Team", "TA999"))
    clusters = [{"value": "TA999", "uuid": "aaaaaaaa-0000", "meta": {"synonyms": ["Copper Owl"]}},
                {"value": "Copper Owl", "uuid": "bbbbbbbb-0000", "meta": {"synonyms": ["Owl Team"]}},
                {"value": "Imported Owl", "uuid": "cccccccc-0000", "meta": {}}]
    imported = replace(actor, id="MISP-cccccccc", name="Imported", aliases=())

    assert actor_crosswalk([actor, imported], clusters) == {"G9999": "Copper Owl", "MISP-cccccccc": "Imported Owl"}
    assert actor_tag("G0128") == 'misp-galaxy:threat-actor="APT31"'
    assert actor_tag("G-unknown") is None
    assert country_tag("gb") == 'misp-galaxy:country="united kingdom"'
