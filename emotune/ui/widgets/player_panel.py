"""The player: cover, title and artist, emotion chip, why this track, seek bar and controls.

The panel only shows state and reports what the user asked for through signals; the controller
decides what that means for the DJ and the audio backend.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont, QImage
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from emotune.emotions import Emotion
from emotune.ui.theme import format_time
from emotune.ui.widgets.cover_art import CoverArt
from emotune.ui.widgets.elided_label import ElidedLabel
from emotune.ui.widgets.emotion_chip import EmotionChip

STRATEGIES: tuple[tuple[str, str, str], ...] = (
    ("match", "Match my mood", "Play music with the same feeling as your face"),
    ("lift", "Lift my mood", "Start near your mood and move towards happier music"),
    ("calm", "Calm me down", "Lower the energy: calmer music whatever the mood"),
)
_SEEK_SCALE = 10  # slider units per second: 0.1 s resolution without float sliders


class PlayerPanel(QWidget):
    """Now-playing display and transport controls."""

    play_pause_clicked = Signal()
    next_clicked = Signal()
    previous_clicked = Signal()
    seek_requested = Signal(float)  # seconds
    volume_changed = Signal(int)  # 0..100
    strategy_changed = Signal(str)  # "match" / "lift" / "calm"

    def __init__(self, parent: QWidget | None = None) -> None:
        """Build the panel with nothing playing."""
        super().__init__(parent)
        style = self.style()
        self._playing = False
        self._duration: float | None = None
        self._seeking = False

        self.cover = CoverArt(92, self)
        self.title = ElidedLabel("Nothing playing", self)
        title_font = QFont(self.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.2)
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.artist = ElidedLabel("", self, dim=True)
        self.chip = EmotionChip(self)
        self.reason = ElidedLabel("", self, dim=True)
        italic = QFont(self.font())
        italic.setItalic(True)
        self.reason.setFont(italic)

        self.elapsed = QLabel("0:00", self)
        self.remaining = QLabel("--:--", self)
        for label in (self.elapsed, self.remaining):
            label.setObjectName("dim")
            label.setMinimumWidth(label.fontMetrics().horizontalAdvance("00:00:00") // 1 - 8)
        self.elapsed.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.seek = QSlider(Qt.Orientation.Horizontal, self)
        self.seek.setRange(0, 0)
        self.seek.setToolTip("Seek")
        self.seek.setAccessibleName("Seek")
        self.seek.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.seek.sliderPressed.connect(self._seek_pressed)
        self.seek.sliderReleased.connect(self._seek_released)
        self.seek.sliderMoved.connect(lambda v: self.elapsed.setText(format_time(v / _SEEK_SCALE)))
        # Clicks on the groove change the value without a press/release pair: seek on those too.
        self.seek.valueChanged.connect(self._seek_value_changed)

        self.previous_button = self._tool(
            style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipBackward),
            "Previous track (Ctrl+Left)",
        )
        self.play_button = self._tool(
            style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Play (Space)"
        )
        self.play_button.setIconSize(QSize(26, 26))
        self.next_button = self._tool(
            style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipForward), "Next track (Ctrl+Right)"
        )
        self.previous_button.clicked.connect(self.previous_clicked)
        self.play_button.clicked.connect(self.play_pause_clicked)
        self.next_button.clicked.connect(self.next_clicked)

        # Said in words too: the play/pause icon alone is easy to misread.
        self.state_label = QLabel("", self)
        self.state_label.setObjectName("dim")
        self.state_label.setAccessibleName("Playback state")
        volume_icon = QLabel(self)
        volume_icon.setPixmap(
            style.standardIcon(QStyle.StandardPixmap.SP_MediaVolume).pixmap(18, 18)
        )
        self.volume = QSlider(Qt.Orientation.Horizontal, self)
        self.volume.setRange(0, 100)
        self.volume.setToolTip("Volume")
        self.volume.setAccessibleName("Volume")
        self.volume.setMinimumWidth(70)
        self.volume.setMaximumWidth(130)
        self.volume.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.volume.valueChanged.connect(self.volume_changed)

        self.strategy = QComboBox(self)
        for key, label, tip in STRATEGIES:
            self.strategy.addItem(label, key)
            self.strategy.setItemData(self.strategy.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.strategy.setToolTip("How the music answers your mood")
        self.strategy.setAccessibleName("Strategy")
        self.strategy.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.strategy.currentIndexChanged.connect(
            lambda i: self.strategy_changed.emit(self.strategy.itemData(i))
        )

        heading = QHBoxLayout()
        heading.setSpacing(8)
        heading.addWidget(self.title, 1)
        heading.addWidget(self.chip, 0, Qt.AlignmentFlag.AlignVCenter)
        seek_row = QHBoxLayout()
        seek_row.addWidget(self.elapsed)
        seek_row.addWidget(self.seek, 1)
        seek_row.addWidget(self.remaining)
        controls = QHBoxLayout()
        controls.setSpacing(4)
        controls.addWidget(self.previous_button)
        controls.addWidget(self.play_button)
        controls.addWidget(self.next_button)
        controls.addWidget(self.state_label)
        controls.addSpacing(10)
        controls.addWidget(volume_icon)
        controls.addWidget(self.volume, 1)
        controls.addSpacing(10)
        controls.addStretch(0)
        controls.addWidget(self.strategy)

        text = QVBoxLayout()
        text.setSpacing(2)
        text.addLayout(heading)
        text.addWidget(self.artist)
        text.addWidget(self.reason)
        grid = QGridLayout(self)
        grid.setContentsMargins(8, 8, 8, 8)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(4)
        grid.addWidget(self.cover, 0, 0, 2, 1, Qt.AlignmentFlag.AlignTop)
        grid.addLayout(text, 0, 1)
        grid.addLayout(seek_row, 1, 1)
        grid.addLayout(controls, 2, 0, 1, 2)
        grid.setColumnStretch(1, 1)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def _tool(self, icon, tip: str) -> QToolButton:  # noqa: ANN001 (QIcon)
        button = QToolButton(self)
        button.setIcon(icon)
        button.setIconSize(QSize(20, 20))
        button.setToolTip(tip)
        button.setAccessibleName(tip.split(" (")[0])
        button.setAutoRaise(True)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return button

    # -- state in ----------------------------------------------------------------------------

    def set_track(
        self,
        title: str | None,
        artist: str = "",
        album: str = "",
        emotion: Emotion | None = None,
        reason: str = "",
        duration: float | None = None,
    ) -> None:
        """Show a track (``title`` ``None``: nothing playing)."""
        if title is None:
            self.title.setText("Nothing playing")
            self.artist.setText("Pick a mood or press Space")
            self.reason.setText("")
            self.chip.set_emotion(None)
            self.cover.set_cover(None, None)
            self.set_position(0.0, None)
            return
        self.title.setText(title)
        self.artist.setText(
            " · ".join(part for part in (artist or "Unknown artist", album) if part)
        )
        self.reason.setText(reason)
        self.chip.set_emotion(emotion)
        self.cover.set_cover(None, emotion)
        self.set_position(0.0, duration)

    def set_cover(self, image: QImage | None, emotion: Emotion | None) -> None:
        """Show the embedded cover once it has been read (placeholder when ``None``)."""
        self.cover.set_cover(image, emotion)

    def set_playing(self, playing: bool) -> None:
        """Switch the play button between play and pause."""
        self._playing = playing
        pixmap = (
            QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        )
        self.play_button.setIcon(self.style().standardIcon(pixmap))
        self.play_button.setToolTip("Pause (Space)" if playing else "Play (Space)")

    def set_paused(self, paused: bool) -> None:
        """Say "Paused" beside the controls (nothing otherwise)."""
        self.state_label.setText("Paused" if paused else "")

    @property
    def playing(self) -> bool:
        """What the play button currently shows."""
        return self._playing

    def set_position(self, position: float, duration: float | None) -> None:
        """Move the seek bar (ignored while the user drags it)."""
        if duration is not None and duration > 0:
            self._duration = duration
            self.seek.setRange(0, int(duration * _SEEK_SCALE))
        elif duration is None and position == 0.0:
            self._duration = None
            self.seek.setRange(0, 0)
        if self._seeking:
            return
        self.seek.blockSignals(True)
        self.seek.setValue(int(max(0.0, position) * _SEEK_SCALE))
        self.seek.blockSignals(False)
        self.elapsed.setText(format_time(position))
        self.remaining.setText(format_time(self._duration))

    def set_volume(self, volume: int) -> None:
        """Move the volume slider without emitting :attr:`volume_changed`."""
        self.volume.blockSignals(True)
        self.volume.setValue(int(volume))
        self.volume.blockSignals(False)

    def set_strategy(self, key: str) -> None:
        """Select a strategy without emitting :attr:`strategy_changed`."""
        index = self.strategy.findData(key)
        if index >= 0:
            self.strategy.blockSignals(True)
            self.strategy.setCurrentIndex(index)
            self.strategy.blockSignals(False)

    # -- seeking -------------------------------------------------------------------------------

    def _seek_pressed(self) -> None:
        self._seeking = True

    def _seek_value_changed(self, value: int) -> None:
        if not self._seeking:
            self.seek_requested.emit(value / _SEEK_SCALE)

    def _seek_released(self) -> None:
        self._seeking = False
        self.seek_requested.emit(self.seek.value() / _SEEK_SCALE)
