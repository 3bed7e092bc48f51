"""The Library menu and the background scan: choose a folder, rescan with progress.

The scan runs as a :class:`ScanJob` in the background; progress goes to the status bar, the result to
the emoji bar (tracks per mood), the status bar's track count and :attr:`LibraryControl.loaded`.
An empty library gets a banner with a button to choose a folder.
"""

from __future__ import annotations

import concurrent.futures
import logging
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QFileDialog

from emotune.settings import Setting, Settings
from emotune.ui.main_window import MainWindow
from emotune.ui.widgets.banner import BannerLevel
from emotune.ui.workers.background import BackgroundTasks
from emotune.ui.workers.scan_worker import ScanJob, Scanner

if TYPE_CHECKING:
    from emotune.music.library.scanner import ScanReport
    from emotune.music.library.track import Track

log = logging.getLogger(__name__)


class LibraryControl(QObject):
    """Runs scans one at a time and shows their progress and outcome."""

    loaded = Signal(object)  # ScanReport, on the GUI thread
    _progress = Signal(int, int, str)  # done, total, path: emitted by the scan, shown here

    def __init__(
        self,
        window: MainWindow,
        settings: Settings,
        folders: list[Path] | None = None,
        scanner: Scanner | None = None,
        parent: QObject | None = None,
    ) -> None:
        """``folders`` ``None`` scans the demo library plus the folders in the settings."""
        super().__init__(parent)
        self.window = window
        self.settings = settings
        self.folders = folders
        self._scanner = scanner
        self._tasks = BackgroundTasks("emotune-scan", parent=self)
        self._job: ScanJob | None = None  # the scan running now
        self._running: Future[None] | None = None
        self.tracks: list[Track] = []
        self._rescan_pending = False
        self._files_total: int | None = None  # files in the running scan; more = analysis
        self._job_was_analysing = False
        window.choose_folder_action.triggered.connect(self.choose_folder)
        window.rescan_action.triggered.connect(self.rescan)
        window.progress_cancel.clicked.connect(self.cancel)
        self._progress.connect(self._on_progress)  # queued: the scan emits it on its thread

    @property
    def scanning(self) -> bool:
        """Whether a scan is running."""
        return self._job is not None

    def rescan(self) -> None:
        """Scan in the background. While a scan is running, one more is queued to follow it:
        the running one may already have read a file that changed since (e.g. just tagged)."""
        if self._job is not None:
            self._rescan_pending = True
            return
        self._rescan_pending = False
        self._start(analyze=False)

    def _start(self, analyze: bool) -> None:
        """Two passes: tags and folders first, so the music can start at once; then, only if
        some tracks have neither, analysis places those by their sound (cached, so only new
        files cost) and the library is handed over again."""
        self._job = ScanJob(
            self.folders, self._progress.emit, analyze=analyze, scanner=self._scanner
        )
        self._files_total = None
        if not analyze:
            self.window.show_progress("Scanning library", 0, 0)
        self._running = self._tasks.run(self._job, self._on_done)

    def cancel(self) -> None:
        """Stop the running scan at the next file (and drop a queued one)."""
        self._rescan_pending = False
        if self._job is not None:
            self._job.cancel()

    def close(self, timeout: float = 3.0) -> None:
        """Window closing: cancel the scan and give it ``timeout`` s to stop (a slow disk may not)."""
        self.cancel()
        if self._running is not None:
            _done, pending = concurrent.futures.wait([self._running], timeout)
            if pending:
                log.warning("the library scan did not stop in time; leaving it to finish")
        self._tasks.close(wait=False)

    def _on_done(self, report: ScanReport | None, error: Exception | None) -> None:
        self._job_was_analysing = self._job is not None and self._job.analyze
        self._job = None
        self._running = None
        if error is not None:  # a broken library must not take the app down
            log.error("library scan failed", exc_info=error)
            self._on_failed(f"The library scan failed: {error}")
        elif report is None:  # cancelled
            self.window.hide_progress()
        else:
            analysed = self._job_was_analysing
            self._on_finished(report)
            unplaced = any(t.source == "default" for t in report.tracks)
            if not analysed and unplaced and self._job is None and not self._rescan_pending:
                self._start(analyze=True)

    def choose_folder(self) -> None:
        """Ask for a music folder, remember it and rescan."""
        path = QFileDialog.getExistingDirectory(
            self.window, "Choose your music folder", str(Path.home())
        )
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
        elif self._job is not None and self._job.analyze:
            # The analysis pass re-reads the (cached) files first, then compiles its kernels
            # once per machine: say what the wait is for.
            self.window.show_progress("Preparing to analyse untagged tracks…", 0, 0)
        else:
            self.window.show_progress(f"Scanning library {done}/{total}", done, total)
        self.window.progress.setToolTip(path)

    def _on_finished(self, report: ScanReport) -> None:
        self.window.hide_progress()
        self.tracks = list(report.tracks)
        counts = report.counts()
        self.window.emoji_bar.set_counts(counts)
        self.window.library_label.setText(f"♪ {len(self.tracks)} tracks")
        skipped = len(report.skipped)
        self.window.library_label.setToolTip(
            "\n".join(
                [f"{e.label}: {n}" for e, n in counts.items()]
                + ([f"{skipped} files skipped"] if skipped else [])
            )
        )
        if self.tracks:
            self.window.banners.dismiss("library")
        else:
            self.show_empty()
        self.loaded.emit(report)
        self._run_pending_scan()

    def _on_failed(self, message: str) -> None:
        self.window.hide_progress()
        self.window.banners.show_banner(
            "library",
            f"{message} Try Library ▸ Rescan, or choose another folder.",
            BannerLevel.ERROR,
        )
        self._run_pending_scan()

    def _run_pending_scan(self) -> None:
        if self._rescan_pending:
            # From the event loop, not from inside this scan's delivery.
            QTimer.singleShot(0, self, self.rescan)

    def show_empty(self) -> None:
        """Banner: there is no music, and how to add some."""
        self.window.banners.show_banner(
            "library",
            "No music found. Choose a folder with your music (MP3, FLAC, OGG, M4A, WAV…).",
            BannerLevel.WARNING,
            ("Choose folder…", self.choose_folder),
        )
