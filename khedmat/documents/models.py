"""Issued documents: what the platform certified, the keys it signed with, and revocations."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    CERTIFICATE = "certificate", _("Certificate")
    LICENCE = "licence", _("Licence")
    PERMIT = "permit", _("Permit")
    REGISTRATION_CARD = "registration_card", _("Registration card")


# The letter a document number carries for its kind: MOI-C-1405-000001.
KIND_LETTERS = {"certificate": "C", "licence": "L", "permit": "P", "registration_card": "R"}


class SigningKey(models.Model):
    """An Ed25519 key pair that signs documents. Exactly one is active; retired keys keep
    verifying what they signed, so none is ever deleted."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active: signs new documents")
        RETIRED = "retired", _("Retired: verifies only")

    class Source(models.TextChoices):
        DATABASE = "database", _("Private key in the database (encrypted)")
        FILE = "file", _("Private key in a file outside the database")

    kid = models.CharField(_("key id"), max_length=16, unique=True)
    public_key = models.CharField(_("public key (base64url)"), max_length=64)
    private_key = models.TextField(blank=True, help_text=_("Encrypted; empty when the key is held in a file."))
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.DATABASE)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    # From when the private key may be in other hands (services.signing_key_mark_compromised):
    # nothing it signed from then on is trusted, and the JWK set says so to offline verifiers.
    compromised_at = models.DateTimeField(_("compromised from"), null=True, blank=True)
    compromise_reason = models.TextField(_("why it is compromised"), blank=True)

    class Meta:
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=Q(status="active"), name="one_active_signing_key"),
        ]

    def __str__(self) -> str:
        return f"{self.kid} ({self.status})"


class DocumentCounter(models.Model):
    """The last document number given per agency and Solar Hijri year (gap-free)."""

    agency = models.ForeignKey("catalog.Agency", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "year"], name="document_counter_unique")]

    def __str__(self) -> str:
        return f"{self.agency_id}/{self.year}: {self.last_number}"


class IssuedDocument(models.Model):
    """A certificate, licence, permit or registration card issued for an application.

    `content` keeps what the document says in the three languages, so that it renders the
    same whenever it is downloaded; `payload` is the signed text its QR code carries.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(_("document number"), max_length=40, unique=True)
    application = models.ForeignKey("applications.Application", on_delete=models.PROTECT,
                                    related_name="issued_documents")
    # A corrected document issued anew replaces the one before it (revoked, with its reason):
    # a file's documents form one chain, and its current document is the one not replaced.
    replaces = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="replaced_by")
    agency = models.ForeignKey("catalog.Agency", on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices)
    language = models.CharField(_("language beside English"), max_length=5, default="fa")
    holder_name = models.CharField(_("holder"), max_length=200)
    content = models.JSONField(default=dict)
    issued_at = models.DateTimeField(_("issued at"))
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("valid until"), null=True, blank=True)
    signing_key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, related_name="documents")
    payload = models.TextField(_("signed payload"))

    class Meta:
        verbose_name = _("issued document")
        verbose_name_plural = _("issued documents")
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["agency", "-issued_at"], name="issued_document_by_agency")]
        constraints = [
            # The first document of a file is issued once, however often the file enters an
            # issuing state or two requests race; later ones each replace the one before.
            models.UniqueConstraint(fields=["application"], condition=Q(replaces__isnull=True),
                                    name="one_first_document_per_application"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("documents:pdf", kwargs={"public_id": self.public_id})


class Revocation(models.Model):
    """An agency withdrew a document: the verify page says so at once, with date and reason."""

    document = models.OneToOneField(IssuedDocument, on_delete=models.PROTECT, related_name="revocation")
    revoked_at = models.DateTimeField(_("revoked at"))
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))

    class Meta:
        verbose_name = _("revocation")
        verbose_name_plural = _("revocations")

    def __str__(self) -> str:
        return f"{self.document_id} revoked"
