"""Start-up bookkeeping: the milestones the start-up probe reads, and the window's geometry."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QByteArray

from emotune.settings import Setting, Settings
from emotune.ui.main_window import MainWindow


@dataclass
class StartupTimes:
    """Start-up milestones in seconds since the process started.

    Printed by ``--probe`` and read by :mod:`emotune.devtools.startup_probe`.
    """

    window_shown: float | None = None
    first_frame: float | None = None
    first_frame_cpu: float | None = None  # CPU seconds (all threads) used by then: load-independent
    model_loaded: float | None = None
    library_loaded: float | None = None
    mood_changes: list[tuple[float, str, float]] = field(default_factory=list)  # (t, mood, conf.)


def save_geometry(window: MainWindow, settings: Settings) -> None:
    """Remember where the window is (for :func:`restore_geometry` next time)."""
    geometry = window.saveGeometry().toBase64().data().decode("ascii")
    settings.set(Setting.WINDOW_GEOMETRY, geometry)


def restore_geometry(window: MainWindow, settings: Settings) -> bool:
    """Put the window where it was last time; False when nothing usable was saved."""
    saved = settings.get(Setting.WINDOW_GEOMETRY)
    if not isinstance(saved, str) or not saved:
        return False
    try:
        return bool(window.restoreGeometry(QByteArray.fromBase64(saved.encode("ascii"))))
    except (UnicodeEncodeError, ValueError):
        return False
