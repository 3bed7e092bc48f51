"""File ▸ Export mood timeline…: the timeline's samples as CSV, and a PNG of the widget.

The rows are copied and the picture grabbed on the GUI thread (both quick); the files are
written on a background thread (:class:`BackgroundTasks`) and the outcome comes back to the GUI thread, so a slow disk never
freezes the window. The CSV format lives in :mod:`emotune.timeline_csv` (shared with the CLI).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog

from emotune.emotions import Emotion
from emotune.mood import MoodState
from emotune.timeline_csv import TimelineMode, write_timeline_csv
from emotune.ui.main_window import MainWindow
from emotune.ui.widgets.banner import BannerLevel
from emotune.ui.widgets.timeline import TimelineSample
from emotune.ui.workers.background import BackgroundTasks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportRow:
    """One timeline sample in the shape :func:`write_timeline_csv` reads."""

    timestamp: float  # seconds since the first exported sample
    mood: Emotion | None
    music_mood: Emotion | None
    state: MoodState | TimelineMode  # the filter's state, or pinned by hand / camera off
    probabilities: tuple[float, ...] | None


def export_rows(samples: Sequence[TimelineSample]) -> list[ExportRow]:
    """Timeline samples (oldest first) as CSV rows, timed from the first one."""
    if not samples:
        return []
    start = samples[0].t
    return [
        ExportRow(s.t - start, s.mood, s.music_mood, _state_of(s), s.probabilities) for s in samples
    ]


def _state_of(sample: TimelineSample) -> MoodState | TimelineMode:
    if sample.pinned:
        return TimelineMode.MANUAL
    return sample.state if sample.state is not None else TimelineMode.OFF


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

    def __init__(self, window: MainWindow, parent: QObject | None = None) -> None:
        """Connect to the window's File ▸ Export action."""
        super().__init__(parent)
        self.window = window
        self._tasks = BackgroundTasks("emotune-export", parent=self)
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

    def export(self, csv_path: Path) -> Future[None] | None:
        """Write ``csv_path`` and its PNG; returns the job (``None`` if nothing to write)."""
        rows = export_rows(self.window.timeline.log())
        if not rows:
            self.window.statusBar().showMessage(
                "Nothing to export yet: the timeline is empty.", 5000
            )
            return None
        image = self.window.timeline.grab().toImage()
        return self._tasks.run(lambda: write_export(rows, image, csv_path), self._on_finished)

    def _on_finished(self, written: tuple[Path, Path] | None, error: Exception | None) -> None:
        if error is not None or written is None:
            log.warning("exporting the timeline failed: %s", error)
            self.window.banners.show_banner(
                "export", f"Could not export the timeline: {error}", BannerLevel.ERROR
            )
            return
        csv_path, png = written
        self.window.statusBar().showMessage(
            f"Timeline exported: {csv_path.name} and {png.name}", 8000
        )
