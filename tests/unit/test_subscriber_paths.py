"""The subscriber API's path addresses: normalised, and a 404 (never a 500) for
text that cannot be anyone's address."""

from __future__ import annotations

import pytest
from fastapi import HTTPException

from web.subscriber_pages import subscriber_address


def test_an_address_in_the_path_is_normalised() -> None:
    assert subscriber_address("Analyst@Example.ORG") == "analyst@example.org"
    assert subscriber_address("mailto:soc@example.org") == "soc@example.org"


@pytest.mark.parametrize("text", ["", "not-an-address", "a@", "@b.example", "x" * 300 + "@example.org"])
def test_text_that_is_no_address_is_a_404(text: str) -> None:
    with pytest.raises(HTTPException) as refused:
        subscriber_address(text)
    assert refused.value.status_code == 404
