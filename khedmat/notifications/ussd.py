"""The USSD menu, for phones without a browser, in English, Dari and Pashto.

It follows the aggregator convention most African and Asian operators use: each request
carries `sessionId`, `serviceCode`, `phoneNumber` and `text`, every choice so far joined by
`*` ("2*3*1"); the reply starts with `CON ` (show and wait for a choice) or `END ` (show and
hang up). The menu is therefore walked again from the first choice on every request: each
screen is a small object that answers `choose()` with the next screen, or with itself and a
"wrong choice" note. The phone network vouches for `phoneNumber`, so it identifies the
person: they see their own files, tickets and appointments, and nobody else's.

Every screen fits one USSD page: 182 GSM-7 characters, or 80 when the text needs UCS-2
(Dari and Pashto); long lists are split into pages ("9 More").
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from khedmat.accounts.phone import normalize_mobile_number
from khedmat.applications.selectors import citizen as application_selectors
from khedmat.catalog import selectors as catalog_selectors
from khedmat.centers import selectors as center_selectors
from khedmat.centers.hours import center_closed
from khedmat.centers.services import CenterClosed, QueueError, ticket_issue
from khedmat.complaints import selectors as complaint_selectors
from khedmat.complaints.services import DESCRIPTION_MIN, ComplaintError, complaint_file
from khedmat.core.formatting import format_date, format_time, localize_digits, western_digits
from khedmat.core.parsing import parse_int_or_none, plain_text
from khedmat.core.ratelimit import Throttle, Throttled, guard
from khedmat.feedback import selectors as feedback_selectors
from khedmat.feedback.services import RatingError, rating_submit

from .inbound import status_by_sms
from .inbound_complaints import complaints_throttle
from .inbound_complaints import idempotency_key as complaint_key
from .models import UssdSession
from .notices import ltr
from .sms.encoding import fits_ussd_screen

MORE = "9"
# A complaint's text: what one USSD input takes on most phones and networks.
USSD_TEXT_MAX = 160
USSD_TEXT_MIN = DESCRIPTION_MIN
PAGE_ITEMS = 8
LABEL_MAX = 24
LANGUAGES = (("1", "en", "English"), ("2", "fa", "دری"), ("3", "ps", "پښتو"))


@dataclass(frozen=True)
class UssdReply:
    text: str
    end: bool

    def wire(self) -> str:
        """As the aggregator expects it: CON or END, a space, the screen."""
        return ("END " if self.end else "CON ") + self.text


@dataclass(frozen=True)
class Caller:
    phone: str
    session_id: str
    language: str = "en"
    # What this request has read already: the walk from the first choice asks for the same
    # lists (files, centers, a center's services) several times.
    read: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def once(self, key: str, load: Callable[[], Any]) -> Any:
        if key not in self.read:
            self.read[key] = load()
        return self.read[key]


# --- the screens ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Screen:
    error: bool = False

    def render(self, caller: Caller) -> UssdReply:
        raise NotImplementedError

    def choose(self, caller: Caller, choice: str, *, last: bool) -> Screen:
        """The screen after `choice`. `last` is True for the choice of this request: only
        then may a screen act (take a ticket, record a rating)."""
        return replace(self, error=True)

    def wrong(self) -> str:
        """After a wrong choice the menu comes again with this note in place of its title
        (a title and a note together would not leave room for the options in Dari)."""
        return pgettext("ussd", "Wrong choice. Choose again:") if self.error else ""


def _n(number: int | str, caller: Caller) -> str:
    return localize_digits(str(number), caller.language)


def _label(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= LABEL_MAX else text[:LABEL_MAX - 1] + "…"


def _menu(caller: Caller, title: str, options: list[str], *, error_note: str = "") -> str:
    lines = [error_note or title] + [f"{_n(index, caller)} {label}" for index, label in enumerate(options, 1)]
    return "\n".join(lines)


def _fit(text: str) -> str:
    """Cut a text that does not fit one page (a long state name, say) with an ellipsis."""
    while not fits_ussd_screen(text) and len(text) > 1:
        text = text[:-2] + "…"
    return text


@dataclass(frozen=True)
class Pages(Screen):
    """A list split into pages that each fit a screen; "9" shows the next page."""

    page: int = 0

    def title(self, caller: Caller) -> str:
        raise NotImplementedError

    def items(self, caller: Caller) -> list[str]:
        raise NotImplementedError

    def picked(self, caller: Caller, index: int, *, last: bool) -> Screen:
        raise NotImplementedError

    def empty(self, caller: Caller) -> UssdReply:
        return UssdReply(_("Nothing to show."), end=True)

    def _pages(self, caller: Caller) -> list[list[int]]:
        items = self.items(caller)
        pages: list[list[int]] = []
        current: list[int] = []
        for index in range(len(items)):
            trial = [*current, index]
            text = _menu(caller, self.title(caller), [*(_label(items[i]) for i in trial), _("More")],
                         error_note=self.wrong())
            if current and (len(trial) > PAGE_ITEMS or not fits_ussd_screen(text)):
                pages.append(current)
                current = [index]
            else:
                current = trial
        if current:
            pages.append(current)
        return pages

    def render(self, caller: Caller) -> UssdReply:
        items = self.items(caller)
        if not items:
            return self.empty(caller)
        pages = self._pages(caller)
        page = pages[min(self.page, len(pages) - 1)]
        options = [_label(items[i]) for i in page]
        text = _menu(caller, self.title(caller), options, error_note=self.wrong())
        if self.page < len(pages) - 1:
            text += f"\n{_n(MORE, caller)} {_('More')}"
        return UssdReply(_fit(text), end=False)

    def choose(self, caller: Caller, choice: str, *, last: bool) -> Screen:
        pages = self._pages(caller)
        if not pages:
            return replace(self, error=True)
        page = pages[min(self.page, len(pages) - 1)]
        if choice == MORE and self.page < len(pages) - 1:
            return replace(self, page=self.page + 1, error=False)
        picked = parse_int_or_none(choice, minimum=1, maximum=len(page))
        if picked is not None:
            return self.picked(caller, page[picked - 1], last=last)
        return replace(self, error=True)


@dataclass(frozen=True)
class End(Screen):
    text: str = ""

    def render(self, caller: Caller) -> UssdReply:
        return UssdReply(_fit(self.text), end=True)


@dataclass(frozen=True)
class LanguageMenu(Screen):
    def render(self, caller: Caller) -> UssdReply:
        note = "Wrong choice / انتخاب نادرست\n" if self.error else ""
        lines = [note + "Asan Khedmat / آسان خدمت"] + [f"{key} {name}" for key, _code, name in LANGUAGES]
        return UssdReply("\n".join(lines), end=False)

    def choose(self, caller: Caller, choice: str, *, last: bool) -> Screen:
        for key, _code, _name in LANGUAGES:
            if choice == key:
                return MainMenu()
        return replace(self, error=True)


def language_of(choice: str) -> str | None:
    return next((code for key, code, _name in LANGUAGES if key == choice), None)


@dataclass(frozen=True)
class MainMenu(Screen):
    def options(self) -> list[tuple[str, type[Screen]]]:
        # Own, shorter words than the website's (pgettext "ussd"): six options and a title
        # (or the wrong-choice note) in 80 Dari or Pashto characters.
        return [(pgettext("ussd", "My applications"), MyApplications), (pgettext("ussd", "My ticket"), MyTicket),
                (pgettext("ussd", "Take a ticket"), TicketCenters),
                (pgettext("ussd", "My appointment"), MyAppointment),
                (pgettext("ussd", "Rate a service"), RateService), (pgettext("ussd", "Complain"), Complain)]

    def render(self, caller: Caller) -> UssdReply:
        return UssdReply(_menu(caller, _("Asan Khedmat"), [label for label, _screen in self.options()],
                               error_note=self.wrong()), end=False)

    def choose(self, caller: Caller, choice: str, *, last: bool) -> Screen:
        options = self.options()
        picked = parse_int_or_none(choice, minimum=1, maximum=len(options))
        if picked is not None:
            return options[picked - 1][1]().start(caller, last=last)  # type: ignore[attr-defined]
        return replace(self, error=True)


# --- 1: my applications ---------------------------------------------------------------------------

@dataclass(frozen=True)
class MyApplications(Pages):
    def start(self, caller: Caller, *, last: bool) -> Screen:
        return self

    def _files(self, caller: Caller) -> list[Any]:
        return caller.once("files", lambda: application_selectors.applications_for_phone(phone_number=caller.phone))

    def title(self, caller: Caller) -> str:
        return _("Your applications:")

    def items(self, caller: Caller) -> list[str]:
        return [ltr(application.reference or "", caller.language) for application in self._files(caller)]

    def empty(self, caller: Caller) -> UssdReply:
        return UssdReply(_("No application was sent from this phone."), end=True)

    def picked(self, caller: Caller, index: int, *, last: bool) -> Screen:
        """The file's state on the screen; the whole answer (what to pay, with which
        reference, by when) by SMS, where a reference can be read again and copied."""
        application = self._files(caller)[index]
        if last:
            status_by_sms(phone=caller.phone, application=application, language=caller.language)
        lines = [ltr(application.reference or "", caller.language),
                 application_selectors.state_label(application), _("Details sent by SMS.")]
        return End(text="\n".join(lines))


# --- 2: my ticket ------------------------------------------------------------------------------------

def _ticket_text(ticket: Any, caller: Caller) -> str:
    number = ltr(localize_digits(ticket.display_number, caller.language), caller.language)
    if ticket.status in (ticket.Status.CALLED, ticket.Status.SERVING) and ticket.counter_id:
        return _("Ticket %(number)s: go to counter %(counter)s now.") % {
            "number": number, "counter": _n(ticket.counter.number, caller)}
    position = center_selectors.ticket_position(ticket=ticket)
    return _("Ticket %(number)s, %(center)s: %(ahead)s before you, about %(minutes)s min.") % {
        "number": number, "center": ticket.center.name, "ahead": _n(position.people_ahead, caller),
        "minutes": _n(position.estimated_wait_minutes, caller)}


@dataclass(frozen=True)
class MyTicket(Screen):
    def start(self, caller: Caller, *, last: bool) -> Screen:
        tickets = center_selectors.tickets_for_phone_today(phone=caller.phone)
        if not tickets:
            return End(text=_("You have no ticket today. Choose 3 to take one."))
        return End(text=_ticket_text(tickets[-1], caller))  # the newest: the one they are waiting with


# --- 3: take a ticket -------------------------------------------------------------------------------

@dataclass(frozen=True)
class TicketCenters(Pages):
    def start(self, caller: Caller, *, last: bool) -> Screen:
        return self

    def _centers(self, caller: Caller) -> list[Any]:
        return caller.once("centers", lambda: list(center_selectors.center_list()))

    def title(self, caller: Caller) -> str:
        return _("Which center?")

    def items(self, caller: Caller) -> list[str]:
        return [center.name for center in self._centers(caller)]

    def empty(self, caller: Caller) -> UssdReply:
        return UssdReply(_("No center is open."), end=True)

    def picked(self, caller: Caller, index: int, *, last: bool) -> Screen:
        center = self._centers(caller)[index]
        closed = center_closed(center=center)
        if closed is not None:  # said before a service is chosen, as ticket_issue would refuse
            return End(text=closed.message(short=True))
        return TicketServices(center_id=center.pk)


@dataclass(frozen=True)
class TicketServices(Pages):
    center_id: int = 0

    def _services(self, caller: Caller) -> list[Any]:
        center = _center(caller, self.center_id)
        if center is None:
            return []
        return [service for group in _layout(caller, center) for service in group.services]

    def title(self, caller: Caller) -> str:
        return _("Which service?")

    def items(self, caller: Caller) -> list[str]:
        return [service.name for service in self._services(caller)]

    def empty(self, caller: Caller) -> UssdReply:
        return UssdReply(_("This center takes no tickets through this menu now."), end=True)

    def picked(self, caller: Caller, index: int, *, last: bool) -> Screen:
        return TicketConfirm(center_id=self.center_id, service_id=self._services(caller)[index].pk)


@dataclass(frozen=True)
class TicketConfirm(Screen):
    center_id: int = 0
    service_id: int = 0

    def _chosen(self, caller: Caller) -> tuple[Any, Any] | None:
        center = _center(caller, self.center_id)
        if center is None:
            return None
        service = next((s for group in _layout(caller, center) for s in group.services if s.pk == self.service_id),
                       None)
        return (center, service) if service is not None else None

    def render(self, caller: Caller) -> UssdReply:
        chosen = self._chosen(caller)
        if chosen is None:
            return UssdReply(_("This service is no longer offered here."), end=True)
        center, service = chosen
        title = _("A ticket for %(service)s at %(center)s?") % {"service": _label(service.name),
                                                                 "center": center.name}
        return UssdReply(_fit(_menu(caller, title, [_("Yes"), _("No")], error_note=self.wrong())), end=False)

    def choose(self, caller: Caller, choice: str, *, last: bool) -> Screen:
        if choice == "2":
            return End(text=_("No ticket was taken."))
        if choice != "1":
            return replace(self, error=True)
        chosen = self._chosen(caller)
        if chosen is None:
            return End(text=_("This service is no longer offered here."))
        if not last:  # a choice replayed from an earlier request: the ticket exists already
            return End(text=_("Your ticket was taken. Choose 2 in the menu to see it."))
        return _take_ticket(caller, *chosen)


def _center(caller: Caller, pk: int) -> Any:
    return caller.once(f"center:{pk}", lambda: center_selectors.center_by_id(pk=pk))


def _layout(caller: Caller, center: Any) -> Any:
    return caller.once(f"layout:{center.pk}", lambda: center_selectors.kiosk_layout(center=center))


def _ticket_to_rate(caller: Caller) -> Any:
    return caller.once("to_rate", lambda: feedback_selectors.ticket_to_rate_for_phone(phone=caller.phone))


def _take_ticket(caller: Caller, center: Any, service: Any) -> Screen:
    try:
        guard((Throttle.from_setting("THROTTLE_QUEUE_JOIN_PER_PHONE"), caller.phone[-9:]))
    except Throttled:
        return End(text=_("Too many tickets from this phone. Try again later."))
    try:
        # The session and choices as the key: a request the aggregator sends again gives the
        # same ticket, never a second one.
        ticket = ticket_issue(center=center, service=service, channel="ussd", phone=caller.phone,
                              idempotency_key=f"ussd:{caller.session_id}"[:64], language=caller.language)
    except CenterClosed as closed:
        return End(text=closed.short_message)
    except QueueError as error:
        return End(text=error.message)
    position = center_selectors.ticket_position(ticket=ticket)
    return End(text=_("Your ticket: %(number)s. %(ahead)s before you, about %(minutes)s min. "
                      "An SMS tells you when your turn is near.") % {
        "number": ltr(localize_digits(ticket.display_number, caller.language), caller.language),
        "ahead": _n(position.people_ahead, caller), "minutes": _n(position.estimated_wait_minutes, caller)})


# --- 4: my appointment -------------------------------------------------------------------------------

@dataclass(frozen=True)
class MyAppointment(Screen):
    def start(self, caller: Caller, *, last: bool) -> Screen:
        appointment = center_selectors.appointment_next_for_phone(phone=caller.phone)
        if appointment is None:
            return End(text=_("You have no appointment."))
        starts_at = timezone.localtime(appointment.slot.starts_at)
        return End(text=_("%(center)s, %(date)s %(time)s. Code %(code)s.") % {
            "center": appointment.center.name, "date": format_date(starts_at, language=caller.language),
            "time": format_time(starts_at, caller.language), "code": ltr(appointment.code, caller.language)})


# --- 5: rate a service -------------------------------------------------------------------------------

@dataclass(frozen=True)
class RateService(Screen):
    ticket_id: int = 0

    def start(self, caller: Caller, *, last: bool) -> Screen:
        ticket = _ticket_to_rate(caller)
        if ticket is None:
            return End(text=_("No service of the last days is waiting for your rating."))
        return replace(self, ticket_id=ticket.pk)

    def _ticket(self, caller: Caller) -> Any:
        ticket = _ticket_to_rate(caller)
        return ticket if ticket is not None and ticket.pk == self.ticket_id else None

    def render(self, caller: Caller) -> UssdReply:
        ticket = self._ticket(caller)
        if ticket is None:
            return UssdReply(_("This service was rated already. Thank you."), end=True)
        title = _("Rate %(service)s, %(date)s: 1 (bad) to 5 (very good)") % {
            "service": _label(ticket.service.name), "date": format_date(ticket.day, language=caller.language)}
        return UssdReply(_fit(self.wrong() or title), end=False)

    def choose(self, caller: Caller, choice: str, *, last: bool) -> Screen:
        score = parse_int_or_none(choice, minimum=1, maximum=5)
        if score is None:
            return replace(self, error=True)
        if score <= 2:
            return RateReason(ticket_id=self.ticket_id, score=score)
        return _rate(caller, self.ticket_id, score, "", last=last)


def _reason_labels() -> list[tuple[str, str]]:
    # Shorter than the web form's: a USSD page holds 80 Dari or Pashto characters.
    return [("long_wait", _("Long wait")), ("rude", _("Impolite staff")), ("not_solved", _("Not resolved")),
            ("unclear", _("Not explained")), ("asked_money", _("Asked for money")), ("other", _("Other"))]


@dataclass(frozen=True)
class RateReason(Screen):
    ticket_id: int = 0
    score: int = 0

    def render(self, caller: Caller) -> UssdReply:
        return UssdReply(_fit(_menu(caller, _("What went wrong?"), [label for _code, label in _reason_labels()],
                                    error_note=self.wrong())), end=False)

    def choose(self, caller: Caller, choice: str, *, last: bool) -> Screen:
        reasons = _reason_labels()
        picked = parse_int_or_none(choice, minimum=1, maximum=len(reasons))
        if picked is None:
            return replace(self, error=True)
        return _rate(caller, self.ticket_id, self.score, reasons[picked - 1][0], last=last)


def _rate(caller: Caller, ticket_id: int, score: int, reason: str, *, last: bool) -> Screen:
    ticket = _ticket_to_rate(caller)
    if not last or ticket is None or ticket.pk != ticket_id:
        return End(text=_("Thank you for your rating."))
    try:
        rating_submit(ticket=ticket, score=score, reason=reason, channel="ussd")
    except RatingError as error:
        return End(text=error.message)
    return End(text=_("Thank you for your rating."))


# --- 6: complain -------------------------------------------------------------------------------------

def _category_labels() -> list[tuple[str, str]]:
    # Shorter than the web form's: a USSD page holds 80 Dari or Pashto characters.
    short = {"delay": pgettext("ussd", "Too slow"), "conduct": pgettext("ussd", "Rude or unfair"),
             "payment": pgettext("ussd", "Asked for money"), "decision": pgettext("ussd", "Wrong decision"),
             "information": pgettext("ussd", "Wrong information"), "facilities": pgettext("ussd", "The place"),
             "other": pgettext("ussd", "Other")}
    return [(value, short.get(value, str(label))) for value, label in complaint_selectors.complaint_categories()]


def _too_many_complaints() -> End:
    return End(text=_("Too many complaints from this phone today. Try again tomorrow."))


@dataclass(frozen=True)
class Complain(Screen):
    """What the complaint is about; then the one it is about, a category, a text, yes or no."""

    def start(self, caller: Caller, *, last: bool) -> Screen:
        if complaints_throttle().is_exceeded(caller.phone):  # said before they type a word
            return _too_many_complaints()
        return self

    def options(self) -> list[tuple[str, str]]:
        return [("service", pgettext("ussd", "A service")), ("center", pgettext("ussd", "A center")),
                ("application", pgettext("ussd", "My application")), ("staff", pgettext("ussd", "Staff conduct"))]

    def render(self, caller: Caller) -> UssdReply:
        return UssdReply(_fit(_menu(caller, _("Complain about:"), [label for _about, label in self.options()],
                                    error_note=self.wrong())), end=False)

    def choose(self, caller: Caller, choice: str, *, last: bool) -> Screen:
        options = self.options()
        picked = parse_int_or_none(choice, minimum=1, maximum=len(options))
        if picked is None:
            return replace(self, error=True)
        about = options[picked - 1][0]
        if about == "service":
            return ComplainAgencies()
        if about == "application":
            return ComplainApplications()
        return ComplainCenters(about=about)


@dataclass(frozen=True)
class ComplainAgencies(Pages):
    def _agencies(self, caller: Caller) -> list[Any]:
        return caller.once("agencies", lambda: [agency for agency in catalog_selectors.agency_list()
                                                if getattr(agency, "service_count", 0)])

    def title(self, caller: Caller) -> str:
        return _("Which agency?")

    def items(self, caller: Caller) -> list[str]:
        return [agency.name for agency in self._agencies(caller)]

    def picked(self, caller: Caller, index: int, *, last: bool) -> Screen:
        return ComplainServices(agency_id=self._agencies(caller)[index].pk)


@dataclass(frozen=True)
class ComplainServices(Pages):
    agency_id: int = 0

    def _services(self, caller: Caller) -> list[Any]:
        agency = next((a for a in ComplainAgencies()._agencies(caller) if a.pk == self.agency_id), None)
        if agency is None:
            return []
        return caller.once(f"agency-services:{agency.pk}", lambda: list(catalog_selectors.service_list(agency=agency)))

    def title(self, caller: Caller) -> str:
        return _("Which service?")

    def items(self, caller: Caller) -> list[str]:
        return [service.current_version.name for service in self._services(caller)]

    def picked(self, caller: Caller, index: int, *, last: bool) -> Screen:
        return ComplainCategory(about="service", target_id=self._services(caller)[index].pk)


@dataclass(frozen=True)
class ComplainCenters(Pages):
    about: str = "center"

    def _centers(self, caller: Caller) -> list[Any]:
        return caller.once("centers", lambda: list(center_selectors.center_list()))

    def title(self, caller: Caller) -> str:
        return _("Which center?") if self.about == "center" else _("At which center?")

    def items(self, caller: Caller) -> list[str]:
        return [center.name for center in self._centers(caller)]

    def picked(self, caller: Caller, index: int, *, last: bool) -> Screen:
        center_id = self._centers(caller)[index].pk
        if self.about == "staff":  # the category says it all: how someone was treated
            return ComplainText(about=self.about, target_id=center_id, category="conduct")
        return ComplainCategory(about=self.about, target_id=center_id)


@dataclass(frozen=True)
class ComplainApplications(MyApplications):
    def picked(self, caller: Caller, index: int, *, last: bool) -> Screen:
        return ComplainCategory(about="application", target_id=self._files(caller)[index].pk)


@dataclass(frozen=True)
class ComplaintDraft(Screen):
    """A complaint being made: what about (`about`, the chosen one's id), category, text."""

    about: str = ""
    target_id: int = 0
    category: str = ""
    text: str = ""

    def subject(self, caller: Caller) -> dict[str, Any] | None:
        """complaint_file's arguments for what was chosen, and its name for the screens; None
        when it is no longer there (a center closed meanwhile)."""
        if self.about == "service":
            for agency in ComplainAgencies()._agencies(caller):
                found = next((service for service in ComplainServices(agency_id=agency.pk)._services(caller)
                              if service.pk == self.target_id), None)
                if found is not None:
                    return {"service": found, "label": found.current_version.name}
            return None
        if self.about == "application":
            application = next((a for a in ComplainApplications()._files(caller) if a.pk == self.target_id), None)
            if application is None:
                return None
            return {"application": application, "service": application.service_version.service,
                    "label": ltr(application.reference or "", caller.language)}
        center = next((c for c in ComplainCenters()._centers(caller) if c.pk == self.target_id), None)
        if center is None:
            return None
        return {"center": center, "label": center.name}


@dataclass(frozen=True)
class ComplainCategory(ComplaintDraft, Pages):
    def title(self, caller: Caller) -> str:
        return _("What went wrong?")

    def items(self, caller: Caller) -> list[str]:
        return [label for _value, label in _category_labels()]

    def picked(self, caller: Caller, index: int, *, last: bool) -> Screen:
        return ComplainText(about=self.about, target_id=self.target_id, category=_category_labels()[index][0])


@dataclass(frozen=True)
class ComplainText(ComplaintDraft):
    problem: str = ""

    def render(self, caller: Caller) -> UssdReply:
        notes = {"short": _("Too short. Write a few words:"),
                 "long": _("Too long. At most %(count)s characters:") % {"count": _n(USSD_TEXT_MAX, caller)}}
        title = _("Write what happened (at most %(count)s characters):") % {"count": _n(USSD_TEXT_MAX, caller)}
        return UssdReply(_fit(notes.get(self.problem, title)), end=False)

    def choose(self, caller: Caller, choice: str, *, last: bool) -> Screen:
        text = " ".join(choice.split())
        if len(text) < USSD_TEXT_MIN:
            return replace(self, problem="short")
        if len(text) > USSD_TEXT_MAX:
            return replace(self, problem="long")
        return ComplainConfirm(about=self.about, target_id=self.target_id, category=self.category, text=text)


@dataclass(frozen=True)
class ComplainConfirm(ComplaintDraft):
    def render(self, caller: Caller) -> UssdReply:
        subject = self.subject(caller)
        if subject is None:
            return UssdReply(_("This is no longer offered. No complaint was filed."), end=True)
        label = subject["label"] if self.about == "application" else _label(subject["label"])
        title = (_("Complain about staff at %(what)s?") if self.about == "staff"
                 else _("Send your complaint about %(what)s?")) % {"what": label}
        return UssdReply(_fit(_menu(caller, title, [_("Yes"), _("No")], error_note=self.wrong())), end=False)

    def choose(self, caller: Caller, choice: str, *, last: bool) -> Screen:
        if choice == "2":
            return End(text=_("No complaint was filed."))
        if choice != "1":
            return replace(self, error=True)
        subject = self.subject(caller)
        if subject is None:
            return End(text=_("This is no longer offered. No complaint was filed."))
        return _file_complaint(caller, self, subject)


def _file_complaint(caller: Caller, draft: ComplaintDraft, subject: dict[str, Any]) -> Screen:
    try:
        guard((complaints_throttle(), caller.phone))
    except Throttled:
        return _too_many_complaints()
    try:
        # The session as the key: a request the aggregator sends again files nothing more.
        complaint = complaint_file(
            # Staff are not named on a phone: the centre where it happened answers (its manager).
            about=draft.about, category=draft.category, description=draft.text, phone=caller.phone,
            channel="ussd", language=caller.language, service=subject.get("service"),
            center=subject.get("center"), application=subject.get("application"),
            idempotency_key=complaint_key("ussd", caller.session_id))
    except ComplaintError as error:
        return End(text=str(error.message))
    return End(text=_("Complaint %(reference)s received. The answer is due by %(date)s and comes by SMS.") % {
        "reference": ltr(complaint.reference, caller.language),
        "date": format_date(complaint.due_date, language=caller.language)})


# --- the dialogue --------------------------------------------------------------------------------

def _choices(text: str) -> list[str]:
    # Control characters (NUL among them, which PostgreSQL refuses) are no part of any choice.
    return [plain_text(western_digits(part)) for part in (text or "").split("*")] if text else []


def _inputs(text: str, session: UssdSession | None) -> list[str]:
    """What the caller typed at each request, whole. The session knows the earlier ones: what
    this request's text adds after the last request's is one input, "*" or not. Without a
    session (the first request, or one whose text does not continue the last), each part
    between "*" counts as an input."""
    if session is not None and session.inputs and text.startswith(session.last_text + "*") \
            and "*".join(session.inputs) == session.last_text:
        return [*session.inputs, text[len(session.last_text) + 1:]]
    return text.split("*") if text else []


def _walk(caller: Caller, inputs: list[str]) -> Screen:
    """The screen reached by `inputs` from the first menu. An input made of several choices
    ("2*3", a shortcut) is taken choice by choice, except by a screen that asks for words,
    which takes it whole."""
    screen: Screen = LanguageMenu()
    for index, typed in enumerate(inputs):
        last_input = index == len(inputs) - 1
        words = isinstance(screen, ComplainText)
        pieces = [plain_text(western_digits(typed))] if words else _choices(typed) or [""]
        for position, choice in enumerate(pieces):
            screen = screen.choose(caller, choice, last=last_input and position == len(pieces) - 1)
            if isinstance(screen, End):
                return screen
    return screen


def ussd_reply(*, session_id: str, service_code: str, phone_number: str, text: str,
               now: datetime.datetime | None = None) -> UssdReply:
    """The next screen of a USSD dialogue (see the module's docstring)."""
    now = now or timezone.now()
    text = (text or "").replace("\x00", "")  # kept as the last request's text: PostgreSQL refuses a NUL
    try:
        phone = normalize_mobile_number(phone_number)
    except ValidationError:
        return UssdReply("This service needs an Afghan mobile number. / این خدمت به شمارهٔ موبایل افغانستان نیاز دارد.",
                         end=True)
    session_id = (session_id or "").replace("\x00", "")[:100]
    service_code = (service_code or "").replace("\x00", "")
    session = UssdSession.objects.filter(session_id=session_id).first()
    inputs = _inputs(text, session)[:30]  # nobody makes thirty choices; a longer text is noise
    first = _choices(inputs[0]) if inputs else []
    language = language_of(first[0]) if first else None
    if session is not None and session.phone == phone and session.last_text == (text or "") and session.last_reply:
        # The aggregator sent the same request again (a time-out on its side): same answer.
        return UssdReply(session.last_reply, end=session.ended)
    idle = datetime.timedelta(seconds=settings.USSD_SESSION_IDLE_SECONDS)
    if session is not None and (session.phone != phone or session.ended or session.last_seen_at < now - idle):
        UssdSession.objects.filter(pk=session.pk).update(ended=True)
        with translation.override(session.language or "fa"):
            return UssdReply(_("Your session has ended. Please dial %(code)s again.") % {
                "code": settings.USSD_SERVICE_CODE}, end=True)
    caller = Caller(phone=phone, session_id=session_id, language=language or "en")
    # One transaction: what a screen does (a ticket, a rating, an SMS in the outbox) and the
    # answer remembered for a retried request commit together.
    with transaction.atomic(), translation.override(caller.language):
        screen = _walk(caller, inputs)
        reply = screen.render(caller)
        remembered = {"last_seen_at": now, "ended": reply.end, "last_text": (text or "")[:300],
                      "last_reply": reply.text, "inputs": inputs}
        if session is None:
            # A new dialogue: one insert, no savepoint (the same session id arriving twice
            # at the same instant keeps the first one's row).
            UssdSession.objects.bulk_create([UssdSession(
                session_id=session_id, phone=phone, service_code=service_code[:20], started_at=now,
                language=language or "", **remembered)], ignore_conflicts=True)
        else:
            UssdSession.objects.filter(pk=session.pk).update(language=language or session.language, **remembered)
    return reply
