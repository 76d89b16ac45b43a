"""A complaint's workflow as data, run by the same transition table as services' workflows.

The definition has the shape of a service definition's `workflow` block
(docs/service-definitions.md), read by `applications.workflow.Workflow`; complaints take
none of the engine's own steps (corrections, withdrawal), which are an application's.
Roles: `handler` is whoever may act on the complaint for its agency or centre
(selectors.complaint_role), `complainant` the person who filed it.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from khedmat.applications.workflow import Transition, TransitionNotAllowed, Workflow

RECEIVED = "received"
IN_PROGRESS = "in_progress"
ANSWERED = "answered"
CLOSED = "closed"
# States where the time standard runs (the complaint awaits its answer).
OPEN_STATES = (RECEIVED, IN_PROGRESS)

TAKE = "take"
OPEN_INVESTIGATION = "open_investigation"
ANSWER = "answer"
CLOSE = "close"
ACCEPT = "accept"
REOPEN = "reopen"

HANDLER = "handler"
COMPLAINANT = "complainant"


def _label(en: str) -> dict[str, str]:
    return {"en": en}


DEFINITION: dict[str, Any] = {
    "initial": RECEIVED,
    "states": [
        {"name": RECEIVED, "label": _label("Received")},
        {"name": IN_PROGRESS, "label": _label("Being looked into")},
        {"name": ANSWERED, "label": _label("Answered")},
        # Not final for the table: the complainant may still reopen it within the set days.
        {"name": CLOSED, "label": _label("Closed")},
    ],
    "transitions": [
        {"name": TAKE, "from": RECEIVED, "to": IN_PROGRESS, "role": HANDLER, "label": _label("Take it")},
        {"name": OPEN_INVESTIGATION, "from": [RECEIVED, IN_PROGRESS], "to": IN_PROGRESS, "role": HANDLER,
         "label": _label("Open an investigation"), "needs_reason": True},
        {"name": ANSWER, "from": [RECEIVED, IN_PROGRESS], "to": ANSWERED, "role": HANDLER,
         "label": _label("Send the answer"), "needs_reason": True},
        {"name": CLOSE, "from": ANSWERED, "to": CLOSED, "role": HANDLER, "label": _label("Close")},
        {"name": ACCEPT, "from": ANSWERED, "to": CLOSED, "role": COMPLAINANT,
         "label": _label("I am satisfied: close it")},
        {"name": REOPEN, "from": [ANSWERED, CLOSED], "to": IN_PROGRESS, "role": COMPLAINANT,
         "label": _label("I am not satisfied: reopen it"), "needs_reason": True},
    ],
}

# The labels people read, translated (the definition's own labels are the English names).
STATE_TEXT = {
    RECEIVED: _("Received"),
    IN_PROGRESS: _("Being looked into"),
    ANSWERED: _("Answered"),
    CLOSED: _("Closed"),
}
STEP_TEXT = {
    "file": _("Complaint received"),
    TAKE: _("Taken by the agency"),
    OPEN_INVESTIGATION: _("Investigation opened"),
    ANSWER: _("Answered"),
    CLOSE: _("Closed"),
    ACCEPT: _("Closed: the complainant is satisfied"),
    REOPEN: _("Reopened: the complainant is not satisfied"),
    "auto_close": _("Closed: the time to reopen has passed"),
    "rate": _("Answer rated"),
    "escalate_supervisor": _("Supervisor alerted: half the time standard has passed"),
    "escalate_head": _("Escalated to the head: the time standard has passed"),
    "escalate_ombudsman": _("Escalated to the ombudsman desk"),
}
ACTION_TEXT = {
    TAKE: _("Take it"),
    OPEN_INVESTIGATION: _("Open an investigation"),
    ANSWER: _("Send the answer"),
    CLOSE: _("Close"),
    ACCEPT: _("I am satisfied: close it"),
    REOPEN: _("I am not satisfied: reopen it"),
}


class ComplaintWorkflow(Workflow):
    """The transition table without the engine steps of applications."""

    def _add_engine_steps(self) -> None:
        return None


WORKFLOW = ComplaintWorkflow(DEFINITION)


def step_for(state: str, name: str, role: str) -> Transition:
    """The step `name` from `state` for `role`, or TransitionNotAllowed."""
    return WORKFLOW.find(state, name, role)


def steps_available(state: str, role: str) -> list[Transition]:
    return WORKFLOW.available(state, role)


__all__ = ["WORKFLOW", "TransitionNotAllowed", "step_for", "steps_available"]
