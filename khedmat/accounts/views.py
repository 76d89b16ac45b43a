"""Placeholder views, replaced by the sign-in flows."""

from django.http import HttpRequest, HttpResponse


def login(request: HttpRequest) -> HttpResponse:
    return HttpResponse("sign in")


def profile(request: HttpRequest) -> HttpResponse:
    return HttpResponse("profile")


def staff_second_factor(request: HttpRequest) -> HttpResponse:
    return HttpResponse("second factor")
