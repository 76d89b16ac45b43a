"""Payment pages for people, under /<lang>/."""

from django.urls import path

from . import views
from .contrib.demo import views as demo_views

app_name = "payments"

urlpatterns = [
    path("payments/<uuid:public_id>/", views.order, name="order"),
    path("payments/<uuid:public_id>/receipt.pdf", views.receipt, name="receipt"),
    path("payments/demo/", demo_views.demo_pay, name="demo_pay"),
    path("office/payments/", views.reconciliation, name="reconciliation"),
]
