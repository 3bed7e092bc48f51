"""The player interface every audio backend implements (in the spirit of Quod Libet's).

A backend plays one file at a time. It knows nothing about queues or moods: the queue player
(:mod:`emotune.music.playback.queue_player`) listens for ``ended``/``error`` and loads the next file.

Events (connect with :meth:`PlayerBackend.connect`):

``started(path)``
    playback of a freshly loaded file began (not sent again on resume after pause).
``ended(path)``
    the file played to its natural end (never sent for ``stop()`` or for loading another file).
``error(path, message)``
    the file is missing, unreadable or has no playable audio; ``path`` may be ``None`` for a
    backend-level failure. A file can report ``started`` and then ``error`` when it only turns
    out to be broken once decoding begins.
``position(seconds, duration)``
    periodic progress while playing (about four times a second on real time; once per
    ``advance()`` on simulated time). ``duration`` may be ``None`` when unknown.

Threading: listeners are called on the backend's dispatcher - a dedicated thread for the
VLC backend and the real-time null backend, or the thread that calls ``advance()``/``pump()``
for the simulated-clock null backend. Never on libvlc's own threads, and never from inside a
backend method: events are always queued, then delivered one after another. So listeners may
call back into the backend (e.g. load and play the next file from an ``ended`` listener), and
callers may hold their own lock while calling a backend without ever being re-entered.
"""

from __future__ import annotations

import abc
import logging
import threading
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any

from emotune.music.playback.backends.dispatch import Dispatcher
from emotune.music.playback.events import Emitter

log = logging.getLogger(__name__)

EVENTS: tuple[str, ...] = ("started", "ended", "error", "position")
"""The event names every backend emits."""


class PlayerState(str, Enum):
    """What a backend is doing."""

    EMPTY = "empty"  # nothing loaded
    STOPPED = "stopped"  # loaded, at the start, not playing
    PLAYING = "playing"
    PAUSED = "paused"
    ENDED = "ended"  # played to the end
    ERROR = "error"  # the loaded file failed


class PlayerBackend(abc.ABC):
    """Base class: event plumbing plus the abstract transport controls."""

    #: Short name used in logs and by :func:`emotune.music.playback.backends.create_backend`.
    name = "base"

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.events = Emitter(EVENTS)
        self._dispatcher = dispatcher
        self._closed = False
        # Shared transport state, set before any subclass timer or event thread can read it.
        self._lock = threading.RLock()
        self._path: Path | None = None
        self._state = PlayerState.EMPTY

    # -- events ---------------------------------------------------------------------------

    def connect(self, event: str, listener: Callable[..., Any]) -> Callable[[], None]:
        """Subscribe ``listener`` to ``event`` (see module docs); returns a disconnect function."""
        return self.events.connect(event, listener)

    def disconnect(self, event: str, listener: Callable[..., Any]) -> None:
        """Unsubscribe ``listener`` from ``event``."""
        self.events.disconnect(event, listener)

    def _emit(self, event: str, *args: Any) -> None:
        """Queue ``event`` for the listeners on the dispatcher.

        Always queued, even when already on the dispatcher thread: a listener that reacts to
        ``error`` by loading the next (also broken) file must not be re-entered from inside
        its own ``load()`` call. Queuing turns a chain of broken files into a loop instead of
        a recursion, and keeps the caller's locks out of the listeners' way.
        """
        self._dispatcher.post(lambda: self.events.emit(event, *args))

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until every event raised so far has reached the listeners (tests, scripts)."""
        return self._dispatcher.wait_idle(timeout)

    # -- transport ------------------------------------------------------------------------

    @abc.abstractmethod
    def load(self, path: str | Path, *, duration: float | None = None) -> None:
        """Load ``path`` ready to play, replacing (and silently stopping) the current file.

        ``duration`` is an optional hint in seconds (e.g. from the library) used when the
        backend cannot tell. A missing or unreadable file is reported with ``error``.
        """

    @abc.abstractmethod
    def play(self) -> None:
        """Start or resume playback of the loaded file; ``started`` follows a fresh start."""

    @abc.abstractmethod
    def pause(self) -> None:
        """Pause; ``play()`` resumes from the same position."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop and rewind; does not emit ``ended``."""

    @abc.abstractmethod
    def seek(self, seconds: float) -> None:
        """Jump to ``seconds`` from the start (clamped to the file)."""

    @property
    @abc.abstractmethod
    def position(self) -> float:
        """Seconds played in the current file (0.0 when nothing is loaded)."""

    @property
    @abc.abstractmethod
    def duration(self) -> float | None:
        """Length of the current file in seconds, or ``None`` when unknown."""

    @property
    @abc.abstractmethod
    def volume(self) -> int:
        """Volume 0-100 as last set (kept as state, so it reads back right on silent outputs)."""

    @volume.setter
    @abc.abstractmethod
    def volume(self, value: int) -> None: ...

    @property
    def state(self) -> PlayerState:
        """The current :class:`PlayerState`."""
        with self._lock:
            return self._state

    @property
    def current(self) -> Path | None:
        """The loaded file, if any."""
        with self._lock:
            return self._path

    @property
    def is_playing(self) -> bool:
        """True while audio is (or should be) coming out."""
        return self.state is PlayerState.PLAYING

    def output_devices(self) -> list[tuple[str, str]]:
        """``(id, description)`` of the sound devices this backend can choose (none by default)."""
        return []

    def set_output_device(self, device_id: str | None) -> None:
        """Send the sound to ``device_id`` (``None``: the system default); ignored by default."""
        return None  # backends without a device choice (null) have nothing to switch

    def close(self) -> None:
        """Release the backend's resources and stop its event thread; idempotent."""
        self._closed = True
        self._dispatcher.close()

    def __enter__(self) -> PlayerBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def clamp_volume(value: int | float) -> int:
    """Clamp a volume to the 0-100 range as an int."""
    return max(0, min(100, int(round(float(value)))))
