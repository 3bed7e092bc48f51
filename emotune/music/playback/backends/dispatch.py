"""Where player events run: a dedicated thread, or a manual pump for simulated time.

libvlc calls its event callbacks on its own internal threads, and those callbacks must not
call back into libvlc (it can deadlock). So a backend never does real work in such a
callback: it ``post``s a small function to a dispatcher, and the dispatcher runs it (and the
listeners it notifies) on a thread where calling libvlc is safe.

Two dispatchers share one interface:

* :class:`ThreadDispatcher` - one daemon thread per backend that runs posted work in order
  and calls a ``tick`` function periodically (position updates, end-of-track checks).
* :class:`ManualDispatcher` - no thread; posted work waits until someone calls ``pump()``.
  The null backend's simulated clock uses it, which makes tests deterministic.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable

log = logging.getLogger(__name__)

Work = Callable[[], None]
Tick = Callable[[], "float | None"]

_STOP = object()


def _run(work: Work) -> None:
    try:
        work()
    except Exception:  # noqa: BLE001 - keep the event thread alive whatever a handler does
        log.exception("player event handler raised")


class ThreadDispatcher:
    """Runs posted work, in order, on one daemon thread named ``name``.

    ``tick`` (optional) runs on the same thread whenever ``interval`` seconds have passed
    without it; it may return the number of seconds until it wants to run again (for
    example the time left until a simulated track ends), or ``None`` for ``interval``.
    """

    def __init__(self, name: str, *, tick: Tick | None = None, interval: float = 0.25) -> None:
        self.name = name
        self._tick = tick
        self._interval = interval
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def post(self, work: Work) -> None:
        """Queue ``work`` to run on the dispatcher thread. Safe from any thread, even libvlc's."""
        if not self._closed:
            self._queue.put(work)

    def on_dispatch_thread(self) -> bool:
        """True when called from the dispatcher's own thread."""
        return threading.current_thread() is self._thread

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until everything posted before this call has run; False on timeout."""
        if self.on_dispatch_thread() or self._closed:
            return True
        done = threading.Event()
        self.post(done.set)
        return done.wait(timeout)

    def close(self, timeout: float = 2.0) -> None:
        """Stop the thread after the work already queued; idempotent."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        if not self.on_dispatch_thread():
            self._thread.join(timeout)

    def _loop(self) -> None:
        next_tick = time.monotonic() + self._interval
        while True:
            timeout = max(0.0, next_tick - time.monotonic())
            try:
                item = self._queue.get(timeout=timeout)
            except queue.Empty:
                item = None
            if item is _STOP:
                return
            if item is not None:
                _run(item)  # type: ignore[arg-type]
            now = time.monotonic()
            if now >= next_tick:
                wanted = None
                if self._tick is not None:
                    try:
                        wanted = self._tick()
                    except Exception:  # noqa: BLE001
                        log.exception("player tick raised")
                delay = (
                    self._interval if wanted is None else max(0.005, min(wanted, self._interval))
                )
                next_tick = time.monotonic() + delay


class ManualDispatcher:
    """Posted work waits until ``pump()`` runs it on the pumping thread.

    Work posted while a pump is running (for example a listener that loads the next track in
    response to ``ended``) joins the same pump instead of recursing, so long chains of
    broken files never grow the stack.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: deque[Work] = deque()
        self._pumping: threading.Thread | None = None

    def post(self, work: Work) -> None:
        """Queue ``work`` for the next ``pump()``."""
        with self._lock:
            self._pending.append(work)

    def on_dispatch_thread(self) -> bool:
        """True while the calling thread is inside ``pump()``."""
        return self._pumping is threading.current_thread()

    def pump(self) -> int:
        """Run queued work (and work it queues) until none is left; returns how many ran.

        A nested call from inside a running pump returns 0 at once: the outer pump will
        run whatever was queued.
        """
        with self._lock:
            if self._pumping is not None:
                return 0
            self._pumping = threading.current_thread()
        ran = 0
        try:
            while True:
                with self._lock:
                    if not self._pending:
                        return ran
                    work = self._pending.popleft()
                _run(work)
                ran += 1
        finally:
            with self._lock:
                self._pumping = None

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Run everything queued now (there is no thread to wait for); always True."""
        self.pump()
        return True

    def close(self, timeout: float = 2.0) -> None:
        """Drop queued work."""
        with self._lock:
            self._pending.clear()


Dispatcher = ThreadDispatcher | ManualDispatcher
