"""The current mood, big and plain: emoji, name, confidence and where it comes from.

States it distinguishes (so the user always knows why the music is what it is):
``camera`` (a settled mood read from the face), ``uncertain`` (the tracker is not sure and keeps
the last mood), ``no_face``, ``manual`` (pinned with the emoji bar), ``off`` (camera switched off)
and ``starting``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from emotune.emotions import Emotion
from emotune.ui.icons import emotion_pixmap
from emotune.ui.widgets.elided_label import ElidedLabel
from emotune.ui.widgets.prob_chart import percent

MODES = ("starting", "camera", "uncertain", "no_face", "manual", "off")


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
        self.mode = "starting"
        self.emotion: Emotion | None = None
        self.set_mood(None, 0.0, "starting")

    def set_mood(self, emotion: Emotion | None, confidence: float, mode: str, detail: str = "") -> None:
        """Show ``emotion`` at ``confidence`` (0..1) in ``mode`` (one of :data:`MODES`)."""
        if mode not in MODES:
            raise ValueError(f"unknown mood mode {mode!r}")
        self.mode = mode
        self.emotion = emotion
        if emotion is not None:
            self.icon.setPixmap(emotion_pixmap(emotion, 36, self.devicePixelRatioF(), grey=mode in ("uncertain", "no_face", "off")))
            self.name.setText(emotion.label)
        else:
            self.icon.clear()
            self.name.setText({"off": "Camera off", "no_face": "No face", "starting": "Starting…"}.get(mode, "—"))
        default_detail = {
            "starting": "Waiting for the first frame",
            "camera": f"{percent(confidence)}% sure · read from your face",
            "uncertain": "Not sure yet: keeping the music as it is",
            "no_face": "Nobody in view: keeping the last mood",
            "manual": "Picked by you · press 0 for Auto",
            "off": "Nothing is being captured",
        }[mode]
        self.detail.setText(detail or default_detail)
        badge = {"uncertain": ("UNCERTAIN", "#8b8d98"), "manual": ("PINNED", "#5b8def"), "off": ("PRIVATE", "#3dd68c")}.get(mode)
        if badge:
            self.badge.setText(badge[0])
            self.badge.setStyleSheet(
                f"QLabel {{ color: white; background: {badge[1]}; border-radius: 8px; padding: 1px 8px; font-size: 10px; font-weight: 700; }}"
            )
            self.badge.show()
        else:
            self.badge.hide()
        self.setAccessibleDescription(f"{self.name.text()}: {self.detail.text()}")
