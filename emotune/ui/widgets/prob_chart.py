"""Horizontal bar chart of the mood filter's belief in each of the seven emotions, painted with
QPainter.

QtCharts is not part of PySide6-Essentials, and a chart of seven bars does not need it. The bars
show exactly the values of the latest snapshot, with no easing of their own: the mood filter
already moves smoothly, and easing would make the printed percentages lag the header that quotes
the same snapshot. The highlighted bar is always the largest one drawn.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from emotune.emotions import EMOTIONS, NUM_CLASSES, Emotion
from emotune.ui import theme
from emotune.ui.icons import emotion_pixmap
from emotune.ui.mood_view import percent


class ProbabilityChart(QWidget):
    """Seven rows of emoji, label, bar and percentage; the largest bar is highlighted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        """Create an empty chart (all bars at zero)."""
        super().__init__(parent)
        self._shown = [0.0] * NUM_CLASSES
        self._active = False  # False: no face, bars are drawn greyed out
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Emotion probabilities")

    # -- data ------------------------------------------------------------------------------

    def set_probabilities(self, probabilities: Sequence[float] | None) -> None:
        """Show ``probabilities`` (canonical order); ``None`` means nobody is in view."""
        if probabilities is None:
            values, active = [0.0] * NUM_CLASSES, False
        else:
            if len(probabilities) != NUM_CLASSES:
                raise ValueError(f"expected {NUM_CLASSES} probabilities, got {len(probabilities)}")
            values, active = [min(1.0, max(0.0, float(p))) for p in probabilities], True
        if values == self._shown and active == self._active:
            return
        self._shown, self._active = values, active
        self.setToolTip(self._describe())
        self.update()

    def displayed(self) -> list[float]:
        """The values drawn now."""
        return list(self._shown)

    def leading(self) -> Emotion | None:
        """The highlighted emotion (largest bar), or ``None`` without a face."""
        if not self._active:
            return None
        return EMOTIONS[max(range(NUM_CLASSES), key=self._shown.__getitem__)]

    def _describe(self) -> str:
        if not self._active:
            return "No face: nothing to read"
        heading = "How sure EmoTune is of each mood, from the last second or two of your face:"
        return "\n".join(
            [heading]
            + [f"{e.label}: {percent(p)}%" for e, p in zip(EMOTIONS, self._shown, strict=True)]
        )

    # -- geometry --------------------------------------------------------------------------

    def _row_metrics(self) -> tuple[QFont, int, int]:
        font = QFont(self.font())
        metrics = QFontMetrics(font)
        label_w = max(metrics.horizontalAdvance(e.label) for e in EMOTIONS) + 8
        pct_w = metrics.horizontalAdvance("100%") + 6
        return font, label_w, pct_w

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        """Small enough for 1024x640 yet every label and percentage still fits."""
        _, label_w, pct_w = self._row_metrics()
        row = max(18, QFontMetrics(self.font()).height() + 2)
        return QSize(18 + 6 + label_w + 60 + pct_w, row * NUM_CLASSES + 8)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        """Comfortable size: roomy rows and a long bar."""
        _, label_w, pct_w = self._row_metrics()
        return QSize(28 + 8 + label_w + 200 + pct_w, 30 * NUM_CLASSES + 8)

    # -- painting --------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        """Draw the seven rows."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font, label_w, pct_w = self._row_metrics()
        painter.setFont(font)
        rect = QRectF(self.rect()).adjusted(2, 4, -2, -4)
        row_h = rect.height() / NUM_CLASSES
        icon = int(max(12, min(28, row_h * 0.8)))
        leader = self.leading()
        dpr = self.devicePixelRatioF()
        for i, emotion in enumerate(EMOTIONS):
            top = rect.top() + i * row_h
            mid = top + row_h / 2
            is_leader = emotion is leader
            if is_leader:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor(255, 255, 255, 18))
                painter.drawRoundedRect(QRectF(rect.left(), top + 1, rect.width(), row_h - 2), 5, 5)
            x = rect.left() + 2
            painter.drawPixmap(
                int(x),
                int(mid - icon / 2),
                emotion_pixmap(emotion, icon, dpr, grey=not self._active),
            )
            x += icon + 6
            painter.setPen(theme.TEXT if (is_leader or not self._active) else theme.TEXT_DIM)
            bold = QFont(font)
            bold.setBold(is_leader)
            painter.setFont(bold)
            painter.drawText(
                QRectF(x, top, label_w, row_h),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                emotion.label,
            )
            x += label_w
            bar_w = max(10.0, rect.right() - pct_w - x - 4)
            bar_h = max(6.0, min(18.0, row_h * 0.55))
            track = QRectF(x, mid - bar_h / 2, bar_w, bar_h)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(theme.PANEL_LIGHT)
            painter.drawRoundedRect(track, bar_h / 2, bar_h / 2)
            value = self._shown[i]
            if value >= 0.005:  # below half a percent a rounded cap would read as "something"
                colour = QColor(emotion.colour if self._active else "#6b6f7a")
                if not is_leader:
                    colour.setAlpha(170)
                fill = QRectF(track.left(), track.top(), max(bar_h, bar_w * value), bar_h)
                painter.setBrush(colour)
                painter.drawRoundedRect(fill, bar_h / 2, bar_h / 2)
            painter.setPen(theme.TEXT if is_leader else theme.TEXT_DIM)
            text = f"{percent(value):d}%" if self._active else "–"
            painter.drawText(
                QRectF(rect.right() - pct_w, top, pct_w, row_h),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                text,
            )
            painter.setFont(font)
        painter.end()
