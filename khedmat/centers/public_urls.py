"""The hall's public pages: kiosk, tickets, joining the queue, appointments, the display board, and
the page where a screen of the hall is paired; a signed-in citizen's own appointments."""

from django.urls import path

from . import views_citizen, views_hall
from . import views_public as views

urlpatterns = [
    path("centers/<slug:slug>/kiosk/", views.kiosk, name="kiosk"),
    path("centers/<slug:slug>/kiosk/check-in/", views.kiosk_check_in, name="kiosk_check_in"),
    path("centers/<slug:slug>/join/", views.join, name="join"),
    path("devices/pair/", views.device_pair_view, name="device_pair"),
    path("centers/<slug:slug>/board/", views.board, name="board"),
    path("centers/<slug:slug>/board/feed/", views.board_feed, name="board_feed"),
    path("centers/<slug:slug>/board/calls/<str:number>/<int:counter>.wav", views_hall.board_call_audio,
         name="board_call_audio"),
    path("tickets/<uuid:public_id>/", views.ticket, name="ticket"),
    path("tickets/<uuid:public_id>/print/", views_hall.ticket_print, name="ticket_print"),
    path("appointments/", views.appointment_start, name="appointment_start"),
    path("appointments/find/", views.appointment_find, name="appointment_find"),
    path("appointments/mine/", views_citizen.my_appointments, name="my_appointments"),
    path("appointments/mine/<uuid:public_id>/cancel/", views_citizen.my_appointment_cancel,
         name="my_appointment_cancel"),
    path("appointments/book/<int:schedule_id>/", views.appointment_new, name="appointment_new"),
    path("appointments/<uuid:public_id>/", views.appointment, name="appointment"),
    path("appointments/<uuid:public_id>/move/", views.appointment_move_view, name="appointment_move"),
    path("appointments/<uuid:public_id>/cancel/", views.appointment_cancel_view, name="appointment_cancel"),
]
