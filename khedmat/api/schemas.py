"""The shapes the API answers with, as OpenAPI publishes them."""

from __future__ import annotations

import datetime
import uuid
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

SOME_TEXT = r"\S"  # at least one character that is not a space


class Problem(Schema):
    """RFC 9457 problem details; `code` is stable, the rest is for people."""

    type: str
    title: str
    status: int
    detail: str
    code: str


class Names(Schema):
    en: str
    fa: str
    ps: str


class AgencyOut(Schema):
    code: str
    slug: str
    name: Names
    website: str
    service_count: int


class FeeLineOut(Schema):
    label: str
    amount_afn: int


class CenterRef(Schema):
    code: str
    slug: str
    name: Names


class ServiceOut(Schema):
    code: str
    slug: str
    agency: str
    name: Names
    version: int
    category: str
    time_standard_days: int
    fee_min_afn: int
    fee_max_afn: int
    fee_kind: str
    documents_required: list[dict[str, Any]]
    channels: list[str]
    centers: list[CenterRef]


class ServiceDetailOut(ServiceOut):
    definition: dict[str, Any]


class CenterOut(Schema):
    code: str
    slug: str
    name: Names
    city: Names
    address: Names
    opens_at: str
    closes_at: str
    open_weekdays: list[int]
    open_on_holidays: bool
    open_now: bool


class QueueGroupOut(Schema):
    service: str
    waiting: int
    longest_wait_minutes: int | None


class QueueOut(Schema):
    center: str
    open_now: bool
    waiting: int
    groups: list[QueueGroupOut]


class VerifyIn(Schema):
    code: str = Field(min_length=1, max_length=4000, pattern=SOME_TEXT)


class VerifyOut(Schema):
    verdict: str
    detail: str
    number: str | None
    issuer: str | None
    expires_on: datetime.date | None


class FileSummary(Schema):
    id: uuid.UUID
    reference: str | None
    service: str
    state: str
    is_final: bool
    channel: str
    submitted_at: datetime.datetime | None
    updated_at: datetime.datetime
    due_date: datetime.date | None


class FilePage(Schema):
    items: list[FileSummary]
    next_cursor: str | None


class UploadOut(Schema):
    id: uuid.UUID
    document_code: str
    name: str
    content_type: str
    size: int
    sha256: str


class FileDetail(FileSummary):
    applicant_name: str
    answers: dict[str, Any]
    uploads: list[UploadOut]


class StepIn(Schema):
    transition: str = Field(min_length=1, max_length=40)
    expected_state: str = Field(min_length=1, max_length=40)
    reason_code: str = Field(default="", max_length=40)
    reason_text: str = Field(default="", max_length=2000)


class NoteIn(Schema):
    text: str = Field(min_length=1, max_length=5000, pattern=SOME_TEXT)


class NoteOut(Schema):
    created_at: datetime.datetime
    text: str


class MessageIn(Schema):
    text: str = Field(min_length=1, max_length=2000, pattern=SOME_TEXT)


class OrderOut(Schema):
    reference: str
    status: str
    amount_afn: int
    file: uuid.UUID | None


class NoticeIn(Schema):
    order_reference: str = Field(min_length=1, max_length=40)
    transaction_id: str = Field(min_length=1, max_length=100, pattern=SOME_TEXT)
    amount_afn: int = Field(ge=0, le=10**9)
    status: Literal["paid", "failed"] = "paid"


class NoticeOut(Schema):
    outcome: str
    order_reference: str


class IssuedDocumentOut(Schema):
    number: str
    kind: str
    holder_name: str
    issued_on: datetime.date
    expires_on: datetime.date | None
    revoked: bool
    revocation_reason: str


class RevokeIn(Schema):
    reason: str = Field(min_length=1, max_length=500, pattern=SOME_TEXT)


# An http(s) address with a host name (or an IPv4 address), an optional port, no user name or password.
_PORT = r"(?::(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?"
WEBHOOK_URL = (r"^https?://(?:[A-Za-z0-9-]+\.)*[A-Za-z0-9-]+" + _PORT
               + r"(?:[/?#][!-~]*)?$")
WebhookEventName = Literal["application.submitted", "application.transitioned", "application.paid",
                           "document.issued", "document.revoked"]


class WebhookIn(Schema):
    """A subscription: where, to which events, optionally only for some services (their codes)."""

    url: str = Field(min_length=1, max_length=500, pattern=WEBHOOK_URL,
                     examples=["https://registry.moi.gov.af/hooks/khedmat"])
    events: list[WebhookEventName] = Field(min_length=1, max_length=10,
                                           examples=[["application.submitted", "application.paid"]])
    services: list[str] = Field(default_factory=list, max_length=50,
                                description="Codes of your agency's services; an unknown one is a 404")


class WebhookOut(Schema):
    id: uuid.UUID
    url: str
    events: list[str]
    services: list[str]
    active: bool
    disabled_at: datetime.datetime | None
    disabled_reason: str
    created_at: datetime.datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="`whsec_…`: verify our signatures with it. Shown only in this answer.")


class AttemptOut(Schema):
    at: datetime.datetime
    status_code: int | None
    duration_ms: int
    error: str


class DeliveryOut(Schema):
    id: str = Field(description="The `webhook-id` header: the same on every retry")
    event: str
    status: Literal["pending", "sending", "delivered", "failed", "cancelled"]
    attempts: int
    created_at: datetime.datetime
    next_attempt_at: datetime.datetime | None
    delivered_at: datetime.datetime | None
    last_status_code: int | None
    last_error: str
    tries: list[AttemptOut]


class TestSent(Schema):
    delivery: str
    status: str
