"""A complaint filed for someone at a centre, by its operator (under /<lang>/center/complaints/)."""

from django.urls import path

from . import views_assisted

app_name = "complaints_assisted"
urlpatterns = [
    path("center/complaints/new/", views_assisted.start, name="start"),
    path("center/complaints/<str:token>/consent/", views_assisted.consent, name="consent"),
    path("center/complaints/<str:token>/consent/code/", views_assisted.code_send, name="code_send"),
    path("center/complaints/<str:token>/consent/file/", views_assisted.file_with_code, name="file"),
    path("center/complaints/filed/<uuid:public_id>/", views_assisted.done, name="done"),
]
