"""One library scan as a background job, with progress and cancel.

The scan (directory walk, tag reading, optional analysis) can take minutes on a big library; it
runs through :class:`~emotune.ui.workers.background.BackgroundTasks`, so the window keeps
painting, and its result crosses back as a plain ScanReport.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emotune.music.library.scanner import ScanReport

Progress = Callable[[int, int, Path], None]
Scanner = Callable[..., "ScanReport"]
"""``scan(folders, *, analyze, progress)`` (:func:`emotune.music.library.scanner.scan` by default)."""


class ScanCancelled(Exception):
    """Raised from the progress callback to stop a scan early."""


class ScanJob:
    """One scan: call it on a worker thread; :meth:`cancel` works from any thread."""

    def __init__(
        self,
        folders: Sequence[Path] | None,
        report_progress: Callable[[int, int, str], None],
        *,
        analyze: bool = False,
        scanner: Scanner | None = None,
    ) -> None:
        """Scan ``folders`` (``None``: the demo library plus the user's folders)."""
        self.folders = list(folders) if folders is not None else None
        self.analyze = analyze
        self._scanner = scanner
        self._report_progress = report_progress
        self._cancel = threading.Event()
        self._last_report = 0

    def cancel(self) -> None:
        """Stop at the next file (any thread)."""
        self._cancel.set()

    def _on_progress(self, done: int, total: int, path: Path) -> None:
        if self._cancel.is_set():
            raise ScanCancelled
        self._throttled(done, total, str(path))

    def _throttled(self, done: int, total: int, path: str) -> None:
        # At most ~100 progress reports per pass: more only floods the GUI's event queue.
        step = max(1, total // 100)
        if done < self._last_report or done - self._last_report >= step or done >= total:
            self._last_report = done
            self._report_progress(done, total, path)

    def __call__(self) -> ScanReport | None:
        """Scan (worker thread); ``None`` when cancelled. Errors propagate to the caller's ``done``."""
        scanner = self._scanner
        analyze = self.analyze
        if scanner is None:
            from emotune.music.library.scanner import scan as scanner

            if analyze:
                # The analysis itself runs in a child process (it would starve the GUI thread
                # here) and fills the library cache; the scan below then reads it from there.
                from emotune.music.library.analysis_process import analyse_in_child

                analyse_in_child(self.folders, self._on_child_progress, self._cancel)
                if self._cancel.is_set():
                    return None
                analyze = False
                self._last_report = 0  # the cached pass below reports from the start
        try:
            return scanner(self.folders, analyze=analyze, progress=self._on_progress)
        except ScanCancelled:
            return None

    def _on_child_progress(self, done: int, total: int) -> None:
        self._throttled(done, total, "")
