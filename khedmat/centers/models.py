"""Shared service centers, where many agencies serve the public under one roof."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from khedmat.catalog.models import Service
from khedmat.core.i18n import pick
from khedmat.core.models import TrilingualNameMixin


class Center(TrilingualNameMixin):
    code = models.CharField(_("code"), max_length=10, unique=True, help_text=_("e.g. KBL"))
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    city_en = models.CharField(_("city (English)"), max_length=100)
    city_fa = models.CharField(_("city (Dari)"), max_length=100)
    city_ps = models.CharField(_("city (Pashto)"), max_length=100)
    address_en = models.CharField(_("address (English)"), max_length=300)
    address_fa = models.CharField(_("address (Dari)"), max_length=300)
    address_ps = models.CharField(_("address (Pashto)"), max_length=300)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))
    services = models.ManyToManyField(Service, related_name="centers", blank=True,
                                      verbose_name=_("services offered"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("service center")
        verbose_name_plural = _("service centers")

    def __str__(self) -> str:
        return self.name_en

    @property
    def city(self) -> str:
        return pick(self, "city")

    @property
    def address(self) -> str:
        return pick(self, "address")


class Counter(models.Model):
    """A desk in a center's hall, serving a set of services."""

    class Designation(models.TextChoices):
        GENERAL = "general", _("General")
        WOMEN = "women", _("Women's desk")
        PRIORITY = "priority", _("Elderly and disabled people")

    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="counters",
                               verbose_name=_("center"))
    number = models.PositiveSmallIntegerField(_("number"))
    designation = models.CharField(_("designated for"), max_length=20, choices=Designation.choices,
                                   default=Designation.GENERAL)
    services = models.ManyToManyField(Service, related_name="counters", blank=True,
                                      verbose_name=_("services served"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["center", "number"]
        verbose_name = _("counter")
        verbose_name_plural = _("counters")
        constraints = [
            models.UniqueConstraint(fields=["center", "number"], name="counter_number_unique_per_center"),
        ]

    def __str__(self) -> str:
        return f"{self.center.code} #{self.number}"


class QueueGroup(TrilingualNameMixin):
    """Services called under one letter in a center's hall: tickets P-001, P-002 … per day."""

    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="queue_groups",
                               verbose_name=_("center"))
    letter = models.CharField(_("letter"), max_length=2, help_text=_("Shown before the number, e.g. P"))
    services = models.ManyToManyField(Service, related_name="queue_groups", blank=True,
                                      verbose_name=_("services"))

    class Meta:
        ordering = ["center", "letter"]
        verbose_name = _("queue group")
        verbose_name_plural = _("queue groups")
        constraints = [models.UniqueConstraint(fields=["center", "letter"], name="queue_group_letter_unique")]

    def __str__(self) -> str:
        return f"{self.center.code} {self.letter}"


class TicketSequence(models.Model):
    """The last ticket number given per center, queue group and day (gap-free)."""

    group = models.ForeignKey(QueueGroup, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "day"], name="ticket_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.group_id} {self.day}: {self.last_number}"


class Ticket(models.Model):
    """A place in a center's queue, from the kiosk (or online, or by SMS) to the counter."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        CALLED = "called", _("Called")
        SERVING = "serving", _("Being served")
        SERVED = "served", _("Served")
        NO_SHOW = "no_show", _("Did not come")
        CANCELLED = "cancelled", _("Cancelled")

    class Priority(models.TextChoices):
        NONE = "", _("None")
        ELDERLY = "elderly", _("Elderly person")
        DISABILITY = "disability", _("Person with a disability")
        PREGNANT = "pregnant", _("Pregnant woman")

    class Channel(models.TextChoices):
        KIOSK = "kiosk", _("Kiosk")
        ONLINE = "online", _("Online")
        SMS = "sms", _("SMS")
        APPOINTMENT = "appointment", _("Appointment")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    center = models.ForeignKey(Center, on_delete=models.PROTECT, related_name="tickets")
    group = models.ForeignKey(QueueGroup, on_delete=models.PROTECT, related_name="tickets")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="tickets")
    day = models.DateField()
    number = models.PositiveIntegerField()
    priority = models.CharField(max_length=20, choices=Priority.choices, blank=True, default="")
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.KIOSK)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    issued_at = models.DateTimeField()
    # Where the ticket stands in the queue: its issue time, moved forward by a bounded
    # advance for priority groups, so priority never starves ordinary tickets.
    queue_position_at = models.DateTimeField()
    counter = models.ForeignKey(Counter, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets")
    called_at = models.DateTimeField(null=True, blank=True)
    recalls = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["day", "queue_position_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "day", "number"], name="ticket_number_unique_per_group_day"),
        ]
        indexes = [models.Index(fields=["center", "status", "queue_position_at", "id"], name="ticket_queue")]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        """What is printed and called out: the group's letter and three digits, e.g. P-042."""
        return f"{self.group.letter}-{self.number:03d}"
