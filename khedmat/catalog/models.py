"""Agencies, categories and services; a service's definition lives in immutable versions."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from khedmat.core.fields import ImmutableOrderedJSONField
from khedmat.core.i18n import pick
from khedmat.core.models import TrilingualNameMixin
from khedmat.core.pictograms import PICTOGRAM_CHOICES


class Agency(TrilingualNameMixin):
    code = models.CharField(
        _("code"), max_length=10, unique=True,
        help_text=_("Short upper-case code used in references, e.g. MOI."),
    )
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_fa = models.TextField(_("description (Dari)"), blank=True)
    description_ps = models.TextField(_("description (Pashto)"), blank=True)
    website = models.URLField(_("website"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self) -> str:
        return f"{self.code} — {self.name_en}"

    def get_absolute_url(self) -> str:
        return reverse("catalog:agency", kwargs={"slug": self.slug})

    @property
    def description(self) -> str:
        return pick(self, "description")


class Category(TrilingualNameMixin):
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name_en"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name_en

    def get_absolute_url(self) -> str:
        return reverse("catalog:category", kwargs={"slug": self.slug})


class Service(models.Model):
    """A service an agency offers; what it is at any moment is its current published version."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="services",
                               verbose_name=_("agency"))
    code = models.CharField(
        _("code"), max_length=10,
        help_text=_("Short upper-case code used in references, e.g. PSP."),
    )
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    current_version = models.OneToOneField(
        "ServiceVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("current version"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # What the hall's kiosk shows beside the service's name (khedmat.core.pictograms); empty:
    # its queue group's.
    pictogram = models.CharField(_("kiosk pictogram"), max_length=30, blank=True, default="",
                                 choices=PICTOGRAM_CHOICES,
                                 help_text=_("Shown on the kiosk's button, for people who choose by picture."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["agency__code", "code"]
        verbose_name = _("service")
        verbose_name_plural = _("services")
        constraints = [
            models.UniqueConstraint(fields=["agency", "code"], name="service_code_unique_per_agency"),
        ]

    def __str__(self) -> str:
        name = self.current_version.name_en if self.current_version else self.slug
        return f"{self.agency.code}-{self.code} — {name}"

    def get_absolute_url(self) -> str:
        return reverse("catalog:service", kwargs={"slug": self.slug})

    @property
    def name(self) -> str:
        return self.current_version.name if self.current_version else self.slug


class ServiceVersion(TrilingualNameMixin):
    """One published state of a service's definition. Never changed once saved.

    `definition` holds the whole validated definition (the same shape as the YAML an agency
    imports); the columns beside it are copies of the parts the catalog lists and searches.
    """

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="versions",
                                verbose_name=_("service"))
    number = models.PositiveIntegerField(_("version"))
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="service_versions",
                                 verbose_name=_("category"))
    definition = ImmutableOrderedJSONField(_("definition"))
    search_text = models.TextField(editable=False)
    fee_min_afn = models.PositiveIntegerField(_("lowest fee (AFN)"))
    time_standard_days = models.PositiveSmallIntegerField(_("time standard (working days)"))
    published_at = models.DateTimeField(_("published"), auto_now_add=True)
    published_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("published by"),
    )

    class Meta:
        ordering = ["service", "-number"]
        verbose_name = _("service version")
        verbose_name_plural = _("service versions")
        constraints = [
            models.UniqueConstraint(fields=["service", "number"], name="service_version_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name_en} v{self.number}"
