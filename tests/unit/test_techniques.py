"""ATT&CK techniques in article text (workers/techniques.py): by id, by name
with the care common words need, and their tactics."""

from __future__ import annotations

import json

import pytest

from coverwatch.taxonomy.attack import TECHNIQUES_FILE as TABLE
from coverwatch.taxonomy.attack import tactic_label, technique_label
from workers.techniques import find_techniques, tactics_of, technique_table


def test_the_table_carries_the_terms_of_use_and_current_techniques() -> None:
    table = json.loads(TABLE.read_text(encoding="utf-8"))
    assert "MITRE" in table["notice"] and table["columns"] == ["id", "name", "parent", "domain", "tactics"]
    by_id = technique_table().by_id
    assert by_id["T1566.001"].name == "Spearphishing Attachment" and by_id["T1566.001"].parent == "T1566"
    assert by_id["T1003"].tactics == ("credential-access",)
    assert len(by_id) > 600


def test_ids_as_written_and_only_known_ones() -> None:
    text = "The actor used T1566.001 and T1003, then T1059.001; T9999 and XT1003 are not techniques."
    assert find_techniques(text) == ["T1566.001", "T1003", "T1059.001"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Victims received a spearphishing attachment.", ["T1566.001"]),
    ("The group relied on OS credential dumping and exploitation for client execution.", ["T1003", "T1203"]),
    ("A supply chain compromise gave them access; then brute force and password spraying.",
     ["T1195", "T1110", "T1110.003"]),
    ("They leverage DLL search order hijacking to load payloads.", ["T1574.001"]),  # a former name
])
def test_names_of_several_words_count_as_written(text: str, expected: list[str]) -> None:
    assert find_techniques(text) == expected


@pytest.mark.parametrize("text", [
    "The hackers stole email addresses, IP addresses and SMS messages from social media users.",
    "Proxy servers, software and tools were seized at the office.",  # one-word names, no ATT&CK context
    "Masquerading as a bank, the scammers sent a malicious link.",
    "The breach exposed valid accounts and remote access tools (RATs).",
    "Attackers accessed Windows computers through Wi-Fi networks.",
])
def test_common_words_are_not_techniques(text: str) -> None:
    assert find_techniques(text) == []


def test_one_word_names_need_attack_context_and_a_rare_word() -> None:
    assert find_techniques("The actor relies on Kerberoasting and Rundll32.") == []
    assert find_techniques("MITRE ATT&CK: Kerberoasting, Rundll32, proxy and software.") == ["T1558.003", "T1218.011"]


def test_sub_technique_names_count_beside_their_parent() -> None:
    assert find_techniques("Emails carried a malicious link.") == []
    assert find_techniques("User execution of a malicious link started it (T1204).") == ["T1204", "T1204.001"]


def test_tactics_in_attack_order() -> None:
    assert tactics_of(["T1003", "T1566.001", "T9999"]) == ["initial-access", "credential-access"]
    assert tactics_of([]) == []
    assert tactic_label("command-and-control") == "Command and Control"


def test_labels_for_facets() -> None:
    assert technique_label("T1566.001") == "T1566.001 Spearphishing Attachment"
    assert technique_label("T9999") == "T9999"


def test_facets_and_rules_name_techniques_and_tactics_as_analysts_do() -> None:
    from alerts.rule_model import RuleFilters
    from search.vocabulary import facet_label, normalise_terms

    assert facet_label("technique", "T1566.001") == "T1566.001 Spearphishing Attachment"
    assert facet_label("tactic", "initial-access") == "Initial Access"
    assert normalise_terms({"technique": ["spearphishing attachment", "t1190"], "tactic": ["Initial Access"]}) == {
        "technique": ("T1566.001", "T1190"), "tactic": ("initial-access",)}
    # A revoked technique's old name still finds the technique that replaced it.
    assert RuleFilters(techniques=["DLL Search Order Hijacking", "T1190"]).terms()["techniques"] == [
        "T1190", "T1574.001"]
    with pytest.raises(ValueError, match="unknown ATT&CK technique"):
        RuleFilters(techniques=["Telepathic Intrusion"])
