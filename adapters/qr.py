"""QR codes drawn here, as SVG (no image service sees the TOTP secret)."""

from __future__ import annotations

import base64
import io

import qrcode
from qrcode.image.svg import SvgPathImage


def qr_svg_data_uri(text: str) -> str:
    """A data: URI the page can show in an <img> (the CSP allows data: images, nothing else from elsewhere)."""
    image = qrcode.make(text, image_factory=SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()
