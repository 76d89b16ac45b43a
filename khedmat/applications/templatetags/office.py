"""`{% load office %}{% inbox_rows rows %}`: the inbox's table rows, written in Python.

A page of the inbox is 25 rows of some twenty values and a dozen conditions each; through the
template engine they were a third of the page's CPU (every variable looked up through the
context, every condition a node). This writes the same markup, each value escaped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from khedmat.core.formatting import localize_digits

if TYPE_CHECKING:
    from django.forms import BoundField

    from ..selectors.office import InboxRow

register = template.Library()


def _e(value: Any) -> str:
    return str(conditional_escape("" if value is None else value))


@register.simple_tag(takes_context=True)
def inbox_rows(context: template.Context, rows: list[InboxRow]) -> SafeString:
    """The `<tr>` of each row (the table, its head and caption stay in inbox.html)."""
    user = context.get("user")
    viewer_id = getattr(user, "pk", None)
    token = context.get("csrf_token")
    # As {% csrf_token %}: nothing when the view asked for none (Django's "NOTPROVIDED").
    csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{_e(token)}">' \
        if token and token != "NOTPROVIDED" else ""  # noqa: S105 (a marker, not a password)
    here = _e(context.get("here", ""))
    label = {key: _e(text) for key, text in {
        "tick": _("Tick to assign"), "reference": _("Reference"), "service": _("Service"),
        "applicant": _("Applicant"), "state": _("State"), "assigned": _("Assigned to"), "deadline": _("Deadline"),
        "escalated": _("Escalated to the supervisors"), "you": _("you"), "nobody": _("Nobody"),
        "claim": _("Assign to me")}.items()}
    tick_text, filed_text = _("Tick %(reference)s"), _("filed by %(name)s")
    out: list[str] = []
    for row in rows:
        public_id, reference = _e(row.public_id), _e(row.reference)
        overdue = row.sla.is_overdue
        out.append('    <tr class="office-inbox__overdue">\n' if overdue else "    <tr>\n")
        if row.is_open:
            out.append(
                f'      <td class="office-inbox__tick" data-label="{label["tick"]}"><input type="checkbox" '
                f'form="bulk-assign" name="ticked" value="{public_id}.{_e(row.assigned_to_id or 0)}" '
                f'id="tick-{public_id}"><label for="tick-{public_id}" class="visually-hidden">'
                f'{tick_text % {"reference": reference}}</label></td>\n')
        else:
            out.append('      <td class="office-inbox__tick"></td>\n')
        escalated = (f'<br><strong class="badge badge--danger">{label["escalated"]}</strong>'
                     if row.is_escalated else "")
        out.append(f'      <td data-label="{label["reference"]}"><a class="reference" href="{_e(row.file_url)}">'
                   f'<bdi>{reference}</bdi></a>\n        {escalated}</td>\n')
        out.append(f'      <td data-label="{label["service"]}">{_e(row.service_name)}</td>\n')
        applicant = (f"<bdi>{_e(row.applicant_name)}</bdi>" if row.applicant_name
                     else f'<span class="ltr">{_e(localize_digits(str(row.applicant_phone)))}</span>')
        if row.filed_by_name:
            applicant += f'<br><span class="muted">{filed_text % {"name": _e(row.filed_by_name)}}</span>'
        out.append(f'      <td data-label="{label["applicant"]}">{applicant}</td>\n')
        out.append(f'      <td data-label="{label["state"]}">{_e(row.state_label)}</td>\n')
        if row.assigned_name:
            you = f' ({label["you"]})' if row.assigned_to_id == viewer_id else ""
            assigned = f"{_e(row.assigned_name)}{you}\n        "
        elif row.is_open:
            assigned = (f'<span class="muted">{label["nobody"]}</span>\n'
                        f'        <form method="post" action="{_e(row.claim_url)}" class="form--inline">{csrf}\n'
                        f'          <input type="hidden" name="next" value="{here}">\n'
                        f'          <button type="submit" class="link-button">{label["claim"]}'
                        f'<span class="visually-hidden"> {reference}</span></button>\n        </form>')
        else:
            assigned = ""
        out.append(f'      <td data-label="{label["assigned"]}">{assigned}</td>\n')
        sla = (f'<strong class="badge badge--danger">{_e(row.sla.text)}</strong>' if overdue
               else f'<span class="muted">{_e(row.sla.text)}</span>')
        out.append(f'      <td data-label="{label["deadline"]}">{_e(row.due_date_text)}<br>\n        {sla}</td>\n'
                   "    </tr>\n")
    return mark_safe("".join(out))  # noqa: S308 (every value escaped above)


@register.simple_tag
def office_field(field: BoundField) -> SafeString:
    """`accounts/_field.html` for one field of the office forms, written in Python (same markup):
    the inbox's filters and the file page's forms included that template nine times a page."""
    errors = field.errors
    auto_id = _e(field.auto_id)
    hint = f'<p class="field__hint" id="{auto_id}_helptext">{_e(field.help_text)}</p>' if field.help_text else ""
    error = (f'<p class="error field__error" id="{auto_id}_error">{" ".join(_e(text) for text in errors)}</p>'
             if errors else "")
    return mark_safe(  # noqa: S308 (every value escaped; the widget is Django's own safe markup)
        f'<div class="field{" field--error" if errors else ""}">\n'
        f'  <label for="{_e(field.id_for_label)}">{_e(field.label)}</label>\n'
        f"  {hint}\n  {error}\n  {field}\n</div>\n")
