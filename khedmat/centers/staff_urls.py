"""The staff's pages at a center (under /<lang>/center/): the counter screen and the dashboard."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
