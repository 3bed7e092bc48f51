"""The one way the GUI runs a job off its thread: a callable in, ``(result, error)`` back.

Picard style (``picard.util.thread.run_task``): :meth:`BackgroundTasks.run` calls ``fn()`` on a
worker thread, then ``done(result, None)`` or ``done(None, error)`` on the GUI thread, through a
queued signal, so ``done`` may touch widgets and ``fn`` never does. Every worker that is not a
long-running loop uses it: tag writes, cover loading, the library scan, the timeline export, the
audio backend's start. (The vision loop and the player thread are loops and keep their own
threads.)
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

T = TypeVar("T")
Done = Callable[[T | None, Exception | None], None]
"""Called on the GUI thread with ``(result, None)`` or ``(None, error)``."""


class BackgroundTasks(QObject):
    """A named set of worker threads; with one worker (the default) jobs run in order."""

    _finished = Signal(object, object, object)  # done, result, error

    def __init__(self, name: str, *, workers: int = 1, parent: QObject | None = None) -> None:
        """Threads are called ``name``-N; created on the first :meth:`run`."""
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._closed = False
        # This object lives on the GUI thread: a worker's emit is queued to it.
        self._finished.connect(self._deliver)

    def run(self, fn: Callable[[], T], done: Done[T] | None = None) -> Future[None] | None:
        """Run ``fn()`` off the GUI thread, then ``done(result, error)`` on it.

        Returns the job's future (tests wait on it), or ``None`` once :meth:`close` was called.
        Without ``done`` an error is only logged.
        """
        if self._closed:
            return None

        def job() -> None:
            result: T | None = None
            error: Exception | None = None
            try:
                result = fn()
            except Exception as exc:  # handed to ``done``: the caller words it for the user
                error = exc
                if done is None:
                    log.exception("background job %s failed", getattr(fn, "__name__", fn))
            if done is not None:
                # The window may have closed meanwhile, deleting this object: nothing to tell.
                with contextlib.suppress(RuntimeError):
                    self._finished.emit(done, result, error)

        return self._executor.submit(job)

    def _deliver(self, done: Done[object], result: object, error: Exception | None) -> None:
        done(result, error)

    def close(self, wait: bool = True) -> None:
        """Take no more jobs; ``wait`` lets the queued ones finish first (tag writes are atomic)."""
        self._closed = True
        self._executor.shutdown(wait=wait, cancel_futures=not wait)
