"""The citizen's side: apply, drafts, my applications, answering requests, status check."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
