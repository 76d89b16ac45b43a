"""The hall's public pages: kiosk, tickets, joining the queue, appointments and the display board."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
