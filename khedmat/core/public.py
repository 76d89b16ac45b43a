"""The one public address of the site, for every link that leaves it.

Links in SMS, the QR code and verify address printed on documents, enrolment links and the
pairing address of hall devices are read outside the request that made them (on a phone, on
paper), so they never come from the request's Host header: they come from
`settings.PUBLIC_BASE_URL` alone (`make run` sets it from PORT; docs/decisions/0018).
"""

from __future__ import annotations

from django.conf import settings


def public_base_url() -> str:
    """The origin people reach the site at, without a trailing slash."""
    return str(settings.PUBLIC_BASE_URL).rstrip("/")


def public_url(path: str) -> str:
    """`path` (from `reverse`, starting with "/") as an absolute address people can open."""
    return public_base_url() + path
