"""What is new in a story (alerts/developments.py), kind by kind, for the
``story_development`` and ``attribution`` rule types; their schemas, the
development email and the digest's handling of developments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.developments import (
    AttributionTargets,
    Carrier,
    Claim,
    StoryState,
    advance,
    claim_keys,
    describe_claims,
    development_lines,
    development_since,
    first_claims,
    replay_story,
    state_of,
)
from alerts.digests import DigestEntry, group_digest
from alerts.email import render_alert_email
from alerts.messages import alert_context
from alerts.rule_types import RuleSchemaError, parse_rule
from coverwatch.models import Article
from coverwatch.settings import Settings

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
APT40 = "G0065"
GCHQ = Claim("GCHQ", "government", "GB", "attributes", "APT40", "CN", None)
NCSC = Claim("NCSC", "government", "GB", "attributes", "APT40", "CN", None)
VENDOR = Claim("Microsoft", "vendor", None, "attributes", "Gingham Typhoon", "CN", None)
OFFICIALS = Claim("unnamed former US officials", "unnamed_officials", "US", "attributes", "China's military", "CN",
                  None)
DENIAL = Claim("China's foreign ministry", "accused", "CN", "denies", "China's foreign ministry", "CN", None)
DECLINES = Claim("Japan's defence minister", "government", "JP", "declines_to_confirm", None, None, None)


def carrier(slug: str, hours: float, source: str = "", claims: tuple[Claim, ...] = (), actors: tuple[str, ...] = (),
            states: tuple[str, ...] = (), victims: tuple[str, ...] = ()) -> Carrier:
    return Carrier(slug, source or f"outlet-{slug}", T0 + timedelta(hours=hours), actors, states, victims, claims)


def names(development: object) -> list[str]:
    return [name.replace("\x1f", ":") for name in getattr(development, "elements", ())]


# --- story_development: one kind at a time ------------------------------------------------------

OPENING = carrier("a", 0, claims=(VENDOR,), actors=(APT40,), states=("CN",), victims=("AU",))


def test_a_rewrite_adds_nothing() -> None:
    rewrite = carrier("b", 1, claims=(VENDOR,), actors=(APT40,), states=("CN",), victims=("AU",))
    assert development_since(state_of([OPENING]), [OPENING, rewrite], "s", None) is None
    assert development_since(state_of([OPENING]), [OPENING, rewrite], "s", 2) is None  # one new outlet of two


@pytest.mark.parametrize(("added", "expected"), [
    (carrier("b", 1, claims=(GCHQ,)), ["claim:government:attributes"]),
    (carrier("b", 1, claims=(DENIAL,)), ["claim:accused:denies"]),
    (carrier("b", 1, states=("RU",)), ["state:RU"]),
    (carrier("b", 1, victims=("JP",)), ["victim:JP"]),
    (carrier("b", 1, actors=("G0007",)), ["actor:G0007"]),
])
def test_each_kind_of_element_is_new_once(added: Carrier, expected: list[str]) -> None:
    found = development_since(state_of([OPENING]), [OPENING, added], "s", None)
    assert found is not None and names(found) == expected and found.firsts[found.elements[0]] is added
    later = carrier("c", 2, claims=added.claims, actors=added.actors, states=added.states, victims=added.victims)
    assert development_since(state_of([OPENING, added]), [OPENING, added, later], "s", None) is None


def test_a_government_after_a_refusal_and_a_vendor_is_new_though_kind_and_stance_are_not() -> None:
    # The seed case: "government" (declines to confirm) and "attributes" (vendor) are both known.
    before = [carrier("a", 0, claims=(VENDOR, DECLINES))]
    advisory = carrier("b", 1, claims=(GCHQ,))
    found = development_since(state_of(before), [*before, advisory], "s", None)
    assert found is not None and names(found) == ["claim:government:attributes"]


def test_outlets_count_only_from_min_new_outlets() -> None:
    copies = [carrier(slug, hours, claims=(VENDOR,), actors=(APT40,), states=("CN",), victims=("AU",))
              for slug, hours in (("b", 1), ("c", 2), ("d", 3))]
    assert development_since(state_of([OPENING]), [OPENING, *copies[:2]], "s", 3) is None
    found = development_since(state_of([OPENING]), [OPENING, *copies], "s", 3)
    assert found is not None and found.outlets == ("outlet-b", "outlet-c", "outlet-d") and found.outlets_counted
    assert development_lines(found) == ["New: 3 more outlets (outlet-b, outlet-c, outlet-d)"]


def test_the_first_article_is_the_baseline() -> None:
    step = advance(None, [OPENING], "a", "s", None)
    assert step.development is None and step.state == state_of([OPENING])
    loud = advance(None, [OPENING], "a", "s", None, alert_on_first=True)
    assert loud.development is not None and loud.development.opening and loud.development.key == "development:s:first"


def test_without_a_state_the_coverage_before_the_article_is_the_baseline() -> None:
    advisory = carrier("b", 1, claims=(GCHQ,))
    step = advance(None, [OPENING, advisory], "b", "s", None)
    assert step.development is not None and names(step.development) == ["claim:government:attributes"]
    assert step.state == state_of([OPENING, advisory])


def test_racing_workers_agree_on_who_brought_it() -> None:
    """Both articles are indexed before either worker asks: whichever writes the
    state first, the development is fired once, for the article that brought it."""
    advisory = carrier("b", 1, claims=(GCHQ,))
    both = [OPENING, advisory]
    # The advisory's worker first: the opening article's then finds nothing new.
    first = advance(None, both, "b", "s", None)
    assert first.development is not None and first.state is not None
    assert advance(first.state, both, "a", "s", None) == advance(first.state, both, "a", "s", None)
    assert advance(first.state, both, "a", "s", None).development is None
    # The opening article's worker first: the baseline is itself, the advisory is new.
    baseline = advance(None, both, "a", "s", None)
    assert baseline.development is None and baseline.state == state_of([OPENING])
    again = advance(baseline.state, both, "b", "s", None)
    assert again.development is not None and again.development.key == first.development.key


def test_a_replay_fires_each_development_once() -> None:
    coverage = [OPENING, carrier("b", 1, claims=(VENDOR,), actors=(APT40,)), carrier("c", 2, claims=(GCHQ,)),
                carrier("d", 3, claims=(GCHQ,)), carrier("e", 4, claims=(DENIAL,))]
    fired = replay_story(coverage, [c.article_id for c in coverage], "s", None)
    assert [(c.article_id, names(d)) for c, d in fired] == [("c", ["claim:government:attributes"]),
                                                            ("e", ["claim:accused:denies"])]
    # An article the rule does not match brings nothing; the next matching one reports it.
    fired = replay_story(coverage, ["a", "b", "d"], "s", None)
    assert [(c.article_id, names(d)) for c, d in fired] == [("d", ["claim:government:attributes"])]
    assert fired[0][1].firsts["claim\x1fgovernment:attributes"].article_id == "c"  # first reported by c


def test_a_stored_state_absorbs_what_the_alert_reported() -> None:
    state = StoryState(frozenset({"claim\x1fvendor:attributes"}), frozenset({"outlet-a"}))
    grown = state.absorb([carrier("b", 1, claims=(GCHQ,))])
    assert "claim\x1fgovernment:attributes" in grown.elements and grown.outlets == {"outlet-a", "outlet-b"}


# --- attribution -----------------------------------------------------------------------------

GOVERNMENTS = AttributionTargets(frozenset({"government", "accused"}), frozenset({"attributes"}),
                                 actors=frozenset({APT40}))


def test_the_first_government_attribution_in_a_story_and_not_its_rewrite() -> None:
    vendor, advisory, rewrite = (carrier("a", 0, claims=(VENDOR,)), carrier("b", 1, claims=(GCHQ, NCSC)),
                                 carrier("c", 2, claims=(GCHQ,)))
    story = [vendor, advisory, rewrite]
    assert first_claims(vendor, story, GOVERNMENTS) == {}  # a vendor is no government
    assert first_claims(advisory, story, GOVERNMENTS) == {"government:attributes|actor:G0065": [GCHQ, NCSC]}
    assert first_claims(rewrite, story, GOVERNMENTS) == {}
    # Indexed late but published first, the rewrite is the first carrier.
    assert first_claims(rewrite, [rewrite, carrier("x", -1, claims=(NCSC,))], GOVERNMENTS) == {}


def test_unnamed_officials_and_suspects_only_when_asked() -> None:
    officials = carrier("a", 0, claims=(OFFICIALS,))
    by_state = AttributionTargets(frozenset({"government"}), frozenset({"attributes"}), states=frozenset({"CN"}))
    assert claim_keys(officials, by_state) == {}
    wider = AttributionTargets(frozenset({"government", "unnamed_officials"}), frozenset({"attributes"}),
                               states=frozenset({"CN"}))
    assert list(claim_keys(officials, wider)) == ["unnamed_officials:attributes|state:CN"]
    suspected = carrier("b", 1, claims=(Claim("NCSC", "government", "GB", "suspects", "APT40", "CN", None),))
    assert claim_keys(suspected, GOVERNMENTS) == {}
    assert claim_keys(suspected, AttributionTargets(GOVERNMENTS.kinds, frozenset({"attributes", "suspects"}),
                                                    GOVERNMENTS.actors))


def test_victim_countries_from_the_claim_or_the_article() -> None:
    against = AttributionTargets(frozenset({"government"}), frozenset({"attributes"}), victims=frozenset({"AU"}))
    named = carrier("a", 0, claims=(Claim("ASD", "government", "AU", "attributes", "APT40", "CN", "Australian"),))
    assert list(claim_keys(named, against)) == ["government:attributes|victim:AU"]
    elsewhere = carrier("b", 0, claims=(GCHQ,), victims=("AU",))
    assert list(claim_keys(elsewhere, against)) == ["government:attributes|victim:AU"]
    other = carrier("c", 0, claims=(Claim("ASD", "government", "AU", "attributes", "APT40", "CN", "Japan"),),
                    victims=("AU",))
    assert claim_keys(other, against) == {}


def test_denials_and_confirmations_by_stance() -> None:
    watched = AttributionTargets(frozenset({"government", "accused"}),
                                 frozenset({"denies", "confirms", "declines_to_confirm"}), actors=frozenset({APT40}))
    # China denies: the state the taxonomy says runs APT40.
    assert list(claim_keys(carrier("a", 0, claims=(DENIAL,)), watched)) == ["accused:denies|actor:G0065"]
    assert claim_keys(carrier("b", 0, claims=(GCHQ,)), watched) == {}
    anyone = AttributionTargets(watched.kinds, watched.stances)
    assert list(claim_keys(carrier("c", 0, claims=(DECLINES,)), anyone)) == ["government:declines_to_confirm|any"]


def test_wording_names_claimants_by_country_and_the_subject_with_its_state() -> None:
    assert describe_claims("government", "attributes", [GCHQ, NCSC]) == \
        "government attribution by the UK (GCHQ, NCSC) to APT40 (China)"
    assert describe_claims("accused", "denies", [DENIAL]) == "denial by China (China's foreign ministry)"
    assert describe_claims("government", "declines_to_confirm", [DECLINES]) == \
        "government refusal to confirm by Japan (Japan's defence minister)"


# --- schemas, email, digest ------------------------------------------------------------------------


def test_schemas() -> None:
    rule = parse_rule({"name": "r", "type": "attribution", "actors": "Leviathan", "include_suspects": True,
                       "subscribers": ["desk@example.org"]})
    assert rule.targets().actors == {APT40} and rule.targets().stances == {"attributes", "suspects"}  # type: ignore[attr-defined]
    with pytest.raises(RuleSchemaError, match="give actors"):
        parse_rule({"name": "r", "type": "attribution", "subscribers": ["desk@example.org"]})
    with pytest.raises(RuleSchemaError, match="stances"):
        parse_rule({"name": "r", "type": "attribution", "actors": "APT40", "stances": ["shrugs"],
                    "subscribers": ["desk@example.org"]})
    development = parse_rule({"name": "d", "type": "story_development", "query_string": "APT40",
                              "min_new_outlets": 3, "subscribers": ["desk@example.org"]})
    assert development.reads_engine and not development.counts_possible
    with pytest.raises(RuleSchemaError, match="min_new_outlets"):
        parse_rule({"name": "d", "type": "story_development", "query_string": "x", "min_new_outlets": 0,
                    "subscribers": ["desk@example.org"]})


def test_the_development_email_says_what_changed() -> None:
    settings = Settings(public_url="https://coverwatch.example")
    article = Article(url="https://wire.example/advisory", title="UK names APT40", body="The NCSC said so. " * 5,
                      source="wire-b", story_id="s-1", published_at=T0)
    line = "New: government attribution by the UK (GCHQ, NCSC) to APT40 (China); first reported by wire-b 02 Nov 2026"
    context = alert_context("r1", "APT40 watch", "attribution", "", article, settings, "<d1@coverwatch.local>",
                            line, {"changes": [line]}, "development_alert")
    message = render_alert_email(context, "desk@example.org", settings)
    assert line in str(message["Subject"])
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert line in text and "https://coverwatch.example/stories/s-1" in text
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<li>New: government attribution by the UK" in html


def _entry(story: str, group_key: str, changes: list[str]) -> DigestEntry:
    return DigestEntry(address="desk@example.org", recipient="desk@example.org", rule_id="r", rule_name="R",
                       group_key=group_key, story_id=story, article_id=group_key, title=f"T {group_key}",
                       url="https://wire.example/x", source="wire", published_at=T0, lead="", queued_at=T0,
                       due_at=T0, changes=changes)


def test_a_digest_keeps_a_development_of_a_story_sent_before() -> None:
    entries = [_entry("s-1", "s-1", []), _entry("s-1", "development:s-1:abc", ["New: victim country Japan"]),
               _entry("s-2", "development:s-2:def", ["New: actor APT40"])]
    stories = group_digest(entries, {"s-1", "development:s-2:def"}, "https://coverwatch.example")
    assert [(story.key, [a.changes for a in story.articles]) for story in stories] == [
        ("s-1", [("New: victim country Japan",)])]
