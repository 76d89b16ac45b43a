"""Service centers and their counters in the administration site.

A center manager runs their own center (hours, services offered, counters); a platform
administrator every center, and only they open or close one. `accounts.permissions` decides.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from khedmat.accounts import permissions
from khedmat.catalog import selectors as catalog_selectors
from khedmat.core.admin import ScopedModelAdmin
from khedmat.core.workdays import WEEKDAY_NAMES

from .hours import AFGHAN_WEEK, MIDNIGHT
from .models import AppointmentSchedule, Center, Counter, KioskService, PriorityGroup, QueueGroup
from .services import center_offer_services

if TYPE_CHECKING:
    from khedmat.catalog.models import Service


def _offerable_services() -> QuerySet[Service]:
    return catalog_selectors.services_with_a_version()


class CenterForm(forms.ModelForm):
    # The weekdays as boxes to tick, in the Afghan week's order (stored as Python's numbers).
    open_weekdays = forms.TypedMultipleChoiceField(
        label=_("open on"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(day, WEEKDAY_NAMES[day]) for day in AFGHAN_WEEK],
        help_text=_("Tickets are given only on these days, within the hours, and not on a public holiday unless "
                    "the center opens on holidays too."))

    class Meta:
        model = Center
        fields = ("code", "slug", "is_active", "name_en", "name_fa", "name_ps", "city_en", "city_fa", "city_ps",
                  "address_en", "address_fa", "address_ps", "open_weekdays", "open_on_holidays", "opens_at",
                  "closes_at", "services")

    def clean_open_weekdays(self) -> list[int]:
        return sorted(set(self.cleaned_data.get("open_weekdays") or []))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        opens_at, closes_at = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens_at is not None and closes_at is not None and closes_at != MIDNIGHT and opens_at >= closes_at:
            self.add_error("closes_at", gettext("A center must open before it closes."))
        return cleaned


class CounterInline(admin.TabularInline):
    model = Counter
    extra = 0
    fields = ("number", "designation", "services", "is_active")

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "services":
            kwargs["queryset"] = _offerable_services()
            kwargs["help_text"] = _("Only services the center offers; others are dropped when you save.")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _may_run(self, request: HttpRequest, obj: Model | None) -> bool:
        return permissions.can_manage_center(request.user, obj) if obj is not None \
            else permissions.can_manage_centers(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._may_run(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._may_run(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._may_run(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._may_run(request, obj)


@admin.register(Center)
class CenterAdmin(ScopedModelAdmin):
    form = CenterForm
    inlines = (CounterInline,)
    list_display = ("code", "name_en", "city_en", "opens_at", "closes_at", "is_active")
    search_fields = ("code", "name_en", "name_fa", "name_ps", "city_en")
    filter_horizontal = ("services",)
    fieldsets = (
        (None, {"fields": ("code", "slug", "is_active")}),
        (_("Name"), {"fields": (("name_en", "name_fa", "name_ps"),)}),
        (_("City"), {"fields": (("city_en", "city_fa", "city_ps"),)}),
        (_("Address"), {"fields": ("address_en", "address_fa", "address_ps")}),
        (_("Opening hours"), {"fields": ("open_weekdays", "open_on_holidays", ("opens_at", "closes_at"))}),
        (_("Waiting-time standard"), {"fields": (("wait_standard_minutes", "appointment_wait_standard_minutes"),)}),
        (_("Services offered"), {"fields": ("services",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Center]:
        return permissions.limit_to_center(request.user, super().get_queryset(request), field="pk")

    def get_readonly_fields(self, request: HttpRequest, obj: Center | None = None) -> tuple[str, ...]:
        if permissions.can_manage_reference_data(request.user):
            return ()
        return ("code", "slug", "is_active")

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "services":
            kwargs["queryset"] = _offerable_services()
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # The service keeps counters to what the center offers.
        center_offer_services(center=form.instance, services=form.cleaned_data.get("services", []))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return permissions.can_manage_centers(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Center | None = None) -> bool:
        if obj is None:
            return permissions.can_manage_centers(request.user)
        return permissions.can_manage_center(request.user, obj)

    def has_change_permission(self, request: HttpRequest, obj: Center | None = None) -> bool:
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return permissions.can_manage_reference_data(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Center | None = None) -> bool:
        return permissions.can_manage_reference_data(request.user)


def _refuse_services_not_offered(form: forms.ModelForm, cleaned: dict[str, Any]) -> None:
    """A counter or queue group of a center may hold only services the center offers."""
    center, services = cleaned.get("center"), cleaned.get("services")
    if center is None or not services:
        return
    offered = set(center.services.values_list("pk", flat=True))
    foreign = [str(service) for service in services if service.pk not in offered]
    if foreign:
        form.add_error("services", gettext("The center does not offer: %(services)s.") % {
            "services": "; ".join(foreign)})


def _services_for(request: HttpRequest) -> QuerySet[Any]:
    """The services a center's staff may put on its counters, groups and schedules: those
    their center offers (a platform administrator: any offerable service)."""
    services = _offerable_services()
    if not permissions.is_platform_admin(request.user):
        services = services.filter(centers=getattr(request.user, "center_id", None))
    return services


class CounterForm(forms.ModelForm):
    class Meta:
        model = Counter
        fields = ("center", "number", "designation", "services", "is_active")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        _refuse_services_not_offered(self, cleaned)
        return cleaned


class _CenterScopedAdmin(ScopedModelAdmin):
    """A center's own settings (counters, queue groups, appointment hours): its managers and the
    platform administrators, each center's rows only."""

    list_select_related = ["center"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return permissions.limit_to_center(request.user, super().get_queryset(request))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "center":
            kwargs["queryset"] = permissions.limit_to_center(request.user, Center.objects.all(), field="pk")
        elif db_field.name == "service":
            kwargs["queryset"] = _services_for(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "services":
            kwargs["queryset"] = _services_for(request)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return permissions.can_manage_centers(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return permissions.can_manage_centers(request.user)
        return permissions.can_manage_center(request.user, obj.center_id)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return permissions.can_manage_centers(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_view_permission(request, obj)


@admin.register(Counter)
class CounterAdmin(_CenterScopedAdmin):
    form = CounterForm
    list_display = ("__str__", "center", "number", "designation", "is_active")
    list_filter = ("designation", "is_active")
    filter_horizontal = ("services",)


class QueueGroupForm(forms.ModelForm):
    class Meta:
        model = QueueGroup
        fields = ("center", "letter", "name_en", "name_fa", "name_ps", "pictogram", "services")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        center, services = cleaned.get("center"), cleaned.get("services")
        if center is not None and services:
            _refuse_services_not_offered(self, cleaned)
            taken = QueueGroup.services.through.objects.filter(
                queuegroup__center=center, service__in=services).exclude(queuegroup_id=self.instance.pk)
            if taken.exists():
                names = "; ".join(str(row.service) for row in taken.select_related("service"))
                self.add_error("services", gettext(
                    "A service can be in only one queue group of a center: %(services)s.") % {"services": names})
        return cleaned


@admin.register(QueueGroup)
class QueueGroupAdmin(_CenterScopedAdmin):
    form = QueueGroupForm
    list_display = ("__str__", "center", "letter", "name_en", "pictogram")
    list_filter = ("center",)
    filter_horizontal = ("services",)


class AppointmentScheduleForm(forms.ModelForm):
    class Meta:
        model = AppointmentSchedule
        fields = ("center", "service", "is_active", "starts_at", "ends_at", "slot_minutes", "capacity", "days_ahead")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        center, service = cleaned.get("center"), cleaned.get("service")
        if center is not None and service is not None and not center.services.filter(pk=service.pk).exists():
            self.add_error("service", gettext("The center does not offer this service."))
        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts_at and ends_at and starts_at >= ends_at:
            self.add_error("ends_at", gettext("Appointments must start before they end."))
        return cleaned


@admin.register(AppointmentSchedule)
class AppointmentScheduleAdmin(_CenterScopedAdmin):
    form = AppointmentScheduleForm
    list_display = ("__str__", "center", "service", "starts_at", "ends_at", "slot_minutes", "capacity", "is_active")
    list_select_related = ["center", "service", "service__agency", "service__current_version"]
    list_filter = ("is_active", "center")


@admin.register(PriorityGroup)
class PriorityGroupAdmin(admin.ModelAdmin):
    """The groups served ahead of the queue, the same in every center: center managers see
    them, platform administrators change them."""

    list_display = ("code", "name_en", "advance_minutes", "position", "is_active")
    list_editable = ("position",)
    fields = ("code", "name_en", "name_fa", "name_ps", "pictogram", "advance_minutes", "position", "is_active")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return permissions.can_manage_centers(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return permissions.can_manage_centers(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return permissions.can_manage_reference_data(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return permissions.can_manage_reference_data(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # tickets refer to them: deactivate instead


@admin.register(KioskService)
class KioskServiceAdmin(admin.ModelAdmin):
    """Each service's picture on the kiosks, the same in every center, chosen in one list:
    center managers see it, platform administrators change it."""

    list_display = ("__str__", "pictogram")
    list_editable = ("pictogram",)
    list_select_related = ("agency", "current_version")
    search_fields = ("code", "slug", "current_version__name_en", "current_version__name_fa",
                     "current_version__name_ps")
    fields = ("pictogram",)
    actions = None

    def has_module_permission(self, request: HttpRequest) -> bool:
        return permissions.can_manage_centers(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return permissions.can_manage_centers(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return permissions.can_manage_reference_data(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # services are published in the catalog

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
