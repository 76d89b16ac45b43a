"""Shared service centers, where many agencies serve the public under one roof."""

from __future__ import annotations

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
