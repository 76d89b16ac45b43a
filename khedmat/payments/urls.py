"""Payment pages for people, under /<lang>/."""

from django.urls import path

from . import views
from .contrib.demo import views as demo_views

app_name = "payments"

urlpatterns = [
    path("payments/<uuid:public_id>/", views.order, name="order"),
    path("payments/<uuid:public_id>/receipt.pdf", views.receipt, name="receipt"),
    path("payments/demo/", demo_views.demo_pay, name="demo_pay"),
    path("payments/refunds/<uuid:public_id>/receipt.pdf", views.refund_receipt, name="refund_receipt"),
    path("office/payments/", views.reconciliation, name="reconciliation"),
    path("office/payments/reconciliation.csv", views.reconciliation_csv, name="reconciliation_csv"),
    path("office/payments/refunds/<uuid:public_id>/", views.refund, name="refund"),
    path("office/payments/refunds/<uuid:public_id>/pay-out/", views.refund_pay_out, name="refund_pay_out"),
    path("office/payments/refunds/<uuid:public_id>/cancel/", views.refund_cancel, name="refund_cancel"),
]
