"""Routes of the complaints app: the public and complainant's pages, and the staff's under /office/."""

from django.urls import path

from . import views_public, views_staff

app_name = "complaints"
urlpatterns = [
    path("complaints/", views_public.mine, name="mine"),
    path("complaints/new/", views_public.new, name="new"),
    path("complaints/find/", views_public.find, name="find"),
    path("complaints/<uuid:public_id>/", views_public.detail, name="detail"),
    path("complaints/<uuid:public_id>/act/", views_public.act, name="act"),
    path("complaints/<uuid:public_id>/rate/", views_public.rate, name="rate"),
    path("office/complaints/", views_staff.inbox, name="staff_inbox"),
    path("office/complaints/<uuid:public_id>/", views_staff.detail, name="staff_detail"),
    path("office/complaints/<uuid:public_id>/act/", views_staff.act, name="staff_act"),
    path("office/complaints/<uuid:public_id>/attachments/<uuid:attachment_id>/", views_staff.attachment,
         name="staff_attachment"),
]
