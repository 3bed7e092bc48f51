"""A silent in-memory backend for tests, ``--no-audio`` and machines without libvlc.

It behaves like a real player - durations, positions, ``ended`` when a file's time is up,
``error`` for missing or unreadable files - but makes no sound. Time is either simulated
(``NullBackend()``: nothing moves until you call :meth:`NullBackend.advance`, and events are
delivered on the thread that calls ``advance()``/``pump()``) or real (``realtime=True``:
a daemon thread named ``emotune-null-player`` keeps time and delivers every event).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

from emotune.music.playback.backends.base import PlayerBackend, PlayerState, clamp_volume
from emotune.music.playback.backends.dispatch import ManualDispatcher, ThreadDispatcher
from emotune.music.playback.backends.probe import UnplayableFile, probe_duration

DEFAULT_DURATION = 180.0
"""Seconds assumed for a file whose length nobody can tell (a typical song)."""

# Stop a runaway advance() if every file in a long queue had (almost) no length.
_MAX_ENDS_PER_ADVANCE = 10_000


class NullBackend(PlayerBackend):
    """Silent backend with a simulated or real clock.

    Durations come from, in order: ``durations[path]``, mutagen (when ``check_files``), the
    ``duration`` hint given to :meth:`load`, then ``default_duration``. With ``check_files``
    (the default) a missing, empty or corrupt file reports ``error``, as a real player would;
    turn it off to play made-up paths in tests. ``errors`` maps paths to a simulated failure
    message. ``speed`` scales real time (e.g. 20.0 plays a 3-minute song in 9 s).
    """

    name = "null"

    def __init__(
        self,
        *,
        realtime: bool = False,
        speed: float = 1.0,
        default_duration: float = DEFAULT_DURATION,
        durations: Mapping[str | Path, float] | None = None,
        errors: Mapping[str | Path, str] | None = None,
        check_files: bool = True,
        position_interval: float = 0.25,
    ) -> None:
        self.realtime = realtime
        self.speed = float(speed)
        dispatcher = (
            ThreadDispatcher("emotune-null-player", tick=self._tick, interval=position_interval)
            if realtime
            else ManualDispatcher()
        )
        super().__init__(dispatcher)
        self.default_duration = float(default_duration)
        self.check_files = check_files
        self._durations = {Path(p): float(d) for p, d in (durations or {}).items()}
        self._errors = {Path(p): str(m) for p, m in (errors or {}).items()}
        self._duration: float | None = None
        self._volume = 100
        self._sim_now = 0.0  # simulated seconds since creation (manual clock)
        self._pos_base = 0.0  # position at clock time _t_base
        self._t_base = 0.0
        self._fresh = False  # the next play() starts the file rather than resuming it

    # -- clock ----------------------------------------------------------------------------

    def _now(self) -> float:
        return time.monotonic() * self.speed if self.realtime else self._sim_now

    @property
    def now(self) -> float:
        """The backend's clock in seconds: simulated time, or scaled monotonic time."""
        return self._now()

    def _position_locked(self) -> float:
        if self._state is PlayerState.PLAYING:
            pos = self._pos_base + (self._now() - self._t_base)
            return min(pos, self._duration) if self._duration is not None else pos
        return self._pos_base

    def _set_position_locked(self, seconds: float) -> None:
        self._pos_base = seconds
        self._t_base = self._now()

    def advance(self, seconds: float) -> None:
        """Move the simulated clock forward by ``seconds`` and deliver the events it causes.

        Files that reach their end emit ``ended`` on this thread; if a listener starts another
        file, the rest of the time is played on that one. Only for the simulated clock.
        """
        if self.realtime:
            raise RuntimeError(
                "advance() is for the simulated clock; this backend runs in real time"
            )
        remaining = max(0.0, float(seconds))
        self._dispatcher.pump()  # deliver anything queued by earlier calls first, in order
        for _ in range(_MAX_ENDS_PER_ADVANCE):
            ended_path: Path | None = None
            with self._lock:
                step = remaining
                if self._state is PlayerState.PLAYING and self._duration is not None:
                    left = max(0.0, self._duration - self._position_locked())
                    if remaining >= left:
                        step, ended_path = left, self._path
                self._sim_now += step
                remaining -= step
                if ended_path is not None:
                    self._finish_locked()
            if ended_path is None:
                break
            self._emit("ended", ended_path)
            self._dispatcher.pump()  # lets an ``ended`` listener start the next file now
            if remaining <= 0:
                break
        with self._lock:
            progress = (self._position_locked(), self._duration) if self.is_playing else None
        if progress is not None:
            self._emit("position", *progress)
        self._dispatcher.pump()

    def pump(self) -> None:
        """Deliver queued events now (simulated clock only; real time delivers by itself)."""
        if isinstance(self._dispatcher, ManualDispatcher):
            self._dispatcher.pump()

    def time_left(self) -> float | None:
        """Seconds until the playing file ends, ``None`` when not playing or length unknown."""
        with self._lock:
            if self._state is not PlayerState.PLAYING or self._duration is None:
                return None
            return max(0.0, self._duration - self._position_locked())

    def _finish_locked(self) -> None:
        self._state = PlayerState.ENDED
        self._pos_base = self._duration or 0.0
        self._fresh = True

    def _tick(self) -> float | None:
        """Real-time housekeeping on the dispatcher thread: end detection and progress."""
        ended_path = None
        with self._lock:
            if self._state is not PlayerState.PLAYING:
                return None
            pos = self._position_locked()
            if self._duration is not None and pos >= self._duration:
                ended_path = self._path
                self._finish_locked()
            left = None if self._duration is None else (self._duration - pos) / self.speed
            progress = (pos, self._duration)
        if ended_path is not None:
            self._emit("ended", ended_path)
            return None
        self._emit("position", *progress)
        return left

    # -- transport ------------------------------------------------------------------------

    def load(self, path: str | Path, *, duration: float | None = None) -> None:
        """Load ``path``; reports ``error`` if it is missing, corrupt or marked as failing."""
        path = Path(path)
        failure: str | None = self._errors.get(path)
        length: float | None = self._durations.get(path)
        if failure is None and self.check_files:
            try:
                probed = probe_duration(path)
            except UnplayableFile as exc:
                failure = str(exc)
            else:
                length = length if length is not None else probed
        if length is None:
            length = duration if duration and duration > 0 else self.default_duration
        with self._lock:
            self._path = path
            self._duration = None if failure else max(0.001, float(length))
            self._state = PlayerState.ERROR if failure else PlayerState.STOPPED
            self._set_position_locked(0.0)
            self._fresh = True
        if failure:
            self._emit("error", path, failure)

    def play(self) -> None:
        """Start (``started`` follows) or resume the loaded file."""
        with self._lock:
            if self._state in (PlayerState.EMPTY, PlayerState.ERROR, PlayerState.PLAYING):
                return
            if self._state is PlayerState.ENDED:
                self._set_position_locked(0.0)
            fresh, self._fresh = self._fresh, False
            self._set_position_locked(self._pos_base)
            self._state = PlayerState.PLAYING
            path = self._path
        if fresh:
            self._emit("started", path)

    def pause(self) -> None:
        """Pause, keeping the position."""
        with self._lock:
            if self._state is PlayerState.PLAYING:
                self._set_position_locked(self._position_locked())
                self._state = PlayerState.PAUSED

    def stop(self) -> None:
        """Stop and rewind; the next ``play()`` starts the file again."""
        with self._lock:
            if self._state in (PlayerState.PLAYING, PlayerState.PAUSED, PlayerState.ENDED):
                self._state = PlayerState.STOPPED
                self._set_position_locked(0.0)
                self._fresh = True

    def seek(self, seconds: float) -> None:
        """Jump within the file; seeking to the end while playing ends it."""
        ended_path = None
        with self._lock:
            if self._state not in (PlayerState.PLAYING, PlayerState.PAUSED, PlayerState.STOPPED):
                return
            target = max(0.0, float(seconds))
            if self._duration is not None:
                target = min(target, self._duration)
            self._set_position_locked(target)
            if (
                self._state is PlayerState.PLAYING
                and self._duration is not None
                and target >= self._duration
            ):
                ended_path = self._path
                self._finish_locked()
        if ended_path is not None:
            self._emit("ended", ended_path)

    @property
    def position(self) -> float:
        """Seconds into the current file."""
        with self._lock:
            return self._position_locked()

    @property
    def duration(self) -> float | None:
        """Length of the current file in seconds (``None`` when nothing playable is loaded)."""
        with self._lock:
            return self._duration

    @property
    def volume(self) -> int:
        """Volume 0-100 (stored only; nothing is audible)."""
        return self._volume

    @volume.setter
    def volume(self, value: int) -> None:
        self._volume = clamp_volume(value)
