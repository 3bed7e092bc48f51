"""Measures how late a 16 ms GUI-thread timer fires: the app's "never blocks the GUI" check.

Two numbers per gap between consecutive ticks:

* the raw gap, what a user would feel;
* the gap minus the time the operating system kept the GUI thread waiting for a CPU while it was
  ready to run (Linux ``/proc/self/task/<tid>/schedstat``, second field). That part is caused by
  other processes or threads competing for the cores (a training job on a 2-core machine, say),
  not by the app blocking its GUI thread with work or locks. Where schedstat is missing, the two
  numbers are equal.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer


def _schedstat_path() -> Path | None:
    path = Path(f"/proc/self/task/{threading.get_native_id()}/schedstat")
    try:
        path.read_text()
    except OSError:
        return None
    return path


class TimerLagProbe(QObject):
    """Starts a precise 16 ms timer and records the longest gaps between two ticks."""

    def __init__(self, interval_ms: int = 16, parent: QObject | None = None) -> None:
        """Create a stopped probe (construct it on the thread to measure: the GUI thread)."""
        super().__init__(parent)
        self.interval_ms = interval_ms
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._schedstat = _schedstat_path()
        self._reset()

    def _reset(self) -> None:
        self._last: float | None = None
        self._last_wait = 0.0
        self.max_gap_ms = 0.0
        self.max_adjusted_gap_ms = 0.0
        self.ticks = 0
        self.gaps_over: dict[int, int] = {}
        self.worst: list[tuple[float, float, float]] = []  # (gap ms, adjusted ms, monotonic time)

    @property
    def has_schedstat(self) -> bool:
        """Whether run-queue waits can be told apart (Linux with schedstats)."""
        return self._schedstat is not None

    def start(self) -> None:
        """Begin measuring (resets the numbers)."""
        self._reset()
        self._timer.start()

    def stop(self) -> None:
        """Stop measuring."""
        self._timer.stop()

    def _run_queue_wait_ms(self) -> float:
        if self._schedstat is None:
            return 0.0
        try:
            return int(self._schedstat.read_text().split()[1]) / 1e6
        except (OSError, ValueError, IndexError):
            return 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        waited = self._run_queue_wait_ms()
        if self._last is not None:
            gap = (now - self._last) * 1000.0
            adjusted = max(0.0, gap - (waited - self._last_wait))
            self.max_gap_ms = max(self.max_gap_ms, gap)
            self.max_adjusted_gap_ms = max(self.max_adjusted_gap_ms, adjusted)
            for limit in (33, 50, 100):
                if gap > limit:
                    self.gaps_over[limit] = self.gaps_over.get(limit, 0) + 1
            if gap > 33:
                self.worst.append((round(gap, 1), round(adjusted, 1), time.monotonic()))
                self.worst.sort(reverse=True)
                del self.worst[10:]
        self._last = now
        self._last_wait = waited
        self.ticks += 1
