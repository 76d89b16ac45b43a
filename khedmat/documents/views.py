"""The verify page, the JWK set, the PDF download and the agency's revoke button."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language_from_request
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from khedmat.accounts.gates import signed_in_user
from khedmat.applications.access import agency_staff_required
from khedmat.applications.forms import partial_form
from khedmat.core.formatting import current_language

from . import keystore, selectors, services
from .models import IssuedDocument
from .presenters import verification_view


@never_cache
@require_GET
def verify(request: HttpRequest) -> HttpResponse:
    """Scan (a phone camera opens the URL in the QR code) or paste a code: the verdict, and
    what the document states. Checked online: a revocation shows at once."""
    text = request.GET.get("p", "").strip()
    context: dict[str, object] = {"code": text}
    if text:
        context["outcome"] = verification_view(selectors.document_verify(text))
    return render(request, "documents/verify.html", context)


@require_GET
def verify_redirect(request: HttpRequest) -> HttpResponse:
    """/verify/?p=… (the address in every QR code) → the verify page in the reader's language."""
    language = get_language_from_request(request, check_path=False)
    query = request.META.get("QUERY_STRING", "")
    with translation.override(language):
        target = reverse("documents:verify")
    return HttpResponseRedirect(f"{target}?{query}" if query else target)


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    """The public keys that verify documents (RFC 7517 JWK set; OKP, Ed25519)."""
    response = JsonResponse(keystore.jwks())
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def document_pdf(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The document as a PDF, for its holder and the issuing agency's staff; 404 for anyone
    else. Every download is written to the audit trail."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("accounts:login"))
    document = selectors.document_for_viewer(user=request.user, public_id=public_id)
    if document is None:
        raise Http404
    services.document_download_record(document=document, actor=signed_in_user(request), request=request)
    response = HttpResponse(selectors.document_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.number}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@agency_staff_required
def revoke(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The issuing agency withdraws a document, with a reason."""
    user = signed_in_user(request)
    document = get_object_or_404(IssuedDocument.objects.select_related("application"), public_id=public_id,
                                 agency_id=user.agency_id)
    try:
        services.document_revoke(document=document, actor=user, reason=request.POST.get("reason", ""),
                                 request=request)
    except services.DocumentError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _revoked_message(document))
    return redirect(reverse("applications:office_file", kwargs={"public_id": document.application.public_id})
                    + "#issued-document")


@require_POST
@agency_staff_required
def reissue(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The issuing role issues a corrected document in place of this one (revoked, with a reason)."""
    user = signed_in_user(request)
    document = get_object_or_404(IssuedDocument.objects.select_related("application__service_version"),
                                 public_id=public_id, agency_id=user.agency_id)
    application = document.application
    block = services.document_definition(application) or {}
    printed = [block.get("holder_field", ""), *[entry["field"] for entry in block.get("fields", [])]]
    form = partial_form(application.service_version.definition, printed, language=current_language(),
                        post=request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the corrected answers: %(problems)s") % {
            "problems": "; ".join(f"{bound.label}: {message}" if bound is not None else message
                                  for bound, message in form.error_list())})
    else:
        try:
            new = services.document_reissue(document=document, actor=user, reason=request.POST.get("reason", ""),
                                            corrections=form.cleaned_data, request=request)
        except services.DocumentError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, _("Document %(new)s is issued in place of %(old)s, which is revoked.") % {
                "new": new.number, "old": document.number})
    return redirect(reverse("applications:office_file", kwargs={"public_id": application.public_id})
                    + "#issued-document")


def _revoked_message(document: IssuedDocument) -> str:
    return _("Document %(number)s is revoked. Anyone who checks it is told so from now on.") % {
        "number": document.number}
