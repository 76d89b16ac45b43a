"""Abstract model pieces shared by the domain apps."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .i18n import pick


class TrilingualNameMixin(models.Model):
    """A name in English, Dari and Pashto, shown in the reader's language."""

    name_en = models.CharField(_("name (English)"), max_length=200)
    name_fa = models.CharField(_("name (Dari)"), max_length=200)
    name_ps = models.CharField(_("name (Pashto)"), max_length=200)

    class Meta:
        abstract = True

    @property
    def name(self) -> str:
        return pick(self, "name")
