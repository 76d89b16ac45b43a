"""Outside the language prefixes: the checkpoints feed that monitors and verifiers read."""

from django.urls import path

from . import views

urlpatterns = [
    path("audit/checkpoints.json", views.feed, name="audit_feed"),
]
