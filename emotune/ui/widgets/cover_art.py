"""Album cover, or a placeholder in the track's emotion colour when the file has none."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QLinearGradient, QPainter, QPainterPath, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from emotune.emotions import Emotion
from emotune.ui import theme
from emotune.ui.icons import emotion_pixmap


class CoverArt(QWidget):
    """A square cover picture with rounded corners."""

    def __init__(self, size: int = 96, parent: QWidget | None = None) -> None:
        """Create an empty cover of ``size`` pixels."""
        super().__init__(parent)
        self._image: QImage | None = None
        self._emotion: Emotion | None = None
        self.setFixedSize(size, size)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_cover(self, image: QImage | None, emotion: Emotion | None) -> None:
        """Show ``image`` (cropped to a square), or the placeholder for ``emotion``."""
        self._image = None if image is None or image.isNull() else image
        self._emotion = emotion
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        """The fixed size."""
        return self.size()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        """Draw the cover or the placeholder."""
        painter = QPainter(self)
        painter.setRenderHints(
            QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform
        )
        rect = QRectF(self.rect())
        path = QPainterPath()
        path.addRoundedRect(rect, 8, 8)
        painter.setClipPath(path)
        if self._image is not None:
            side = min(self._image.width(), self._image.height())
            source = QRectF(
                (self._image.width() - side) / 2, (self._image.height() - side) / 2, side, side
            )
            painter.drawImage(rect, self._image, source)
        else:
            base = QColor(self._emotion.colour) if self._emotion else theme.PANEL_LIGHT
            gradient = QLinearGradient(rect.topLeft(), rect.bottomRight())
            gradient.setColorAt(0.0, base.lighter(125))
            gradient.setColorAt(1.0, base.darker(220))
            painter.fillRect(rect, gradient)
            if self._emotion is not None:
                icon = int(rect.width() * 0.5)
                painter.drawPixmap(
                    int(rect.center().x() - icon / 2),
                    int(rect.center().y() - icon / 2),
                    emotion_pixmap(self._emotion, icon, self.devicePixelRatioF()),
                )
            else:
                painter.setPen(theme.TEXT_DIM)
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "♪")
        painter.end()
