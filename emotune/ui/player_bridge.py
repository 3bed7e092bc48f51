"""Turns the DJ's plain-Python events (raised on the player's own thread) into Qt signals.

Every signal is connected with ``Qt.QueuedConnection`` by :meth:`PlayerBridge.connect_to`, so
slots always run later on the GUI thread, whichever thread raised the event: the backend's event
thread for track changes and progress, or the GUI thread itself for actions such as ``next()``
(queued delivery also keeps a slot from re-entering the DJ while it still holds its guard).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal


class PlayerBridge(QObject):
    """Qt signals mirroring :data:`emotune.music.dj.EVENTS`."""

    now_playing = Signal(object)  # QueueEntry
    track_ended = Signal(object)  # QueueEntry
    skipped = Signal(object)  # Skip (track, reason)
    queue_changed = Signal()
    finished = Signal()
    position = Signal(float, object)  # seconds, duration | None
    mood_changed = Signal(object, bool)  # Mood, pinned
    strategy_changed = Signal(str)
    volume_changed = Signal(int)
    notice = Signal(str)

    def __init__(self, dj: Any, parent: QObject | None = None) -> None:
        """Listen to ``dj`` (a MoodDJ, or anything with ``connect(event, fn)``)."""
        super().__init__(parent)
        self._disconnects: list[Callable[[], None]] = [
            dj.connect("now_playing", self.now_playing.emit),
            dj.connect("track_ended", self.track_ended.emit),
            dj.connect("skipped", self.skipped.emit),
            dj.connect("queue_changed", self.queue_changed.emit),
            dj.connect("finished", self.finished.emit),
            dj.connect("position", lambda seconds, duration: self.position.emit(float(seconds), duration)),
            dj.connect("mood_changed", lambda mood, pinned: self.mood_changed.emit(mood, bool(pinned))),
            dj.connect("strategy_changed", self.strategy_changed.emit),
            dj.connect("volume_changed", lambda volume: self.volume_changed.emit(int(volume))),
            dj.connect("notice", self.notice.emit),
        ]

    def connect_to(self, signal_name: str, slot: Callable[..., Any]) -> None:
        """Connect one of this bridge's signals to ``slot`` with a queued connection."""
        getattr(self, signal_name).connect(slot, Qt.ConnectionType.QueuedConnection)

    def detach(self) -> None:
        """Stop listening to the DJ (before it or this object goes away)."""
        for disconnect in self._disconnects:
            disconnect()
        self._disconnects.clear()
