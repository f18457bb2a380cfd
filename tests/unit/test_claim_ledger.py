"""The attribution ledger (issue 22, part 2), pure: claims folded per story (the
same claimant, stance and subject once, with the first article and the outlets
repeating it), grouped by claimant kind, summed up in one line; an actor's
ledger, first government attribution and naming crosswalk. The claims here are
invented for the tests."""

from __future__ import annotations

from typing import Any

from coverwatch.taxonomy import Actor, Taxonomy
from workers.attribution.actor_ledger import actor_ledger, looks_like_tracking_name
from workers.attribution.ledger import SubjectIndex, attribution_summary, fold_claims, group_rows, story_ledger

TAXONOMY = Taxonomy([
    Actor(id="G9001", name="Quartzfin", aliases=("APT90", "Gravel Typhoon", "Bronze Quartz"), state="CN"),
    Actor(id="G9002", name="Moss Viper", aliases=("APT91", "Emerald Sleet Fake"), state="RU"),
])
QUARTZFIN = TAXONOMY.by_id["G9001"]


def claim(claimant: str, kind: str, stance: str, subject: str | None = None, *, country: str | None = None,
          state: str | None = None, victim: str | None = None) -> dict[str, Any]:
    return {"claimant": claimant, "claimant_kind": kind, "claimant_country": country, "stance": stance,
            "subject": subject, "subject_state": state, "victim": victim, "evidence": f"{claimant} {stance}."}


def article(number: int, outlet: str, day: str, *claims: dict[str, Any], story: str = "s1",
            actors: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"id": f"a{number}", "title": f"Report {number}", "source": outlet, "published_at": f"{day}T08:00:00Z",
            "url": f"https://{outlet}.example/{number}", "story_id": story, "claims": list(claims),
            "actors": list(actors)}


STORY = [
    # Out of order on purpose: the fold orders by date.
    article(3, "wire-b", "2024-07-09",
            claim("the U.S. government", "government", "attributes", "APT90", country="US", state="CN"),
            claim("China", "accused", "denies", "China", country="CN")),
    article(1, "daily-a", "2024-07-01",
            claim("unnamed US officials", "unnamed_officials", "suspects", "Chinese military hackers",
                  country="US", state="CN"),
            claim("Japan's defence ministry", "government", "declines_to_confirm", country="JP")),
    article(2, "wire-b", "2024-07-08",
            claim("FBI", "government", "attributes", "apt90  group", country="US", state="CN"),
            claim("NCSC", "government", "attributes", "APT90", country="GB", state="CN"),
            claim("Microsoft", "vendor", "attributes", "Gravel Typhoon", state="CN")),
    article(4, "daily-c", "2024-07-10",
            claim("the FBI", "government", "attributes", "APT90", country="US", state="CN"),
            claim("microsoft", "vendor", "attributes", "APT90", state="CN"),
            claim("Beijing", "accused", "denies", "China", country="CN")),
]


def test_the_same_claimant_stance_and_subject_is_one_row_with_its_first_article_and_outlets() -> None:
    rows, claims, carrying = fold_claims(STORY, SubjectIndex(TAXONOMY))
    assert (claims, carrying) == (10, 4)
    fbi = [row for row in rows if row.claimant.casefold().endswith("fbi")]
    # "FBI" about "apt90  group" and "the FBI" about "APT90": one claimant, one actor, one row.
    assert len(fbi) == 1
    assert fbi[0].claimant == "FBI" and fbi[0].actor_id == "G9001" and fbi[0].subject_key == "actor:G9001"
    assert fbi[0].first_article.id == "a2" and fbi[0].first_article.outlet == "wire-b"
    assert fbi[0].first_at == "2024-07-08T08:00:00Z"
    assert (fbi[0].outlets, fbi[0].articles, fbi[0].outlet_names) == (2, 2, ["wire-b", "daily-c"])
    # "Microsoft" and "microsoft" are one vendor, who used two names for the actor.
    microsoft = [row for row in rows if row.claimant_kind == "vendor"]
    assert len(microsoft) == 1 and microsoft[0].subject_names == ["Gravel Typhoon", "APT90"]
    # The accused state under two names ("China", "Beijing") are two claimants, but both about China.
    denials = [row for row in rows if row.stance == "denies"]
    assert {row.subject_key for row in denials} == {"state:CN"}


def test_rows_are_in_time_order_and_grouped_by_claimant_kind() -> None:
    rows, _, _ = fold_claims(STORY, SubjectIndex(TAXONOMY))
    assert [row.first_article.id for row in rows] == sorted(row.first_article.id for row in rows)
    assert rows[0].claimant == "unnamed US officials"
    groups = group_rows(rows)
    assert [group.kind for group in groups] == ["government", "unnamed_officials", "accused", "vendor"]
    assert [row.claimant for row in groups[0].rows] == [
        "Japan's defence ministry", "FBI", "NCSC", "the U.S. government"]


def test_a_different_stance_or_subject_is_another_row() -> None:
    articles = [article(1, "x", "2024-01-01", claim("Mandiant", "vendor", "suspects", "APT90"),
                        claim("Mandiant", "vendor", "attributes", "APT90"),
                        claim("Mandiant", "vendor", "attributes", "APT91"),
                        claim("Mandiant", "vendor", "attributes", "Bronze Quartz"))]
    rows, _, _ = fold_claims(articles, SubjectIndex(TAXONOMY))
    assert [(row.stance, row.actor_id) for row in rows] == [
        ("suspects", "G9001"), ("attributes", "G9001"), ("attributes", "G9002")]


def test_a_subject_without_a_name_is_its_state_and_a_state_name_its_code() -> None:
    index = SubjectIndex(TAXONOMY)
    assert index.subject_key(None, "KP") == ("state:KP", None)
    assert index.subject_key("the PRC", None) == ("state:CN", None)
    assert index.subject_key("Chinese", "CN") == ("state:CN", None)
    assert index.subject_key(None, None) == ("none", None)
    assert index.subject_key("Some  Crew", "IR") == ("name:some crew", None)


def test_the_summary_line_names_governments_denials_declines_and_vendor_names() -> None:
    ledger = story_ledger(STORY, TAXONOMY)
    assert ledger.summary == ("attributed by the US and UK governments to APT90 (China) since 2024-07-08; "
                              "denied by China; Japan declines to confirm; Microsoft calls it Gravel Typhoon")
    assert ledger.groups[0].kind == "government" and ledger.claims == 10 and ledger.articles == 4


def test_without_a_government_attribution_the_line_says_who_links_it() -> None:
    early = STORY[1:2]
    assert attribution_summary(fold_claims(early, SubjectIndex(TAXONOMY))[0]) == (
        "no government attribution yet; linked by unnamed US officials to Chinese military hackers (China) "
        "since 2024-07-01; Japan declines to confirm")
    assert attribution_summary([]) == "no attribution claims yet"
    confirmed = [article(1, "x", "2024-02-02", claim("Port of Example", "victim", "confirms", victim="Port"))]
    assert attribution_summary(fold_claims(confirmed, SubjectIndex(TAXONOMY))[0]) == "confirmed by Port of Example"


def test_one_government_with_an_agency_of_no_country() -> None:
    articles = [article(1, "x", "2024-03-01", claim("Five Eyes partners", "government", "attributes", "APT91"),
                        claim("the Dutch government", "government", "attributes", "APT91", country="NL"))]
    assert attribution_summary(fold_claims(articles, SubjectIndex(TAXONOMY))[0]) == (
        "attributed by the Dutch government and Five Eyes partners to APT91 (Russia) since 2024-03-01")


def test_claims_that_are_not_mappings_or_lack_a_claimant_are_skipped() -> None:
    broken: list[dict[str, Any]] = [{"id": "b", "source": "x", "claims": ["text", {"stance": "attributes"}, None]},
                                    {"id": "c"}]
    rows, claims, carrying = fold_claims(broken, SubjectIndex(TAXONOMY))
    assert (rows, claims, carrying) == ([], 0, 0)


def test_the_actor_ledger_spans_its_stories_and_learns_who_calls_it_what() -> None:
    other_story = [
        article(5, "trade-d", "2024-05-02",
                claim("CrowdStrike", "vendor", "attributes", "Bronze Quartz", state="CN"),
                claim("Acme Security", "vendor", "suspects", "Storm-9090", state="CN"),
                claim("Acme Security", "vendor", "suspects", "APT91", state="RU"),  # another actor: left out
                story="s0", actors=("G9001",)),
        article(6, "trade-d", "2024-05-03",
                claim("Acme Security", "vendor", "suspects", "Chinese hackers", state="CN"),  # a description
                story="s0", actors=("G9001",)),
    ]
    ledger = actor_ledger(QUARTZFIN, STORY + other_story, TAXONOMY)
    assert ledger.stories == 2
    assert all(row.actor_id in (None, "G9001") for row in ledger.rows)
    assert ledger.first_government_attribution is not None
    assert ledger.first_government_attribution.claimant == "FBI"
    assert ledger.first_government_attribution_at == "2024-07-08T08:00:00Z"
    crosswalk = [(use.claimant, use.name, use.in_taxonomy) for use in ledger.crosswalk]
    assert crosswalk == [
        ("CrowdStrike", "Bronze Quartz", True), ("Acme Security", "Storm-9090", False),
        ("FBI", "apt90  group", True), ("FBI", "APT90", True), ("NCSC", "APT90", True),
        ("Microsoft", "Gravel Typhoon", True), ("Microsoft", "APT90", True),
        ("the U.S. government", "APT90", True)]
    assert ledger.names_in_coverage == ["Bronze Quartz", "Storm-9090", "apt90  group", "APT90", "Gravel Typhoon"]
    assert ledger.aliases == ["Quartzfin", "APT90", "Gravel Typhoon", "Bronze Quartz"]
    assert ledger.aliases_in_coverage == ["APT90", "Gravel Typhoon", "Bronze Quartz"]


def test_an_actor_without_government_attribution_has_none() -> None:
    ledger = actor_ledger(QUARTZFIN, STORY[1:2], TAXONOMY)
    assert ledger.first_government_attribution is None and ledger.crosswalk == []
    assert ledger.rows == []  # nothing names it, and the article is not tagged with it


def test_tracking_names_are_told_from_descriptions() -> None:
    index = SubjectIndex(TAXONOMY)
    assert looks_like_tracking_name("Storm-0558", index) and looks_like_tracking_name("UNC3886", index)
    assert looks_like_tracking_name("Salt Typhoon", index)
    assert not looks_like_tracking_name("Chinese military hackers", index)
    assert not looks_like_tracking_name("North Korea", index)
    assert not looks_like_tracking_name("State Hackers", index)
