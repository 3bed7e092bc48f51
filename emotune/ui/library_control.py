"""The Library menu and the background scan: choose a folder, rescan with progress.

The scan runs in a :class:`ScanWorker` thread; progress goes to the status bar, the result to
the emoji bar (tracks per mood), the status bar's track count and :attr:`LibraryControl.loaded`.
An empty library gets a banner with a button to choose a folder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal
from PySide6.QtWidgets import QFileDialog

from emotune.settings import Setting, Settings
from emotune.ui.main_window import MainWindow
from emotune.ui.workers.scan_worker import ScanWorker, start_scan


class LibraryControl(QObject):
    """Runs scans one at a time and shows their progress and outcome."""

    loaded = Signal(object)  # ScanReport, on the GUI thread

    def __init__(
        self,
        window: MainWindow,
        settings: Settings,
        folders: list[Path] | None = None,
        scanner: Callable[..., Any] | None = None,
        parent: QObject | None = None,
    ) -> None:
        """``folders`` ``None`` scans the demo library plus the folders in the settings."""
        super().__init__(parent)
        self.window = window
        self.settings = settings
        self.folders = folders
        self._scanner = scanner
        self.thread: QThread | None = None
        self._worker: ScanWorker | None = None
        self.tracks: list[Any] = []
        self._rescan_pending = False
        self._files_total: int | None = None  # files in the running scan; more = analysis
        window.choose_folder_action.triggered.connect(self.choose_folder)
        window.rescan_action.triggered.connect(self.rescan)
        window.progress_cancel.clicked.connect(self.cancel)

    def rescan(self) -> None:
        """Scan in the background. While a scan is running, one more is queued to follow it:
        the running one may already have read a file that changed since (e.g. just tagged)."""
        if self.thread is not None and self.thread.isRunning():
            self._rescan_pending = True
            return
        self._rescan_pending = False
        # analyze: untagged tracks are placed by their sound (cached, so only new files cost)
        worker = ScanWorker(self.folders, analyze=True, scanner=self._scanner)
        self._files_total = None
        # Bound methods of this GUI-thread object, never lambdas: those would run on the scan thread.
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self.window.hide_progress)
        self._worker = worker
        self.window.show_progress("Scanning library", 0, 0)
        self.thread = start_scan(worker, self)

    def cancel(self) -> None:
        """Stop the running scan at the next file (and drop a queued one)."""
        self._rescan_pending = False
        if self._worker is not None:
            self._worker.cancel()

    def choose_folder(self) -> None:
        """Ask for a music folder, remember it and rescan."""
        path = QFileDialog.getExistingDirectory(self.window, "Choose your music folder", str(Path.home()))
        if not path:
            return
        self.settings.set(Setting.LIBRARY_FOLDERS, [path])
        self.folders = None  # the scanner's defaults now include the chosen folder
        self.rescan()

    def _on_progress(self, done: int, total: int, path: str) -> None:
        if self._files_total is None:
            self._files_total = total
        files = self._files_total
        if total > files:  # the scanner grew the total by the tracks it analyses
            done, total = max(0, done - files), total - files
            self.window.show_progress(f"Analysing tracks {done}/{total}", done, total)
        else:
            self.window.show_progress(f"Scanning library {done}/{total}", done, total)
        self.window.progress.setToolTip(path)

    def _on_finished(self, report: Any) -> None:
        self.window.hide_progress()
        self._worker = None
        self.tracks = list(report.tracks)
        counts = report.counts()
        self.window.emoji_bar.set_counts(counts)
        self.window.library_label.setText(f"♪ {len(self.tracks)} tracks")
        skipped = len(report.skipped)
        self.window.library_label.setToolTip(
            "\n".join([f"{e.label}: {n}" for e, n in counts.items()] + ([f"{skipped} files skipped"] if skipped else []))
        )
        if self.tracks:
            self.window.banners.dismiss("library")
        else:
            self.show_empty()
        self.loaded.emit(report)
        self._run_pending_scan()

    def _on_failed(self, message: str) -> None:
        self.window.hide_progress()
        self._worker = None
        self.window.banners.show_banner("library", f"{message} Try Library ▸ Rescan, or choose another folder.", "error")
        self._run_pending_scan()

    def _run_pending_scan(self) -> None:
        if self._rescan_pending:
            # After the worker thread has quit, so that rescan() sees no scan running.
            QTimer.singleShot(0, self, self._start_pending_scan)

    def _start_pending_scan(self) -> None:
        if self.thread is not None and self.thread.isRunning():
            QTimer.singleShot(50, self, self._start_pending_scan)
            return
        self.rescan()

    def show_empty(self) -> None:
        """Banner: there is no music, and how to add some."""
        self.window.banners.show_banner(
            "library",
            "No music found. Choose a folder with your music (MP3, FLAC, OGG, M4A, WAV…).",
            "warning",
            ("Choose folder…", self.choose_folder),
        )
