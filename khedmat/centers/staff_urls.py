"""The staff's pages at a center (under /<lang>/center/): the counter screen and the center
manager's dashboard. The counter's rating tablet, /<lang>/center/counter/rate/, is the
feedback app's (khedmat/feedback/urls.py)."""

from django.urls import URLPattern, path

from . import views_staff

urlpatterns: list[URLPattern] = [
    path("center/counter/", views_staff.counter, name="counter"),
    path("center/counter/open/", views_staff.counter_open, name="counter_open"),
    path("center/counter/state/", views_staff.counter_state, name="counter_state"),
    path("center/counter/call/", views_staff.counter_call, name="counter_call"),
    path("center/counter/tickets/<uuid:public_id>/", views_staff.counter_ticket, name="counter_ticket"),
    path("center/dashboard/", views_staff.dashboard, name="dashboard"),
    path("center/dashboard/csv/", views_staff.dashboard_csv, name="dashboard_csv"),
]
