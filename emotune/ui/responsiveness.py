"""Measures how late a 16 ms GUI-thread timer fires: the app's "never blocks the GUI" check.

Two numbers per gap between consecutive ticks:

* the raw gap, what a user would feel;
* the gap minus the time the app's threads spent ready to run but waiting for a CPU (Linux
  ``/proc/self/task/*/schedstat``, second field, summed over the app's threads). That part is
  caused by other processes competing for the cores (a training job on a 2-core machine, say).
  Summing over all threads matters: a worker preempted while it holds the GIL makes the GUI
  thread wait too, yet that wait is the machine's doing, not the app's. What remains is time the
  GUI thread spent busy or blocked while the app had the CPU it asked for: real jank. Where
  schedstat is missing, the two numbers are equal.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer

TASKS = Path("/proc/self/task")


def _run_queue_waits() -> dict[str, int] | None:
    """Nanoseconds each thread of this process has spent waiting for a CPU, by thread id."""
    waits: dict[str, int] = {}
    try:
        tasks = list(TASKS.iterdir())
    except OSError:
        return None
    for task in tasks:
        try:
            waits[task.name] = int((task / "schedstat").read_text().split()[1])
        except (OSError, ValueError, IndexError):
            continue  # the thread ended meanwhile
    return waits or None


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
        self._schedstat = _run_queue_waits() is not None
        self._reset()

    def _reset(self) -> None:
        self._last: float | None = None
        self._last_waits: dict[str, int] = {}
        self.max_gap_ms = 0.0
        self.max_adjusted_gap_ms = 0.0
        self.ticks = 0
        self.gaps_over: dict[int, int] = {}
        self.worst: list[tuple[float, float, float]] = []  # (gap ms, adjusted ms, monotonic time)

    @property
    def has_schedstat(self) -> bool:
        """Whether run-queue waits can be told apart (Linux with schedstats)."""
        return self._schedstat

    def start(self) -> None:
        """Begin measuring (resets the numbers)."""
        self._reset()
        self._timer.start()

    def stop(self) -> None:
        """Stop measuring."""
        self._timer.stop()

    def _starved_ms(self, waits: dict[str, int]) -> float:
        """Run-queue wait of all threads since the last tick (new threads count from their start)."""
        total = 0
        for tid, ns in waits.items():
            total += ns - self._last_waits.get(tid, 0)
        return max(0, total) / 1e6

    def _tick(self) -> None:
        now = time.perf_counter()
        waits = (_run_queue_waits() or {}) if self._schedstat else {}
        if self._last is not None:
            gap = (now - self._last) * 1000.0
            adjusted = max(0.0, gap - self._starved_ms(waits))
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
        self._last_waits = waits
        self.ticks += 1
