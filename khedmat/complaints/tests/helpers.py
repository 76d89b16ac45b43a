"""Complaints made through the real service, with plausible defaults."""

from __future__ import annotations

from typing import Any

from khedmat.complaints.models import Complaint
from khedmat.complaints.services import complaint_file

DEFAULTS: dict[str, Any] = {"about": "service", "category": "delay", "description": "Nobody answered for three weeks.",
                            "phone": "0700 111 222", "channel": "web", "language": "fa"}


def file(**kwargs: Any) -> Complaint:
    return complaint_file(**(DEFAULTS | kwargs))
