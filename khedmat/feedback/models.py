"""What citizens say about the service they received: one rating per ticket."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khedmat.catalog.models import Agency, Service
from khedmat.centers.models import Center, Counter, Ticket


class Rating(models.Model):
    """A citizen's 1–5 rating of a finished service, tied to the ticket, service, agency and counter."""

    class Reason(models.TextChoices):
        LONG_WAIT = "long_wait", _("I waited too long")
        RUDE = "rude", _("The staff were not polite")
        NOT_SOLVED = "not_solved", _("My matter was not resolved")
        UNCLEAR = "unclear", _("Nobody explained what I need")
        ASKED_MONEY = "asked_money", _("I was asked for money or a favour")
        OTHER = "other", _("Something else")

    # A score at or below this needs a reason: low ratings are what an agency must act on.
    REASON_REQUIRED_AT_OR_BELOW = 2

    ticket = models.OneToOneField(Ticket, on_delete=models.PROTECT, related_name="rating")
    center = models.ForeignKey(Center, on_delete=models.PROTECT, related_name="ratings")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="ratings")
    # Indexed with the time (rating_agency_recent), not alone as well (decision 0047).
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="ratings", db_index=False)
    counter = models.ForeignKey(Counter, on_delete=models.PROTECT, null=True, blank=True, related_name="ratings")
    score = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    reason = models.CharField(max_length=20, choices=Reason.choices, blank=True, default="")
    comment = models.TextField(blank=True, default="", max_length=1000)
    channel = models.CharField(max_length=10, choices=[("tablet", _("Counter tablet")), ("link", _("Ticket link")),
                                                       ("ussd", _("USSD"))])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["agency", "created_at"], name="rating_agency_recent")]
        constraints = [
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="rating_score_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.score}"


class RatingFollowUp(models.Model):
    """What a center manager did about a low rating: who, how, a note, when.

    A rating may be followed up more than once (a call, then a word with the operator).
    `idempotency_key` comes from the form, so a second click or a retried POST records once.
    """

    class Method(models.TextChoices):
        CALLED_CITIZEN = "called_citizen", _("Called the citizen")
        SPOKE_WITH_OPERATOR = "spoke_with_operator", _("Spoke with the operator")
        OTHER = "other", _("Something else")

    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="follow_ups")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=20, choices=Method.choices)
    note = models.TextField(blank=True, default="", max_length=1000)
    created_at = models.DateTimeField(default=timezone.now)
    idempotency_key = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.rating_id}: {self.method}"
