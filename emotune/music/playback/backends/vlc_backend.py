"""The real player: python-vlc (libvlc 3) behind the :class:`PlayerBackend` interface.

Threading model - the one rule that matters with libvlc: its event callbacks run on VLC's
own threads and must never call libvlc (re-entering it can deadlock). Our callbacks only
copy plain numbers out of the event struct and ``post`` a handler to this backend's
dispatcher thread (``emotune-vlc-events``). That thread does any libvlc calls, keeps the
state, and calls our listeners. Every event of this backend is therefore delivered on
``emotune-vlc-events``.

One ``vlc.Instance`` per process (per option set) is shared by every backend: libvlc
instances are heavy and VLC recommends a single one.

Broken files: VLC reports some failures with ``MediaPlayerEncounteredError`` (missing,
empty, unopenable). Others it "plays": garbage bytes with a music extension start and
reach the end at once with no audio stream, and a truncated file ends at once with
nothing demuxed. Both become ``error(path, reason)`` here (see
:meth:`VLCBackend._end_problem`). A good file on a machine whose sound device cannot be
opened also "ends" at once; until something has played for real, that becomes
``error(None, NO_OUTPUT_MESSAGE)``, a backend-level error, so a queue stops rather than
skipping every file as broken.

Dummy output: ``dummy_audio=True`` uses ``--aout=adummy``. The dummy output reads 0/-1 for
the volume, so the volume is kept as state here. It also updates VLC's clock only in
coarse steps and, with the default 300 ms+ read-ahead, reaches the end about a second
early; we lower ``--file-caching`` for it and interpolate the position between updates.
(``--no-audio`` is worse: files "end" almost at once, so it is not used.)
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from emotune.music.playback.backends.base import PlayerBackend, PlayerState, clamp_volume
from emotune.music.playback.backends.dispatch import ThreadDispatcher
from emotune.music.playback.backends.probe import UnplayableFile, check_readable, probe_duration

log = logging.getLogger(__name__)

BASE_ARGS: tuple[str, ...] = ("--no-video", "--quiet", "--no-xlib")
DUMMY_ARGS: tuple[str, ...] = ("--aout=adummy", "--file-caching=50")

# A file that "plays" for less than this many seconds while its header promised at least
# _BROKEN_MIN_EXPECTED seconds did not really play (a broken file, or no sound device).
_BROKEN_MAX_PLAYED = 0.25
_BROKEN_MIN_EXPECTED = 0.5
_AUDIO_ES = 0  # libvlc_track_audio
_SEEK_OVERRUN_MIN_LEFT = 2.0  # seconds left after a seek target below which any end is real

NO_OUTPUT_MESSAGE = (
    "no sound output: VLC read the audio but could not play it (no working sound device?)"
)

_instances: dict[tuple[str, ...], Any] = {}
_instances_lock = threading.Lock()


class LibVLCUnavailable(RuntimeError):
    """python-vlc or libVLC cannot be loaded; ``str(exc)`` is a one-line reason with the fix.

    ``misconfigured`` is True when a ``PYTHON_VLC_*`` variable is the cause (so VLC itself may
    well be installed and reinstalling it would not help).
    """

    def __init__(self, message: str, *, misconfigured: bool = False) -> None:
        super().__init__(message)
        self.misconfigured = misconfigured


def _env_problem() -> str | None:
    """Which PYTHON_VLC_* variable python-vlc rejected, as a one-line message with the fix."""
    lib = os.environ.get("PYTHON_VLC_LIB_PATH")
    if lib is not None:
        try:
            ctypes.CDLL(lib)
        except OSError as exc:
            return (
                f"PYTHON_VLC_LIB_PATH={lib} cannot be loaded ({exc}); "
                "unset PYTHON_VLC_LIB_PATH or point it at libvlc.so"
            )
    plugins = os.environ.get("PYTHON_VLC_MODULE_PATH")
    if plugins and not os.path.isdir(plugins):
        return (
            f"PYTHON_VLC_MODULE_PATH={plugins} is not a folder; unset PYTHON_VLC_MODULE_PATH "
            "or point it at VLC's plugins folder"
        )
    return None


def load_vlc() -> Any:
    """The ``vlc`` module (python-vlc with libVLC loaded): the one place EmoTune imports it.

    python-vlc calls ``sys.exit(1)`` at import when ``PYTHON_VLC_LIB_PATH`` or
    ``PYTHON_VLC_MODULE_PATH`` is wrong; that and every other load failure (no python-vlc, no
    libVLC, a broken library) become :class:`LibVLCUnavailable` with the real cause. Before
    libVLC starts, library caches are redirected into EmoTune's cache folder (libVLC saves
    the cover art of what it plays under ``$XDG_CACHE_HOME/vlc``).
    """
    from emotune.paths import contain_library_caches

    contain_library_caches()
    # python-vlc logs its own, vaguer line before sys.exit; the exception below says more.
    vlc_log = logging.getLogger("vlc")
    quiet, propagate = logging.NullHandler(), vlc_log.propagate
    vlc_log.addHandler(quiet)
    vlc_log.propagate = False
    try:
        import vlc
    except SystemExit:
        problem = _env_problem()
        raise LibVLCUnavailable(
            problem or "python-vlc gave up loading libVLC (check the PYTHON_VLC_* variables)",
            misconfigured=True,
        ) from None
    except (ImportError, OSError, NotImplementedError, AttributeError, NameError) as exc:
        # NotImplementedError/NameError: python-vlc found no libVLC; OSError: it would not load.
        reason = str(exc) or type(exc).__name__
        raise LibVLCUnavailable(
            f"libVLC is not available ({reason}); install VLC (e.g. sudo apt install vlc)"
        ) from None
    finally:
        vlc_log.removeHandler(quiet)
        vlc_log.propagate = propagate
    return vlc


def shared_instance(args: tuple[str, ...]) -> Any:
    """The process-wide ``vlc.Instance`` for ``args``, created on first use.

    Raises ``RuntimeError`` (:class:`LibVLCUnavailable` when the library will not load).
    """
    with _instances_lock:
        instance = _instances.get(args)
        if instance is None:
            vlc = load_vlc()
            instance = vlc.Instance(*args)
            if instance is None:  # python-vlc returns None when libvlc cannot start
                raise RuntimeError(f"libvlc failed to start with {' '.join(args)}")
            _instances[args] = instance
        return instance


def vlc_problem() -> str | None:
    """Why VLC cannot play (a one-line message with the fix), or ``None`` when it can."""
    try:
        shared_instance(BASE_ARGS + DUMMY_ARGS)
    except Exception as exc:  # noqa: BLE001 - any failure means no VLC; the message says why
        return str(exc) or type(exc).__name__
    return None


def vlc_available() -> bool:
    """True when python-vlc imports and libvlc starts (with the dummy output, so no sound)."""
    return vlc_problem() is None


class VLCBackend(PlayerBackend):
    """Plays files with libvlc. All events come from the ``emotune-vlc-events`` thread."""

    name = "vlc"

    def __init__(
        self,
        *,
        dummy_audio: bool = False,
        extra_args: tuple[str, ...] = (),
        position_interval: float = 0.25,
    ) -> None:
        vlc = self._vlc = load_vlc()
        args = BASE_ARGS + (DUMMY_ARGS if dummy_audio else ()) + tuple(extra_args)
        self.instance = shared_instance(args)
        super().__init__(
            ThreadDispatcher("emotune-vlc-events", tick=self._tick, interval=position_interval)
        )
        self.dummy_audio = dummy_audio
        self._player = self.instance.media_player_new()
        self._media: Any = None
        self._volume = 100
        self._generation = 0  # bumped by load/stop so late events of an old file are dropped
        self._announce_start = False  # the next Playing event is a fresh start, not a resume
        self._hint: float | None = None  # duration from mutagen or the caller
        self._vlc_length: float | None = None  # duration from VLC
        self._audio_streams = 0
        self._seeked = False
        self._output_ok = False  # a file has played for real through this output
        self._pending_seek: float | None = None
        self._seek_mark: tuple[float, float] | None = None  # (target s, wall time) of last seek
        self._playing_since: float | None = None  # wall time of the first Playing after a start
        self._pos_base = 0.0  # position at wall time _pos_at (interpolated while playing)
        self._pos_at = time.monotonic()
        # Keep the event manager referenced: python-vlc holds the ctypes callbacks on it.
        self._event_manager = self._player.event_manager()
        et = vlc.EventType
        for event_type, kind in (
            (et.MediaPlayerPlaying, "playing"),
            (et.MediaPlayerEndReached, "end"),
            (et.MediaPlayerEncounteredError, "error"),
            (et.MediaPlayerTimeChanged, "time"),
            (et.MediaPlayerLengthChanged, "length"),
            (et.MediaPlayerESAdded, "es"),
        ):
            self._event_manager.event_attach(event_type, self._on_vlc_event, kind)

    # -- libvlc thread --------------------------------------------------------------------

    def _on_vlc_event(self, event: Any, kind: str) -> None:
        """Runs on a libvlc thread: copy what we need and hand off. NO libvlc calls here."""
        value = 0
        if kind == "time":
            value = event.u.new_time
        elif kind == "length":
            value = event.u.new_length
        elif kind == "es":
            # libvlc_event_t.u.media_player_es_changed.i_type is the union's first member;
            # python-vlc's EventUnion does not name it, so read it through meta_type.
            value = event.u.meta_type
        generation = self._generation  # a plain attribute read, safe on any thread
        stamp = time.monotonic()
        self._dispatcher.post(lambda: self._handle(kind, generation, value, stamp))

    # -- dispatcher thread ----------------------------------------------------------------

    def _handle(self, kind: str, generation: int, value: int, stamp: float) -> None:
        emit: tuple[Any, ...] | None = None
        with self._lock:
            if generation != self._generation:
                return  # belongs to a file that was replaced or stopped since
            if kind == "time":
                if self._state is PlayerState.PLAYING:
                    self._pos_base, self._pos_at = value / 1000.0, stamp
            elif kind == "length":
                if value > 0:
                    self._vlc_length = value / 1000.0
            elif kind == "es":
                if value == _AUDIO_ES:
                    self._audio_streams += 1
            elif kind == "playing":
                emit = self._on_playing_locked(stamp)
            elif kind == "end":
                emit = self._on_end_locked(stamp)
            elif kind == "error":
                self._state = PlayerState.ERROR
                emit = ("error", self._path, "VLC could not open or decode the file")
        if emit is not None:
            self._emit(*emit)

    def _on_playing_locked(self, stamp: float) -> tuple[Any, ...] | None:
        if self._state not in (PlayerState.PLAYING, PlayerState.STOPPED, PlayerState.PAUSED):
            return None
        self._state = PlayerState.PLAYING
        self._player.audio_set_volume(self._volume)  # no audio output existed before Playing
        if self._pending_seek is not None:
            self._player.set_time(int(self._pending_seek * 1000))
            self._seek_mark = (self._pending_seek, stamp)
            self._pos_base, self._pending_seek, self._seeked = self._pending_seek, None, True
        self._pos_at = stamp
        if not self._announce_start:
            return None
        self._announce_start = False
        self._playing_since = stamp
        return ("started", self._path)

    def _on_end_locked(self, stamp: float) -> tuple[Any, ...]:
        problem = self._end_problem(stamp)
        if problem == "output":
            # The file is fine; the sound device is not. Reported once per file without a
            # path, so a queue stops instead of racing through the library in silence.
            self._state = PlayerState.ERROR
            return ("error", None, NO_OUTPUT_MESSAGE)
        if problem is not None:
            self._state = PlayerState.ERROR
            return ("error", self._path, problem)
        self._state = PlayerState.ENDED
        self._pos_base, self._pos_at = self._duration_locked() or self._pos_base, stamp
        self._announce_start = True  # play() after the end starts the file again
        return ("ended", self._path)

    def _end_problem(self, stamp: float) -> str | None:
        """Why an "end" was not a real end: a reason for a broken file, ``"output"`` for a
        sound-device failure, or ``None`` when the file simply finished.

        Measured on libvlc 3.0: a corrupt or truncated file has no audio stream or gets no
        bytes through the demuxer (``demux_read_bytes == 0``, reliable run after run; the
        decode/play counters are not, they lag). A good file on a dead sound device is
        demuxed but "ends" within a fraction of a second. Until this backend has played
        something for real, such an instant end is blamed on the output, afterwards on
        the file.
        """
        if self._audio_streams == 0:
            return "no audio stream (not an audio file, or corrupt)"
        stats = self._vlc.MediaStats()
        got_stats = self._media is not None and self._media.get_stats(stats)
        if got_stats and stats.demux_read_bytes == 0:
            return "no audio data could be read (the file looks truncated or corrupt)"
        if self._seeked:
            return self._seek_overran(stamp)
        if self._playing_since is None:
            return None
        played = stamp - self._playing_since
        expected = self._duration_locked()
        if played >= _BROKEN_MAX_PLAYED or (
            expected is not None and expected < _BROKEN_MIN_EXPECTED
        ):
            self._output_ok = True
            return None
        if not self._output_ok:
            return "output"
        promised = f" of {expected:.1f} s" if expected else ""
        return f"stopped after {played:.2f} s{promised}: the file looks truncated or corrupt"

    def _seek_overran(self, stamp: float) -> str | None:
        """A reason when this "end" came from a seek that overshot, else None (a real end).

        VLC seeks some files by a byte estimate (an Ogg Vorbis file declaring a wrong nominal
        bitrate lands 60 % too far) and can run off the end: an end that arrives in less than
        half the time that was left after the seek target is that, not the song finishing.
        """
        expected = self._duration_locked()
        if self._seek_mark is None or not expected:
            return None
        target, at = self._seek_mark
        left = expected - target
        took = stamp - at
        if left < _SEEK_OVERRUN_MIN_LEFT or took >= 0.5 * left:
            return None
        return (
            f"seek to {target:.1f} s of {expected:.1f} s ran off the end after {took:.1f} s "
            "(the file's seek information looks wrong)"
        )

    def _tick(self) -> float | None:
        with self._lock:
            if self._state is not PlayerState.PLAYING:
                return None
            progress = (self._position_locked(), self._duration_locked())
        self._emit("position", *progress)
        return None

    # -- helpers --------------------------------------------------------------------------

    def _duration_locked(self) -> float | None:
        return self._vlc_length or self._hint

    def _position_locked(self) -> float:
        pos = self._pos_base
        if self._state is PlayerState.PLAYING:
            # VLC's clock moves in coarse steps on some outputs; interpolate between reports.
            pos += time.monotonic() - self._pos_at
        duration = self._duration_locked()
        return max(0.0, min(pos, duration) if duration else pos)

    def _reset_run_locked(self) -> None:
        """Forget per-run facts before (re)starting the file from the top."""
        self._audio_streams = 0
        self._seeked = False
        self._seek_mark = None
        self._playing_since = None
        self._pos_base, self._pos_at = 0.0, time.monotonic()

    # -- transport ------------------------------------------------------------------------

    def load(self, path: str | Path, *, duration: float | None = None) -> None:
        """Load ``path`` (stopping the current file); a missing or empty file reports ``error``."""
        path = Path(path)
        failure: str | None = None
        hint = duration if duration and duration > 0 else None
        try:
            check_readable(path)
            hint = probe_duration(path) or hint
        except UnplayableFile as exc:
            # Only a missing/empty/unreadable file is fatal; VLC may decode what mutagen can't.
            if not path.is_file() or path.stat().st_size == 0 or "permission" in str(exc):
                failure = str(exc)
        with self._lock:
            self._player.stop()  # synchronous: the old file's events are all out after this
            self._generation += 1
            self._path, self._hint, self._vlc_length = path, hint, None
            self._pending_seek = None
            self._reset_run_locked()
            if failure:
                self._media = None
                self._state = PlayerState.ERROR
            else:
                self._media = self.instance.media_new_path(str(path))
                self._player.set_media(self._media)
                self._state = PlayerState.STOPPED
                self._announce_start = True
        if failure:
            self._emit("error", path, failure)

    def play(self) -> None:
        """Start the loaded file (``started`` follows from the event thread) or resume it."""
        failed = None
        with self._lock:
            if self._state in (PlayerState.EMPTY, PlayerState.ERROR, PlayerState.PLAYING):
                return
            if self._state is PlayerState.PAUSED:
                self._player.set_pause(0)
                self._pos_at = time.monotonic()
                self._state = PlayerState.PLAYING
                return
            if self._state is PlayerState.ENDED:
                self._player.stop()  # libvlc needs a stop before replaying an ended media
                self._generation += 1
            self._reset_run_locked()
            self._announce_start = True
            self._state = PlayerState.PLAYING
            if self._player.play() == -1:
                self._state = PlayerState.ERROR
                failed = self._path
        if failed is not None:
            self._emit("error", failed, "VLC refused to start playback")

    def pause(self) -> None:
        """Pause at the current position."""
        with self._lock:
            if self._state is PlayerState.PLAYING:
                self._pos_base, self._pos_at = self._position_locked(), time.monotonic()
                self._state = PlayerState.PAUSED
                self._player.set_pause(1)

    def stop(self) -> None:
        """Stop and rewind without emitting ``ended``."""
        with self._lock:
            if self._state in (PlayerState.PLAYING, PlayerState.PAUSED, PlayerState.ENDED):
                self._player.stop()
                self._generation += 1
                self._state = PlayerState.STOPPED
                self._announce_start = True
                self._reset_run_locked()

    def seek(self, seconds: float) -> None:
        """Jump to ``seconds``; before playback starts, the jump happens on start."""
        with self._lock:
            target = max(0.0, float(seconds))
            duration = self._duration_locked()
            if duration:
                target = min(target, duration)
            if self._state in (PlayerState.PLAYING, PlayerState.PAUSED):
                self._player.set_time(int(target * 1000))
                self._pos_base, self._pos_at, self._seeked = target, time.monotonic(), True
                self._seek_mark = (target, self._pos_at)
            elif self._state is PlayerState.STOPPED:
                self._pending_seek = target

    @property
    def position(self) -> float:
        """Seconds into the current file (interpolated between VLC's clock updates)."""
        with self._lock:
            return self._position_locked()

    @property
    def duration(self) -> float | None:
        """Length in seconds from VLC, else from the file's header or the load hint."""
        with self._lock:
            return self._duration_locked()

    @property
    def volume(self) -> int:
        """The volume last set, 0-100 (VLC reads 0 on the dummy output, so we keep our own)."""
        return self._volume

    @volume.setter
    def volume(self, value: int) -> None:
        with self._lock:
            self._volume = clamp_volume(value)
            if self._state in (PlayerState.PLAYING, PlayerState.PAUSED):
                self._player.audio_set_volume(self._volume)

    def output_devices(self) -> list[tuple[str, str]]:
        """``(id, description)`` of the devices libVLC offers for its current audio output."""
        devices: list[tuple[str, str]] = []
        head = self._player.audio_output_device_enum()
        node = head
        try:
            while node:
                device, description = node.contents.device, node.contents.description
                if device:
                    name = (description or device).decode("utf-8", "replace")
                    devices.append((device.decode("utf-8", "replace"), name))
                node = node.contents.next
        finally:
            if head:
                self._vlc.libvlc_audio_output_device_list_release(head)
        return devices

    def set_output_device(self, device_id: str | None) -> None:
        """Switch the sound device now (libVLC applies it to the playing track too)."""
        self._player.audio_output_device_set(None, device_id or None)

    def close(self) -> None:
        """Stop playback, release the media player and end the event thread."""
        if self._closed:
            return
        with self._lock:
            self._generation += 1
            for event_type in (
                "MediaPlayerPlaying",
                "MediaPlayerEndReached",
                "MediaPlayerEncounteredError",
                "MediaPlayerTimeChanged",
                "MediaPlayerLengthChanged",
                "MediaPlayerESAdded",
            ):
                self._event_manager.event_detach(getattr(self._vlc.EventType, event_type))
            self._player.stop()
            self._player.release()
            self._state = PlayerState.EMPTY
        super().close()
