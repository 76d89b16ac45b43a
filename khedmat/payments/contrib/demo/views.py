"""The demonstration provider's page: type (or follow a link with) a reference, press Pay."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from khedmat.payments import selectors
from khedmat.payments.references import normalize_reference
from khedmat.payments.services import PaymentError, PaymentNotice, payment_notice_receive

from .provider import provider


class DemoPayForm(forms.Form):
    reference = forms.CharField(label=gettext_lazy("Payment reference"), max_length=60)
    # One per page shown: pressing Pay twice records one payment.
    transaction = forms.UUIDField(widget=forms.HiddenInput, required=False)


@never_cache
@require_http_methods(["GET", "POST"])
def demo_pay(request: HttpRequest) -> HttpResponse:
    if not provider.is_enabled():
        raise Http404
    data = request.POST if request.method == "POST" else request.GET
    form = DemoPayForm(data if "reference" in data else None, initial={"transaction": uuid.uuid4()})
    found = None
    if form.is_bound and form.is_valid():
        found = selectors.order_by_reference(reference=normalize_reference(form.cleaned_data["reference"]))
        if found is None:
            form.add_error("reference", _("No payment order has this reference."))
        elif request.method == "POST" and form.cleaned_data["transaction"]:
            notice = PaymentNotice(plugin=provider.name, provider=provider.name, reference=found.reference,
                                   transaction_id=f"demo-{form.cleaned_data['transaction']}",
                                   amount=found.amount, status="paid")
            try:
                payment_notice_receive(notice=notice, request=request)
            except PaymentError as refusal:
                form.add_error(None, refusal.message)
            else:
                messages.success(request, _("Paid. The application moves on."))
                if request.user.is_authenticated and found.application.applicant_id == request.user.pk:
                    return redirect(found.get_absolute_url())
                return redirect(f"{request.path}?reference={found.reference}")
    return render(request, "payments/demo_pay.html", {
        "form": form, "order": found, "transaction": uuid.uuid4(),
    })
