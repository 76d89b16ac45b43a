"""A document as a PDF: English on the left, Dari or Pashto on the right, and a QR code.

fpdf2 lays it out; with text shaping on, uharfbuzz joins the Arabic letters and fpdf2's
bidirectional algorithm orders right-to-left text, using Noto Sans Arabic (fontpkg) for
Dari and Pashto and Noto Sans for English (khedmat.core.pdf). Only the regular weight is
embedded; bold is drawn by stroking the outline.
"""

from __future__ import annotations

import contextlib
import datetime
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import segno
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from fpdf import FPDF
from fpdf.enums import TextMode

from khedmat.core.formatting import format_date
from khedmat.core.pdf import add_platform_fonts, map_unmapped_glyphs

PAGE_WIDTH = 210.0
MARGIN = 15.0
COLUMN = (PAGE_WIDTH - 2 * MARGIN - 6) / 2  # two columns with a 6 mm gutter
INK = (25, 30, 40)
MUTED = (95, 100, 110)
RULE = (0, 102, 85)
# Printed in English and in the document's other language: marked here, translated at render.
DOES_NOT_EXPIRE = gettext_noop("Does not expire")
DOCUMENT_NUMBER = gettext_noop("Document number")
ISSUED_ON = gettext_noop("Issued on")
VALID_UNTIL = gettext_noop("Valid until")
APPLICATION = gettext_noop("Application")
SCAN_TO_CHECK = gettext_noop("Scan this code with a phone's camera to check that this document is genuine and valid.")
SIGNED_WITH = gettext_noop("Signed electronically (Ed25519), key %(kid)s.")


@dataclass(frozen=True)
class DocumentView:
    """Everything a document prints; built by `services` from an IssuedDocument."""

    number: str
    kind: str
    language: str  # "fa" or "ps", printed beside English
    content: dict[str, Any]  # title, agency, service, reference, facts (see services._content)
    issued_on: datetime.date
    expires_on: datetime.date | None
    kid: str
    verification_url: str


class _Page(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=False)
        add_platform_fonts(self)
        self.set_creator("Asan Khedmat")

    @contextlib.contextmanager
    def bold(self, width: float = 0.25) -> Iterator[None]:
        self.text_mode = TextMode.FILL_STROKE
        self.set_line_width(width)
        try:
            yield
        finally:
            self.text_mode = TextMode.FILL

    def write_at(self, x: float, y: float, width: float, text: str, *, family: str, size: float,
                 color: tuple[int, int, int] = INK, align: str = "L", bold: bool = False) -> None:
        self.set_xy(x, y)
        self.set_font(family, "", size)
        self.set_text_color(*color)
        self.set_draw_color(*color)
        with self.bold() if bold else contextlib.nullcontext():
            self.multi_cell(width, size * 0.45, text, align=align, new_x="LMARGIN", new_y="NEXT")


def _in(language: str, text: str) -> str:
    with translation.override(language):
        return _(text)


def _kind_label(kind: str, language: str) -> str:
    from .models import DocumentKind  # labels are lazy: translate them in the language asked

    with translation.override(language):
        return str(DocumentKind(kind).label)


def render(view: DocumentView) -> bytes:
    """The PDF's bytes."""
    pdf = _Page()
    pdf.set_title(f"{view.content['title']['en']} {view.number}")
    pdf.add_page()
    language = view.language
    left, right = MARGIN, MARGIN + COLUMN + 6
    content = view.content

    # The issuer, the document's title and kind, in both languages.
    pdf.write_at(left, 16, COLUMN, content["agency"]["en"], family="latin", size=10, color=MUTED)
    pdf.write_at(right, 16, COLUMN, content["agency"][language], family="arabic", size=10, color=MUTED, align="R")
    pdf.write_at(left, 24, COLUMN, content["title"]["en"], family="latin", size=17, bold=True)
    pdf.write_at(right, 24, COLUMN, content["title"][language], family="arabic", size=17, align="R", bold=True)
    y = max(pdf.get_y(), 40) + 2
    pdf.write_at(left, y, COLUMN, _kind_label(view.kind, "en"), family="latin", size=11, color=RULE)
    pdf.write_at(right, y, COLUMN, _kind_label(view.kind, language), family="arabic", size=11, color=RULE, align="R")
    y += 8
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.6)
    pdf.line(MARGIN, y, PAGE_WIDTH - MARGIN, y)
    y += 5

    rows: list[tuple[dict[str, str], dict[str, str]]] = [
        (fact["label"], fact["value"]) for fact in content["facts"]]
    no_expiry = {lang: _in(lang, DOES_NOT_EXPIRE) for lang in ("en", language)}
    rows += [
        (_labels(DOCUMENT_NUMBER, language), {"en": view.number, language: view.number}),
        (_labels(ISSUED_ON, language), _dates(view.issued_on, language)),
        (_labels(VALID_UNTIL, language), _dates(view.expires_on, language) if view.expires_on else no_expiry),
        (_labels(APPLICATION, language), {"en": content["reference"], language: content["reference"]}),
    ]
    for label, value in rows:
        top = y
        pdf.write_at(left, top, COLUMN, label["en"], family="latin", size=8.5, color=MUTED)
        pdf.write_at(left, pdf.get_y() + 0.5, COLUMN, value["en"], family="latin", size=12)
        bottom = pdf.get_y()
        pdf.write_at(right, top, COLUMN, label[language], family="arabic", size=8.5, color=MUTED, align="R")
        pdf.write_at(right, pdf.get_y() + 0.5, COLUMN, value[language], family="arabic", size=12, align="R")
        y = max(bottom, pdf.get_y()) + 3.5

    # The QR code: a phone's camera opens the verify page; an offline verifier reads the
    # signed code from the URL.
    qr = segno.make(view.verification_url, error="m", micro=False)
    image = io.BytesIO()
    qr.save(image, kind="png", scale=6, border=4)
    image.seek(0)
    qr_size = 55.0
    qr_top = max(y + 6, 200.0)
    pdf.image(image, x=MARGIN, y=qr_top, w=qr_size, h=qr_size)
    text_x = MARGIN + qr_size + 6
    text_width = PAGE_WIDTH - MARGIN - text_x
    verify_address = view.verification_url.split("?", 1)[0]
    scan = SCAN_TO_CHECK
    pdf.write_at(text_x, qr_top + 2, text_width, _in("en", scan), family="latin", size=9.5)
    pdf.write_at(text_x, pdf.get_y() + 2, text_width, _in(language, scan), family="arabic", size=9.5, align="R")
    pdf.write_at(text_x, pdf.get_y() + 3, text_width, verify_address, family="latin", size=9.5, color=RULE)
    signed = _in("en", SIGNED_WITH) % {"kid": view.kid}
    pdf.write_at(text_x, pdf.get_y() + 3, text_width, signed, family="latin", size=8, color=MUTED)
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.3)
    pdf.line(MARGIN, 282, PAGE_WIDTH - MARGIN, 282)
    pdf.write_at(MARGIN, 284, 90, "Asan Khedmat", family="latin", size=8, color=MUTED)
    pdf.write_at(PAGE_WIDTH - MARGIN - 90, 284, 90, "آسان خدمت", family="arabic", size=8, color=MUTED, align="R")
    map_unmapped_glyphs(pdf)
    return bytes(pdf.output())


def _labels(text: str, language: str) -> dict[str, str]:
    return {"en": _in("en", text), language: _in(language, text)}


def _dates(value: datetime.date, language: str) -> dict[str, str]:
    """Solar Hijri with the Gregorian date beside, in each language's digits."""
    return {lang: format_date(value, with_gregorian=True, language=lang) for lang in ("en", language)}
