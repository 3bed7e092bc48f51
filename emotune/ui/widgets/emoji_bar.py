"""The emoji bar: "Auto (camera)" plus one button per emotion to pin the mood by hand."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QSizePolicy, QToolButton, QWidget

from emotune.emotions import EMOTIONS, Emotion
from emotune.ui.icons import emotion_icon, text_icon

AUTO_ID = 100  # not -1: QButtonGroup treats -1 as "pick an id for me"


class EmojiBar(QWidget):
    """Eight exclusive toggle buttons; emits :attr:`mood_chosen` with an Emotion or ``None`` (Auto)."""

    mood_chosen = Signal(object)  # Emotion | None

    def __init__(self, parent: QWidget | None = None) -> None:
        """Create the bar with Auto selected."""
        super().__init__(parent)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.auto_button = self._make_button(
            "Auto (camera)", "Follow the mood the camera reads (key 0)"
        )
        self.auto_button.setIcon(text_icon("\U0001f4f7", 24))
        self.auto_button.setIconSize(QSize(22, 22))
        self.group.addButton(self.auto_button, AUTO_ID)
        layout.addWidget(self.auto_button, 3)
        self.buttons: dict[Emotion, QToolButton] = {}
        for number, emotion in enumerate(EMOTIONS, start=1):
            button = self._make_button(
                emotion.label, f"Play {emotion.label.lower()} music now and keep it (key {number})"
            )
            button.setIcon(emotion_icon(emotion, 24))
            button.setIconSize(QSize(22, 22))
            self.group.addButton(button, emotion.value)
            self.buttons[emotion] = button
            layout.addWidget(button, 2)
        self.auto_button.setChecked(True)
        self.group.idClicked.connect(self._clicked)
        self.setAccessibleName("Mood buttons")

    def _make_button(self, text: str, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setObjectName("emotionButton")
        button.setText(text)
        button.setToolTip(tip)
        button.setCheckable(True)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keep Space for play/pause
        return button

    def _clicked(self, button_id: int) -> None:
        self.mood_chosen.emit(None if button_id == AUTO_ID else Emotion(button_id))

    def selected(self) -> Emotion | None:
        """The pinned emotion, or ``None`` when Auto is selected."""
        checked = self.group.checkedId()
        return None if checked in (AUTO_ID, -1) else Emotion(checked)

    def set_selected(self, emotion: Emotion | None) -> None:
        """Check the button for ``emotion`` (``None``: Auto) without emitting :attr:`mood_chosen`."""
        button = self.auto_button if emotion is None else self.buttons[emotion]
        button.setChecked(True)

    def set_counts(self, counts: Mapping[Emotion, int]) -> None:
        """Show how many tracks each mood has; an empty mood is marked in its tooltip."""
        for number, (emotion, button) in enumerate(self.buttons.items(), start=1):
            n = int(counts.get(emotion, 0))
            if n:
                button.setToolTip(
                    f"Play {emotion.label.lower()} music now and keep it (key {number}) · {n} tracks"
                )
            else:
                button.setToolTip(
                    f"No {emotion.label.lower()} tracks in your library yet (key {number}); nearby moods will be used"
                )
