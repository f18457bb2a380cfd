"""Reading analysts' query strings: syntax slips named clearly, actor aliases expanded."""

from __future__ import annotations

import pytest

from coverwatch.taxonomy import Actor, Taxonomy
from search.query_syntax import QuerySyntaxError, check_syntax, expand_actor_aliases, tokenize

TAXONOMY = Taxonomy([
    Actor(id="G0007", name="APT28", aliases=("Fancy Bear", "Sofacy", "Forest Blizzard", "STRONTIUM"),
          ambiguous=frozenset({"strontium"}), state="RU"),
    Actor(id="G0010", name="Turla", aliases=("Venomous Bear", 'Snake "Uroburos"'), state="RU"),
])


@pytest.mark.parametrize(("query", "complaint"), [
    ('"Fancy Bear', "quote opened at character 1 is never closed"),
    ("title:(unclosed", "bracket is opened and never closed"),
    ("wiper)", "bracket at character 6 closes nothing"),
    ("Turla AND", "ends with AND"),
    ("Turla OR ()", "empty brackets"),
    ("published_at:[2024-01-01 TO 2025", "range opened at character 14 is never closed"),
])
def test_syntax_slips_are_named_with_where_they_are(query: str, complaint: str) -> None:
    with pytest.raises(QuerySyntaxError, match=complaint.replace("(", r"\(").replace("[", r"\[")):
        check_syntax(query)


@pytest.mark.parametrize("query", ['Turla AND "defence ministry"', "title:(Turla OR Snake) -wiper",
                                   "published_at:[2024-01-01 TO 2025-01-01] NOT APT28", "APT2?", r"a\(b", ""])
def test_well_formed_queries_pass(query: str) -> None:
    check_syntax(query)


def test_tokens_keep_fielded_ranges_and_prefixed_terms_whole() -> None:
    kinds = [(token.kind, token.text) for token in tokenize('source:"wire desk" published_at:[a TO b] -Sofacy x')]
    assert kinds == [("term", 'source:"wire desk"'), ("term", "published_at:[a TO b]"), ("term", "-Sofacy"),
                     ("word", "x")]


def test_an_alias_searches_every_name_and_the_actor_id() -> None:
    expanded = expand_actor_aliases("Fancy Bear defence", TAXONOMY)
    assert expanded.query_string == (
        '("Fancy Bear" OR "APT28" OR "Sofacy" OR "Forest Blizzard" OR actors:"G0007") defence')
    [expansion] = expanded.expansions
    assert expansion.actor_id == "G0007"
    assert expansion.note == "Fancy Bear = APT28: also searched APT28, Sofacy, Forest Blizzard"


def test_ambiguous_aliases_neither_trigger_nor_join_an_expansion() -> None:
    assert expand_actor_aliases("strontium isotopes", TAXONOMY).expansions == ()
    assert "STRONTIUM" not in expand_actor_aliases("Sofacy", TAXONOMY).query_string


def test_case_phrases_and_operators_are_kept_around_an_alias() -> None:
    expanded = expand_actor_aliases('"venomous bear" AND NOT sofacy', TAXONOMY)
    assert expanded.query_string.startswith('("venomous bear" OR "Turla" OR "Snake \\"Uroburos\\"" OR actors:"G0010")'
                                            ' AND NOT ("sofacy" OR "APT28"')
    assert [e.actor_name for e in expanded.expansions] == ["Turla", "APT28"]
    assert expanded.expansions[0].note.startswith("venomous bear = Turla: also searched Turla, ")


def test_terms_aimed_at_a_field_or_with_wildcards_are_left_as_typed() -> None:
    for query in ["title:(Fancy Bear)", "actor_names:Sofacy", "Sofacy*", "-Sofacy", '"Fancy Bear"~3']:
        expanded = expand_actor_aliases(query, TAXONOMY)
        assert expanded.query_string == query
        assert expanded.expansions == ()


def test_the_longest_alias_wins_and_each_actor_is_noted_once() -> None:
    expanded = expand_actor_aliases("Forest Blizzard OR APT28 OR Blizzard", TAXONOMY)
    assert expanded.query_string.count('actors:"G0007"') == 2
    assert expanded.query_string.endswith(" OR Blizzard")
    assert len(expanded.expansions) == 1
    assert expanded.expansions[0].note.startswith("Forest Blizzard = APT28: ")


def test_the_canonical_name_typed_reads_without_an_equation() -> None:
    [expansion] = expand_actor_aliases("apt28", TAXONOMY).expansions
    assert expansion.note == "apt28: also searched Fancy Bear, Sofacy, Forest Blizzard"
