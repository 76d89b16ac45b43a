"""Writes of the API app: keys (made, revoked, checked) and kept answers for idempotency keys."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from khedmat.accounts.roles import Role
from khedmat.accounts.services import staff_user_create
from khedmat.audit.services import audit_record

from .models import ApiKey, IdempotentAnswer, Scope

if TYPE_CHECKING:
    from django.http import HttpRequest

    from khedmat.accounts.models import User
    from khedmat.catalog.models import Agency, Service

KEY_LABEL = "ak"  # keys read "ak_<prefix>_<secret>": a scanner can spot one leaked in a repository
ACTING_ROLES = (Role.OFFICER, Role.APPROVER)


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    token: str  # shown once, never stored


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, agency: Agency, name: str, scopes: list[str], acts_as: str = Role.OFFICER,
                   services: list[Service] | None = None, days: int = 365, created_by: User | None = None,
                   payment_operator: str = "", request: HttpRequest | None = None) -> NewKey:
    """Make a key for `agency`; the token is returned once. The key acts through a system account
    of its own (role `acts_as`, the agency's), so the workflow's rules apply unchanged."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": _("Give the key a name of 1 to 100 characters.")})
    scopes = sorted(set(scopes))
    if not scopes or not set(scopes) <= set(Scope.values):
        raise ValidationError({"scopes": _("Choose at least one thing the key may do.")})
    if acts_as not in ACTING_ROLES:
        raise ValidationError({"acts_as": _("A key acts as an officer or as an approver.")})
    if not 1 <= days <= 730:
        raise ValidationError({"days": _("A key lasts 1 to 730 days.")})
    services = list(services or [])
    if any(service.agency_id != agency.pk for service in services):
        raise ValidationError({"services": _("Choose services of your own agency.")})
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    user = staff_user_create(username=f"api-{prefix}", password=secrets.token_urlsafe(24), role=acts_as,
                             agency=agency, full_name=f"{agency.code} system ({name})", is_staff=False,
                             created_by=created_by, request=request, is_system=True)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    key = ApiKey.objects.create(prefix=prefix, secret_hash=_hash(secret), name=name, agency=agency, scopes=scopes,
                                user=user, created_by=created_by, payment_operator=payment_operator,
                                expires_at=timezone.now() + datetime.timedelta(days=days))
    if services:
        key.services.set(services)
    audit_record(action="api.key_created", target_type="api_key", target_id=prefix, actor=created_by,
                 request=request, data={"agency": agency.code, "scopes": scopes, "acts_as": str(acts_as),
                                        "services": [service.code for service in services]})
    return NewKey(key=key, token=f"{KEY_LABEL}_{prefix}_{secret}")


@transaction.atomic
def api_key_revoke(*, key: ApiKey, actor: User, request: HttpRequest | None = None) -> ApiKey:
    """Revoke a key at once; its system account is closed with it."""
    if actor.role != Role.AGENCY_ADMIN or actor.agency_id != key.agency_id:
        raise ValidationError(_("Only an administrator of the key's agency may revoke it."))
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        key.user.is_active = False
        key.user.save(update_fields=["is_active"])
        audit_record(action="api.key_revoked", target_type="api_key", target_id=key.prefix, actor=actor,
                     request=request)
    return key


def api_key_authenticate(token: str) -> ApiKey | None:
    """The live key a bearer token names, or None (unknown, wrong secret, expired, revoked).

    One indexed read; the secret is compared in constant time."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_LABEL or not parts[1] or len(parts[1]) > 16 or len(token) > 200:
        return None
    key = (ApiKey.objects.select_related("agency", "user").filter(prefix=parts[1]).first())
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(parts[2])):
        return None
    if key.revoked_at is not None or key.expires_at <= timezone.now() or not key.user.is_active:
        return None
    return key


def idempotent_answer_get(*, owner: str, key: str) -> IdempotentAnswer | None:
    keep = datetime.timedelta(hours=settings.API_IDEMPOTENCY_KEEP_HOURS)
    return IdempotentAnswer.objects.filter(owner=owner, key=key, created_at__gte=timezone.now() - keep).first()


def idempotent_answer_keep(*, owner: str, key: str, body_sha256: str, status: int, content_type: str,
                           body: bytes) -> None:
    """Keep an answer to replay; a twin request that finished first keeps its own."""
    IdempotentAnswer.objects.filter(owner=owner, key=key).delete()  # an expired one under the same key
    try:
        with transaction.atomic():
            IdempotentAnswer.objects.create(owner=owner, key=key, body_sha256=body_sha256, status=status,
                                            content_type=content_type, body=body)
    except IntegrityError:
        pass


def idempotent_answers_prune() -> int:
    """Forget answers older than API_IDEMPOTENCY_KEEP_HOURS (the `api_idempotency_prune` job)."""
    keep = datetime.timedelta(hours=settings.API_IDEMPOTENCY_KEEP_HOURS)
    deleted, _kinds = IdempotentAnswer.objects.filter(created_at__lt=timezone.now() - keep).delete()
    return deleted
