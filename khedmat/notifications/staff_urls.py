"""Staff pages of notifications (under the language prefix)."""

from django.urls import path

from . import views

app_name = "notifications_staff"

urlpatterns = [
    path("staff/phone/", views.simulator, name="simulator"),
]
