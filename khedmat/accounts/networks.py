"""The network a sign-in came from, as remembered per staff account (docs/decisions/0015).

A /24 (IPv4) or /64 (IPv6): wide enough that an office's or a home's changing address
stays the same network, narrow enough that a stranger is rarely inside it.
"""

from __future__ import annotations

import ipaddress

IPV4_PREFIX = 24
IPV6_PREFIX = 64


def network_of(address: str) -> str:
    """The network of a client address, as text ("10.20.3.0/24"), or "" for no address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = IPV4_PREFIX if ip.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
