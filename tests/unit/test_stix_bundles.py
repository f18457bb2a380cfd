"""STIX 2.1 bundles of stories (workers/exchange/stix*.py), checked by
stix2-validator: every object type a rich story has, patterns and their
escaping, ids stable across exports and shared across stories, ``modified``
bumped by a change, the TLP marking and producer on every object, and claims
as relationships in STIX's vocabulary."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from stix2patterns.validator import run_validator
from stix2validator import ValidationOptions, validate_string
from stix2validator.v21.enums import INDUSTRY_SECTOR_OV

from search.story_records import StoryRecord
from tests.fixtures.claim_ledger_story import ACTOR_ID, ledger_articles
from workers.exchange import ExchangeOptions, get_format
from workers.exchange.stix import STIX_MEDIA_TYPE, render_stix
from workers.exchange.stix_patterns import IndicatorValue, indicator_value, quoted
from workers.exchange.stix_reference import STIX_SECTORS, TLP2_MARKING_IDS

OPTIONS = ExchangeOptions(public_url="https://coverwatch.example")
INDICATORS = [
    {"type": "ipv4", "value": "203.0.113.7"}, {"type": "ipv6", "value": "2001:db8::7"},
    {"type": "domain", "value": "Lantern-Update.example"}, {"type": "url", "value": "http://evil.example/it's\\here"},
    {"type": "email", "value": "ops@lantern-update.example"},
    {"type": "md5", "value": "D41D8CD98F00B204E9800998ECF8427E"},
    {"type": "sha1", "value": "a" * 40}, {"type": "sha256", "value": "b" * 64},
    {"type": "cve", "value": "CVE-2024-3400"}, {"type": "btc", "value": "bc1qexampleexampleexample"},
]


def rich_record(story_id: str = "stix-story", last_day: int = 15, extra: dict[str, Any] | None = None) -> StoryRecord:
    """The ledger fixture's story with indicators, techniques, malware, CVEs, victims and sectors."""
    documents = [article.to_document() for article in ledger_articles(story_id, story_id)]
    documents[0].update(indicators=INDICATORS, victim_countries=["JP"], sectors=["defence", "media"])
    documents[1].update({"techniques": ["T1566.001", "T1190", "not-a-technique"], "malware": ["PlugX"],
                         "cves": ["CVE-2023-1111"], "attributed_states": ["CN"], **(extra or {})})
    story = {"id": story_id, "title": "Lanternfall intrusion", "first_seen": "2025-03-05T09:00:00+00:00",
             "last_update": f"2025-03-{last_day}T09:00:00+00:00"}
    return StoryRecord(story, tuple(documents))


def bundle_of(*records: StoryRecord, options: ExchangeOptions = OPTIONS) -> dict[str, Any]:
    return dict(json.loads(render_stix(list(records), options)))


def validated(text: str) -> list[str]:
    """The validator's warnings; fails on any error."""
    result = validate_string(text, ValidationOptions(version="2.1"))
    assert result.is_valid, [str(error) for error in result.errors]
    return [str(warning) for warning in result.warnings]


def by_type(bundle: dict[str, Any], stix_type: str) -> list[dict[str, Any]]:
    return [stix_object for stix_object in bundle["objects"] if stix_object["type"] == stix_type]


def test_a_rich_story_has_every_object_type_and_passes_the_validator() -> None:
    text = render_stix([rich_record()], OPTIONS)
    warnings = validated(text)
    # Stable ids are UUIDv5 where STIX would rather have v4 (a SHOULD), and external
    # references carry URLs without hashes: the only warnings.
    assert {warning.split("{")[1][:3] for warning in warnings} <= {"103", "302"}
    bundle = json.loads(text)
    types = Counter(stix_object["type"] for stix_object in bundle["objects"])
    assert set(types) == {"marking-definition", "identity", "report", "campaign", "intrusion-set", "threat-actor",
                          "attack-pattern", "malware", "vulnerability", "location", "indicator", "relationship"}
    assert types["report"] == 1 and types["indicator"] == 8  # CVE is a vulnerability; btc has no observable
    report = by_type(bundle, "report")[0]
    assert report["name"] == "Lanternfall intrusion" and report["published"] == "2025-03-05T09:00:00Z"
    sources = [reference["source_name"] for reference in report["external_references"]]
    assert sources == ["Coverwatch", "ledger-daily", "ledger-wire", "ledger-post", "ledger-echo"]
    assert "a copy of article" in report["external_references"][-1]["description"]
    others = {stix_object["id"] for stix_object in bundle["objects"]
              if stix_object["type"] not in ("report", "marking-definition") and
              stix_object["id"] != report["created_by_ref"]}
    assert others <= set(report["object_refs"])
    intrusion_set = by_type(bundle, "intrusion-set")[0]
    assert intrusion_set["name"] == "ZIRCONIUM" and "APT31" in intrusion_set["aliases"]
    assert intrusion_set["external_references"][0]["external_id"] == ACTOR_ID
    techniques = {pattern["external_references"][0]["external_id"] for pattern in by_type(bundle, "attack-pattern")}
    assert techniques == {"T1566.001", "T1190"}
    phishing = next(p for p in by_type(bundle, "attack-pattern") if p["name"] == "Spearphishing Attachment")
    assert phishing["kill_chain_phases"] == [{"kill_chain_name": "mitre-attack", "phase_name": "initial-access"}]
    assert phishing["external_references"][0]["url"] == "https://attack.mitre.org/techniques/T1566/001/"
    assert {reference["source_name"] for pattern in by_type(bundle, "attack-pattern")
            for reference in pattern["external_references"]} == {"mitre-attack"}
    assert {v["name"] for v in by_type(bundle, "vulnerability")} == {"CVE-2023-1111", "CVE-2024-3400"}
    assert by_type(bundle, "vulnerability")[0]["external_references"][0]["source_name"] == "cve"
    assert {location["country"] for location in by_type(bundle, "location")} == {"JP", "CN"}
    sectors = {identity["name"]: identity.get("sectors") for identity in by_type(bundle, "identity")
               if identity["identity_class"] == "class"}
    assert sectors == {"defence sector": ["defense"], "media sector": None}
    assert set(STIX_SECTORS.values()) <= set(INDUSTRY_SECTOR_OV)


def test_patterns_quote_and_escape_values_and_validate() -> None:
    bundle = bundle_of(rich_record())
    patterns = {indicator["name"].split(":")[0]: indicator["pattern"] for indicator in by_type(bundle, "indicator")}
    assert patterns["ipv4"] == "[ipv4-addr:value = '203.0.113.7']"
    assert patterns["ipv6"] == "[ipv6-addr:value = '2001:db8::7']"
    assert patterns["domain"] == "[domain-name:value = 'lantern-update.example']"
    assert patterns["url"] == "[url:value = 'http://evil.example/it\\'s\\\\here']"
    assert patterns["email"] == "[email-addr:value = 'ops@lantern-update.example']"
    assert patterns["md5"] == "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']"
    assert patterns["sha1"] == f"[file:hashes.'SHA-1' = '{'a' * 40}']"
    assert patterns["sha256"] == f"[file:hashes.'SHA-256' = '{'b' * 64}']"
    for pattern in patterns.values():
        assert run_validator(pattern, stix_version="2.1") == [], pattern
    for indicator in by_type(bundle, "indicator"):
        assert indicator["pattern_type"] == "stix" and indicator["valid_from"] == "2025-03-05T09:00:00Z"
    assert quoted("a'b\\c") == "'a\\'b\\\\c'"
    assert IndicatorValue("btc", "bc1q").pattern is None
    assert indicator_value({"type": "SHA256", "value": " ABC "}) == IndicatorValue("sha256", "abc")
    assert indicator_value({"type": "url"}) is None and indicator_value("1.2.3.4") is None


def test_the_same_story_exported_twice_has_the_same_ids_and_document() -> None:
    later = ExchangeOptions(public_url=OPTIONS.public_url, generated_at=datetime(2030, 1, 1, tzinfo=UTC))
    assert render_stix([rich_record()], OPTIONS) == render_stix([rich_record()], later)


def test_a_changed_story_keeps_its_ids_and_bumps_modified() -> None:
    before = bundle_of(rich_record())
    after = bundle_of(rich_record(last_day=20, extra={"techniques": ["T1566.001", "T1190", "T1078"]}))
    ids_before = {stix_object["id"] for stix_object in before["objects"]}
    ids_after = {stix_object["id"] for stix_object in after["objects"]}
    assert ids_before < ids_after  # the new technique (and its relationships) added, nothing renamed
    report_before, report_after = by_type(before, "report")[0], by_type(after, "report")[0]
    assert report_before["id"] == report_after["id"]
    assert (report_before["created"], report_after["created"]) == ("2025-03-05T09:00:00.000Z",) * 2
    assert (report_before["modified"], report_after["modified"]) == ("2025-03-15T09:00:00.000Z",
                                                                     "2025-03-20T09:00:00.000Z")
    assert len(report_after["object_refs"]) > len(report_before["object_refs"])
    assert before["id"] != after["id"]


def test_shared_objects_have_one_id_in_every_story_and_once_per_bundle() -> None:
    one, other = bundle_of(rich_record("story-one")), bundle_of(rich_record("story-two", last_day=25))
    for stix_type in ("intrusion-set", "attack-pattern", "indicator", "vulnerability", "location", "threat-actor"):
        assert {o["id"] for o in by_type(one, stix_type)} == {o["id"] for o in by_type(other, stix_type)}, stix_type
    assert by_type(one, "report")[0]["id"] != by_type(other, "report")[0]["id"]
    both = bundle_of(rich_record("story-one"), rich_record("story-two", last_day=25))
    validated(json.dumps(both))
    assert len(by_type(both, "report")) == 2 and len(by_type(both, "intrusion-set")) == 1
    intrusion_set = by_type(both, "intrusion-set")[0]
    assert (intrusion_set["created"], intrusion_set["modified"]) == ("2025-03-05T09:00:00.000Z",
                                                                     "2025-03-25T09:00:00.000Z")
    assert len({o["id"] for o in both["objects"]}) == len(both["objects"])


@pytest.mark.parametrize("level", ["clear", "green", "amber", "amber+strict", "red"])
def test_every_object_is_made_by_the_producer_and_marked_with_the_tlp_level(level: str) -> None:
    options = ExchangeOptions(public_url=OPTIONS.public_url, tlp=level, producer="Example CERT")
    text = render_stix([rich_record()], options)
    validated(text)
    bundle = json.loads(text)
    marking = by_type(bundle, "marking-definition")
    assert [m["id"] for m in marking] == [TLP2_MARKING_IDS[level]] and marking[0]["name"] == f"TLP:{level.upper()}"
    assert marking[0]["extensions"]["extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"]["tlp_2_0"] == level
    producer = next(o for o in by_type(bundle, "identity") if o["name"] == "Example CERT")
    for stix_object in bundle["objects"]:
        if stix_object["type"] != "marking-definition":
            assert stix_object["object_marking_refs"] == [TLP2_MARKING_IDS[level]], stix_object["id"]
        if stix_object["type"] != "marking-definition" and stix_object["id"] != producer["id"]:
            assert stix_object["created_by_ref"] == producer["id"], stix_object["id"]


def test_claims_are_relationships_saying_who_claims_what() -> None:
    bundle = bundle_of(rich_record())
    names = {o["id"]: o["name"] for o in bundle["objects"] if "name" in o}
    claims = [(r["relationship_type"], names[r["source_ref"]], names[r["target_ref"]], r["description"])
              for r in by_type(bundle, "relationship") if "\u201c" in r.get("description", "")]
    us = [claim for claim in claims if claim[3].startswith("the US State Department (government, US) attributes")]
    assert {(kind, source, target) for kind, source, target, _ in us} == {
        ("attributed-to", "Lanternfall intrusion", "ZIRCONIUM"),
        ("attributed-to", "ZIRCONIUM", "China (state sponsor)")}
    assert "first reported by ledger-wire on 2025-03-12" in us[0][3]
    denial = [claim for claim in claims if "denies" in claim[3]]
    assert [(kind, target) for kind, _, target, _ in denial] == [("related-to", "China (state sponsor)")]
    suspicion = next(claim for claim in claims if claim[3].startswith("unnamed former US officials"))
    assert suspicion[:3] == ("attributed-to", "Lanternfall intrusion", "China (state sponsor)")
    relationship_types = {r["relationship_type"] for r in by_type(bundle, "relationship")}
    assert relationship_types == {"attributed-to", "related-to", "uses", "targets", "indicates", "located-at"}


def test_the_format_is_registered_for_the_export_command() -> None:
    stix = get_format("stix")
    assert stix.media_type == STIX_MEDIA_TYPE == "application/stix+json;version=2.1"
    empty = json.loads(stix.render([], OPTIONS))
    validated(json.dumps(empty))
    assert [o["type"] for o in empty["objects"]] == ["marking-definition", "identity"]
