"""Saved searches as plain logic: reading a form, and the match rule a search becomes."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from web.saved_searches import SavedSearch, SavedSearchError, describe, match_rule_for, search_from_pairs


def _saved(query: str = "", **fields: object) -> SavedSearch:
    return SavedSearch(id="abc", owner="ana", name="Port authorities", query=query, **fields)  # type: ignore[arg-type]


def test_a_form_reads_as_the_search_page_would() -> None:
    request = search_from_pairs([("q", "Turla"), ("actor", "Fancy Bear"), ("actor", " "), ("victim", "DK"),
                                 ("victim", "NO"), ("since", "2026-01-01"), ("sort", "newest"), ("page", "3"),
                                 ("csrf_token", "x"), ("name", "mine"), ("action", "alert")])
    assert request.query == "Turla"
    assert dict(request.terms) == {"actor": ["Fancy Bear"], "victim": ["DK", "NO"]}
    assert (request.since, request.until, request.sort) == ("2026-01-01", None, "newest")


@pytest.mark.parametrize(("pairs", "complaint"), [
    ([("since", "yesterday")], "since"), ([("sort", "random")], "sort"), ([("q", "x" * 2001)], "2000")])
def test_a_form_the_page_would_refuse_is_refused(pairs: list[tuple[str, str]], complaint: str) -> None:
    with pytest.raises(SavedSearchError, match=complaint):
        search_from_pairs(pairs)


def test_the_page_link_opens_the_same_search() -> None:
    saved = _saved("Turla AND defence", terms={"actor": ["G0010"], "sector": ["government", "defence"]},
                   since="2026-01-01", sort="newest")
    link = urlsplit(saved.page_link())
    assert link.path == "/"
    again = search_from_pairs(parse_qsl(link.query))
    assert again == saved.search_request()


def test_a_search_becomes_a_match_rule_with_its_filters_and_aliases() -> None:
    saved = _saved("Venomous Bear AND ministry", terms={
        "actor": ["Fancy Bear"], "victim": ["Denmark"], "sector": ["Government"], "claim": ["government"],
        "source": ["wire"], "language": ["en"], "state": ["RU"]})
    rule, notes = match_rule_for(saved, "ana@example.org")
    assert rule.type == "match" and rule.name == "ana: Port authorities"
    assert rule.subscribers == ["ana@example.org"]
    # The query as the search ran it: the alias also searched under the actor's other names.
    assert "Venomous Bear" in rule.query_string and "Turla" in rule.query_string
    assert rule.filters.terms() == {
        "actors": ["G0007"], "attributed_states": ["RU"], "victim_countries": ["DK"], "sectors": ["government"],
        "sources": ["wire"], "languages": ["en"], "claim_types": ["government"], "techniques": []}
    assert notes == []


def test_what_a_rule_cannot_carry_is_said() -> None:
    saved = _saved("Volt Typhoon", terms={"country": ["DE"], "band": ["on_topic"]}, since="2026-01-01")
    rule, notes = match_rule_for(saved, "ana@example.org")
    assert rule.filters.is_empty()
    assert [note.split(":")[0] for note in notes] == ["not carried"] * 3
    assert any("outlet country" in note for note in notes) and any("date range" in note for note in notes)


@pytest.mark.parametrize(("saved", "complaint"), [
    (_saved(""), "query_string or at least one filter"),
    (_saved("title:(unclosed"), "cannot parse"),
    (_saved("x", terms={"claim": ["rumour"]}), "claim_types"),
])
def test_searches_that_make_no_rule_say_why(saved: SavedSearch, complaint: str) -> None:
    with pytest.raises(SavedSearchError, match=complaint):
        match_rule_for(saved, "ana@example.org")


def test_description_names_query_filters_and_dates() -> None:
    assert describe(_saved()) == "everything"
    line = describe(_saved("Turla", terms={"victim": ["DK"], "actor": ["G0010"]}, until="2026-02-01"))
    assert line == "“Turla”; victim country: Denmark; actor: Turla; … to 2026-02-01"
