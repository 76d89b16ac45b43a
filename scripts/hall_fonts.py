"""Make the web fonts of the hall's screens (kiosk, display board) from Noto Sans Arabic.

    .venv/bin/python scripts/hall_fonts.py     # needs brotli (requirements-dev.txt)

A kiosk tablet or a board's small Linux box may have no Arabic font at all; the fallback
then lacks Pashto letters such as ۍ, which show as boxes. So the hall's screens bring their
own: the fontpkg-noto-sans-arabic variable font (SIL Open Font Licence), cut to its regular
and bold weights and to the Arabic block (Dari and Pashto letters, Eastern digits) and the
direction marks, as WOFF2 (about 29 KB each). The output is committed, with the licence,
in khedmat/centers/static/centers/fonts/; run this again after upgrading the font package.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import fontpkg_noto_sans_arabic
from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.varLib.instancer import instantiateVariableFont

OUT = Path(__file__).resolve().parent.parent / "khedmat" / "centers" / "static" / "centers" / "fonts"
# Arabic block (Dari and Pashto letters, Eastern digits, Arabic punctuation), ZWNJ and the
# direction marks and isolates, and the ASCII the letters sit beside.
UNICODES = [*range(0x20, 0x7F), *range(0x600, 0x700), *range(0x200C, 0x2010), *range(0x2066, 0x206A),
            0xAB, 0xBB, 0x2013, 0x2014]
WEIGHTS = (400, 700)


def main() -> None:
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    source = next(Path(fontpkg_noto_sans_arabic.ROOT, "files").glob("*.ttf"))
    OUT.mkdir(parents=True, exist_ok=True)
    for weight in WEIGHTS:
        font = instantiateVariableFont(TTFont(source), {"wght": weight, "wdth": 100})
        subsetter = subset.Subsetter(subset.Options(layout_features=["*"], name_IDs=["*"]))
        subsetter.populate(unicodes=UNICODES)
        subsetter.subset(font)
        font.flavor = "woff2"
        target = OUT / f"noto-sans-arabic-{weight}.woff2"
        font.save(target)
        print(f"{target.relative_to(OUT.parents[3])}: {target.stat().st_size:,} bytes")
    shutil.copyfile(Path(fontpkg_noto_sans_arabic.ROOT, "LICENSE"), OUT / "OFL.txt")


if __name__ == "__main__":
    main()
