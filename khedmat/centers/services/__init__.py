"""Writes on centers, one module per concern; import from here.

centers: setting a center up: hours, the services it offers, counters, queue groups, appointment hours
queue: the electronic queue: issuing tickets, opening counters, calling, finishing and transferring
appointments: booking, moving and cancelling a slot, checking in at the kiosk, lapses and reminders

The hall's paired screens (kiosks, rating tablets) are `khedmat.centers.devices`.
"""

from .appointments import (
    AppointmentError,
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_manage_path,
    appointment_move,
    appointments_lapse,
    appointments_remind,
    unusable_code_message,
)
from .centers import (
    appointment_schedule_upsert,
    center_offer_services,
    center_set_hours,
    center_upsert,
    check_hours,
    counter_upsert,
    queue_group_set_pictogram,
    queue_group_upsert,
)
from .queue import (
    CenterClosed,
    QueueError,
    counter_close,
    counter_open,
    counter_pause,
    counter_resume,
    next_ticket_for,
    normalize_ticket_phone,
    ticket_call_next,
    ticket_finish,
    ticket_finish_at_own_counter,
    ticket_issue,
    ticket_join,
    ticket_no_show,
    ticket_recall,
    ticket_start,
    ticket_transfer,
)

__all__ = [
    "AppointmentError",
    "CenterClosed",
    "QueueError",
    "appointment_book",
    "appointment_cancel",
    "appointment_check_in",
    "appointment_manage_path",
    "appointment_move",
    "appointment_schedule_upsert",
    "appointments_lapse",
    "appointments_remind",
    "center_offer_services",
    "center_set_hours",
    "center_upsert",
    "check_hours",
    "counter_close",
    "counter_open",
    "counter_pause",
    "counter_resume",
    "counter_upsert",
    "next_ticket_for",
    "normalize_ticket_phone",
    "queue_group_set_pictogram",
    "queue_group_upsert",
    "ticket_call_next",
    "ticket_finish",
    "ticket_finish_at_own_counter",
    "ticket_issue",
    "ticket_join",
    "ticket_no_show",
    "ticket_recall",
    "ticket_start",
    "ticket_transfer",
    "unusable_code_message",
]
