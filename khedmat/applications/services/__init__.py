"""Writes on applications, one module per concern; import from here.

core: drafts, submission, the workflow step (`application_transition`)
office: the back office (claim, assign, release, notes, messages, steps from the file page, escalation)
"""

from .core import (
    ApplicationError,
    application_draft_save,
    application_submit,
    application_transition,
    workflow_role,
)
from .office import (
    application_act,
    application_assign,
    application_claim,
    application_file_open,
    application_release,
    applications_assign_bulk,
    applications_escalate_overdue,
    message_to_applicant,
    note_add,
)

__all__ = [
    "ApplicationError",
    "application_act",
    "application_assign",
    "application_claim",
    "application_draft_save",
    "application_file_open",
    "application_release",
    "application_submit",
    "application_transition",
    "applications_assign_bulk",
    "applications_escalate_overdue",
    "message_to_applicant",
    "note_add",
    "workflow_role",
]
