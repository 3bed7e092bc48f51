"""File ▸ Export mood timeline…: the timeline's samples as CSV, and a PNG of the widget.

The rows are copied and the picture grabbed on the GUI thread (both quick); the files are
written on a helper thread and the outcome comes back as a signal, so a slow disk never
freezes the window. The CSV format lives in :mod:`emotune.timeline_csv` (shared with the CLI).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog

from emotune.emotions import Emotion
from emotune.mood import MoodState
from emotune.timeline_csv import write_timeline_csv

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportRow:
    """One timeline sample in the shape :func:`write_timeline_csv` reads."""

    timestamp: float  # seconds since the first exported sample
    mood: Emotion | None
    music_mood: Emotion | None
    state: MoodState | str  # the filter's state, or "manual" (pinned) / "off" (camera off)
    probabilities: tuple[float, ...] | None


def export_rows(samples: list[Any]) -> list[ExportRow]:
    """Timeline samples (oldest first) as CSV rows, timed from the first one."""
    if not samples:
        return []
    start = samples[0].t
    return [
        ExportRow(s.t - start, s.mood, s.music_mood, _state_of(s), s.probabilities)
        for s in samples
    ]


def _state_of(sample: Any) -> MoodState | str:
    if sample.pinned:
        return "manual"
    return sample.state if sample.state is not None else "off"


def png_path_for(csv_path: Path) -> Path:
    """Where the picture goes: beside the CSV, same name, ``.png``."""
    return csv_path.with_suffix(".png")


def write_export(rows: list[ExportRow], image: QImage, csv_path: Path) -> tuple[Path, Path]:
    """Write the CSV and the PNG (any thread: a QImage, unlike a QPixmap, may leave the GUI one)."""
    write_timeline_csv(rows, csv_path)
    png = png_path_for(csv_path)
    if not image.save(str(png), "PNG"):
        raise OSError(f"could not write {png}")
    return csv_path, png


class TimelineExporter(QObject):
    """Asks where to save, then writes in the background and reports in the status bar."""

    finished = Signal(object, object)  # (csv Path, png Path) or None, error text or None

    def __init__(self, window: Any, parent: QObject | None = None) -> None:
        """Connect to the window's File ▸ Export action."""
        super().__init__(parent)
        self.window = window
        self.finished.connect(self._on_finished)
        window.export_timeline_action.triggered.connect(self.ask_and_export)

    def ask_and_export(self) -> None:
        """Ask for a file name, then :meth:`export`."""
        path, _ = QFileDialog.getSaveFileName(
            self.window,
            "Export mood timeline",
            str(Path.home() / "emotune-timeline.csv"),
            "CSV (*.csv)",
        )
        if path:
            self.export(Path(path) if path.lower().endswith(".csv") else Path(path + ".csv"))

    def export(self, csv_path: Path) -> threading.Thread | None:
        """Write ``csv_path`` and its PNG; returns the writing thread (``None`` if nothing to write)."""
        rows = export_rows(self.window.timeline.log())
        if not rows:
            self.window.statusBar().showMessage(
                "Nothing to export yet: the timeline is empty.", 5000
            )
            return None
        image = self.window.timeline.grab().toImage()

        def work() -> None:
            try:
                written = write_export(rows, image, csv_path)
            except (OSError, ValueError) as error:
                log.warning("exporting the timeline failed: %s", error)
                self.finished.emit(None, str(error))
            else:
                self.finished.emit(written, None)

        thread = threading.Thread(target=work, name="emotune-export", daemon=True)
        thread.start()
        return thread

    def _on_finished(self, written: Any, error: str | None) -> None:
        if error is not None:
            self.window.banners.show_banner(
                "export", f"Could not export the timeline: {error}", "error"
            )
            return
        csv_path, png = written
        self.window.statusBar().showMessage(
            f"Timeline exported: {csv_path.name} and {png.name}", 8000
        )
