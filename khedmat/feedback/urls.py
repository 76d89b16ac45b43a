"""Routes of the feedback app: rating a finished service through the ticket's link, and the
rating tablet facing the citizen at a counter (a paired device of the center, no staff page:
khedmat.centers.devices)."""

from django.urls import path

from . import views, views_manager

app_name = "feedback"
urlpatterns = [
    path("tickets/<uuid:public_id>/rate/", views.rate, name="rate_link"),
    path("tickets/<uuid:public_id>/rate/thanks/", views.thanks, name="rate_thanks"),
    path("devices/tablet/", views.counter_rate, name="counter_rate"),
    path("center/ratings/", views_manager.low_ratings, name="low_ratings"),
    path("center/ratings/<int:rating_id>/follow-up/", views_manager.follow_up, name="follow_up"),
]
