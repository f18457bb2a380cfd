"""Network ranges as the settings spell them (``COVERWATCH_ALLOWED_PRIVATE_NETWORKS``).

Below both the settings, which check the text when they load, and the network
policy (coverwatch/netpolicy.py), which enforces the ranges: neither needs the other.
"""

from __future__ import annotations

import ipaddress

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """CIDRs separated by commas or spaces; ValueError names the bad one."""
    networks: list[IPNetwork] = []
    for piece in text.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(piece, strict=False))
        except ValueError as failure:
            raise ValueError(f"not a network in CIDR form: {piece!r}") from failure
    return tuple(networks)
