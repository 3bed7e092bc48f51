"""The GUI's only way to the DJ: commands run on a player thread, news comes back as Qt signals.

Two directions, neither of which ever blocks the GUI thread:

* **Commands** (play, next, pin a mood, set the volume, …) go through :meth:`PlayerBridge.submit`
  to one dedicated thread (``emotune-player``), in order. The DJ drives libvlc under its own
  lock, and opening a file can take a hundred milliseconds; done on the GUI thread, that would
  freeze the window at every track change.
* **News**: the DJ's plain-Python events (raised on the backend's thread, or on the player
  thread for commands) are re-emitted as Qt signals. After anything that changes what is queued
  or playing, a fresh :class:`~emotune.music.choose.dj.DJState` snapshot is taken on the player thread
  and sent as :attr:`PlayerBridge.state_changed`; the GUI renders from that and never reads the
  DJ itself. Connect with :meth:`connect_to` (queued connections), so slots always run later on
  the GUI thread.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal, SignalInstance

from emotune.music.choose.dj import DJEvent

if TYPE_CHECKING:
    from emotune.music.choose.dj import MoodDJ

log = logging.getLogger(__name__)


class PlayerBridge(QObject):
    """Qt signals for the DJ events the window shows, plus state snapshots.

    Events that only change what is queued or playing (now playing, queue changed, mood changed)
    are not relayed one by one: they ask for a fresh :attr:`state_changed` snapshot instead.
    """

    skipped = Signal(object)  # Skip (track, reason)
    finished = Signal()
    position = Signal(float, object)  # seconds, duration | None
    strategy_changed = Signal(str)
    volume_changed = Signal(int)
    notice = Signal(object)  # recommender Note
    state_changed = Signal(object)  # DJState, taken on the player thread

    def __init__(self, dj: MoodDJ, parent: QObject | None = None) -> None:
        """Listen to ``dj`` (a MoodDJ) and start the player thread."""
        super().__init__(parent)
        self.dj = dj
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="emotune-player")
        self._closed = False
        self._publish_pending = False
        self._lock = threading.Lock()
        self._disconnects: list[Callable[[], None]] = [
            dj.connect(DJEvent.NOW_PLAYING, self._refresh),
            dj.connect(DJEvent.SKIPPED, self._relay(self.skipped, refresh=True)),
            dj.connect(DJEvent.QUEUE_CHANGED, self._refresh),
            dj.connect(DJEvent.FINISHED, self._relay(self.finished, refresh=True)),
            dj.connect(
                DJEvent.POSITION,
                lambda seconds, duration: self.position.emit(float(seconds), duration),
            ),
            dj.connect(DJEvent.MOOD_CHANGED, self._refresh),
            dj.connect(DJEvent.STRATEGY_CHANGED, self._relay(self.strategy_changed)),
            dj.connect(
                DJEvent.VOLUME_CHANGED, lambda volume: self.volume_changed.emit(int(volume))
            ),
            dj.connect(DJEvent.NOTICE, self._relay(self.notice)),
        ]

    def _refresh(self, *_args: object) -> None:
        """A DJ event that changes the snapshot: ask for a fresh one."""
        self.request_state()

    def _relay(self, signal: SignalInstance, refresh: bool = False) -> Callable[..., None]:
        def relay(*args: object) -> None:
            signal.emit(*args)
            if refresh:
                self.request_state()

        return relay

    # -- commands --------------------------------------------------------------------------

    def submit(self, fn: Callable[..., object], *args: object) -> Future | None:
        """Run ``fn(*args)`` on the player thread (in order), then publish the new state."""
        if self._closed:
            return None

        def job() -> None:
            try:
                fn(*args)
            except Exception:  # one failed command must not stop the player thread
                log.exception("player command %s failed", getattr(fn, "__name__", fn))
            self._publish()

        return self._executor.submit(job)

    def request_state(self) -> None:
        """Ask for a fresh :attr:`state_changed` (coalesced: one snapshot per burst of changes)."""
        with self._lock:
            if self._closed or self._publish_pending:
                return
            self._publish_pending = True
        with contextlib.suppress(RuntimeError):  # shut down meanwhile
            self._executor.submit(self._publish)

    def _publish(self) -> None:
        with self._lock:
            self._publish_pending = False
        try:
            state = self.dj.snapshot(history=0)
        except Exception:
            log.exception("reading the player state failed")
            return
        self.state_changed.emit(state)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until every command submitted so far has run (tests, shutdown)."""
        if self._closed:
            return True
        try:
            self._executor.submit(lambda: None).result(timeout)
        except Exception:
            return False
        return True

    # -- wiring -----------------------------------------------------------------------------

    @staticmethod
    def connect_to(signal: SignalInstance, slot: Callable[..., object]) -> None:
        """Connect one of this bridge's signals to ``slot`` with a queued connection."""
        signal.connect(slot, Qt.ConnectionType.QueuedConnection)

    def close(self, timeout: float = 5.0) -> None:
        """Stop listening, close the DJ (and its backend) on the player thread, end the thread."""
        if self._closed:
            return
        for disconnect in self._disconnects:
            disconnect()
        self._disconnects.clear()
        future = self._executor.submit(self.dj.close)
        self._closed = True
        try:
            future.result(timeout)
        except Exception:
            log.exception("closing the player failed")
        self._executor.shutdown(wait=False, cancel_futures=True)
