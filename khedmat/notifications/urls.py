"""Routes called by gateways and aggregators (outside the language prefixes)."""

from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("sms/receipts/<slug:gateway>/", views.receipt, name="receipt"),
    path("sms/inbound/<slug:gateway>/", views.inbound, name="inbound"),
    path("ussd/", views.ussd, name="ussd"),
]
