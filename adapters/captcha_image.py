from __future__ import annotations

import io
from typing import TYPE_CHECKING

from captcha.image import ImageCaptcha


class ImageCaptchaRenderer:
    """PNG captchas from the `captcha` package. Built once per process: loading the fonts is the slow part."""

    def __init__(self, width: int = 120, height: int = 38, compress_level: int = 1):
        self.generator = ImageCaptcha(width=width, height=height, font_sizes=(28, 30, 32))
        self.compress_level = (
            compress_level  # small noisy images: level 1 is near the size of 6 at a fraction of the time
        )
        self.render("WARM")  # loads the fonts now, not on the first request

    def render(self, text: str) -> bytes:
        out = io.BytesIO()
        self.generator.generate_image(text).save(out, format="PNG", compress_level=self.compress_level)
        return out.getvalue()


if TYPE_CHECKING:  # mypy proves that each class is what the domain's port asks for
    from domain import ports

    _captcha_renderer: type[ports.CaptchaRenderer] = ImageCaptchaRenderer
