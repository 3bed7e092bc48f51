"""A tiny thread-safe observer list used by the player, the queue player and the DJ.

No Qt on purpose: the GUI wraps these objects and marshals each callback onto its own thread
(for example by re-emitting it as a Qt signal with a queued connection). Each owner documents
which thread calls its listeners.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger(__name__)

Listener = Callable[..., Any]


class Emitter:
    """Named events, each with a list of listeners.

    ``connect`` and ``disconnect`` may be called from any thread. ``emit`` calls listeners on
    the thread that calls it, in connection order, outside any lock (so a listener may call
    back into its owner). A listener that raises is logged and skipped: one broken observer
    must never stop the music.
    """

    def __init__(self, names: Iterable[str]) -> None:
        self._names = tuple(names)
        self._lock = threading.Lock()
        self._listeners: dict[str, list[Listener]] = {name: [] for name in self._names}

    @property
    def names(self) -> tuple[str, ...]:
        """The event names this emitter knows."""
        return self._names

    def connect(self, name: str, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` on every ``name`` event; returns a function that disconnects it."""
        self._check(name)
        with self._lock:
            self._listeners[name].append(listener)

        def disconnect() -> None:
            self.disconnect(name, listener)

        return disconnect

    def disconnect(self, name: str, listener: Listener) -> None:
        """Remove one connection of ``listener`` from ``name``; unknown listeners are ignored."""
        self._check(name)
        with self._lock, contextlib.suppress(ValueError):  # disconnecting twice is harmless
            self._listeners[name].remove(listener)

    def emit(self, name: str, *args: Any) -> None:
        """Call every listener of ``name`` with ``args`` on the current thread."""
        self._check(name)
        with self._lock:
            listeners = list(self._listeners[name])  # a snapshot, so listeners may (dis)connect
        for listener in listeners:
            try:
                listener(*args)
            except Exception:  # noqa: BLE001 - an observer bug must not kill the event thread
                log.exception("listener for %r raised", name)

    def _check(self, name: str) -> None:
        if name not in self._listeners:
            raise ValueError(f"unknown event {name!r}; expected one of: {', '.join(self._names)}")


class EventGuard:
    """A re-entrant lock that holds back events until the outermost holder lets go.

    Owners (the queue player, the DJ) change their state under the guard and ``defer`` the
    events those changes cause. The events are emitted after the lock is released, on the
    releasing thread, so a listener can never deadlock against the owner (e.g. a GUI
    listener that waits for its own thread while that thread waits for our lock).
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        self._outbox: list[tuple[Emitter, str, tuple[Any, ...]]] = []

    def __enter__(self) -> EventGuard:
        self._lock.acquire()
        self._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        pending: list[tuple[Emitter, str, tuple[Any, ...]]] = []
        if self._depth == 0:
            pending, self._outbox = self._outbox, []
        self._lock.release()
        for emitter, name, args in pending:
            emitter.emit(name, *args)

    def defer(self, emitter: Emitter, name: str, *args: Any) -> None:
        """Emit ``name`` on ``emitter`` once the guard is fully released (call while holding it)."""
        self._outbox.append((emitter, name, args))
