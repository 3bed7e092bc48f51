"""A small rounded chip: emoji + emotion name on the emotion's colour."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from emotune.emotions import Emotion
from emotune.ui.icons import emotion_pixmap


class EmotionChip(QWidget):
    """Shows which emotion a track belongs to; empty when there is no track."""

    def __init__(self, parent: QWidget | None = None) -> None:
        """Create an empty chip."""
        super().__init__(parent)
        self._emotion: Emotion | None = None
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_emotion(self, emotion: Emotion | None) -> None:
        """Show ``emotion`` (``None`` hides the chip's content)."""
        self._emotion = emotion
        self.setToolTip("" if emotion is None else f"This track is filed under {emotion.label}")
        self.updateGeometry()
        self.update()

    @property
    def emotion(self) -> Emotion | None:
        """The emotion shown."""
        return self._emotion

    def _font(self) -> QFont:
        font = QFont(self.font())
        font.setBold(True)
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
        return font

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        """Icon plus the longest label."""
        metrics = QFontMetrics(self._font())
        label = self._emotion.label if self._emotion else "Surprise"
        return QSize(metrics.height() + 18 + metrics.horizontalAdvance(label), metrics.height() + 6)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        """Same as the size hint: a chip never shrinks."""
        return self.sizeHint()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        """Draw the chip."""
        if self._emotion is None:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        colour = QColor(self._emotion.colour)
        painter.setPen(colour)
        fill = QColor(colour)
        fill.setAlpha(60)
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
        font = self._font()
        metrics = QFontMetrics(font)
        icon = metrics.height()
        painter.drawPixmap(
            int(rect.left() + 6),
            int(rect.center().y() - icon / 2),
            emotion_pixmap(self._emotion, icon, self.devicePixelRatioF()),
        )
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(
            rect.adjusted(icon + 10, 0, -6, 0),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            self._emotion.label,
        )
        painter.end()
