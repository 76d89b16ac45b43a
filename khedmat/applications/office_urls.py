"""The agency back office: inbox and file pages (under /<lang>/office/)."""

from django.urls import path

from . import views_office

urlpatterns: list = [
    path("office/", views_office.inbox, name="office_inbox"),
    path("office/assign/", views_office.assign_bulk, name="office_assign_bulk"),
    path("office/workload/", views_office.workload, name="office_workload"),
    path("office/applications/<uuid:public_id>/", views_office.file, name="office_file"),
    path("office/applications/<uuid:public_id>/act/", views_office.act, name="office_act"),
    path("office/applications/<uuid:public_id>/correction/", views_office.send_for_correction,
         name="office_correction"),
    path("office/applications/<uuid:public_id>/claim/", views_office.claim, name="office_claim"),
    path("office/applications/<uuid:public_id>/release/", views_office.release, name="office_release"),
    path("office/applications/<uuid:public_id>/assign/", views_office.assign, name="office_assign"),
    path("office/applications/<uuid:public_id>/notes/", views_office.note_create, name="office_note_add"),
    path("office/applications/<uuid:public_id>/messages/", views_office.message_send, name="office_message_send"),
]
