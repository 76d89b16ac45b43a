"""Complaints: what a person says went wrong with a service, a centre, a file or a member of staff."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Complaint(models.Model):
    class About(models.TextChoices):
        SERVICE = "service", _("A service")
        CENTER = "center", _("A service center")
        APPLICATION = "application", _("An application")
        STAFF = "staff", _("A member of staff")

    class Category(models.TextChoices):
        DELAY = "delay", _("It took too long")
        CONDUCT = "conduct", _("Rude or unfair treatment")
        PAYMENT = "payment", _("Asked for money that is not the fee")
        DECISION = "decision", _("A wrong decision")
        INFORMATION = "information", _("Wrong or missing information")
        FACILITIES = "facilities", _("The place: access, waiting, cleanliness")
        OTHER = "other", _("Something else")

    class Channel(models.TextChoices):
        WEB = "web", _("Online")
        CENTER = "center", _("At a service center, with an operator")
        SMS = "sms", _("By SMS")
        USSD = "ussd", _("By USSD")

    class Consent(models.TextChoices):
        """How a complainant agreed to a complaint filed for them by an operator."""

        SMS_CODE = "sms_code", _("One-time code sent to the complainant's phone")
        SIGNED_FORM = "signed_form", _("Signed consent form")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=20, unique=True)
    about = models.CharField(_("about"), max_length=12, choices=About.choices)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    description = models.TextField(_("description"))
    phone = models.CharField(_("mobile number"), max_length=16, db_index=True)
    language = models.CharField(_("language"), max_length=5, default="fa")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    consent = models.CharField(_("consent"), max_length=12, choices=Consent.choices, blank=True)
    # Who: the complainant's account when they were signed in; the operator who filed it for them.
    complainant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="complaints")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    # What it is about (as many as apply), and who answers for it (`agency`, else `center`).
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    center = models.ForeignKey("centers.Center", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    application = models.ForeignKey("applications.Application", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", help_text=_("The member of staff complained about."))
    agency = models.ForeignKey("catalog.Agency", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+")
    # The workflow (complaints/workflow.py) and who holds the complaint.
    state = models.CharField(_("state"), max_length=20)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    # The time standard in working days, from `clock_started_on` (filing, or the last reopening).
    clock_started_on = models.DateField()
    standard_days = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    investigation_opened_at = models.DateTimeField(null=True, blank=True)
    # The escalation ladder: 0 none, 1 supervisor alerted, 2 agency head, 3 ombudsman desk.
    escalation_level = models.PositiveSmallIntegerField(default=0)
    next_escalation_after = models.DateField(null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_in_time = models.BooleanField(null=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(default=0)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        constraints = [
            models.CheckConstraint(condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                                   name="complaint_rating_1_to_5"),
            models.CheckConstraint(condition=Q(agency__isnull=False) | Q(center__isnull=False),
                                   name="complaint_routed"),
        ]
        indexes = [
            models.Index(fields=["agency", "state", "due_date"], name="complaint_agency_inbox"),
            models.Index(fields=["center", "state", "due_date"], name="complaint_center_inbox"),
            models.Index(fields=["next_escalation_after"], name="complaint_escalation_due",
                         condition=Q(next_escalation_after__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.reference


class ComplaintEvent(models.Model):
    """One step in a complaint's history: filing, each workflow step, each escalation."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="events")
    occurred_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    actor_role = models.CharField(max_length=20, blank=True)
    step = models.CharField(max_length=40)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    text = models.TextField(blank=True)
    # Escalations are the agency's business: the complainant sees the steps of the workflow.
    internal = models.BooleanField(default=False)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.step}"


class ComplaintCounter(models.Model):
    """The last complaint number given in a Solar Hijri year (gap-free)."""

    year = models.PositiveSmallIntegerField(unique=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class ComplaintPolicy(models.Model):
    """An agency's complaint time standards, when they differ from the platform's defaults
    (settings.COMPLAINTS_STANDARD_DAYS, COMPLAINTS_INVESTIGATION_DAYS)."""

    agency = models.OneToOneField("catalog.Agency", on_delete=models.CASCADE, related_name="+")
    standard_days = models.PositiveSmallIntegerField(_("time standard (working days)"), default=15)
    investigation_days = models.PositiveSmallIntegerField(_("time standard with an investigation (working days)"),
                                                          default=30)

    class Meta:
        verbose_name = _("complaint time standard")
        verbose_name_plural = _("complaint time standards")
        constraints = [
            models.CheckConstraint(condition=Q(standard_days__gte=1) & Q(investigation_days__gte=models.F(
                "standard_days")), name="complaint_policy_sane"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id}: {self.standard_days}/{self.investigation_days}"


def private_storage() -> Storage:
    return storages["private"]


def _attachment_path(instance: ComplaintAttachment, filename: str) -> str:
    return f"complaints/{instance.complaint.public_id}/{uuid.uuid4().hex}"


class ComplaintAttachment(models.Model):
    """A file sent with a complaint: checked as applications' uploads are, kept privately."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to=_attachment_path, storage=private_storage)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name
