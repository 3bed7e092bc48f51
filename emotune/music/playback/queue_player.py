"""Plays a :class:`PlayQueue` through a :class:`PlayerBackend`.

It listens to the backend: ``ended`` moves to the next entry and starts it straight away
(on the backend's event thread, so the gap between tracks is just the time to open the
next file); ``error`` records a skip with the reason and carries on with the next entry.

Events (``player.connect(name, fn)``):

``now_playing(entry)``   the backend started playing ``entry`` (a :class:`QueueEntry`)
``track_ended(entry)``   ``entry`` played to its end
``skipped(skip)``        a :class:`Skip` - a broken file and the reason; the queue went on
``queue_changed()``      current/upcoming/history changed; read :attr:`queue` for the new state
``finished()``           nothing left to play
``position(seconds, duration)``  progress of the current track, forwarded from the backend
``player_error(message)``  the backend failed as a whole (e.g. no sound output); playback
                         stopped, the current entry stays current so ``play()`` can retry

Threading: every public method may be called from any thread (e.g. the GUI thread) while
backend events arrive on the backend's thread; one :class:`EventGuard` serialises them.
Events are emitted after the guard is released, on the thread whose action caused them:
the backend's event thread for ``now_playing``/``track_ended``/``skipped``/``position`` and
end-of-track moves, the calling thread for moves caused by ``next()``, ``play()`` and so on.
A GUI must marshal them to its own thread.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from emotune.music.playback.backends.base import PlayerBackend, PlayerState
from emotune.music.playback.events import Emitter, EventGuard
from emotune.music.playback.queue import PlayQueue, QueueEntry

EVENTS: tuple[str, ...] = (
    "now_playing",
    "track_ended",
    "skipped",
    "queue_changed",
    "finished",
    "position",
    "player_error",
)

RESTART_THRESHOLD = 3.0
"""``previous()`` later than this many seconds into a track restarts it instead (like most players)."""


class QueuePlayer:
    """Drives a backend from a queue: auto-advance, skip broken files, transport controls.

    ``refill`` (optional) is called under the guard whenever the queue is about to move or
    has moved, so an owner such as the DJ can top up the upcoming entries; it must only
    edit ``queue`` and must not call the backend.
    """

    def __init__(
        self,
        backend: PlayerBackend,
        queue: PlayQueue | None = None,
        *,
        refill: Callable[[], None] | None = None,
        guard: EventGuard | None = None,
    ) -> None:
        self.backend = backend
        self.queue = queue if queue is not None else PlayQueue()
        self.events = Emitter(EVENTS)
        self.guard = guard or EventGuard()
        self._refill = refill
        self._loaded: QueueEntry | None = None  # the entry whose file the backend holds
        self._active = False  # the listener wants music (play pressed, not stopped/finished)
        self._disconnect = [
            backend.connect("started", self._on_started),
            backend.connect("ended", self._on_ended),
            backend.connect("error", self._on_error),
            backend.connect("position", self._on_position),
        ]

    # -- events ---------------------------------------------------------------------------

    def connect(self, event: str, listener: Callable[..., object]) -> Callable[[], None]:
        """Subscribe to an event (see module docs); returns a disconnect function."""
        return self.events.connect(event, listener)

    def _defer(self, name: str, *args: object) -> None:
        self.guard.defer(self.events, name, *args)

    # -- state ----------------------------------------------------------------------------

    @property
    def current(self) -> QueueEntry | None:
        """The entry now playing (or paused, or about to start)."""
        with self.guard:
            return self.queue.current

    @property
    def active(self) -> bool:
        """True between ``play()`` and ``stop()``/the end of the queue (paused counts)."""
        with self.guard:
            return self._active

    @property
    def paused(self) -> bool:
        """True while the backend is paused."""
        return self.backend.state is PlayerState.PAUSED

    # -- backend callbacks (backend's event thread) ---------------------------------------

    def _is_current(self, path: Path | None) -> bool:
        entry = self.queue.current
        return entry is not None and entry is self._loaded and entry.track.path == path

    def _on_started(self, path: Path) -> None:
        with self.guard:
            if self._is_current(path):
                self._defer("now_playing", self.queue.current)

    def _on_ended(self, path: Path) -> None:
        with self.guard:
            if not self._is_current(path):
                return  # a late event for a file the user already moved away from
            self._defer("track_ended", self.queue.current)
            self._fill()
            self._start(self.queue.advance())

    def _on_error(self, path: Path | None, message: str) -> None:
        with self.guard:
            if path is None:
                # The backend itself failed (e.g. no sound device): no file is to blame, so
                # stop rather than mark the whole library broken one file at a time.
                self._active = False
                self._loaded = None
                self.backend.stop()
                self._defer("player_error", message)
                return
            if not self._is_current(path):
                return
            self._fill()
            skip, entry = self.queue.skip_broken(message)
            if skip is not None:
                self._defer("skipped", skip)
            self._start(entry)

    def _on_position(self, seconds: float, duration: float | None) -> None:
        # Progress needs no state change; pass it straight on, on the backend's thread.
        self.events.emit("position", seconds, duration)

    # -- internals (guard held) -----------------------------------------------------------

    def _fill(self) -> None:
        if self._refill is not None:
            self._refill()

    def _start(self, entry: QueueEntry | None) -> None:
        """Load and play ``entry`` (or finish if ``None``). Guard held."""
        self._fill()
        self._defer("queue_changed")
        self._loaded = entry
        if entry is None:
            self.backend.stop()
            if self._active:
                self._active = False
                self._defer("finished")
            return
        self._active = True
        self.backend.load(entry.track.path, duration=entry.track.duration)
        # A load that failed at once has already queued ``error``; its handler moves on.
        if self.backend.state is not PlayerState.ERROR:
            self.backend.play()

    # -- transport (any thread) -----------------------------------------------------------

    def play(self) -> None:
        """Resume, restart the current entry, or start the next one."""
        with self.guard:
            if self.backend.state is PlayerState.PAUSED and self._loaded is self.queue.current:
                self._active = True
                self.backend.play()
                return
            if self.backend.state is PlayerState.PLAYING:
                return
            if self.queue.current is not None:
                self._start(self.queue.current)
            else:
                self._fill()
                self._active = True  # so that an empty queue reports ``finished``
                self._start(self.queue.next())

    def pause(self) -> None:
        """Pause the current track."""
        with self.guard:
            self.backend.pause()

    def toggle(self) -> None:
        """Pause if playing, otherwise play."""
        with self.guard:
            if self.backend.state is PlayerState.PLAYING:
                self.backend.pause()
            else:
                self.play()

    def stop(self) -> None:
        """Stop; ``play()`` starts the current entry again from the top."""
        with self.guard:
            self._active = False
            self._loaded = None
            self.backend.stop()

    def next(self) -> None:
        """Skip to the next entry now (the user asked, so the current track is cut)."""
        with self.guard:
            self._fill()
            entry = self.queue.next()
            if self._active or entry is None:
                self._start(entry)
            else:
                self._loaded = None
                self._defer("queue_changed")

    def previous(self) -> None:
        """Restart the current track, or go back one if it has only just begun."""
        with self.guard:
            if self.queue.current is not None and self.backend.position > RESTART_THRESHOLD:
                self.backend.seek(0.0)
                return
            entry = self.queue.previous()
            if self._active:
                self._start(entry)
            else:
                self._loaded = None
                self._defer("queue_changed")

    def jump_to(self, entry_id: int) -> bool:
        """Play the upcoming entry with ``entry_id`` now, dropping those before it."""
        with self.guard:
            entry = self.queue.jump_to(entry_id)
            if entry is None:
                return False
            self._active = True
            self._start(entry)
            return True

    def seek(self, seconds: float) -> None:
        """Jump within the current track."""
        self.backend.seek(seconds)

    @property
    def volume(self) -> int:
        """Backend volume, 0-100."""
        return self.backend.volume

    @volume.setter
    def volume(self, value: int) -> None:
        self.backend.volume = value

    def changed(self) -> None:
        """Tell listeners the queue was edited from outside (call with the guard held)."""
        self._defer("queue_changed")

    def close(self) -> None:
        """Stop listening to the backend (the backend itself is left open)."""
        for disconnect in self._disconnect:
            disconnect()
        self._disconnect.clear()
