"""The payment receipt and the refund receipt as PDFs, in English, Dari and Pashto, one block each.

It prints the official fee schedule line the order applied and its amount beside what was
paid, so that any extra charge asked at a counter is visible. Dari and Pashto are shaped
right to left by HarfBuzz (fpdf2's text shaping) in Noto Sans Arabic; English in Noto Sans
(khedmat.core.pdf).
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _
from fpdf import FPDF

from khedmat.core.formatting import format_amount, format_date
from khedmat.core.pdf import add_platform_fonts, map_unmapped_glyphs

from .models import Payment, PaymentOrder, Refund


def _new_pdf(title: str = "Payment receipt") -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    add_platform_fonts(pdf, bold=True)
    pdf.set_title(title)
    pdf.set_creator("Asan Khedmat")
    return pdf


def receipt_pdf(*, order: PaymentOrder, payment: Payment, applicant_name: str, service_name: dict[str, str],
                application_reference: str) -> bytes:
    """The receipt of `payment` on `order`, as PDF bytes."""
    pdf = _new_pdf()
    pdf.add_page()
    line = order.fee_line or {}
    for index, language in enumerate(("en", "fa", "ps")):
        rtl = language != "en"
        with translation.override(language):
            rows = [
                (_("Payment reference"), order.reference),
                (_("Application"), application_reference),
                (_("Service"), service_name.get(language) or service_name.get("en", "")),
                (_("Applicant"), applicant_name),
                (_("Official fee schedule line"), (line.get("label") or {}).get(language, "")),
                (_("Official fee"), format_amount(int(line.get("schedule_amount", order.amount)), language)),
            ]
            if line.get("exemption"):
                rows.append((_("Exemption"), (line.get("exemption_label") or {}).get(language, "")))
            rows += [
                (_("Amount paid"), format_amount(payment.amount, language)),
                (_("Paid on"), format_date(payment.received_at, with_gregorian=True, language=language)),
                (_("Paid through"), f"{payment.provider} · {payment.provider_transaction_id}"),
            ]
            title = _("Payment receipt")
            warning = _("This is the official fee. Nobody may ask you for more, or for cash at a counter.")
        _separate(pdf, index)
        _block(pdf, title=title, rows=rows, warning=warning, rtl=rtl)
    map_unmapped_glyphs(pdf)
    return bytes(pdf.output())


def refund_receipt_pdf(*, refund: Refund, applicant_name: str, service_name: dict[str, str],
                       application_reference: str) -> bytes:
    """The receipt of a refund paid back, as PDF bytes: what was paid, why it was owed back,
    and the transaction that carried it back."""
    pdf = _new_pdf("Refund receipt")
    pdf.add_page()
    payment, order = refund.payment, refund.order
    for index, language in enumerate(("en", "fa", "ps")):
        with translation.override(language):
            rows = [
                (_("Refund reference"), refund.reference),
                (_("Payment reference"), order.reference),
                (_("Application"), application_reference),
                (_("Service"), service_name.get(language) or service_name.get("en", "")),
                (_("Applicant"), applicant_name),
                (_("Amount paid"), format_amount(payment.amount, language)),
                (_("Paid on"), format_date(payment.received_at, with_gregorian=True, language=language)),
                (_("Paid through"), f"{payment.provider} · {payment.provider_transaction_id}"),
                (_("Why it is paid back"), str(refund.get_reason_display())),
                (_("Amount paid back"), format_amount(refund.amount, language)),
                (_("Paid back on"), format_date(refund.settled_at, with_gregorian=True, language=language)),
                (_("Paid back through"), f"{refund.payout_provider} · {refund.payout_transaction_id}"),
            ]
            title = _("Refund receipt")
            warning = _("The whole amount is paid back to you. Nobody may keep any part of it.")
        _separate(pdf, index)
        _block(pdf, title=title, rows=rows, warning=warning, rtl=language != "en")
    map_unmapped_glyphs(pdf)
    return bytes(pdf.output())


def _separate(pdf: FPDF, index: int) -> None:
    """A rule between one language's block and the next."""
    if index:
        pdf.ln(4)
        pdf.set_draw_color(160, 160, 160)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(4)


def _block(pdf: FPDF, *, title: str, rows: list[tuple[str, str]], warning: str, rtl: bool) -> None:
    family = "arabic" if rtl else "latin"
    fallback = ["latin"] if rtl else ["arabic"]
    align = "R" if rtl else "L"
    pdf.set_fallback_fonts(fallback)
    if rtl:
        pdf.set_text_shaping(True, direction="rtl", script="arab", language="fas")
    else:
        pdf.set_text_shaping(True, direction="ltr", script="latn", language="eng")
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font(family, "B", 15)
    pdf.cell(width, 9, title, align=align, new_x="LMARGIN", new_y="NEXT")
    for label, value in rows:
        pdf.set_font(family, "", 10.5)
        pdf.cell(width, 6.5, f"{label}: {value}", align=align, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "B", 10)
    pdf.multi_cell(width, 6, warning, align=align, new_x="LMARGIN", new_y="NEXT")
