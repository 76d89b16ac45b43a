"""Forms of the catalog's administration: a service definition as plain fields, and YAML import.

The definition form shows the parts people change most (names, texts, fee, time standard,
documents, channels) as ordinary fields, and the application form (JSON Schema) and the
workflow as YAML text. It only assembles a definition; `services.service_publish`
validates and publishes it, and its `DefinitionError` is shown back on the form.
"""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from khedmat.core.formatting import western_digits
from khedmat.core.yaml_input import MAX_BYTES, YamlRefused, load_yaml

from .definition import CHANNELS, EXEMPTION_CATEGORIES, LANGUAGES, DefinitionError, definition_to_yaml
from .models import Agency, Category, Service

MAX_IMPORT_BYTES = MAX_BYTES  # the YAML reader refuses more anyway
FEE_KIND_CHOICES = [
    ("free", _("Free of charge")),
    ("fixed", _("A fixed amount")),
    ("by_option", _("Depends on a choice in the form")),
]
_LANGUAGE_NAMES = {"en": _("English"), "fa": _("Dari"), "ps": _("Pashto")}
_HTML_LANG = {"en": "en", "fa": "fa-AF", "ps": "ps-AF"}

# What a new service starts from: one form field and the usual review workflow. Both are
# examples to adapt; docs/service-definitions.md explains every part.
NEW_SERVICE_FORM: dict[str, Any] = {
    "type": "object",
    "required": ["full_name"],
    "properties": {
        "full_name": {"type": "string", "maxLength": 100, "title": "Full name",
                      "x-title": {"fa": "نام کامل", "ps": "بشپړ نوم"}},
    },
}
NEW_SERVICE_WORKFLOW: dict[str, Any] = {
    "initial": "submitted",
    "states": [
        {"name": "submitted", "label": {"en": "Submitted", "fa": "ارسال شد", "ps": "ولېږل شو"}},
        {"name": "in_review", "label": {"en": "In review", "fa": "در حال بررسی", "ps": "د کتنې لاندې"}},
        {"name": "needs_information",
         "label": {"en": "More information needed", "fa": "معلومات بیشتر لازم است", "ps": "نور معلومات اړین دي"}},
        {"name": "approved", "label": {"en": "Approved", "fa": "تأیید شد", "ps": "تایید شو"}, "final": True},
        {"name": "rejected", "label": {"en": "Rejected", "fa": "رد شد", "ps": "رد شو"}, "final": True},
    ],
    "transitions": [
        {"name": "start_review", "from": ["submitted"], "to": "in_review", "role": "officer",
         "label": {"en": "Start review", "fa": "آغاز بررسی", "ps": "کتنه پیل کړئ"}},
        {"name": "request_information", "from": ["in_review"], "to": "needs_information", "role": "officer",
         "needs_reason": True,
         "label": {"en": "Ask for more information", "fa": "درخواست معلومات بیشتر", "ps": "د نورو معلوماتو غوښتنه"}},
        {"name": "provide_information", "from": ["needs_information"], "to": "in_review", "role": "applicant",
         "label": {"en": "Send the information", "fa": "ارسال معلومات", "ps": "معلومات ولېږئ"}},
        {"name": "approve", "from": ["in_review"], "to": "approved", "role": "officer",
         "label": {"en": "Approve", "fa": "تأیید", "ps": "تایید"}},
        {"name": "reject", "from": ["in_review"], "to": "rejected", "role": "officer", "needs_reason": True,
         "label": {"en": "Reject", "fa": "رد", "ps": "رد"}},
    ],
}


def _language_attrs(language: str, **attrs: Any) -> dict[str, Any]:
    """Dari and Pashto are typed right to left; the browser needs to know."""
    return {"lang": _HTML_LANG[language], "dir": "rtl" if language in ("fa", "ps") else "ltr", **attrs}


def _line(language: str, *, max_length: int = 200) -> forms.CharField:
    return forms.CharField(label=_LANGUAGE_NAMES[language], max_length=max_length,
                           widget=forms.TextInput(attrs=_language_attrs(language, size=40)))


def _text(language: str, *, required: bool = True) -> forms.CharField:
    return forms.CharField(label=_LANGUAGE_NAMES[language], required=required,
                           widget=forms.Textarea(attrs=_language_attrs(language, rows=3, cols=40)))


def _code_text(help_text: Any) -> forms.CharField:
    return forms.CharField(
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 18, "cols": 100, "spellcheck": "false", "dir": "ltr",
                                     "class": "vLargeTextField"}),
    )


def _parse_yaml_mapping(text: str, what: str) -> dict[str, Any]:
    """The mapping written in `text`, read within core.yaml_input's limits (no aliases, bounded
    size and depth): what an administrator pastes is never allowed to cost the server more."""
    try:
        value = load_yaml(text)
    except YamlRefused as refused:
        if refused.problem is None:  # a limit: aliases, depth, size
            where = f" ({gettext('line %(line)s') % {'line': refused.line}})" if refused.line else ""
            raise forms.ValidationError(refused.message + where) from None
        if refused.line is not None:
            raise forms.ValidationError(
                gettext("This is not valid YAML or JSON (line %(line)s): %(problem)s")
                % {"line": refused.line, "problem": refused.problem}) from None
        raise forms.ValidationError(gettext("This is not valid YAML or JSON: %(problem)s")
                                    % {"problem": refused.problem}) from None
    if not isinstance(value, dict):
        raise forms.ValidationError(gettext("Write the %(what)s as a mapping of fields.") % {"what": what})
    return value


def _model_choice(form: forms.Form, name: str) -> forms.ModelChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    return field


def _keep_order(chosen: list[str], previous: list[str] | None) -> list[str]:
    """The chosen items, in their previous order when the choice has not changed (so that an
    unchanged form publishes nothing new)."""
    if previous is not None and set(previous) == set(chosen):
        return list(previous)
    return chosen


class ServiceDefinitionForm(forms.Form):
    """Everything in a service definition except its required documents (`DocumentFormSet`)."""

    agency = forms.ModelChoiceField(label=_("Agency"), queryset=Agency.objects.none(), empty_label=None)
    code = forms.CharField(
        label=_("Code"), max_length=10,
        help_text=_("2 to 10 upper-case letters or digits, used in references, e.g. PSP. It cannot change later."))
    slug = forms.SlugField(
        label=_("Address"), max_length=80,
        help_text=_("Lower-case words joined by hyphens; the page is /services/<address>/. It cannot change later."))

    name_en = _line("en")
    name_fa = _line("fa")
    name_ps = _line("ps")
    summary_en = _text("en")
    summary_fa = _text("fa")
    summary_ps = _text("ps")
    description_en = _text("en", required=False)
    description_fa = _text("fa", required=False)
    description_ps = _text("ps", required=False)
    eligibility_en = _text("en")
    eligibility_fa = _text("fa")
    eligibility_ps = _text("ps")

    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.all(), to_field_name="slug")
    channels = forms.MultipleChoiceField(
        label=_("Channels"), choices=list(CHANNELS.items()), widget=forms.CheckboxSelectMultiple,
        help_text=_("Where people can apply."))
    time_standard_days = forms.IntegerField(
        label=_("Time standard (working days)"), min_value=1, max_value=365,
        help_text=_("The longest time, in working days, from a complete application to the decision."))

    fee_kind = forms.ChoiceField(label=_("Fee"), choices=FEE_KIND_CHOICES, widget=forms.RadioSelect)
    fee_amount = forms.IntegerField(label=_("Amount (AFN)"), required=False, min_value=0,
                                    help_text=_("For a fixed fee: the amount in afghani."))
    fee_option_field = forms.CharField(
        label=_("Form field that sets the fee"), required=False, max_length=40,
        help_text=_("For a fee that depends on a choice: the name of a required form field with choices (enum)."))
    fee_options = forms.CharField(
        label=_("Fee of each choice"), required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 40, "dir": "ltr", "spellcheck": "false"}),
        help_text=_("One line per choice: the choice, an equals sign and the amount in afghani, e.g. 5 = 5000."))
    fee_exemptions = forms.MultipleChoiceField(
        label=_("Exempt from the fee"), required=False, choices=list(EXEMPTION_CATEGORIES.items()),
        widget=forms.CheckboxSelectMultiple)

    form_schema = _code_text(_(
        "The application form as JSON Schema, written in YAML or JSON. Each field needs a title (English) "
        "and x-title with fa and ps."))
    workflow = _code_text(_(
        "States (one or more final), transitions (from, to, the role allowed to take it) and the initial state, "
        "in YAML or JSON."))

    def __init__(self, *args: Any, service: Service | None = None, agencies: QuerySet[Agency] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.service = service
        version = service.current_version if service is not None else None
        self.base: dict[str, Any] | None = version.definition if version is not None else None
        if service is not None:
            for name in ("agency", "code", "slug"):
                del self.fields[name]
        else:
            _model_choice(self, "agency").queryset = agencies if agencies is not None else Agency.objects.none()

    @staticmethod
    def initial_for(definition: dict[str, Any] | None) -> dict[str, Any]:
        """The form's initial values for a definition, or for a new service when None."""
        if definition is None:
            return {
                "channels": ["online", "center"], "time_standard_days": 10, "fee_kind": "free",
                "form_schema": definition_to_yaml(NEW_SERVICE_FORM),
                "workflow": definition_to_yaml(NEW_SERVICE_WORKFLOW),
            }
        fee = definition["fee"]
        initial: dict[str, Any] = {
            "category": definition["category"],
            "channels": definition["channels"],
            "time_standard_days": definition["time_standard_days"],
            "fee_kind": fee["kind"],
            "fee_amount": fee.get("amount"),
            "fee_option_field": fee.get("option_field", ""),
            "fee_options": "\n".join(f"{option} = {amount}" for option, amount in fee.get("options", {}).items()),
            "fee_exemptions": fee.get("exemptions", []),
            "form_schema": definition_to_yaml(definition["form"]),
            "workflow": definition_to_yaml(definition["workflow"]),
        }
        for key in ("name", "summary", "description", "eligibility"):
            for language in LANGUAGES:
                initial[f"{key}_{language}"] = definition.get(key, {}).get(language, "")
        return initial

    def clean_code(self) -> str:
        return str(self.cleaned_data["code"]).strip().upper()

    def clean_fee_options(self) -> dict[str, int]:
        options: dict[str, int] = {}
        for number, raw in enumerate(self.cleaned_data["fee_options"].splitlines(), start=1):
            line = raw.strip()
            if not line:
                continue
            match = re.fullmatch(r"(.+?)\s*[=:]\s*([0-9,٬]+)", western_digits(line))
            if match is None:
                raise forms.ValidationError(
                    gettext("Line %(line)s: write the choice, an equals sign and the amount, e.g. 5 = 5000.")
                    % {"line": number})
            option = match.group(1).strip().strip("\"'")
            if option in options:
                raise forms.ValidationError(gettext("The choice %(option)s is listed twice.") % {"option": option})
            options[option] = int(re.sub(r"[,٬]", "", match.group(2)))
        return options

    def clean_form_schema(self) -> dict[str, Any]:
        return _parse_yaml_mapping(self.cleaned_data["form_schema"], gettext("form"))

    def clean_workflow(self) -> dict[str, Any]:
        return _parse_yaml_mapping(self.cleaned_data["workflow"], gettext("workflow"))

    def definition(self, documents: BaseDocumentFormSet) -> dict[str, Any]:
        """The definition the form describes (not yet validated: `service_publish` does that)."""
        data = self.cleaned_data
        base = self.base or {}
        if self.service is not None:
            identity = {"agency": self.service.agency.code, "code": self.service.code, "slug": self.service.slug}
        else:
            identity = {"agency": data["agency"].code, "code": data["code"], "slug": data["slug"]}
        fee: dict[str, Any] = {"kind": data["fee_kind"]}
        if data["fee_kind"] == "fixed":
            fee["amount"] = data["fee_amount"]
        elif data["fee_kind"] == "by_option":
            fee["option_field"] = data["fee_option_field"].strip()
            fee["options"] = data["fee_options"]
        fee["exemptions"] = _keep_order(data["fee_exemptions"], base.get("fee", {}).get("exemptions"))
        if "exemption_field" in base.get("fee", {}):  # not edited here: kept as it was
            fee["exemption_field"] = base["fee"]["exemption_field"]
        definition: dict[str, Any] = {
            **identity,
            "category": data["category"].slug,
            **{key: {language: data[f"{key}_{language}"].strip() for language in LANGUAGES}
               for key in ("name", "summary", "description", "eligibility")},
            "channels": _keep_order(data["channels"], base.get("channels")),
            "time_standard_days": data["time_standard_days"],
            "fee": {key: value for key, value in fee.items() if value is not None},
            "required_documents": documents.documents(),
            "form": data["form_schema"],
            "workflow": data["workflow"],
        }
        # Blocks this form does not edit (the issued document, payment rules…) are kept as
        # they were, in their place, so publishing from the admin never drops them.
        kept = {key: definition.pop(key, value) for key, value in base.items()}
        return {**kept, **definition}

    def show_error(self, error: DefinitionError, documents: BaseDocumentFormSet) -> None:
        """Put a refusal next to the field it concerns, when there is one, and above the form."""
        self.add_error(None, str(error))
        field = _field_for_path(error.path)
        if field is not None and field in self.fields:
            self.add_error(field, error.message)
            return
        index = _document_index(error.path)
        if index is not None:
            documents.show_error(index, error.message)


def _field_for_path(path: str) -> str | None:
    head, _dot, rest = path.partition(".")
    if head in ("name", "summary", "description", "eligibility"):
        language = rest.split(".")[0]
        return f"{head}_{language}" if language in LANGUAGES else f"{head}_en"
    if head == "fee":
        part = rest.split(".")[0]
        return {"amount": "fee_amount", "option_field": "fee_option_field", "options": "fee_options",
                "exemptions": "fee_exemptions"}.get(part, "fee_kind")
    if head == "form" or head.startswith("form["):
        return "form_schema"
    if head == "workflow" or head.startswith("workflow["):
        return "workflow"
    return {"category": "category", "channels": "channels", "time_standard_days": "time_standard_days",
            "code": "code", "slug": "slug"}.get(head)


def _document_index(path: str) -> int | None:
    match = re.match(r"required_documents\[(\d+)\]", path)
    return int(match.group(1)) if match else None


class RequiredDocumentForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40,
                           widget=forms.TextInput(attrs={"size": 12, "dir": "ltr", "spellcheck": "false"}))
    name_en = _line("en")
    name_fa = _line("fa")
    name_ps = _line("ps")
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)
    max_size_mb = forms.IntegerField(label=_("Largest file (MB)"), min_value=1, max_value=20, initial=5,
                                     widget=forms.NumberInput(attrs={"size": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for language in LANGUAGES:
            self.fields[f"name_{language}"].widget.attrs["size"] = 18


class BaseDocumentFormSet(forms.BaseFormSet):
    """The required documents, one row each; a blank row is ignored, a ticked "delete" removes one."""

    def _kept_forms(self) -> list[forms.Form]:
        return [form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]

    def documents(self) -> list[dict[str, Any]]:
        return [
            {
                "code": form.cleaned_data["code"].strip(),
                "name": {language: form.cleaned_data[f"name_{language}"].strip() for language in LANGUAGES},
                "required": form.cleaned_data["required"],
                "max_size_mb": form.cleaned_data["max_size_mb"],
            }
            for form in self._kept_forms()
        ]

    def show_error(self, index: int, message: str) -> None:
        kept = self._kept_forms()
        if 0 <= index < len(kept):
            kept[index].add_error(None, message)


def documents_initial(definition: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The document rows' initial values for a definition (none for a new service)."""
    if definition is None:
        return []
    return [
        {"code": document["code"], "required": document["required"], "max_size_mb": document["max_size_mb"],
         **{f"name_{language}": document["name"][language] for language in LANGUAGES}}
        for document in definition["required_documents"]
    ]


DocumentFormSet = cast(type[BaseDocumentFormSet], forms.formset_factory(
    RequiredDocumentForm, formset=BaseDocumentFormSet, extra=2, can_delete=True))
DOCUMENTS_PREFIX = "documents"


class ServiceImportForm(forms.Form):
    """A definition in YAML, uploaded as a file or pasted."""

    agency = forms.ModelChoiceField(label=_("Agency"), queryset=Agency.objects.none(), empty_label=None)
    file = forms.FileField(label=_("YAML file"), required=False,
                           widget=forms.ClearableFileInput(attrs={"accept": ".yaml,.yml,text/yaml"}))
    text = forms.CharField(
        label=_("or paste the YAML"), required=False,
        widget=forms.Textarea(attrs={"rows": 20, "cols": 100, "dir": "ltr", "spellcheck": "false",
                                     "class": "vLargeTextField"}))

    def __init__(self, *args: Any, agencies: QuerySet[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_choice(self, "agency").queryset = agencies

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        upload = cleaned.get("file")
        text = (cleaned.get("text") or "").strip()
        if upload and text:
            raise forms.ValidationError(gettext("Give a file or paste the text, not both."))
        if upload:
            if upload.size > MAX_IMPORT_BYTES:
                raise forms.ValidationError(gettext("The file is larger than %(size)s KB.") % {
                    "size": MAX_IMPORT_BYTES // 1024})
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError as error:
                raise forms.ValidationError(gettext("The file is not UTF-8 text.")) from error
        if not text.strip():
            raise forms.ValidationError(gettext("Choose a YAML file or paste its text."))
        cleaned["yaml_text"] = text
        return cleaned
