"""API keys of agencies and payment operators, and the answers kept for idempotency keys."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    READ = "read", _("Read files")
    ACT = "act", _("Act on files")
    PAY = "pay", _("Send payment notices")


class ApiKey(models.Model):
    """A key an agency's system calls the API with. Only `prefix` and the SHA-256 of the secret
    are stored: the key is shown once. It acts as its own system account (`user`), of the
    agency, in the workflow role the administrator chose (docs/decisions/0040)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    name = models.CharField(_("name"), max_length=100)
    agency = models.ForeignKey("catalog.Agency", on_delete=models.PROTECT, related_name="+")
    services = models.ManyToManyField("catalog.Service", blank=True, related_name="+",
                                      help_text=_("None chosen: every service of the agency."))
    scopes = models.JSONField(default=list)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_key")
    payment_operator = models.CharField(max_length=40, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def scope_labels(self) -> list[str]:
        """What the key may do, in the reader's language."""
        return [str(Scope(scope).label) for scope in self.scopes if scope in Scope.values]


class IdempotentAnswer(models.Model):
    """The answer given to a POST with an `Idempotency-Key`, replayed to the same key and body."""

    owner = models.CharField(max_length=64)  # "key:<prefix>" or "ip:<address>" for public POSTs
    key = models.CharField(max_length=200)
    body_sha256 = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    body = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="api_idempotent_answer_unique")]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"
