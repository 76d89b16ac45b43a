"""Random sequences of workflow actions keep the rules: a hypothesis state machine.

Files of three demonstration services (passport with two-person approval, business
licence with a payment step the system records, martyr family pension with send-back)
are worked by random people taking random steps — allowed or not, with fresh or stale
views of the file, with or without reasons — through the real `application_transition`.
An oracle read straight from the services' YAML says what must happen; after every step:
the file is where the oracle says, its history is one unbroken chain that stops at a final
state, the clock stands still exactly while the file waits for the applicant, and the
audit chain verifies.

Every example files new applications, so nothing depends on rows rolled back between
examples (the `db` fixture wraps the whole run in one transaction).
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from khedmat.accounts.models import Role, User
from khedmat.accounts.services import citizen_get_or_create, staff_user_create
from khedmat.applications.models import Application, ApplicationEvent, DecisionReason
from khedmat.applications.services import (
    ApplicationError,
    application_draft_save,
    application_submit,
    application_transition,
)
from khedmat.audit.models import AuditEvent
from khedmat.audit.selectors import audit_verify_chain
from khedmat.audit.services import audit_seal_pending
from khedmat.catalog import services as catalog_services
from khedmat.catalog.models import Agency, Service

from .conftest import PASSPORT_ANSWERS

SERVICES: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    # file name: (agency code, agency slug, category slug, answers)
    "moi-psp.yaml": ("MOI", "interior", "identity-and-travel", PASSPORT_ANSWERS),
    "moci-bzl.yaml": ("MOCI", "commerce", "business-and-trade", {
        "business_name": "Zia Traders", "business_form": "sole_proprietorship", "owner_name": "Ahmad Zia",
        "main_activity": "Dried fruit export", "province": "Kabul", "capital_afn": 500000}),
    "mmda-mfp.yaml": ("MMDA", "martyrs-and-disabled", "social-protection", {
        "martyr_name": "Abdul Rahim", "martyr_father_name": "Abdul Karim", "date_of_martyrdom": "2019-05-02",
        "place_of_martyrdom": "Ghazni, Andar", "applicant_name": "Fatima", "relationship": "widow",
        "number_of_heirs": 3, "bank_account": "0012345678"}),
}
# Who acts, relative to the file: its applicant, a stranger, staff of its agency, staff of
# another agency, or the system itself (a payment provider's callback, a scheduled job).
ACTORS = ("applicant", "other_citizen", "officer", "second_officer", "approver", "foreign_officer", "system")
REASON_CODES = ("", "", "", *DecisionReason.values, "made_up_reason")
REASON_TEXTS = ("", "", "   ", "The Tazkira copy cannot be read.")
# The right person taking an offered step usually gives a proper reason.
GOOD_REASON_CODES = ("", *DecisionReason.values)
GOOD_REASON_TEXTS = ("The Tazkira copy cannot be read.", "The Tazkira copy cannot be read.", "")
MAX_FILES = 4


# --- the oracle: the rules read from the YAML, independently of khedmat.applications.workflow ---

@dataclass(frozen=True)
class Rules:
    initial: str
    final: frozenset[str]
    pausing: frozenset[str]
    states: tuple[str, ...]
    transitions: tuple[dict[str, Any], ...]

    @classmethod
    def from_definition(cls, definition: dict[str, Any]) -> Rules:
        workflow = definition["workflow"]
        return cls(
            initial=workflow["initial"],
            final=frozenset(s["name"] for s in workflow["states"] if s.get("final")),
            pausing=frozenset(s["name"] for s in workflow["states"] if s.get("pauses_clock")),
            states=tuple(s["name"] for s in workflow["states"]),
            transitions=tuple(workflow["transitions"]),
        )

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t["name"] for t in self.transitions))

    def step(self, state: str, name: str, role: str | None) -> dict[str, Any] | None:
        """The transition `role` may take by that name from `state`, if any."""
        if role is None or state in self.final:
            return None
        for transition in self.transitions:
            sources = [transition["from"]] if isinstance(transition["from"], str) else transition["from"]
            if transition["name"] == name and state in sources and transition["role"] == role:
                return transition
        return None

    def allowed(self, state: str, role: str) -> list[str]:
        return [name for name in self.names if self.step(state, name, role) is not None]


@dataclass
class FileModel:
    """What the oracle believes about one file."""

    pk: int
    service: str
    agency: Agency
    applicant: User
    state: str
    # (actor pk or None, transition) of every step taken, the submission included.
    steps: list[tuple[int | None, str]] = field(default_factory=list)
    step_roles: list[str] = field(default_factory=list)


@dataclass
class World:
    """What every example shares: the services and people (files are made per example)."""

    services: dict[str, Service]
    rules: dict[str, Rules]
    citizens: tuple[User, User]
    staff: dict[str, dict[str, User]]  # agency code → {"officer": …, "second_officer": …, "approver": …}
    outsider: User  # an officer of an agency that runs none of these services


def _world() -> World:
    services, rules, staff = {}, {}, {}
    for file_name, (agency_code, agency_slug, category, _answers) in SERVICES.items():
        catalog_services.category_upsert(slug=category, name={"en": category, "fa": category, "ps": category})
        agency = catalog_services.agency_upsert(code=agency_code, slug=agency_slug,
                                                name={"en": agency_code, "fa": agency_code, "ps": agency_code})
        text = Path(settings.BASE_DIR, "demo/services", file_name).read_text(encoding="utf-8")
        service = catalog_services.service_import_yaml(agency=agency, text=text).service
        services[file_name] = service
        rules[file_name] = Rules.from_definition(yaml.safe_load(text))
        low = agency_code.lower()
        staff[agency_code] = {
            name: staff_user_create(username=f"{name}.{low}.prop", password="pass-for-tests-1", role=role,
                                    agency=agency)
            for name, role in (("officer", Role.OFFICER), ("second_officer", Role.OFFICER),
                               ("approver", Role.APPROVER))
        }
    other = catalog_services.agency_upsert(code="MOF", slug="finance", name={"en": "MOF", "fa": "MOF", "ps": "MOF"})
    outsider = staff_user_create(username="officer.mof.prop", password="pass-for-tests-1", role=Role.OFFICER,
                                 agency=other)
    citizens = (citizen_get_or_create(phone_number="+93700111222")[0],
                citizen_get_or_create(phone_number="+93700333444")[0])
    return World(services=services, rules=rules, citizens=citizens, staff=staff, outsider=outsider)


class WorkflowMachine(RuleBasedStateMachine):
    world: World  # set by the test before the machine runs

    def __init__(self) -> None:
        super().__init__()
        self.files: list[FileModel] = []
        self.drafts: list[Application] = []
        self.steps_audited_before = self._steps_audited()
        self.applied = 0

    # --- making files ---

    @initialize(choices=st.lists(st.sampled_from(sorted(SERVICES)), min_size=1, max_size=2))
    def file_some(self, choices: list[str]) -> None:
        for service in choices:
            self._file(service, applicant=self.world.citizens[0])
        # A draft is never worked: no step may be taken on it.
        self.drafts.append(application_draft_save(applicant=self.world.citizens[1],
                                                  service=self.world.services["moi-psp.yaml"], data={}))

    @precondition(lambda self: len(self.files) < MAX_FILES)
    @rule(service=st.sampled_from(sorted(SERVICES)), by_other=st.booleans())
    def file_another(self, service: str, by_other: bool) -> None:
        self._file(service, applicant=self.world.citizens[1 if by_other else 0])

    def _file(self, service_name: str, *, applicant: User) -> None:
        service = self.world.services[service_name]
        draft = application_draft_save(applicant=applicant, service=service, data=SERVICES[service_name][3])
        submitted = application_submit(application=draft, idempotency_key=uuid.uuid4().hex, actor=applicant)
        model = FileModel(pk=submitted.pk, service=service_name, agency=service.agency,
                          applicant=applicant, state=self.world.rules[service_name].initial,
                          steps=[(applicant.pk, "submit")], step_roles=[applicant.role])
        if submitted.state != model.state:  # the fee, paid as the file is sent (conftest): the system's step
            model.state = submitted.state
            model.steps.append((None, "record_payment"))
            model.step_roles.append("system")
            self.applied += 1
        self.files.append(model)

    # --- acting on files ---

    @rule(data=st.data())
    def take_any_step(self, data: st.DataObject) -> None:
        """Anyone tries anything: mostly refused, and nothing may change when it is."""
        every_name = sorted({name for r in self.world.rules.values() for name in r.names})
        if data.draw(st.integers(0, 9), label="a draft?") == 0:
            self._act_on_a_draft(data, every_name)
            return
        model = data.draw(st.sampled_from(self.files), label="file")
        rules = self.world.rules[model.service]
        self._act(model, data,
                  actor_kind=data.draw(st.sampled_from(ACTORS), label="actor"),
                  transition=data.draw(st.sampled_from(every_name), label="transition"),
                  expected_state=self._expected_state(data, model, rules))

    @rule(data=st.data())
    def take_a_step_the_workflow_offers(self, data: st.DataObject) -> None:
        """The right person takes an offered step: how files move forward."""
        model = data.draw(st.sampled_from(self.files), label="file")
        rules = self.world.rules[model.service]
        offers = [(kind, name) for kind in ACTORS
                  for name in rules.allowed(model.state, self._role(model, kind) or "")]
        if not offers:
            return
        kind, name = data.draw(st.sampled_from(offers), label="offer")
        self._act(model, data, actor_kind=kind, transition=name,
                  expected_state=self._expected_state(data, model, rules, stale_chance=False),
                  reason_codes=GOOD_REASON_CODES, reason_texts=GOOD_REASON_TEXTS)

    def _act_on_a_draft(self, data: st.DataObject, every_name: list[str]) -> None:
        draft = data.draw(st.sampled_from(self.drafts), label="draft")
        rules = self.world.rules["moi-psp.yaml"]
        transition = data.draw(st.sampled_from(every_name), label="transition")
        expected = data.draw(st.sampled_from((Application.DRAFT, *rules.states)), label="expected_state")
        actor = self._actor(FileModel(pk=draft.pk, service="moi-psp.yaml", agency=draft.agency,
                                      applicant=draft.applicant, state=Application.DRAFT),
                            data.draw(st.sampled_from(ACTORS), label="actor"))
        with pytest.raises(ApplicationError) as refused:
            application_transition(application=draft, actor=actor, transition=transition, expected_state=expected,
                                   reason_text="x", as_system=actor is None)
        assert refused.value.code in {"stale", "forbidden", "not_allowed"}
        if expected != Application.DRAFT:
            assert refused.value.code == "stale"
        assert Application.objects.get(pk=draft.pk).state == Application.DRAFT
        assert not ApplicationEvent.objects.filter(application_id=draft.pk).exists()

    def _expected_state(self, data: st.DataObject, model: FileModel, rules: Rules, *,
                        stale_chance: bool = True) -> str:
        # Usually the state the actor saw is the current one; sometimes their page is old.
        if stale_chance and data.draw(st.integers(0, 4), label="stale?") == 0:
            return data.draw(st.sampled_from(rules.states), label="expected_state")
        return model.state

    def _actor(self, model: FileModel, kind: str) -> User | None:
        if kind == "applicant":
            return model.applicant
        if kind == "other_citizen":
            return next(c for c in self.world.citizens if c.pk != model.applicant.pk)
        if kind == "foreign_officer":
            return self.world.outsider
        if kind == "system":
            return None
        return self.world.staff[model.agency.code][kind]

    def _role(self, model: FileModel, kind: str) -> str | None:
        return {"applicant": "applicant", "other_citizen": None, "officer": "officer", "second_officer": "officer",
                "approver": "approver", "foreign_officer": None, "system": "system"}[kind]

    def _act(self, model: FileModel, data: st.DataObject, *, actor_kind: str, transition: str,
             expected_state: str, reason_codes: tuple[str, ...] = REASON_CODES,
             reason_texts: tuple[str, ...] = REASON_TEXTS) -> None:
        reason_code = data.draw(st.sampled_from(reason_codes), label="reason_code")
        reason_text = data.draw(st.sampled_from(reason_texts), label="reason_text")
        actor = self._actor(model, actor_kind)
        refusals = self._refusals(model, actor_kind, actor, transition, expected_state, reason_code, reason_text)
        events_before = ApplicationEvent.objects.filter(application_id=model.pk).count()
        try:
            application_transition(
                application=Application.objects.get(pk=model.pk), actor=actor, transition=transition,
                expected_state=expected_state, reason_code=reason_code, reason_text=reason_text,
                as_system=actor_kind == "system",
            )
        except ApplicationError as error:
            assert refusals, f"{actor_kind} refused {transition!r} from {model.state!r}: {error.code}"
            assert error.code in refusals, f"refused as {error.code!r}, expected one of {sorted(refusals)}"
            assert error.message
            assert ApplicationEvent.objects.filter(application_id=model.pk).count() == events_before
            return
        assert not refusals, f"{actor_kind} took {transition!r} from {model.state!r} despite {sorted(refusals)}"
        step = self.world.rules[model.service].step(model.state, transition, self._role(model, actor_kind))
        assert step is not None
        model.state = step["to"]
        model.steps.append((actor.pk if actor is not None else None, transition))
        model.step_roles.append(actor.role if actor is not None else "system")
        self.applied += 1

    def _refusals(self, model: FileModel, actor_kind: str, actor: User | None, transition: str,
                  expected_state: str, reason_code: str, reason_text: str) -> set[str]:
        """Every rule the attempt breaks, by error code (empty: it must be applied)."""
        broken = set()
        if expected_state != model.state:
            broken.add("stale")
        role = self._role(model, actor_kind)
        if role is None:
            broken.add("forbidden")
        step = self.world.rules[model.service].step(model.state, transition, role)
        if step is None:
            broken.add("not_allowed")
            return broken
        if reason_code and reason_code not in DecisionReason.values:
            broken.add("bad_reason")
        if step.get("needs_reason") and not (reason_code or reason_text.strip()):
            broken.add("reason_needed")
        if reason_code == DecisionReason.OTHER and not reason_text.strip():
            broken.add("reason_needed")
        if step.get("four_eyes") and actor is not None and any(
                pk == actor.pk and name != "submit" and role != actor.role
                for (pk, name), role in zip(model.steps, model.step_roles, strict=True)):
            broken.add("four_eyes")
        return broken

    # --- what must always hold ---

    @invariant()
    def files_are_where_the_oracle_says(self) -> None:
        for model in self.files:
            rules = self.world.rules[model.service]
            application = Application.objects.get(pk=model.pk)
            assert application.state == model.state
            assert application.is_final == (model.state in rules.final)
            assert (application.decided_at is not None) == (model.state in rules.final)
            # The clock stands still exactly while the file waits for the applicant.
            assert (application.clock_paused_on is not None) == (model.state in rules.pausing)

    @invariant()
    def history_is_one_unbroken_chain(self) -> None:
        for model in self.files:
            rules = self.world.rules[model.service]
            events = list(ApplicationEvent.objects.filter(application_id=model.pk).order_by("occurred_at", "id"))
            assert [(e.actor_id, e.transition) for e in events] == model.steps
            assert events[0].from_state == Application.DRAFT and events[0].to_state == rules.initial
            for before, after in itertools.pairwise(events):
                assert after.from_state == before.to_state
                assert before.to_state not in rules.final, "a step was taken after a final state"
            assert events[-1].to_state == model.state

    def _steps_audited(self) -> int:
        names = {name for rules in self.world.rules.values() for name in rules.names}
        return AuditEvent.objects.filter(action__in=[f"applications.{name}" for name in names]).count()

    @invariant()
    def one_audit_event_per_step(self) -> None:
        assert self._steps_audited() == self.steps_audited_before + self.applied

    def teardown(self) -> None:
        # Walking the whole chain after every step would cost more than the steps themselves.
        audit_seal_pending()
        assert audit_verify_chain() is None


@pytest.mark.django_db
def test_random_workflow_actions_keep_the_rules() -> None:
    WorkflowMachine.world = _world()
    run_state_machine_as_test(
        WorkflowMachine,
        settings=hypothesis_settings(max_examples=30, stateful_step_count=25, deadline=None,
                                     suppress_health_check=[HealthCheck.too_slow]),
    )
