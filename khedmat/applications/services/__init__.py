"""Writes on applications, one module per concern; import from here.

core: drafts, submission, the workflow step (`application_transition`)
"""

from .core import (
    ApplicationError,
    application_draft_save,
    application_submit,
    application_transition,
    workflow_role,
)

__all__ = [
    "ApplicationError",
    "application_draft_save",
    "application_submit",
    "application_transition",
    "workflow_role",
]
