"""PDFs in the platform's fonts: Noto Sans for English, Noto Sans Arabic for Dari and Pashto.

Used by the payment receipt and by issued documents. fpdf2 lays the page out; with text
shaping on, uharfbuzz joins the Arabic letters and fpdf2 orders right-to-left text. The
fontpkg packages ship variable fonts, which fpdf2 would instantiate on every document
(seconds each): each weight used is cut to a static font once per machine, kept in the
temporary folder and shared by the processes.
"""

from __future__ import annotations

import logging
import os
import tempfile
from functools import cache
from pathlib import Path
from types import ModuleType

import fontpkg_noto_sans
import fontpkg_noto_sans_arabic
from fpdf import FPDF

# fontTools reports every instancing step and every glyph it keeps: noise in the server's log.
logging.getLogger("fontTools").setLevel(logging.WARNING)

# The Latin font is cut to these characters: smaller, and subset into each PDF faster.
_LATIN_RANGES = (*range(0x20, 0x250), *range(0x2000, 0x2070), 0x20AC, 0x2116, 0x25CC)
REGULAR, BOLD = 400, 700


def _variable_font(package: ModuleType) -> Path:
    files = sorted(Path(package.ROOT, "files").glob("*.ttf"))
    upright = [path for path in files if "Italic" not in path.name]
    return (upright or files)[0]


@cache
def _static_font(package: ModuleType, weight: int, unicodes: tuple[int, ...] | None) -> str:
    """The package's variable font cut to `weight` (and to `unicodes`), cached on disk.

    Made once per machine (about two seconds); falls back to the variable font if it cannot be.
    """
    source = _variable_font(package)
    stat = source.stat()
    folder = Path(tempfile.gettempdir(), f"khedmat-fonts-{stat.st_size}-{int(stat.st_mtime)}")
    target = folder / f"{source.name.split('[')[0].removesuffix('.ttf')}-{weight}.ttf"
    if target.exists():
        return str(target)
    try:
        from fontTools import subset
        from fontTools.ttLib import TTFont
        from fontTools.varLib.instancer import instantiateVariableFont

        font = TTFont(source)
        if unicodes is not None:
            subsetter = subset.Subsetter(subset.Options(layout_features=["*"], name_IDs=["*"], notdef_outline=True))
            subsetter.populate(unicodes=list(unicodes))
            subsetter.subset(font)
        axes = {axis.axisTag: axis.defaultValue for axis in font["fvar"].axes} if "fvar" in font else {}
        static = instantiateVariableFont(font, {**axes, "wght": weight}) if axes else font
        folder.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.part")
        static.save(partial)
        os.replace(partial, target)  # atomic: a parallel process sees the whole file or none
    except Exception:  # any failure: the variable font renders the same text
        logging.getLogger(__name__).warning("could not cut a static font from %s", source, exc_info=True)
        return str(source)
    return str(target)


def arabic_font_path(weight: int = REGULAR) -> str:
    """Noto Sans Arabic, from the fontpkg-noto-sans-arabic package."""
    return _static_font(fontpkg_noto_sans_arabic, weight, None)


def latin_font_path(weight: int = REGULAR) -> str:
    """Noto Sans (fontpkg-noto-sans), Latin letters and punctuation only."""
    return _static_font(fontpkg_noto_sans, weight, _LATIN_RANGES)


def add_platform_fonts(pdf: FPDF, *, bold: bool = False) -> None:
    """Register the families "latin" and "arabic" (and their bold, if asked: each font added
    costs time in every document), each the other's fallback, and turn text shaping on."""
    for family, path in (("latin", latin_font_path), ("arabic", arabic_font_path)):
        pdf.add_font(family, "", path())
        if bold:
            pdf.add_font(family, "B", path(BOLD))
    pdf.set_fallback_fonts(["arabic", "latin"])
    pdf.set_text_shaping(True)


def map_unmapped_glyphs(pdf: FPDF) -> None:
    """Give every glyph a character in the PDF's ToUnicode map, so text extracts cleanly.

    Noto Sans Arabic draws the dots of some letters (ض, ی, پ…) as mark glyphs of their own;
    fpdf2 maps such a glyph to no character, and extractors then print its raw code as a
    stray letter ("+ض") inside a name. Mapped to U+200B ZERO WIDTH SPACE they read as
    nothing. Call just before output: no text may be laid out after it.
    """
    for font in pdf.fonts.values():
        subset = getattr(font, "subset", None)
        if subset is None:
            continue
        for glyph, _code in subset.items():
            if glyph is not None and isinstance(glyph.unicode, tuple) and not glyph.unicode:
                glyph.unicode = (0x200B,)
