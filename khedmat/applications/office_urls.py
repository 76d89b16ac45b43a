"""The agency back office: inbox and file pages (under /<lang>/office/)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
