"""Signed subscriber links: round trip, tampering, expiry, purpose, and the
locally generated key."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from alerts.tokens import InvalidToken, TokenPurpose, sign_token, signing_key, verify_token
from coverwatch.settings import Settings

KEY = b"unit-test key"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_round_trip_names_address_rule_and_expiry() -> None:
    token = sign_token(KEY, TokenPurpose.UNSUBSCRIBE, "Desk@Example.org", "rule-1", now=NOW)
    grant = verify_token(KEY, token, TokenPurpose.UNSUBSCRIBE, now=NOW + timedelta(days=1))
    assert (grant.address, grant.rule_id) == ("desk@example.org", "rule-1")
    assert grant.expires_at == NOW + timedelta(days=180)


def test_a_token_for_every_rule_has_no_rule() -> None:
    token = sign_token(KEY, TokenPurpose.PREFERENCES, "desk@example.org", now=NOW)
    assert verify_token(KEY, token, TokenPurpose.PREFERENCES, now=NOW).rule_id is None


def test_changed_claims_are_refused() -> None:
    token = sign_token(KEY, TokenPurpose.UNSUBSCRIBE, "desk@example.org", now=NOW)
    other = sign_token(KEY, TokenPurpose.UNSUBSCRIBE, "boss@example.org", now=NOW)
    # Someone else's claims under this token's signature.
    forged = other.split(".")[0] + "." + token.split(".")[1]
    with pytest.raises(InvalidToken, match="signature"):
        verify_token(KEY, forged, TokenPurpose.UNSUBSCRIBE, now=NOW)


def test_a_changed_signature_or_key_is_refused() -> None:
    token = sign_token(KEY, TokenPurpose.CONFIRM, "desk@example.org", now=NOW)
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    for candidate, key in ((flipped, KEY), (token, b"another deployment")):
        with pytest.raises(InvalidToken):
            verify_token(key, candidate, TokenPurpose.CONFIRM, now=NOW)


@pytest.mark.parametrize("garbage", ["", ".", "abc", "abc.", ".abc", "é.é", "!!!.???"])
def test_malformed_tokens_are_refused(garbage: str) -> None:
    with pytest.raises(InvalidToken):
        verify_token(KEY, garbage, TokenPurpose.CONFIRM, now=NOW)


def test_expired_token_is_refused_and_one_second_before_is_not() -> None:
    token = sign_token(KEY, TokenPurpose.CONFIRM, "desk@example.org", now=NOW)
    expiry = NOW + timedelta(days=3)
    assert verify_token(KEY, token, TokenPurpose.CONFIRM, now=expiry - timedelta(seconds=1))
    with pytest.raises(InvalidToken, match="expired"):
        verify_token(KEY, token, TokenPurpose.CONFIRM, now=expiry)


def test_a_token_works_for_its_own_purpose_only() -> None:
    token = sign_token(KEY, TokenPurpose.PREFERENCES, "desk@example.org", now=NOW)
    with pytest.raises(InvalidToken, match="preferences, not unsubscribe"):
        verify_token(KEY, token, TokenPurpose.UNSUBSCRIBE, now=NOW)


def test_local_key_is_made_once_private_and_kept(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, subscriber_secret=None)
    first = signing_key(settings)
    again = signing_key(Settings(var_dir=tmp_path, subscriber_secret=None))
    key_file = tmp_path / "secrets" / "subscriber-links.key"
    assert first == again and len(first) >= 48
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert list((tmp_path / "secrets").iterdir()) == [key_file]  # no staging file left behind
    assert signing_key(Settings(var_dir=tmp_path / "elsewhere", subscriber_secret=None)) != first


def test_configured_secret_wins_over_the_local_key(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, subscriber_secret=SecretStr("from the environment"))
    assert signing_key(settings) == b"from the environment"
    assert not (tmp_path / "secrets").exists()
