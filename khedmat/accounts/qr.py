"""The QR code that hands a TOTP secret to an authenticator app, drawn on the server.

An <img> with a data: URI, because the Content-Security-Policy allows data: images but
no inline SVG styles, and the page must work without JavaScript.
"""

from __future__ import annotations

import base64
import io
from base64 import b32encode
from binascii import unhexlify

import segno


def qr_svg_data_uri(text: str) -> str:
    buffer = io.BytesIO()
    segno.make(text, error="m").save(
        buffer, kind="svg", xmldecl=False, svgns=True, nl=False, scale=5, border=2,
        dark="#000", light="#fff",
    )
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def totp_secret_for_people(key_hex: str) -> str:
    """The secret as authenticator apps ask for it when typed by hand: base32 in groups of four."""
    secret = b32encode(unhexlify(key_hex)).decode("ascii").rstrip("=")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
