"""The app's look: a dark Fusion palette and a few shared colours and helpers."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

BACKGROUND = QColor("#16181d")
PANEL = QColor("#1f2229")
PANEL_LIGHT = QColor("#2a2e37")
TEXT = QColor("#e8e9ed")
TEXT_DIM = QColor("#a3a7b3")
ACCENT = QColor("#5b8def")
DANGER = QColor("#e5484d")
OK = QColor("#3dd68c")

STYLESHEET = """
QToolTip { color: #e8e9ed; background: #2a2e37; border: 1px solid #444a57; }
QFrame#panel { background: #1f2229; border-radius: 8px; }
QLabel#dim { color: #a3a7b3; }
QLabel#title { font-size: 15px; font-weight: 600; }
QPushButton, QToolButton { padding: 4px 8px; }
QToolButton#emotionButton { border: 1px solid #3a3f4b; border-radius: 6px; background: #23262e; }
QToolButton#emotionButton:hover { background: #2d313b; }
QToolButton#emotionButton:checked { background: #34405c; border: 2px solid #5b8def; }
QListView { background: #1b1d23; border: 1px solid #2d313b; border-radius: 6px; }
"""


def apply_theme(app: QApplication) -> None:
    """Use Fusion with a dark palette so the app looks the same on every desktop."""
    app.setStyle("Fusion")
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: BACKGROUND,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: QColor("#1b1d23"),
        QPalette.ColorRole.AlternateBase: PANEL,
        QPalette.ColorRole.ToolTipBase: PANEL_LIGHT,
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: PANEL_LIGHT,
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.BrightText: QColor("white"),
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: QColor("white"),
        QPalette.ColorRole.Link: ACCENT,
        QPalette.ColorRole.PlaceholderText: TEXT_DIM,
    }
    for role, colour in roles.items():
        palette.setColor(role, colour)
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6b6f7a"))
    app.setPalette(palette)
    app.setStyleSheet(STYLESHEET)


def format_time(seconds: float | None) -> str:
    """``m:ss`` (or ``h:mm:ss``); ``--:--`` when unknown."""
    if seconds is None or seconds != seconds or seconds < 0:
        return "--:--"
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
