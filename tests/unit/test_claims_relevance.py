import pytest

from workers.claim_types import ClaimType
from workers.claims import classify_claim


@pytest.mark.parametrize(("title", "body", "expected", "claimant"), [
    ("Denmark blames Russia's FSB for network espionage",
     "The Danish government on Friday formally attributed the intrusion to the FSB.",
     ClaimType.GOVERNMENT, "The Danish government"),
    ("Vendor links campaign to Lazarus",
     "Mandiant assesses with moderate confidence that the campaign is the work of the Lazarus Group.",
     ClaimType.VENDOR, "Mandiant"),
    ("Hackers breach ministry",
     "The intrusion is believed to be the work of a foreign intelligence service, officials said.",
     ClaimType.SUSPECTED, None),
    ("Moscow rejects accusation of hacking as baseless",
     "The Danish government attributed the intrusion to the FSB on Friday.",
     ClaimType.DENIED, "Moscow"),
    ("US agencies warn about Chinese hackers",
     "CISA and the FBI warned on Tuesday that the Volt Typhoon group hid in water utilities. "
     "China's embassy rejected the allegations.",
     ClaimType.GOVERNMENT, "CISA"),
])
def test_claim_types(title: str, body: str, expected: ClaimType, claimant: str | None) -> None:
    claim = classify_claim(title, body)
    assert claim is not None and claim.type is expected
    assert claim.claimant == claimant
    assert claim.evidence


@pytest.mark.parametrize(("body", "expected", "claimant"), [
    ("Britain and the United States accused Russia's GRU of hacking Ukraine's energy ministry.",
     ClaimType.GOVERNMENT, "Britain"),
    ("Mandiant assessed with moderate confidence that the campaign was the work of APT29.", ClaimType.VENDOR,
     "Mandiant"),
    ("Microsoft said APT29 (Cozy Bear, Midnight Blizzard) had read executives' email.", ClaimType.VENDOR,
     "Microsoft"),
    ("The breach was carried out by Chinese state-sponsored hackers, according to people familiar with the matter.",
     ClaimType.SUSPECTED, None),
    ("Russian hackers are suspected of the intrusion, two officials said on condition of anonymity.",
     ClaimType.SUSPECTED, None),
    ("Pyongyang has repeatedly denied it is behind cyberattacks.", ClaimType.DENIED, "Pyongyang"),
])
def test_claim_kinds_and_claimants(body: str, expected: ClaimType, claimant: str | None) -> None:
    claim = classify_claim("", body)
    assert claim is not None and claim.type is expected
    assert claim.claimant == claimant


@pytest.mark.parametrize("body", [
    "British officials said they had no evidence that the outage was caused by a cyberattack.",
    "Microsoft fixed 70 vulnerabilities this month, including two zero-days attackers exploited, the company said.",
    "Hackers stole data from a hospital group; the company did not say who was responsible.",
])
def test_no_claim_without_a_named_culprit(body: str) -> None:
    assert classify_claim("", body) is None


def test_naming_is_not_a_vendor_claim() -> None:
    claim = classify_claim("Group update", "The group, which Microsoft tracks as Forest Blizzard, sent emails.")
    assert claim is None or claim.type is not ClaimType.VENDOR


def test_no_claim_in_unrelated_news() -> None:
    assert classify_claim("Council approves budget", "The council voted eight to three for new buses.") is None

