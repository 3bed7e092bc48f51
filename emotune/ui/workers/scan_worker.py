"""Library scanning in a background thread, with progress and cancel.

The scan (directory walk, tag reading, optional analysis) can take minutes on a big library;
running it here keeps the window responsive. Results cross back as a plain ScanReport.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

log = logging.getLogger(__name__)

Scanner = Callable[..., Any]


class ScanCancelled(Exception):
    """Raised from the progress callback to stop a scan early."""


class ScanWorker(QObject):
    """Runs one scan; create a new worker per scan (see :func:`start_scan`)."""

    progress = Signal(int, int, str)  # done, total, path being read
    finished = Signal(object)  # ScanReport
    failed = Signal(str)  # a message for the user
    cancelled = Signal()

    def __init__(self, folders: list[Path] | None, *, analyze: bool = False, scanner: Scanner | None = None) -> None:
        """Scan ``folders`` (``None``: the demo library plus the user's folders)."""
        super().__init__()
        self.folders = folders
        self.analyze = analyze
        self._scanner = scanner
        self._cancel = threading.Event()
        self._last_emit = 0

    def cancel(self) -> None:
        """Stop at the next file (any thread)."""
        self._cancel.set()

    def _on_progress(self, done: int, total: int, path: Path) -> None:
        if self._cancel.is_set():
            raise ScanCancelled
        # At most ~100 progress signals per scan: more only floods the GUI's event queue.
        step = max(1, total // 100)
        if done - self._last_emit >= step or done >= total:
            self._last_emit = done
            self.progress.emit(done, total, str(path))

    @Slot()
    def run(self) -> None:
        """Scan and emit :attr:`finished`, :attr:`failed` or :attr:`cancelled` (worker thread)."""
        scanner = self._scanner
        if scanner is None:
            from emotune.music.scanner import scan as scanner

            if self.analyze:
                from emotune.music.analysis import warm_up_in_background

                warm_up_in_background()  # once per machine: compile librosa's kernels ahead
        try:
            report = scanner(self.folders, analyze=self.analyze, progress=self._on_progress)
        except ScanCancelled:
            self.cancelled.emit()
        except Exception as error:  # a broken library must not take the app down
            log.exception("library scan failed")
            self.failed.emit(f"The library scan failed: {error}")
        else:
            self.finished.emit(report)


def start_scan(worker: ScanWorker, parent: QObject | None = None) -> QThread:
    """Run ``worker`` in a new QThread that cleans itself up when the scan ends."""
    thread = QThread(parent)
    thread.setObjectName("emotune-scan")
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    for signal in (worker.finished, worker.failed, worker.cancelled):
        signal.connect(thread.quit)
    thread.finished.connect(worker.deleteLater)
    thread.start(QThread.Priority.LowPriority)
    return thread
