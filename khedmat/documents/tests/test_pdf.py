"""The PDF: Dari beside English, the holder's name readable from its text, a QR code that scans.

What a text extractor returns for shaped right-to-left text (checked here, written up in
docs/documents.md): pypdf puts each right-to-left run back in logical order, so "احمد ضیا"
comes out as typed. Noto Sans Arabic draws some letters' dots as separate mark glyphs, which
fpdf2 maps to no character (an extractor then prints the raw glyph code, a stray "+" or
control character): pdf.py maps them to U+200B ZERO WIDTH SPACE, dropped before comparing.
A right-to-left name inside an English (left-to-right) line comes out with its words in
visual order, so the name is looked for on its own line, in the Dari column. pdfminer.six
returns every right-to-left run in visual (reversed) order. pypdf also reverses some runs of
Eastern Arabic-Indic digits inside right-to-left lines ("۱۳۶۹" → "۹۶۳۱"): an extraction
artefact, the rendered page is right (the browser journey test looks at it).
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import fontpkg_noto_sans_arabic
import pytest
from pypdf import PdfReader

from khedmat.accounts.models import User
from khedmat.catalog.models import Service
from khedmat.core.pdf import _variable_font, arabic_font_path
from khedmat.documents import codec
from khedmat.documents.models import IssuedDocument
from khedmat.documents.selectors import document_pdf, document_verify
from khedmat.documents.verifier import Verdict
from tests.availability import unavailable

from .helpers import DARI_ANSWERS, approved

pytestmark = pytest.mark.django_db
ZERO_WIDTH_SPACE = "\u200b"


def page_text(body: bytes) -> str:
    return PdfReader(io.BytesIO(body)).pages[0].extract_text().replace(ZERO_WIDTH_SPACE, "")


@pytest.fixture
def dari_document(passport: Service, citizen: User, officer: User, approver: User) -> IssuedDocument:
    return IssuedDocument.objects.get(application=approved(passport, citizen, officer, approver,
                                                           answers=DARI_ANSWERS))


def test_the_font_comes_from_the_font_package() -> None:
    source = _variable_font(fontpkg_noto_sans_arabic)
    assert "fontpkg_noto_sans_arabic" in str(source)
    assert Path(arabic_font_path()).name.startswith(source.name.split("[")[0].removesuffix(".ttf"))


def test_a_dari_document_reads_in_logical_order(dari_document: IssuedDocument) -> None:
    body = document_pdf(dari_document)
    assert body.startswith(b"%PDF")
    lines = page_text(body).splitlines()
    # The holder's name, alone on its line in the Dari column, in the order it was typed.
    assert "احمد ضیا" in [line.strip() for line in lines]
    assert "محمد نبی" in [line.strip() for line in lines]
    text = "\n".join(lines)
    assert "Passport approval certificate" in text
    assert dari_document.number in text
    assert "1 Hamal 1369 (1990-03-21)" in text  # Solar Hijri with the Gregorian beside
    # The Dari column has the month's Dari name. (Its Eastern digits are not compared: pypdf
    # sometimes reverses a run of them inside right-to-left text, "۱۳۶۹" → "۹۶۳۱".)
    assert "۱ حمل" in text


def test_the_qr_code_on_the_rendered_page_verifies(dari_document: IssuedDocument, tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        unavailable("pdftoppm is not installed", install="apt-get install poppler-utils")
    import zxingcpp
    from PIL import Image

    pdf_path = tmp_path / "document.pdf"
    pdf_path.write_bytes(document_pdf(dari_document))
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf_path),
                    str(tmp_path / "page")], check=True)
    codes = zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))
    assert len(codes) == 1
    url = codes[0].text
    assert url.startswith("http://127.0.0.1:8000/verify/?p=AK1.")
    assert codec.extract(url).kid == dari_document.signing_key.kid
    outcome = document_verify(url)
    assert outcome.verdict == Verdict.VALID
    assert outcome.result.content["h"] == "احمد ضیا"
