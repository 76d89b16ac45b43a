"""A service's workflow as a pure transition table: which step may be taken from where, by whom.

No database here: `Workflow` is built from the `workflow` part of a validated service
definition (khedmat/catalog/definition.py) and answers questions; the service
`application_transition` is the one place that applies its answers to a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from khedmat.core.i18n import pick

# How a platform role acts in a workflow. Citizens act as the applicant.
ROLE_IN_WORKFLOW = {
    "citizen": "applicant",
    "operator": "operator",
    "officer": "officer",
    "approver": "approver",
    "agency_admin": "agency_admin",
}


class TransitionNotAllowed(Exception):
    """The step does not exist from this state, or not for this role."""


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    target: str
    role: str
    label: dict[str, str]
    needs_reason: bool
    four_eyes: bool

    @property
    def display_label(self) -> str:
        return pick(self.label, None)


@dataclass(frozen=True)
class State:
    name: str
    label: dict[str, str]
    final: bool
    pauses_clock: bool
    milestone: str = ""  # what entering it means to the applicant (catalog.definition.MILESTONES)

    @property
    def display_label(self) -> str:
        return pick(self.label, None)


class Workflow:
    def __init__(self, definition: dict[str, Any]) -> None:
        self.initial: str = definition["initial"]
        self.states: dict[str, State] = {
            s["name"]: State(s["name"], s["label"], bool(s.get("final")), bool(s.get("pauses_clock")),
                             s.get("milestone") or "")
            for s in definition["states"]
        }
        self.transitions: list[Transition] = [
            Transition(
                name=t["name"], sources=tuple([t["from"]] if isinstance(t["from"], str) else t["from"]),
                target=t["to"], role=t["role"], label=t["label"], needs_reason=bool(t.get("needs_reason")),
                four_eyes=bool(t.get("four_eyes")),
            )
            for t in definition["transitions"]
        ]

    @classmethod
    def of(cls, service_definition: dict[str, Any]) -> Workflow:
        return cls(service_definition["workflow"])

    def state(self, name: str) -> State:
        return self.states[name]

    def is_final(self, state: str) -> bool:
        return self.states[state].final

    def available(self, state: str, workflow_role: str) -> list[Transition]:
        """The steps `workflow_role` may take from `state`, in definition order."""
        if state not in self.states or self.is_final(state):
            return []
        return [t for t in self.transitions if state in t.sources and t.role == workflow_role]

    def find(self, state: str, name: str, workflow_role: str) -> Transition:
        for transition in self.available(state, workflow_role):
            if transition.name == name:
                return transition
        raise TransitionNotAllowed(f"{name!r} is not allowed from {state!r} for {workflow_role!r}")

    def roles_acting_in(self, state: str) -> set[str]:
        return {t.role for t in self.transitions if state in t.sources}
