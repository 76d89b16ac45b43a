"""A service's workflow as a pure transition table: which step may be taken from where, by whom.

No database here: `Workflow` is built from the `workflow` part of a validated service
definition (khedmat/catalog/definition.py) and answers questions; the service
`application_transition` is the one place that applies its answers to a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from khedmat.catalog.definition import CORRECTION_STATE as CORRECTION_STATE
from khedmat.catalog.definition import WITHDRAWN_STATE as WITHDRAWN_STATE
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
    # Engine steps (below) are not written in the definition; their label is translated text.
    engine: bool = False
    text: Promise | None = field(default=None, compare=False)

    @property
    def display_label(self) -> str:
        return str(self.text) if self.text is not None else pick(self.label, None)

    @property
    def returns(self) -> bool:
        """The target is not fixed: the file goes back to the state it was sent back from."""
        return self.target == RETURN


@dataclass(frozen=True)
class State:
    name: str
    label: dict[str, str]
    final: bool
    pauses_clock: bool
    milestone: str = ""  # what entering it means to the applicant (catalog.definition.MILESTONES)
    text: Promise | None = field(default=None, compare=False)

    @property
    def display_label(self) -> str:
        return str(self.text) if self.text is not None else pick(self.label, None)


# --- engine steps -------------------------------------------------------------------------
# Every service gets these without writing them (docs/service-definitions.md, decision 0019):
# - request_correction: from each reviewing state (not final, clock running, a member of
#   staff acts in it), by each staff role acting there, naming the form fields to correct;
#   the file waits in `correction_requested` (clock stopped) until the applicant takes
#   submit_correction, which returns it to the state it was sent back from.
# - withdraw: by the applicant, from every state before a decision, into `withdrawn`.
# - after a four-eyes step (two-person approval), its role may also reject and send back
#   to the reviewer, under the same two-person rule.
REQUEST_CORRECTION = "request_correction"
SUBMIT_CORRECTION = "submit_correction"
WITHDRAW = "withdraw"
APPROVER_REJECT = "approver_reject"
APPROVER_SEND_BACK = "approver_send_back"
RETURN = "@return"
STAFF_WORKFLOW_ROLES = ("officer", "approver", "agency_admin")


# Workflows built, by the id of their definition's workflow part (Workflow.of); the oldest
# go first. Per process: gunicorn's sync workers serve one request at a time.
_BUILT: dict[int, tuple[dict[str, Any], Workflow]] = {}
_BUILT_KEPT = 256


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
        self._add_engine_steps()

    def _add_engine_steps(self) -> None:
        finals_before = {name for name, state in self.states.items() if state.final}
        # After a decision (a service that hands something over goes on past "approved"), a
        # file is neither sent back for correction nor withdrawn: it is reissued instead.
        decided = self._decided_states()
        reviewing = [name for name, state in self.states.items()
                     if not state.final and not state.pauses_clock and name not in decided
                     and self.roles_acting_in(name) & set(STAFF_WORKFLOW_ROLES)]
        engine: list[Transition] = []
        # Two-person approval: the approver's other choices, under the same rule.
        for step in [t for t in self.transitions if t.four_eyes]:
            for source in step.sources:
                own = [t for t in self.transitions if source in t.sources and t.role == step.role]
                rejected = self._rejecting_state()
                if rejected and not any(self.states[t.target].final and t.target != step.target for t in own):
                    engine.append(Transition(APPROVER_REJECT, (source,), rejected, step.role, {}, True, True,
                                             engine=True, text=_("Reject")))
                back = next((t.sources[0] for t in self.transitions
                             if t.target == source and t.role != step.role and t.sources[0] != source), None)
                if back and not any(not self.states[t.target].final for t in own
                                    if t.target != source and t is not step):
                    engine.append(Transition(APPROVER_SEND_BACK, (source,), back, step.role, {}, True, True,
                                             engine=True, text=_("Send back to the reviewer")))
        self.transitions = [
            t if t.four_eyes or not any(f.four_eyes and f.role == t.role and set(f.sources) & set(t.sources)
                                        for f in self.transitions)
            else Transition(t.name, t.sources, t.target, t.role, t.label, t.needs_reason, True, t.engine, t.text)
            for t in self.transitions
        ]
        # Corrections: sent back from a reviewing state, returned there once corrected.
        if reviewing:
            self.states[CORRECTION_STATE] = State(CORRECTION_STATE, {}, final=False, pauses_clock=True,
                                                  milestone="sent_back", text=_("Sent back for correction"))
            for role in STAFF_WORKFLOW_ROLES:
                sources = tuple(name for name in reviewing if role in self.roles_acting_in(name))
                if sources:
                    four_eyes = any(t.four_eyes and t.role == role and set(t.sources) & set(sources)
                                    for t in self.transitions)
                    engine.append(Transition(
                        REQUEST_CORRECTION, sources, CORRECTION_STATE, role, {}, True,
                        four_eyes and role == "approver", engine=True, text=_("Send back for correction")))
            engine.append(Transition(SUBMIT_CORRECTION, (CORRECTION_STATE,), RETURN, "applicant", {}, False, False,
                                     engine=True, text=_("Send the corrections")))
        # Withdrawal by the applicant, before any decision.
        if WITHDRAWN_STATE not in self.states:
            self.states[WITHDRAWN_STATE] = State(WITHDRAWN_STATE, {}, final=True, pauses_clock=False,
                                                 milestone="closed", text=_("Withdrawn by the applicant"))
        open_states = tuple(name for name, state in self.states.items()
                            if not state.final and name not in finals_before and name not in decided
                            and not any(t.role == "applicant" and t.target == WITHDRAWN_STATE and name in t.sources
                                        for t in self.transitions))
        if open_states and self.states[WITHDRAWN_STATE].final:
            engine.append(Transition(WITHDRAW, open_states, WITHDRAWN_STATE, "applicant", {}, False, False,
                                     engine=True, text=_("Withdraw the application")))
        self.transitions.extend(engine)

    def _decided_states(self) -> set[str]:
        """The states a decision leads to (milestone "approved" or "rejected") and all after them."""
        decided = {name for name, state in self.states.items() if state.milestone in ("approved", "rejected")}
        frontier = list(decided)
        while frontier:
            source = frontier.pop()
            for transition in self.transitions:
                if source in transition.sources and transition.target in self.states \
                        and transition.target not in decided:
                    decided.add(transition.target)
                    frontier.append(transition.target)
        return decided

    def _rejecting_state(self) -> str:
        """The final state that refuses a file: the one whose milestone is "rejected"."""
        return next((name for name, state in self.states.items() if state.final and state.milestone == "rejected"),
                    "rejected" if "rejected" in self.states and self.states["rejected"].final else "")

    @classmethod
    def of(cls, service_definition: dict[str, Any]) -> Workflow:
        """The workflow of a definition, built once per definition object: a definition read
        from the database is one object per process (core.fields.ImmutableOrderedJSONField),
        and a request asks for its file's workflow several times (submitting: the submission,
        then the payment order). A Workflow is never changed once built."""
        part = service_definition["workflow"]
        kept = _BUILT.get(id(part))
        if kept is not None and kept[0] is part:  # the same object, not one that took its id
            return kept[1]
        built = cls(part)
        _BUILT[id(part)] = (part, built)  # `part` held: its id is not reused while kept
        if len(_BUILT) > _BUILT_KEPT:
            _BUILT.pop(next(iter(_BUILT)))
        return built

    def state(self, name: str) -> State:
        return self.states[name]

    def is_final(self, state: str) -> bool:
        return state in self.states and self.states[state].final

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

    def roles_acting_in(self, state: str, *, engine: bool = True) -> set[str]:
        return {t.role for t in self.transitions if state in t.sources and (engine or not t.engine)}

    def withdraw_step(self, state: str) -> Transition | None:
        """The applicant's way to withdraw from `state`, engine-given or defined, if any."""
        return next((t for t in self.available(state, "applicant") if t.target == WITHDRAWN_STATE), None)
