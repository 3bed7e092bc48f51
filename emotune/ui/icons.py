"""Emotion icons: colour emoji when the system has an emoji font, drawn discs when it does not.

Rendering the emoji into a pixmap (rather than relying on text fallback in every widget) keeps
buttons, the chart and the queue consistent, and gives one place to fall back when a desktop has
no colour emoji font installed.
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QIcon, QImage, QPainter, QPixmap

from emotune.emotions import Emotion

_EMOJI_FAMILIES = (
    "Noto Color Emoji",
    "Apple Color Emoji",
    "Segoe UI Emoji",
    "Twemoji",
    "EmojiOne Color",
)


@lru_cache(maxsize=1)
def emoji_family() -> str | None:
    """The first colour emoji font family installed, or ``None``."""
    families = set(QFontDatabase.families())
    for name in _EMOJI_FAMILIES:
        if name in families:
            return name
    return next((f for f in sorted(families) if "emoji" in f.lower()), None)


def has_emoji_font() -> bool:
    """Whether emoji can be drawn as colour glyphs on this system."""
    return emoji_family() is not None


@lru_cache(maxsize=64)
def _emotion_pixmap(emotion: Emotion, size: int, dpr: float, grey: bool) -> QPixmap:
    pixmap = QPixmap(int(size * dpr), int(size * dpr))
    pixmap.setDevicePixelRatio(dpr)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
    family = emoji_family()
    rect = QRectF(0, 0, size, size)
    if family is not None:
        font = QFont(family)
        # Colour emoji fonts are bitmap fonts; a pixel size near the target keeps them crisp.
        font.setPixelSize(max(8, int(size * 0.82)))
        painter.setFont(font)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, emotion.emoji)
    else:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(emotion.colour))
        painter.drawEllipse(rect.adjusted(1, 1, -1, -1))
        font = QFont()
        font.setPixelSize(max(7, int(size * 0.5)))
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, emotion.label[:1])
    painter.end()
    if grey:
        pixmap = _desaturated(pixmap, dpr)
    return pixmap


def _desaturated(pixmap: QPixmap, dpr: float) -> QPixmap:
    """A faded grey copy that keeps the transparency (a plain Grayscale8 copy would not)."""
    import numpy as np

    image = pixmap.toImage().convertToFormat(QImage.Format.Format_ARGB32)
    width, height = image.width(), image.height()
    pixels = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes()).reshape(
        height, image.bytesPerLine() // 4, 4
    )[:, :width]
    grey = (0.114 * pixels[..., 0] + 0.587 * pixels[..., 1] + 0.299 * pixels[..., 2]).astype(
        np.uint8
    )
    out = np.empty_like(pixels)
    out[..., 0] = out[..., 1] = out[..., 2] = grey
    out[..., 3] = (pixels[..., 3] * 0.55).astype(np.uint8)  # faded too: "not active"
    # Premultiplied-free ARGB32: BGRA byte order on little-endian machines, like the source.
    result = QImage(out.tobytes(), width, height, width * 4, QImage.Format.Format_ARGB32).copy()
    faded = QPixmap.fromImage(result)
    faded.setDevicePixelRatio(dpr)
    return faded


def emotion_pixmap(emotion: Emotion, size: int, dpr: float = 1.0, grey: bool = False) -> QPixmap:
    """A ``size``-pixel square picture of ``emotion`` (cached; call from the GUI thread only)."""
    return _emotion_pixmap(emotion, int(size), round(float(dpr), 2), grey)


def emotion_icon(emotion: Emotion, size: int = 32) -> QIcon:
    """A QIcon for buttons and menus, rendered at 1x and 2x."""
    icon = QIcon()
    icon.addPixmap(emotion_pixmap(emotion, size, 1.0))
    icon.addPixmap(emotion_pixmap(emotion, size, 2.0))
    return icon


@lru_cache(maxsize=32)
def _text_pixmap(text: str, size: int, dpr: float) -> QPixmap:
    pixmap = QPixmap(int(size * dpr), int(size * dpr))
    pixmap.setDevicePixelRatio(dpr)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
    family = emoji_family()
    font = QFont(family) if family else QFont()
    font.setPixelSize(max(8, int(size * 0.8)))
    painter.setFont(font)
    painter.setPen(QColor("#e8e9ed"))
    painter.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return pixmap


def text_icon(text: str, size: int = 24) -> QIcon:
    """An icon showing ``text`` (typically one emoji) in the emoji font when there is one."""
    icon = QIcon()
    icon.addPixmap(_text_pixmap(text, size, 1.0))
    icon.addPixmap(_text_pixmap(text, size, 2.0))
    return icon
