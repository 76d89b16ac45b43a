"""Routes of the feedback app: rating a finished service through the ticket's link, and the
counter's rating tablet (a staff page at a center, beside centers' own)."""

from django.urls import path

from . import views

app_name = "feedback"
# Staff pages, checked with the centers' staff pages by their permission matrix.
staff_urlpatterns = [
    path("center/counter/rate/", views.counter_rate, name="counter_rate"),
]
urlpatterns = [
    path("tickets/<uuid:public_id>/rate/", views.rate, name="rate_link"),
    path("tickets/<uuid:public_id>/rate/thanks/", views.thanks, name="rate_thanks"),
    *staff_urlpatterns,
]
