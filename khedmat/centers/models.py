"""Shared service centers, where many agencies serve the public under one roof."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khedmat.catalog.models import Service
from khedmat.core.i18n import pick
from khedmat.core.models import TrilingualNameMixin
from khedmat.core.pictograms import PICTOGRAM_CHOICES


def default_open_weekdays() -> list[int]:
    """A new center opens on the platform's working week (settings.WORKING_WEEKDAYS)."""
    return sorted(int(day) for day in settings.WORKING_WEEKDAYS)


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
    closes_at = models.TimeField(_("closes at"), help_text=_("00:00 means midnight, at the end of the day."))
    # Python weekday numbers (Monday = 0) on which the center opens; holidays are closed too.
    open_weekdays = models.JSONField(_("open on"), default=default_open_weekdays, blank=True)
    # A hall that never closes (the demonstration's Kabul, an airport's) opens on holidays too.
    open_on_holidays = models.BooleanField(_("open on public holidays"), default=False)
    services = models.ManyToManyField(Service, related_name="centers", blank=True,
                                      verbose_name=_("services offered"))
    is_active = models.BooleanField(_("active"), default=True)
    # The waiting-time standard: minutes from ticket to call that the center promises.
    wait_standard_minutes = models.PositiveSmallIntegerField(_("waiting-time standard for walk-ins (minutes)"),
                                                             default=15)
    appointment_wait_standard_minutes = models.PositiveSmallIntegerField(
        _("waiting-time standard for appointments (minutes)"), default=5)

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

    class State(models.TextChoices):
        CLOSED = "closed", _("Closed")
        OPEN = "open", _("Open")
        PAUSED = "paused", _("Paused")

    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="counters",
                               verbose_name=_("center"))
    number = models.PositiveSmallIntegerField(_("number"))
    designation = models.CharField(_("designated for"), max_length=20, choices=Designation.choices,
                                   default=Designation.GENERAL)
    services = models.ManyToManyField(Service, related_name="counters", blank=True,
                                      verbose_name=_("services served"))
    is_active = models.BooleanField(_("active"), default=True)
    # Who is signed in at the desk now, and whether it calls tickets.
    operator = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="counter", verbose_name=_("operator at the counter"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.CLOSED)
    state_changed_at = models.DateTimeField(_("state changed at"), null=True, blank=True)

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
    # The kiosk's picture for the group, and for its services that have none of their own.
    pictogram = models.CharField(_("kiosk pictogram"), max_length=30, blank=True, default="",
                                 choices=PICTOGRAM_CHOICES,
                                 help_text=_("Shown on the kiosk beside the group's name and on the buttons "
                                             "of its services that have no pictogram of their own."))

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


class PriorityGroup(TrilingualNameMixin):
    """People served ahead of the queue (elderly, persons with disabilities, pregnant women).

    A ticket of the group stands `advance_minutes` ahead of its issue time: a bounded head
    start, so an ordinary ticket that has waited longer than that is still called first.
    """

    code = models.SlugField(_("code"), max_length=30, unique=True)
    pictogram = models.CharField(_("pictogram"), max_length=30, default="person",
                                 help_text=_("Name of the pictogram shown on the kiosk, e.g. elderly"))
    advance_minutes = models.PositiveSmallIntegerField(_("head start (minutes)"), default=15,
                                                       validators=[MaxValueValidator(120)])
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("priority group")
        verbose_name_plural = _("priority groups")

    def __str__(self) -> str:
        return self.name_en


class Ticket(models.Model):
    """A place in a center's queue, from the kiosk (or online, or by SMS) to the counter."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        CALLED = "called", _("Called")
        SERVING = "serving", _("Being served")
        SERVED = "served", _("Served")
        NO_SHOW = "no_show", _("Did not come")
        CANCELLED = "cancelled", _("Cancelled")

    class Channel(models.TextChoices):
        KIOSK = "kiosk", _("Kiosk")
        ONLINE = "online", _("Online")
        SMS = "sms", _("SMS")
        USSD = "ussd", _("USSD")
        APPOINTMENT = "appointment", _("Appointment")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Not indexed alone: ticket_queue and ticket_waiting begin with the centre, the unique number
    # with the group. Every ticket issued, called and finished writes each index (decision 0047).
    center = models.ForeignKey(Center, on_delete=models.PROTECT, related_name="tickets", db_index=False)
    group = models.ForeignKey(QueueGroup, on_delete=models.PROTECT, related_name="tickets", db_index=False)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="tickets")
    day = models.DateField()
    number = models.PositiveIntegerField()
    priority_group = models.ForeignKey(PriorityGroup, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="tickets")
    # A ticket for a designated desk (the women's desk) is called only by such a counter.
    desk = models.CharField(max_length=20, choices=Counter.Designation.choices, blank=True, default="")
    phone = models.CharField(max_length=20, blank=True, default="", help_text="E.164, for an SMS when called")
    # The kiosk's or join form's one-time token: a double tap or a retried post gets this ticket.
    idempotency_key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.KIOSK)
    # The language the holder took the ticket in: their SMS are written in it.
    language = models.CharField(max_length=5, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    issued_at = models.DateTimeField()
    # When the holder was told by SMS that their turn is near (once per ticket).
    near_notified_at = models.DateTimeField(null=True, blank=True)
    # Where the ticket stands in the queue: its issue time, moved forward by a bounded
    # advance for priority groups, so priority never starves ordinary tickets.
    queue_position_at = models.DateTimeField()
    # Indexed with the status (ticket_at_counter): a counter's served tickets pile up all year,
    # and every call and every screen looks only for the one it has called or is serving.
    counter = models.ForeignKey(Counter, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets",
                                db_index=False)
    # The current visit (reset by a transfer; finished visits are kept as TicketVisit rows).
    waiting_since = models.DateTimeField(default=timezone.now)
    # First call ends the wait; a recall moves only `called_at`, which the board shows.
    first_called_at = models.DateTimeField(null=True, blank=True)
    called_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    recalls = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["day", "queue_position_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "day", "number"], name="ticket_number_unique_per_group_day"),
        ]
        indexes = [
            models.Index(fields=["center", "status", "queue_position_at", "id"], name="ticket_queue"),
            models.Index(fields=["counter", "status"], name="ticket_at_counter"),
            # The day's queue alone, in its order: what every call, counter screen and near-turn
            # look walks. A centre's history of served tickets grows by thousands a day; on
            # the index above PostgreSQL planned the call as a join of the waiting tickets with
            # every ticket ever issued for each of the counter's services (8 ms at two months
            # of history; 0.2 ms on this one, which holds only what waits: decision 0046).
            models.Index(fields=["center", "day", "queue_position_at", "id"], name="ticket_waiting",
                         condition=models.Q(status="waiting")),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        """What is printed and called out: the group's letter and three digits, e.g. P-042."""
        return f"{self.group.letter}-{self.number:03d}"

    @property
    def is_served(self) -> bool:
        """The service is finished (so the ticket may be rated)."""
        return self.status == self.Status.SERVED

    @property
    def no_show_allowed(self) -> bool:
        """The holder may be marked as not come: called, and recalled QUEUE_MAX_RECALLS times
        (they may not have heard the first calls). The counter screen offers it only then."""
        return self.status == self.Status.CALLED and self.recalls >= settings.QUEUE_MAX_RECALLS


class TicketVisit(models.Model):
    """One finished stop of a ticket at a service: served, transferred on, or not come.

    The center's statistics (waiting and service times per service, counter and hour) are
    read from these rows, so a transferred ticket counts once for each service it had.
    """

    class Outcome(models.TextChoices):
        SERVED = "served", _("Served")
        TRANSFERRED = "transferred", _("Transferred")
        NO_SHOW = "no_show", _("Did not come")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="visits")
    # Indexed with the day and the end (visit_center_day, visit_service_recent), not alone as well.
    center = models.ForeignKey(Center, on_delete=models.PROTECT, related_name="+", db_index=False)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+", db_index=False)
    counter = models.ForeignKey(Counter, on_delete=models.PROTECT, null=True, blank=True, related_name="visits")
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    day = models.DateField()
    by_appointment = models.BooleanField(default=False)
    waiting_since = models.DateTimeField()
    called_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField()
    outcome = models.CharField(max_length=12, choices=Outcome.choices)

    class Meta:
        ordering = ["ended_at", "id"]
        indexes = [
            models.Index(fields=["center", "day"], name="visit_center_day"),
            models.Index(fields=["service", "ended_at"], name="visit_service_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.outcome}"


class AppointmentSchedule(models.Model):
    """When a center takes appointments for a service: hours, slot length and capacity.

    Slots fall on the center's working days (settings.WORKING_WEEKDAYS) and never on a
    holiday of the calendar the time standards use (khedmat.core.models.Holiday).
    """

    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="appointment_schedules",
                               verbose_name=_("center"))
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="appointment_schedules",
                                verbose_name=_("service"))
    starts_at = models.TimeField(_("first slot at"))
    ends_at = models.TimeField(_("last slot ends at"))
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=15,
                                                    validators=[MinValueValidator(5), MaxValueValidator(240)])
    capacity = models.PositiveSmallIntegerField(_("people per slot"), default=2,
                                                validators=[MinValueValidator(1)])
    days_ahead = models.PositiveSmallIntegerField(_("bookable days ahead"), default=14)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["center", "service"]
        verbose_name = _("appointment schedule")
        verbose_name_plural = _("appointment schedules")
        constraints = [models.UniqueConstraint(fields=["center", "service"], name="appointment_schedule_unique")]

    def __str__(self) -> str:
        return f"{self.center.code} {self.service.slug}"


class AppointmentSlot(models.Model):
    """A bookable time of a schedule, made when first booked; `booked` never exceeds
    `capacity` (a conditional UPDATE and a check constraint keep it so under concurrency)."""

    schedule = models.ForeignKey(AppointmentSchedule, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField()
    capacity = models.PositiveSmallIntegerField()
    booked = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "starts_at"], name="appointment_slot_unique"),
            models.CheckConstraint(condition=models.Q(booked__lte=models.F("capacity")),
                                   name="appointment_slot_not_overbooked"),
        ]

    def __str__(self) -> str:
        return f"{self.schedule} {self.starts_at:%Y-%m-%d %H:%M}: {self.booked}/{self.capacity}"


class Appointment(models.Model):
    """A citizen's booking of a slot, made and managed with their phone number."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CHECKED_IN = "checked_in", _("Checked in")
        CANCELLED = "cancelled", _("Cancelled")
        LAPSED = "lapsed", _("Lapsed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Read out over the phone and typed at the kiosk: digits only. Ten digits since issue 9;
    # bookings made before keep their six-digit code (see selectors.appointments.CODE_DIGITS).
    code = models.CharField(max_length=12, unique=True)
    slot = models.ForeignKey(AppointmentSlot, on_delete=models.PROTECT, related_name="appointments")
    center = models.ForeignKey(Center, on_delete=models.PROTECT, related_name="appointments")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="appointments")
    phone = models.CharField(max_length=20, help_text="E.164")
    # The language it was booked in: its SMS are written in it.
    language = models.CharField(max_length=5, blank=True, default="")
    day = models.DateField(help_text="The slot's local day: one booking per phone, service and day")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.BOOKED)
    # When the reminder the day before went out (once per booking).
    reminded_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    ticket = models.OneToOneField(Ticket, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="appointment")
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slot__starts_at", "id"]
        indexes = [models.Index(fields=["phone", "status"], name="appointment_by_phone")]
        constraints = [
            # Two bookings sent at once for the same phone cannot both pass the check.
            models.UniqueConstraint(fields=["phone", "service", "day"], condition=models.Q(status="booked"),
                                    name="appointment_one_a_day_per_phone"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_changeable(self) -> bool:
        """Only a booking that still stands can be moved or cancelled."""
        return self.status == self.Status.BOOKED

    @property
    def check_in_window(self) -> tuple[datetime.datetime, datetime.datetime]:
        """When the holder may check in at the kiosk: from APPOINTMENT_CHECKIN_BEFORE_MINUTES
        before the slot to APPOINTMENT_CHECKIN_AFTER_MINUTES after it (later, it lapses)."""
        starts_at = self.slot.starts_at
        return (starts_at - datetime.timedelta(minutes=settings.APPOINTMENT_CHECKIN_BEFORE_MINUTES),
                starts_at + datetime.timedelta(minutes=settings.APPOINTMENT_CHECKIN_AFTER_MINUTES))


class Device(models.Model):
    """A screen of a center's hall that its manager paired: a ticket kiosk, or the rating
    tablet facing the citizen at one counter.

    The manager adds the device and gets a one-time pairing code; the screen enters it once
    and from then on holds a long-lived signed cookie naming the device and its `generation`
    (khedmat.centers.devices). Revoking the device, or pairing it again, makes that cookie
    worthless on its next request.
    """

    class Kind(models.TextChoices):
        KIOSK = "kiosk", _("Ticket kiosk")
        RATING_TABLET = "rating_tablet", _("Rating tablet at a counter")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="devices", verbose_name=_("center"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=80, help_text=_("Where it stands, e.g. Kiosk by the entrance"))
    # The counter a rating tablet faces the citizen at (none for a kiosk).
    counter = models.ForeignKey(Counter, on_delete=models.CASCADE, null=True, blank=True, related_name="devices",
                                verbose_name=_("counter"))
    # A keyed digest of the pairing code while one is outstanding: the code itself is shown
    # once to the manager and never stored.
    pairing_code_digest = models.CharField(max_length=64, unique=True, null=True, blank=True)
    pairing_code_expires_at = models.DateTimeField(null=True, blank=True)
    # Raised by every pairing: a credential names the generation it was given for.
    generation = models.PositiveIntegerField(default=0)
    paired_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["center", "kind", "name", "id"]
        verbose_name = _("paired device")
        verbose_name_plural = _("paired devices")
        constraints = [
            models.CheckConstraint(condition=~models.Q(kind="rating_tablet") | models.Q(counter__isnull=False),
                                   name="device_tablet_has_a_counter"),
        ]

    def __str__(self) -> str:
        return f"{self.center_id} {self.kind} {self.name}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_paired(self) -> bool:
        return self.paired_at is not None and self.revoked_at is None

    def pairing_code_pending(self, now: datetime.datetime | None = None) -> bool:
        """A pairing code is outstanding and not expired."""
        return (self.revoked_at is None and self.pairing_code_digest is not None
                and self.pairing_code_expires_at is not None
                and self.pairing_code_expires_at > (now or timezone.now()))


class KioskService(Service):
    """A catalog service as the hall's kiosk shows it: the admin's page for choosing each
    service's pictogram (the field is catalog.Service.pictogram)."""

    class Meta:
        proxy = True
        verbose_name = _("kiosk pictogram of a service")
        verbose_name_plural = _("kiosk pictograms of services")
