"""The staff's pages at a center (under /<lang>/center/): the counter screen, the center
manager's dashboard and the hall's paired screens (kiosks, rating tablets). The rating
tablet's own page is the feedback app's, and is no staff page: a paired device runs it."""

from django.urls import URLPattern, path

from . import views_staff

urlpatterns: list[URLPattern] = [
    path("center/counter/", views_staff.counter, name="counter"),
    path("center/counter/open/", views_staff.counter_open, name="counter_open"),
    path("center/counter/state/", views_staff.counter_state, name="counter_state"),
    path("center/counter/call/", views_staff.counter_call, name="counter_call"),
    path("center/counter/tickets/<uuid:public_id>/", views_staff.counter_ticket, name="counter_ticket"),
    path("center/counter/tickets/<uuid:public_id>/transfer/", views_staff.counter_transfer, name="counter_transfer"),
    path("center/dashboard/", views_staff.dashboard, name="dashboard"),
    path("center/devices/", views_staff.devices, name="devices"),
    path("center/devices/add/", views_staff.device_add, name="device_add"),
    path("center/devices/<uuid:public_id>/code/", views_staff.device_code, name="device_code"),
    path("center/devices/<uuid:public_id>/revoke/", views_staff.device_revoke, name="device_revoke"),
    path("center/dashboard/csv/", views_staff.dashboard_csv, name="dashboard_csv"),
]
