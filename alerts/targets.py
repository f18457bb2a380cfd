"""How subscriber targets are spelled: an email address (plain or ``mailto:``)
or a webhook URL. Pure parsing, below the channels (alerts/channels/), which
say which targets each one takes; :func:`alerts.channels.normalise_target`
asks them."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

# Deliberately plain: internal relays use names like alerts@host.local that
# strict public-mail validators refuse.
EMAIL_PATTERN = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
MAX_TARGET_CHARS = 2000


class InvalidTarget(ValueError):
    """A target no channel takes."""


def email_address(target: str) -> str | None:
    """The address a target names, or None when it is not an email target."""
    address = target.strip()
    if address.lower().startswith("mailto:"):
        address = address[len("mailto:"):]
    if len(address) <= 254 and EMAIL_PATTERN.match(address):
        return address
    return None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def webhook_url(target: str) -> str | None:
    """The URL a target names, or None. Plain http is refused except to this
    machine (tests and local relays): a signed payload still leaks its content."""
    url = target.strip()
    parts = urlsplit(url)
    if not parts.hostname or len(url) > MAX_TARGET_CHARS:
        return None
    if parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(parts.hostname)):
        return url
    return None
