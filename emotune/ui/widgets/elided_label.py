"""A one-line label that elides with "…" instead of forcing the window wider."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget


class ElidedLabel(QWidget):
    """Shows ``text`` on one line, elided at the right; the full text is in the tooltip.

    The minimum width always fits a few characters, so a squeezed layout never elides a label
    to nothing.
    """

    MIN_CHARS = 8

    def __init__(self, text: str = "", parent: QWidget | None = None, dim: bool = False) -> None:
        """Create a label; ``dim`` uses the secondary text colour."""
        super().__init__(parent)
        self._text = ""
        self._dim = dim
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setText(text)

    def text(self) -> str:
        """The full (unelided) text."""
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802 (mirrors QLabel)
        """Replace the text."""
        self._text = text or ""
        self.setToolTip(self._text if len(self._text) > self.MIN_CHARS else "")
        self.setAccessibleName(self._text)
        self.updateGeometry()
        self.update()

    def visible_text(self) -> str:
        """What is drawn at the current width (for tests)."""
        return QFontMetrics(self.font()).elidedText(
            self._text, Qt.TextElideMode.ElideRight, self.width()
        )

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        """Room for a few characters."""
        metrics = QFontMetrics(self.font())
        shown = self._text[: self.MIN_CHARS] + ("…" if len(self._text) > self.MIN_CHARS else "")
        return QSize(
            min(metrics.horizontalAdvance(shown), metrics.horizontalAdvance("M" * self.MIN_CHARS)),
            metrics.height(),
        )

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        """The whole text on one line."""
        metrics = QFontMetrics(self.font())
        return QSize(metrics.horizontalAdvance(self._text) + 2, metrics.height())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        """Draw the elided text."""
        painter = QPainter(self)
        role = self.foregroundRole()
        colour = self.palette().color(role)
        if self._dim:
            colour.setAlpha(165)
        painter.setPen(colour)
        painter.drawText(
            self.rect(),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            self.visible_text(),
        )
        painter.end()
