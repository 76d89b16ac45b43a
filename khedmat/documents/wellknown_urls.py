"""Addresses outside the language prefixes: the JWK set, and /verify/ as QR codes print it."""

from django.urls import path

from . import views

urlpatterns = [
    path(".well-known/jwks.json", views.jwks, name="documents_jwks"),
    path("verify/", views.verify_redirect, name="documents_verify_redirect"),
]
