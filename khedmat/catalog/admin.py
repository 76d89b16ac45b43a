"""The catalog in the administration site: each agency administrator defines their own
agency's services, without code; a platform administrator sees every agency.

Who may see and change what is decided by `khedmat.accounts.permissions`; publishing goes
through `services.service_publish`, so the admin refuses exactly what the import refuses.
A service's page here is its published definition, its version history and a form to
publish a new version; versions themselves are read-only.
"""

from __future__ import annotations

import io
import zipfile
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from khedmat.accounts import permissions
from khedmat.accounts.gates import signed_in_user
from khedmat.core.admin import ScopedModelAdmin
from khedmat.core.i18n import pick

from . import presenters
from .definition import CHANNELS, DefinitionError, definition_to_yaml
from .forms import DOCUMENTS_PREFIX, DocumentFormSet, ServiceDefinitionForm, ServiceImportForm, documents_initial
from .models import Agency, Category, Service, ServiceVersion
from .services import service_export_yaml, service_import_yaml, service_publish, service_set_active

if TYPE_CHECKING:
    from khedmat.accounts.models import User


def yaml_filename(service: Service) -> str:
    """`<agency>-<code>-v<n>.yaml`, e.g. moi-psp-v3.yaml."""
    number = service.current_version.number if service.current_version else 0
    return f"{service.agency.code}-{service.code}-v{number}.yaml".lower()


def _admin_form(form: Any, fieldsets: list[tuple[Any, dict[str, Any]]]) -> helpers.AdminForm:
    """Lay out a plain form as the admin lays out a model's (the helper needs no model)."""
    return helpers.AdminForm(form, fieldsets, {})


def _publisher(request: HttpRequest) -> User:
    return signed_in_user(request)


def _yaml_download(service: Service) -> HttpResponse:
    response = HttpResponse(service_export_yaml(service=service), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{yaml_filename(service)}"'
    return response


# --- Agencies and categories ---------------------------------------------------------------

@admin.register(Agency)
class AgencyAdmin(ScopedModelAdmin):
    list_display = ("code", "name_en", "name_fa", "website", "is_active")
    search_fields = ("code", "name_en", "name_fa", "name_ps")
    fieldsets = (
        (None, {"fields": ("code", "slug", "is_active", "website")}),
        (_("Name"), {"fields": (("name_en", "name_fa", "name_ps"),)}),
        (_("Description"), {"fields": ("description_en", "description_fa", "description_ps")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Agency]:
        return permissions.limit_to_agency(request.user, super().get_queryset(request), field="pk")

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "website":
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Agency | None = None) -> tuple[str, ...]:
        # Codes and addresses appear in references and links: only the platform changes them.
        if permissions.can_manage_reference_data(request.user):
            return ()
        return ("code", "slug", "is_active")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return permissions.can_manage_catalog(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Agency | None = None) -> bool:
        if obj is None:
            return permissions.can_manage_catalog(request.user)
        return permissions.can_manage_agency(request.user, obj)

    def has_change_permission(self, request: HttpRequest, obj: Agency | None = None) -> bool:
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return permissions.can_manage_reference_data(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Agency | None = None) -> bool:
        return permissions.can_manage_reference_data(request.user)


@admin.register(Category)
class CategoryAdmin(ScopedModelAdmin):
    """Categories are shared by every agency: agency administrators only read them."""

    list_display = ("name_en", "name_fa", "slug", "position")
    list_editable = ("position",)
    search_fields = ("slug", "name_en", "name_fa", "name_ps")
    fields = ("slug", "position", ("name_en", "name_fa", "name_ps"))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return permissions.can_manage_catalog(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Category | None = None) -> bool:
        return permissions.can_manage_catalog(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Category | None = None) -> bool:
        return permissions.can_manage_reference_data(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return permissions.can_manage_reference_data(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Category | None = None) -> bool:
        return permissions.can_manage_reference_data(request.user)


# --- Services ------------------------------------------------------------------------------

class _CatalogScope:
    """Permissions of the admin classes that show one agency's services or their versions."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return permissions.can_manage_catalog(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Service | ServiceVersion | None = None) -> bool:
        if obj is None:
            return permissions.can_manage_catalog(request.user)
        service = obj.service if isinstance(obj, ServiceVersion) else obj
        return permissions.can_manage_service(request.user, service)


@admin.register(Service)
class ServiceAdmin(_CatalogScope, ScopedModelAdmin):
    list_display = ("reference_code", "service_name", "agency", "category", "version", "fee", "time_standard",
                    "is_active")
    list_display_links = ("reference_code", "service_name")
    list_select_related = ("agency", "current_version", "current_version__category")
    search_fields = ("code", "slug", "current_version__name_en", "current_version__name_fa",
                     "current_version__name_ps")
    ordering = ("agency__code", "code")
    actions = ("export_yaml",)
    change_list_template = "admin/catalog/service/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Service]:
        return permissions.limit_to_agency(request.user, super().get_queryset(request))

    def get_list_filter(self, request: HttpRequest) -> tuple[str, ...]:
        if permissions.is_platform_admin(request.user):
            return ("agency", "is_active", "current_version__category")
        return ("is_active", "current_version__category")

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        if permissions.is_platform_admin(request.user):
            return self.list_display
        return tuple(column for column in self.list_display if column != "agency")

    def has_change_permission(self, request: HttpRequest, obj: Service | None = None) -> bool:
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return permissions.can_manage_catalog(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Service | None = None) -> bool:
        return False  # a service with versions is withdrawn, never deleted

    # Columns ---------------------------------------------------------------------------

    @admin.display(description=_("code"), ordering="code")
    def reference_code(self, service: Service) -> str:
        return f"{service.agency.code}-{service.code}"

    @admin.display(description=_("name"), ordering="current_version__name_en")
    def service_name(self, service: Service) -> str:
        return service.current_version.name if service.current_version else service.slug

    @admin.display(description=_("category"))
    def category(self, service: Service) -> str:
        return service.current_version.category.name if service.current_version else "—"

    @admin.display(description=_("version"))
    def version(self, service: Service) -> str:
        return str(service.current_version.number) if service.current_version else "—"

    @admin.display(description=_("fee"))
    def fee(self, service: Service) -> str:
        return presenters.fee_summary(service.current_version.definition) if service.current_version else "—"

    @admin.display(description=_("time standard"))
    def time_standard(self, service: Service) -> str:
        version = service.current_version
        return presenters.time_standard(version.time_standard_days) if version else "—"

    @admin.action(description=_("Export as YAML"), permissions=["view"])
    def export_yaml(self, request: HttpRequest, queryset: QuerySet[Service]) -> HttpResponse | None:
        chosen = [service for service in queryset.select_related("agency", "current_version")
                  if service.current_version is not None]
        if not chosen:
            self.message_user(request, gettext("None of these services has a published version."), messages.WARNING)
            return None
        if len(chosen) == 1:
            return _yaml_download(chosen[0])
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
            for service in chosen:
                bundle.writestr(yaml_filename(service), service_export_yaml(service=service))
        response = HttpResponse(archive.getvalue(), content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="services.zip"'
        return response

    # Pages -----------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        own = [
            path("import/", wrap(self.import_view), name="catalog_service_import"),
            path("<path:object_id>/export/", wrap(self.export_view), name="catalog_service_export"),
            path("<path:object_id>/active/", wrap(require_POST(self.active_view)), name="catalog_service_active"),
        ]
        return own + super().get_urls()

    def _context(self, request: HttpRequest, **extra: Any) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "has_view_permission": self.has_view_permission(request),
            **extra,
        }

    def _service_or_404(self, request: HttpRequest, object_id: str) -> Service:
        service = self.object_or_404(request, object_id)
        assert isinstance(service, Service)
        if not self.has_view_permission(request, service):
            raise PermissionDenied
        return service

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """The service's page: its published definition, its versions, and publishing a new one."""
        service = self._service_or_404(request, object_id)
        may_publish = self.has_change_permission(request, service)
        return self._definition_page(request, service=service, may_publish=may_publish)

    def add_view(self, request: HttpRequest, form_url: str = "",
                 extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """A new service: the same form, with the agency, code and address to choose."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        return self._definition_page(request, service=None, may_publish=True)

    def _definition_page(self, request: HttpRequest, *, service: Service | None, may_publish: bool) -> HttpResponse:
        definition = service.current_version.definition if service and service.current_version else None
        agencies = permissions.limit_to_agency(request.user, Agency.objects.filter(is_active=True), field="pk")
        refused: DefinitionError | None = None
        if request.method == "POST":
            if not may_publish:
                raise PermissionDenied
            form = ServiceDefinitionForm(request.POST, service=service, agencies=agencies)
            documents = DocumentFormSet(request.POST, prefix=DOCUMENTS_PREFIX)
            if form.is_valid() and documents.is_valid():
                agency = service.agency if service is not None else form.cleaned_data["agency"]
                before = service.current_version_id if service is not None else None
                try:
                    version = service_publish(agency=agency, definition=form.definition(documents),
                                              published_by=_publisher(request))
                except DefinitionError as error:
                    refused = error
                    form.show_error(error, documents)
                else:
                    return self._published(request, version, created=version.pk != before, new=service is None)
        else:
            form = ServiceDefinitionForm(initial=ServiceDefinitionForm.initial_for(definition), service=service,
                                         agencies=agencies)
            documents = DocumentFormSet(initial=documents_initial(definition), prefix=DOCUMENTS_PREFIX)
        versions = (list(service.versions.select_related("published_by", "category").order_by("-number"))
                    if service is not None else [])
        title = gettext("New service") if service is None else str(service)
        context = self._context(
            request,
            title=title,
            subtitle=None,
            original=service,
            service=service,
            add=service is None,
            may_publish=may_publish,
            form=form,
            adminform=_admin_form(form, self._definition_fieldsets(form)),
            advancedform=_admin_form(form, [(_("Application form and workflow (YAML)"), {
                "fields": ["form_schema", "workflow"], "classes": ["collapse"],
                "description": _("For the form's fields and the steps an application goes through. "
                                 "docs/service-definitions.md explains the format."),
            })]),
            documents=documents,
            refused=refused,
            errors=bool(form.errors) or any(documents.errors) or bool(documents.non_form_errors()),
            versions=versions,
            summary=_summary(service) if service is not None and service.current_version else None,
            media=self.media + form.media,
        )
        return TemplateResponse(request, "admin/catalog/service/definition.html", context)

    def _definition_fieldsets(self, form: ServiceDefinitionForm) -> list[tuple[Any, dict[str, Any]]]:
        fieldsets: list[tuple[Any, dict[str, Any]]] = []
        if "code" in form.fields:
            fieldsets.append((_("The new service"), {"fields": ["agency", "code", "slug"]}))
        fieldsets += [
            (_("Name"), {"fields": [("name_en", "name_fa", "name_ps")]}),
            (_("Summary: one or two sentences for the catalog"), {"fields": [("summary_en", "summary_fa",
                                                                              "summary_ps")]}),
            (_("Description (optional)"), {"fields": [("description_en", "description_fa", "description_ps")]}),
            (_("Who may apply"), {"fields": [("eligibility_en", "eligibility_fa", "eligibility_ps")]}),
            (_("Service standard"), {"fields": ["category", "channels", "time_standard_days"]}),
            (_("Fee"), {"fields": ["fee_kind", "fee_amount", "fee_option_field", "fee_options", "fee_exemptions"]}),
        ]
        return fieldsets

    def _published(self, request: HttpRequest, version: ServiceVersion, *, created: bool,
                   new: bool) -> HttpResponseRedirect:
        service = version.service
        if new:
            self.log_addition(request, service, [{"added": {}}])
        if created:
            self.log_change(request, service, gettext("Published version %(number)s.") % {"number": version.number})
            messages.success(request, gettext("Version %(number)s of %(service)s is published.") % {
                "number": version.number, "service": service})
        else:
            messages.info(request, gettext("Nothing changed: version %(number)s is still current.") % {
                "number": version.number})
        return redirect(reverse("admin:catalog_service_change", args=[service.pk]))

    def export_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        service = self._service_or_404(request, object_id)
        if service.current_version is None:
            raise Http404
        return _yaml_download(service)

    def active_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        service = self._service_or_404(request, object_id)
        if not self.has_change_permission(request, service):
            raise PermissionDenied
        is_active = request.POST.get("is_active") == "1"
        service_set_active(service=service, is_active=is_active)
        self.log_change(request, service, gettext("Returned to the catalog.") if is_active
                        else gettext("Withdrawn from the catalog."))
        messages.success(request, gettext("%(service)s is in the catalog again.") % {"service": service} if is_active
                         else gettext("%(service)s is withdrawn from the catalog.") % {"service": service})
        return redirect(reverse("admin:catalog_service_change", args=[service.pk]))

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Publish a definition written as YAML, for an agency the user administers."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        agencies = permissions.limit_to_agency(request.user, Agency.objects.filter(is_active=True), field="pk")
        refused: DefinitionError | None = None
        if request.method == "POST":
            form = ServiceImportForm(request.POST, request.FILES, agencies=agencies)
            if form.is_valid():
                agency = form.cleaned_data["agency"]
                before = (Service.objects.filter(agency=agency).values_list("pk", "current_version_id"))
                current = dict(before)
                try:
                    version = service_import_yaml(agency=agency, text=form.cleaned_data["yaml_text"],
                                                  published_by=_publisher(request))
                except DefinitionError as error:
                    refused = error
                    form.add_error(None, str(error))
                else:
                    new = version.service_id not in current
                    return self._published(request, version, new=new,
                                           created=new or current[version.service_id] != version.pk)
        else:
            form = ServiceImportForm(agencies=agencies, initial={"agency": agencies.first()})
        context = self._context(
            request,
            title=gettext("Import a service from YAML"),
            subtitle=None,
            form=form,
            adminform=_admin_form(form, [(None, {"fields": ["agency", "file", "text"]})]),
            refused=refused,
            errors=bool(form.errors),
            media=self.media + form.media,
        )
        return TemplateResponse(request, "admin/catalog/service/import.html", context)


def _summary(service: Service) -> dict[str, Any]:
    """What the service's page shows of its published definition."""
    version = service.current_version
    assert version is not None
    definition = version.definition
    required_fields = set(definition["form"].get("required", []))
    states = {state["name"]: state for state in definition["workflow"]["states"]}
    return {
        "version": version,
        "facts": presenters.service_facts(service),
        "name": definition["name"],
        "channels": [str(CHANNELS[channel]) for channel in definition["channels"]],
        "fields": [
            {"name": name, "title": pick({"en": field.get("title", ""), **field.get("x-title", {})}, None),
             "type": field.get("format") or field.get("type", ""), "required": name in required_fields,
             "choices": ", ".join(map(str, field.get("enum", [])))}
            for name, field in definition["form"]["properties"].items()
        ],
        "initial": pick(states[definition["workflow"]["initial"]]["label"], None),
        "states": [{"name": state["name"], "label": pick(state["label"], None), "final": state["final"]}
                   for state in definition["workflow"]["states"]],
        "transitions": [
            {"label": pick(transition["label"], None), "role": transition["role"],
             "from": ", ".join(pick(states[source]["label"], None) for source in transition["from"]),
             "to": pick(states[transition["to"]]["label"], None), "needs_reason": transition["needs_reason"]}
            for transition in definition["workflow"]["transitions"]
        ],
        "yaml": definition_to_yaml(definition),
    }


@admin.register(ServiceVersion)
class ServiceVersionAdmin(_CatalogScope, ScopedModelAdmin):
    """Published versions, read-only: a change is a new version, published from the service's page."""

    list_display = ("service", "number", "name_en", "category", "fee_min_afn", "time_standard_days",
                    "published_at", "published_by")
    list_select_related = ("service__agency", "service__current_version", "category", "published_by")
    search_fields = ("name_en", "name_fa", "name_ps", "service__code")
    fields = ("service", "number", ("name_en", "name_fa", "name_ps"), "category", "fee_min_afn",
              "time_standard_days", "published_at", "published_by", "definition_yaml")
    readonly_fields = ("service", "number", "name_en", "name_fa", "name_ps", "category", "fee_min_afn",
                       "time_standard_days", "published_at", "published_by", "definition_yaml")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ServiceVersion]:
        return permissions.limit_to_agency(request.user, super().get_queryset(request), field="service__agency")

    def get_list_filter(self, request: HttpRequest) -> tuple[str, ...]:
        if permissions.is_platform_admin(request.user):
            return ("service__agency", "category")
        return ("category",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ServiceVersion | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ServiceVersion | None = None) -> bool:
        return False

    @admin.display(description=_("definition"))
    def definition_yaml(self, version: ServiceVersion) -> str:
        return format_html('<pre dir="ltr">{}</pre>', definition_to_yaml(version.definition))
