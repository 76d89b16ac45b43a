"""The audit trail: an append-only record of changes and of every look at a person's file.

Events are inserted cheaply by the request that causes them (no shared row is locked);
a sealer then links them, in order, into a hash chain by inserting one `AuditSeal` per event.
At intervals the platform signs the head of the Merkle tree over the seals (`AuditCheckpoint`)
with a key of its own (`AuditKey`), and publishes it. No audit table is ever updated, deleted
from or truncated: on PostgreSQL a trigger refuses it, and the serving database role has only
SELECT and INSERT on them (docs/audit.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    occurred_at = models.DateTimeField(_("time (UTC)"), db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("actor"))
    actor_role = models.CharField(_("actor's role"), max_length=20, blank=True)
    actor_agency_code = models.CharField(_("actor's agency"), max_length=10, blank=True)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    target_type = models.CharField(_("target type"), max_length=80)
    target_id = models.CharField(_("target"), max_length=80)
    # Indexed with the time (audit_event_subject_time), not alone as well (decision 0047).
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False, verbose_name=_("person concerned"),
        help_text=_("Whose file this event touched: they can see it on their own file."),
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["subject", "occurred_at"], name="audit_event_subject_time"),
            models.Index(fields=["target_type", "target_id"], name="audit_event_target"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.target_type}:{self.target_id}"


class AuditSeal(models.Model):
    """An event's place in the chain: its sequence number and the hash linking it to the one before."""

    event = models.OneToOneField(AuditEvent, on_delete=models.PROTECT, related_name="seal")
    sequence = models.PositiveBigIntegerField(unique=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # Random, per seal: salts the digest of the fields a citizen's proof does not show (chain.py).
    # Empty for seals made before proofs existed: they hash the whole event.
    salt = models.CharField(max_length=32, blank=True, default="")
    sealed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sequence"]
        verbose_name = _("audit seal")
        verbose_name_plural = _("audit seals")

    def __str__(self) -> str:
        return f"seal {self.sequence} of event {self.event_id}"


class AuditTreeNode(models.Model):
    """A stored hash of the Merkle tree over the seals: the perfect subtree of 2**level leaves
    starting at leaf index * 2**level. Only high levels are kept (merkle proofs read the rest
    from the seals); derived data, checked against signed checkpoints, never trusted alone."""

    level = models.PositiveSmallIntegerField()
    index = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["level", "index"], name="audit_tree_node_unique")]

    def __str__(self) -> str:
        return f"node {self.level}/{self.index}"


class AuditKey(models.Model):
    """An Ed25519 key that signs checkpoints. The newest signs; older ones keep verifying what
    they signed. A row is never changed: a new key names the one it succeeds, and each signs a
    statement vouching for the other (checkpoint.succession_statement)."""

    class Source(models.TextChoices):
        DATABASE = "database", _("Private key in the database (encrypted)")
        FILE = "file", _("Private key in a file outside the database")

    kid = models.CharField(_("key id"), max_length=16, unique=True)
    public_key = models.CharField(_("public key (base64url)"), max_length=64)
    private_key = models.TextField(blank=True, help_text=_("Encrypted; empty when the key is held in a file."))
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.DATABASE)
    created_at = models.DateTimeField()
    predecessor = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="successors")
    # Signatures (base64url) of the succession statement: by this key, and by its predecessor
    # when its private half was at hand at rotation.
    succession_signature = models.CharField(max_length=100, blank=True)
    predecessor_signature = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("checkpoint signing key")
        verbose_name_plural = _("checkpoint signing keys")

    def __str__(self) -> str:
        return f"{self.kid} ({self.source})"


class AuditCheckpoint(models.Model):
    """A signed statement of the tree's head: how many sealed events, their Merkle root and
    the chain's last hash, at a time. `note` is the signed text as published (checkpoint.py)."""

    tree_size = models.PositiveBigIntegerField(db_index=True)
    root_hash = models.CharField(max_length=64)
    chain_hash = models.CharField(max_length=64)
    signed_at = models.DateTimeField()
    key = models.ForeignKey(AuditKey, on_delete=models.PROTECT, related_name="checkpoints")
    note = models.TextField()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")

    def __str__(self) -> str:
        return f"checkpoint of {self.tree_size} events at {self.signed_at:%Y-%m-%d %H:%M}"
