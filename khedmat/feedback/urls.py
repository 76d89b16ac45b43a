"""Routes of the feedback app: rating a finished service."""

from django.urls import URLPattern

app_name = "feedback"
urlpatterns: list[URLPattern] = []
