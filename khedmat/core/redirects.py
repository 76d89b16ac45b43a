"""Where a form sends people on to, when the request names the page (`?next=`, a hidden `next`).

`redirect(text)` looks a bare word up as a URL name, so `?next=²` raised NoReverseMatch (a
server error), and an address on another site would make this one an open redirect. Only a
path on this site passes.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_url(request: HttpRequest, candidate: object) -> str:
    """`candidate` if it is a path on this site ("/en/office/?state=…"), else ""."""
    if not isinstance(candidate, str) or not candidate.startswith("/"):
        return ""
    if not url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        return ""  # "//evil.example", "/\\evil.example"
    return candidate
