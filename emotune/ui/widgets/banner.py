"""Non-modal banners that say what went wrong and what to do; the app keeps running.

Each banner has a key ("camera", "audio", "library", ...) so a repeated problem replaces its own
banner instead of stacking copies, and fixing the problem can dismiss exactly that banner.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum, auto

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)


class BannerLevel(Enum):
    """How serious a banner is: its colours and symbol."""

    INFO = auto()
    WARNING = auto()
    ERROR = auto()


LEVELS: dict[BannerLevel, tuple[str, str, str]] = {
    # level: (background, border, symbol)
    BannerLevel.INFO: ("#1d2b45", "#5b8def", "ℹ"),
    BannerLevel.WARNING: ("#3a2f12", "#f5b100", "⚠"),
    BannerLevel.ERROR: ("#3d1a1c", "#e5484d", "✖"),
}


class Banner(QFrame):
    """One message line with an optional action button and a close button."""

    closed = Signal(str)

    def __init__(
        self,
        key: str,
        text: str,
        level: BannerLevel = BannerLevel.WARNING,
        action: tuple[str, Callable[[], None]] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """Build a banner; ``action`` is (button text, callback)."""
        super().__init__(parent)
        if level not in LEVELS:
            raise ValueError(f"unknown banner level {level!r}")
        self.key = key
        self.level = level
        background, border, symbol = LEVELS[level]
        self.setObjectName("banner")
        self.setStyleSheet(
            f"QFrame#banner {{ background: {background}; border: 1px solid {border}; border-radius: 6px; }}"
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 4, 4)
        icon = QLabel(symbol, self)
        icon.setStyleSheet(f"color: {border}; font-weight: bold;")
        self.label = QLabel(text, self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        layout.addWidget(icon)
        layout.addWidget(self.label, 1)
        self.action_button: QPushButton | None = None
        if action is not None:
            self.action_button = QPushButton(action[0], self)
            self.action_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self.action_button.clicked.connect(action[1])
            layout.addWidget(self.action_button)
        close = QToolButton(self)
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.setAutoRaise(True)
        close.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        close.clicked.connect(lambda: self.closed.emit(self.key))
        layout.addWidget(close)

    @property
    def text(self) -> str:
        """The message shown."""
        return self.label.text()


class BannerArea(QWidget):
    """A vertical stack of :class:`Banner` widgets, at most one per key; hidden when empty."""

    MAX_BANNERS = 3  # more than this would push the player off a small screen

    def __init__(self, parent: QWidget | None = None) -> None:
        """Create an empty (hidden) area."""
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self._banners: dict[str, Banner] = {}
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.hide()

    def show_banner(
        self,
        key: str,
        text: str,
        level: BannerLevel = BannerLevel.WARNING,
        action: tuple[str, Callable[[], None]] | None = None,
    ) -> Banner:
        """Show (or replace) the banner for ``key``."""
        self.dismiss(key)
        banner = Banner(key, text, level, action, self)
        banner.closed.connect(self.dismiss)
        self._banners[key] = banner
        self._layout.addWidget(banner)
        while len(self._banners) > self.MAX_BANNERS:
            self.dismiss(next(iter(self._banners)))
        self.show()
        return banner

    def dismiss(self, key: str) -> None:
        """Remove the banner for ``key`` if there is one."""
        banner = self._banners.pop(key, None)
        if banner is not None:
            self._layout.removeWidget(banner)
            banner.hide()
            banner.deleteLater()
        if not self._banners:
            self.hide()

    def banner(self, key: str) -> Banner | None:
        """The banner for ``key``, if shown."""
        return self._banners.get(key)

    def keys(self) -> list[str]:
        """Keys of the banners shown, oldest first."""
        return list(self._banners)
