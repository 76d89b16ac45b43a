"""Applications: a person's file with an agency, worked through its service's workflow."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    ONLINE = "online", _("Online")
    CENTER = "center", _("At a service center")
    SMS = "sms", _("By SMS")


class DecisionReason(models.TextChoices):
    """Reasons an officer picks from when refusing or sending back a file (plus free text)."""

    INCOMPLETE_DOCUMENTS = "incomplete_documents", _("Documents are missing or unreadable")
    NOT_ELIGIBLE = "not_eligible", _("The applicant is not eligible for this service")
    INCORRECT_INFORMATION = "incorrect_information", _("The information given is incorrect")
    DUPLICATE = "duplicate", _("Another application for the same thing is open")
    FEE_NOT_PAID = "fee_not_paid", _("The fee was not paid")
    OTHER = "other", _("Another reason (explained below)")


class Relationship(models.TextChoices):
    """Who the applicant is to the account holder who files (or to the person who brought them)."""

    SELF = "self", _("Myself")
    CHILD = "child", _("My son or daughter")
    PARENT = "parent", _("My father or mother")
    SPOUSE = "spouse", _("My husband or wife")
    SIBLING = "sibling", _("My brother or sister")
    OTHER = "other", _("Someone else in my care")


class Application(models.Model):
    DRAFT = "draft"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=40, unique=True, null=True, blank=True)
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="applications")
    service_version = models.ForeignKey("catalog.ServiceVersion", on_delete=models.PROTECT, related_name="+",
                                        help_text=_("The definition the application was filed under."))
    # Both are looked up through the indexes below that start with them (application_inbox,
    # application_by_applicant): an index of their own would be written with every row for nothing.
    agency = models.ForeignKey("catalog.Agency", on_delete=models.PROTECT, related_name="applications",
                               db_index=False)
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications",
                                  db_index=False)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", help_text=_("The operator who filed it on the applicant's behalf."))
    center = models.ForeignKey("centers.Center", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The person the application is for, who may not be the account holder (a mother filing
    # for her son): plain fields, folded into `search_text`, which the inbox searches (by
    # trigrams on PostgreSQL): no index of their own.
    applicant_name = models.CharField(_("applicant's name"), max_length=200, blank=True)
    applicant_tazkira = models.CharField(_("applicant's Tazkira number"), max_length=32, blank=True)
    applicant_date_of_birth = models.DateField(_("applicant's date of birth"), null=True, blank=True)
    applicant_relationship = models.CharField(_("applicant's relationship to the account holder"), max_length=10,
                                              choices=Relationship.choices, default=Relationship.SELF)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    state = models.CharField(_("state"), max_length=40, default=DRAFT)
    is_final = models.BooleanField(default=False)
    data = models.JSONField(_("answers"), default=dict, blank=True)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="assigned_applications")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # The time standard: the deadline in working days, moved on by the days the clock stood
    # still while the file waited for the applicant.
    due_date = models.DateField(null=True, blank=True)
    clock_paused_on = models.DateField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # What the inbox's search box finds the file by, folded (applications/search.py).
    search_text = models.TextField(blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.UniqueConstraint(fields=["applicant", "idempotency_key"], name="application_idempotency_key",
                                    condition=Q(idempotency_key__isnull=False)),
        ]
        indexes = [
            # The inbox: open files of one agency in deadline order, paginated by keyset.
            models.Index(fields=["agency", "is_final", "due_date", "id"], name="application_inbox"),
            models.Index(fields=["agency", "is_final", "assigned_to", "due_date", "id"],
                         name="application_inbox_assigned"),
            models.Index(fields=["applicant", "-created_at"], name="application_by_applicant"),
            models.Index(fields=["agency", "updated_at", "id"], name="application_by_change"),
        ]

    def __str__(self) -> str:
        return self.reference or f"draft {self.public_id}"

    def get_absolute_url(self) -> str:
        return reverse("applications:detail", kwargs={"public_id": self.public_id})

    @property
    def is_draft(self) -> bool:
        return self.state == self.DRAFT

    @property
    def for_someone_else(self) -> bool:
        return self.applicant_relationship != Relationship.SELF


class ReferenceCounter(models.Model):
    """The last reference number given per service and Solar Hijri year (gap-free).

    One row per service and year, so no single row is shared by the whole platform.
    """

    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "year"], name="reference_counter_unique")]

    def __str__(self) -> str:
        return f"{self.service_id}/{self.year}: {self.last_number}"


class ApplicationEvent(models.Model):
    """One step in a file's history: the timeline the applicant and the officers read."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="events")
    occurred_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    actor_role = models.CharField(max_length=20, blank=True)
    transition = models.CharField(max_length=40)
    from_state = models.CharField(max_length=40)
    to_state = models.CharField(max_length=40)
    reason_code = models.CharField(max_length=40, blank=True, choices=DecisionReason.choices)
    reason_text = models.TextField(blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_state} → {self.to_state}"


class CorrectionRequest(models.Model):
    """An officer sent the file back for the applicant to correct named form fields."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="correction_requests")
    fields = models.JSONField(default=list)  # names of top-level form fields the applicant may change
    message = models.TextField()
    from_state = models.CharField(max_length=40)  # where the file returns once corrected
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    corrected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]

    def __str__(self) -> str:
        return f"correction of {self.application_id}"


class FieldCorrection(models.Model):
    """One corrected answer: both values kept, with who changed it and when (the applicant
    answering a correction request, or an officer correcting an issued document's facts)."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="field_corrections")
    request = models.ForeignKey(CorrectionRequest, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="changes")
    reason = models.TextField(blank=True)
    field = models.CharField(max_length=40)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    corrected_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["corrected_at", "id"]

    def __str__(self) -> str:
        return f"{self.field} corrected"


class Note(models.Model):
    """An officer's internal note: never shown to the applicant."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note on {self.application_id}"


class Message(models.Model):
    """A message between the agency and the applicant (a request for information, an answer)."""

    class Direction(models.TextChoices):
        TO_APPLICANT = "to_applicant", _("To the applicant")
        FROM_APPLICANT = "from_applicant", _("From the applicant")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(max_length=20, choices=Direction.choices)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"message on {self.application_id}"


def private_storage() -> Storage:
    """Uploads live in the "private" storage: never under a public URL."""
    return storages["private"]


def _document_path(instance: Document, filename: str) -> str:
    # Generated names only: the uploader's file name is kept as data, never as a path.
    return f"applications/{instance.application.public_id}/{uuid.uuid4().hex}"


class Document(models.Model):
    """An uploaded file, kept in private storage and served only through a checked view."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="documents")
    document_code = models.CharField(max_length=40)
    file = models.FileField(upload_to=_document_path, storage=private_storage)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    message = models.ForeignKey(Message, on_delete=models.PROTECT, null=True, blank=True, related_name="documents")

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class Consent(models.Model):
    """The applicant's consent to a file filed on their behalf at a center."""

    class Method(models.TextChoices):
        SMS_CODE = "sms_code", _("One-time code sent to the applicant's phone")
        SIGNED_FORM = "signed_form", _("Scanned signed consent form")

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="consent")
    method = models.CharField(max_length=20, choices=Method.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    signed_form = models.ForeignKey(Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    def __str__(self) -> str:
        return f"consent for {self.application_id} ({self.method})"
