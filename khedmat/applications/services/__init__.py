"""Writes on applications, one module per concern; import from here.

core: drafts, submission, the workflow step (`application_transition`)
corrections: sending back for correction, the applicant's corrections, withdrawal
office: the back office (claim, assign, release, notes, messages, steps from the file page, escalation)
"""

from .core import (
    ApplicationError,
    application_draft_save,
    application_submit,
    application_transition,
    workflow_role,
)
from .corrections import (
    application_correct_by_officer,
    application_withdraw,
    correctable_fields,
    correction_request,
    correction_submit,
    open_correction,
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
    "application_correct_by_officer",
    "application_draft_save",
    "application_file_open",
    "application_release",
    "application_submit",
    "application_transition",
    "application_withdraw",
    "applications_assign_bulk",
    "applications_escalate_overdue",
    "correctable_fields",
    "correction_request",
    "correction_submit",
    "message_to_applicant",
    "note_add",
    "open_correction",
    "workflow_role",
]
