"""The current mood, big and plain: emoji, name, how sure, and what the music does.

It paints a :class:`~emotune.ui.mood_view.MoodView`; the words come from
:func:`emotune.ui.mood_view.describe`, the same place the face label and the chart's highlight
come from, so the window never contradicts itself.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from emotune.ui.icons import emotion_pixmap
from emotune.ui.mood_view import MoodView, describe
from emotune.ui.widgets.elided_label import ElidedLabel


class MoodHeader(QWidget):
    """Shows one mood and its state; set with :meth:`set_mood`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        """Create the header in the ``starting`` state."""
        super().__init__(parent)
        self.icon = QLabel(self)
        self.icon.setFixedSize(40, 40)
        self.icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.name = QLabel(self)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.name.setFont(font)
        self.name.setObjectName("moodName")
        # One elided line (full text in the tooltip): a wrapped second line would need height
        # the chart below cannot spare at 1024x640.
        self.detail = ElidedLabel("", self, dim=True)
        self.badge = QLabel(self)  # "UNCERTAIN" / "PINNED" pill
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.badge.hide()

        text = QVBoxLayout()
        text.setSpacing(0)
        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(self.name)
        top.addWidget(self.badge)
        top.addStretch(1)
        text.addLayout(top)
        text.addWidget(self.detail)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(10)
        layout.addWidget(self.icon)
        layout.addLayout(text, 1)
        self.view: MoodView = describe(None)
        self.show_view(self.view)

    def show_view(self, view: MoodView) -> None:
        """Show ``view``; repaints only what changed."""
        if view == self.view and self.name.text():
            return
        self.view = view
        if view.emotion is not None:
            self.icon.setPixmap(
                emotion_pixmap(view.emotion, 36, self.devicePixelRatioF(), grey=view.dim)
            )
        else:
            self.icon.clear()
        self.name.setText(view.title)
        self.detail.setText(view.detail)
        if view.badge is not None:
            self.badge.setText(view.badge.text)
            self.badge.setStyleSheet(
                f"QLabel {{ color: white; background: {view.badge.colour}; border-radius: 8px; padding: 1px 8px; font-size: 10px; font-weight: 700; }}"
            )
            self.badge.show()
        else:
            self.badge.hide()
        self.setAccessibleDescription(f"{self.name.text()}: {self.detail.text()}")
