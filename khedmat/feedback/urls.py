"""Routes of the feedback app: rating a finished service through the ticket's link."""

from django.urls import path

from . import views

app_name = "feedback"
urlpatterns = [
    path("tickets/<uuid:public_id>/rate/", views.rate, name="rate_link"),
    path("tickets/<uuid:public_id>/rate/thanks/", views.thanks, name="rate_thanks"),
]
