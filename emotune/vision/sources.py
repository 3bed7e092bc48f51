"""Where frames come from: a webcam, a video file, one image or a folder of images.

Every source has the same small interface (:class:`FrameSource`): ``open()`` / ``read()`` /
``close()`` (also usable as a context manager), a :attr:`~FrameSource.status`, and listeners that
hear :class:`SourceEvent` transitions. ``read()`` never raises once the source is open: it
returns a :class:`Frame`, or ``None`` with :attr:`~FrameSource.status` saying why (ended, camera
lost and reconnecting, closed). Only ``open()`` raises, with a :class:`SourceError` whose message
is fit to show the user (e.g. "no camera found").

Frames are kept in memory only; nothing in this module writes to disk.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".pgm", ".ppm"}
)
"""File suffixes treated as still images (everything else that exists is tried as video)."""


class SourceError(RuntimeError):
    """A source could not be opened; the message is meant for the user."""


class SourceStatus(Enum):
    """Where a source stands; read it when :meth:`FrameSource.read` returns ``None``."""

    CLOSED = "closed"
    OPEN = "open"
    LOST = "lost"  # camera stopped delivering; reconnection is being attempted
    ENDED = "ended"  # file/folder/image source has no more frames


class SourceEvent(Enum):
    """Transitions reported to listeners (plain callbacks, no Qt)."""

    OPENED = "opened"
    CAMERA_LOST = "camera_lost"
    RECONNECTED = "reconnected"
    END_OF_STREAM = "end_of_stream"
    LOOPED = "looped"  # a looping video reached its end and started again from the beginning
    CLOSED = "closed"


@dataclass(frozen=True)
class Frame:
    """One BGR frame.

    ``timestamp`` is stream time in seconds: media time for files, ``time.monotonic()`` for
    cameras; the mood tracker runs on it. ``captured_at`` is always ``time.monotonic()`` when the
    frame entered the process, for capture-to-result latency.
    """

    image: np.ndarray
    timestamp: float
    index: int
    captured_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class CameraInfo:
    """A video device found by :func:`list_cameras`."""

    index: int
    path: str
    name: str


Listener = Callable[["FrameSource", SourceEvent], None]


class FrameSource:
    """Base class: status bookkeeping, listeners and the context-manager protocol."""

    description: str = "source"

    def __init__(self) -> None:
        """Start closed with no listeners."""
        self.status = SourceStatus.CLOSED
        self._listeners: list[Listener] = []
        self._index = 0

    # -- listeners ---------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(source, event)`` on every :class:`SourceEvent`; returns an unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _emit(self, event: SourceEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(self, event)
            except Exception:  # a faulty listener must not stop the frame loop
                log.exception("source listener failed on %s", event.value)

    # -- lifecycle ---------------------------------------------------------------------------

    def open(self) -> None:
        """Open the source; raises :class:`SourceError` with a user-facing message on failure."""
        self._open()
        self._index = 0
        self.status = SourceStatus.OPEN
        self._emit(SourceEvent.OPENED)

    def read(self) -> Frame | None:
        """The next frame, or ``None`` (see :attr:`status`). Never raises once open."""
        if self.status in (SourceStatus.CLOSED, SourceStatus.ENDED):
            return None
        try:
            return self._read()
        except Exception:  # decoder/driver errors must become events, not crashes
            log.exception("reading from %s failed", self.description)
            self._end()
            return None

    def close(self) -> None:
        """Release the device or file; safe to call twice."""
        if self.status is SourceStatus.CLOSED:
            return
        with suppress(Exception):
            self._close()
        self.status = SourceStatus.CLOSED
        self._emit(SourceEvent.CLOSED)

    def frames(self) -> Iterator[Frame]:
        """Iterate frames until the source ends or closes (a lost camera keeps the loop alive)."""
        while self.status in (SourceStatus.OPEN, SourceStatus.LOST):
            frame = self.read()
            if frame is not None:
                yield frame

    def __enter__(self) -> FrameSource:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- for subclasses ----------------------------------------------------------------------

    def _open(self) -> None:
        raise NotImplementedError

    def _read(self) -> Frame | None:
        raise NotImplementedError

    def _close(self) -> None:
        """Release resources; default: nothing to release."""

    def _end(self) -> None:
        if self.status is not SourceStatus.ENDED:
            self.status = SourceStatus.ENDED
            self._emit(SourceEvent.END_OF_STREAM)

    def _next_index(self) -> int:
        index = self._index
        self._index += 1
        return index

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.description!r}, status={self.status.value})"


class Capture(Protocol):
    """The part of ``cv2.VideoCapture`` the sources use (so tests can pass a fake)."""

    def isOpened(self) -> bool: ...  # noqa: N802 - OpenCV's name
    def read(self) -> tuple[bool, Any]: ...
    def release(self) -> None: ...
    def get(self, prop: int) -> float: ...
    def set(self, prop: int, value: float) -> bool: ...


@contextmanager
def _quiet_opencv() -> Iterator[None]:
    """Silence OpenCV's WARN lines while probing devices; we report failures ourselves."""
    try:
        previous = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    except AttributeError:  # very old builds without the logging module
        yield
        return
    try:
        yield
    finally:
        cv2.utils.logging.setLogLevel(previous)


def _default_camera_capture(index: int) -> Capture:
    with _quiet_opencv():
        return cv2.VideoCapture(index)


class CameraSource(FrameSource):
    """A webcam by index, at whatever size the camera delivers by default.

    After ``max_failures`` consecutive failed reads the camera counts as lost: a
    ``CAMERA_LOST`` event fires, the device is released, and later ``read()`` calls try to reopen
    it with exponential backoff (``backoff_initial`` doubling up to ``backoff_max`` seconds),
    firing ``RECONNECTED`` on success. While lost, ``read()`` naps at most ``poll_interval``
    seconds and returns ``None`` so a worker loop neither spins nor blocks for long.
    """

    def __init__(
        self,
        index: int = 0,
        *,
        size: tuple[int, int] | None = None,
        max_failures: int = 5,
        backoff_initial: float = 0.5,
        backoff_max: float = 8.0,
        poll_interval: float = 0.1,
        capture_factory: Callable[[int], Capture] = _default_camera_capture,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Describe camera ``index``; ``size`` (w, h) asks the driver for a size, None keeps the native one."""
        super().__init__()
        self.index = index
        self.size = size
        self.description = f"camera {index}"
        self.max_failures = max_failures
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.poll_interval = poll_interval
        self._factory = capture_factory
        self._clock = clock
        self._sleep = sleep
        self._capture: Capture | None = None
        self._failures = 0
        self._backoff = backoff_initial
        self._next_attempt = 0.0
        self.reconnect_attempts = 0

    def _connect(self) -> Capture | None:
        try:
            capture = self._factory(self.index)
        except Exception:
            log.debug("camera %d: capture factory failed", self.index, exc_info=True)
            return None
        if capture is None or not capture.isOpened():
            with suppress(Exception):
                if capture is not None:
                    capture.release()
            return None
        with suppress(Exception):
            # A one-frame driver buffer keeps frames fresh: we always get the latest, not a queue.
            capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
            if self.size is not None:
                capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.size[0])
                capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.size[1])
        return capture

    def _open(self) -> None:
        self._capture = self._connect()
        if self._capture is None:
            raise SourceError(_camera_open_message(self.index))
        self._failures = 0
        self._backoff = self.backoff_initial

    def _read(self) -> Frame | None:
        if self.status is SourceStatus.LOST:
            return self._try_reconnect()
        assert self._capture is not None
        try:
            ok, image = self._capture.read()
        except Exception:
            ok, image = False, None
        if ok and image is not None and image.size:
            self._failures = 0
            now = self._clock()
            return Frame(image, now, self._next_index(), now)
        self._failures += 1
        if self._failures >= self.max_failures:
            self._lose()
        return None

    def _lose(self) -> None:
        log.warning(
            "camera %d lost after %d failed reads; reconnecting", self.index, self._failures
        )
        self._release()
        self.status = SourceStatus.LOST
        self._backoff = self.backoff_initial
        self._next_attempt = self._clock() + self._backoff
        self._emit(SourceEvent.CAMERA_LOST)

    def _try_reconnect(self) -> Frame | None:
        now = self._clock()
        if now < self._next_attempt:
            self._sleep(min(self.poll_interval, self._next_attempt - now))
            return None
        self.reconnect_attempts += 1
        capture = self._connect()
        if capture is None:
            self._backoff = min(self._backoff * 2.0, self.backoff_max)
            self._next_attempt = self._clock() + self._backoff
            return None
        self._capture = capture
        self._failures = 0
        self.status = SourceStatus.OPEN
        self._emit(SourceEvent.RECONNECTED)
        return self._read()

    def _release(self) -> None:
        if self._capture is not None:
            with suppress(Exception):
                self._capture.release()
            self._capture = None

    def _close(self) -> None:
        self._release()


def _camera_open_message(index: int) -> str:
    cameras = list_cameras()
    if not cameras and _has_v4l_tree():
        return (
            f"no camera found (no /dev/video* devices), so camera {index} cannot be opened. "
            "Connect a webcam, or use a video file, an image or a folder of images instead."
        )
    known = ", ".join(f"{c.index} ({c.name})" for c in cameras) or "none detected"
    return (
        f"camera {index} could not be opened (available: {known}). It may be in use by another "
        "program or blocked by camera permissions."
    )


class VideoFileSource(FrameSource):
    """A video file decoded by OpenCV (FFmpeg). Timestamps are media time.

    ``realtime=True`` paces ``read()`` to the file's frame rate (for a live-looking demo);
    ``loop=True`` rewinds at the end instead of ending, with timestamps still increasing.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        realtime: bool = False,
        loop: bool = False,
        capture_factory: Callable[[str], Capture] = cv2.VideoCapture,
    ) -> None:
        """Describe video ``path``; nothing is opened until :meth:`open`."""
        super().__init__()
        self.path = Path(path)
        self.description = str(self.path)
        self.realtime = realtime
        self.loop = loop
        self._factory = capture_factory
        self._capture: Capture | None = None
        self.fps = 0.0
        self._offset = 0.0
        self._last_media_time = 0.0
        self._wall_start = 0.0

    def _open(self) -> None:
        if not self.path.is_file():
            raise SourceError(f"video file not found: {self.path}")
        with _quiet_opencv():
            capture = self._factory(str(self.path))
        if capture is None or not capture.isOpened():
            raise SourceError(f"cannot decode {self.path}: not a video format OpenCV can read")
        self._capture = capture
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        # Some containers report nonsense rates (0, 1000); fall back to 30 for timestamps then.
        self.fps = fps if 1.0 <= fps <= 240.0 else 30.0
        self._offset = 0.0
        self._file_index = 0
        self._wall_start = time.monotonic()

    def _read(self) -> Frame | None:
        assert self._capture is not None
        ok, image = self._capture.read()
        if not ok or image is None:
            if self.loop and self._file_index > 0:
                self._offset += self._file_index / self.fps
                self._file_index = 0
                self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                ok, image = self._capture.read()
                if ok and image is not None:
                    self._emit(SourceEvent.LOOPED)
            if not ok or image is None:
                self._end()
                return None
        # index/fps rather than CAP_PROP_POS_MSEC: the latter is unreliable for some codecs.
        timestamp = self._offset + self._file_index / self.fps
        self._file_index += 1
        if self.realtime:
            delay = self._wall_start + timestamp - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        return Frame(image, timestamp, self._next_index())

    def _close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


class ImageError(ValueError):
    """An image file cannot be decoded; ``str(exc)`` is a short reason for the user."""


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _max_image_pixels() -> int:
    # OpenCV's own limit (imgcodecs' validateInputImageSize), which OPENCV_IO_MAX_IMAGE_PIXELS raises.
    try:
        return int(os.environ.get("OPENCV_IO_MAX_IMAGE_PIXELS", 1 << 30))
    except ValueError:
        return 1 << 30


def _png_size(data: np.ndarray) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR chunk, read without decoding; None if not a PNG."""
    head = data[:24].tobytes()
    if len(head) < 24 or not head.startswith(_PNG_SIGNATURE) or head[12:16] != b"IHDR":
        return None
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def _too_large(width: int, height: int) -> ImageError:
    limit = _max_image_pixels()
    return ImageError(
        f"image too large ({width}x{height} pixels; the limit is {limit:,} pixels): "
        "scale it down first"
    )


def decode_image(path: str | Path) -> np.ndarray:
    """Decode an image file to BGR (non-ASCII paths work too); raises :class:`ImageError`.

    Images over OpenCV's pixel limit are refused from the PNG header before any decoding, and
    OpenCV's raw assertion (``cv2.error``) for other formats becomes a one-line reason.
    """
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as exc:
        raise ImageError(f"cannot read the file: {(exc.strerror or str(exc)).lower()}") from None
    if data.size == 0:
        raise ImageError("empty file")
    size = _png_size(data)
    if size is not None and size[0] * size[1] > _max_image_pixels():
        raise _too_large(*size)
    try:
        image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    except cv2.error as exc:
        if "validateInputImageSize" in str(exc):
            raise ImageError(
                f"image too large (over OpenCV's limit of {_max_image_pixels():,} pixels): "
                "scale it down first"
            ) from None
        raise ImageError("OpenCV cannot decode this image") from None
    if image is None or not image.size:
        raise ImageError("not an image format OpenCV can decode")
    return image


def read_image(path: str | Path) -> np.ndarray | None:
    """Decode an image file to BGR, or ``None`` if unreadable (works with non-ASCII paths too)."""
    try:
        return decode_image(path)
    except ImageError:
        return None


class ImageSource(FrameSource):
    """A single still image: one frame, then end of stream.

    With ``repeat=True`` it yields the same image forever at ``fps`` (useful as a GUI demo
    source); timestamps advance by ``1/fps`` per frame.
    """

    def __init__(
        self, path: str | Path, *, repeat: bool = False, fps: float = 10.0, realtime: bool = False
    ) -> None:
        """Describe image ``path``; it is decoded on :meth:`open`."""
        super().__init__()
        self.path = Path(path)
        self.description = str(self.path)
        self.repeat = repeat
        self.fps = fps
        self.realtime = realtime
        self._image: np.ndarray | None = None

    def _open(self) -> None:
        if not self.path.is_file():
            raise SourceError(f"image file not found: {self.path}")
        try:
            self._image = decode_image(self.path)
        except ImageError as exc:
            raise SourceError(f"cannot use image {self.path}: {exc}") from None

    def _read(self) -> Frame | None:
        if self._image is None or (self._index > 0 and not self.repeat):
            self._end()
            return None
        index = self._next_index()
        if self.realtime and index > 0:
            time.sleep(1.0 / self.fps)
        return Frame(self._image.copy(), index / self.fps, index)

    def _close(self) -> None:
        self._image = None


class FolderSource(FrameSource):
    """Every readable image in a folder, in name order, one frame each (``fps`` sets timestamps).

    Unreadable files are skipped with a log message (and listed in :attr:`skipped`) rather than
    ending the stream.
    """

    def __init__(self, path: str | Path, *, fps: float = 1.0, realtime: bool = False) -> None:
        """Describe folder ``path``; it is listed on :meth:`open`."""
        super().__init__()
        self.path = Path(path)
        self.description = str(self.path)
        self.fps = fps
        self.realtime = realtime
        self.files: list[Path] = []
        self.skipped: list[tuple[Path, str]] = []
        """(file, reason) for every image that could not be decoded."""
        self._position = 0

    def _open(self) -> None:
        if not self.path.is_dir():
            raise SourceError(f"folder not found: {self.path}")
        self.files = sorted(
            p for p in self.path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
        )
        if not self.files:
            raise SourceError(
                f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in folder {self.path}"
            )
        self._position = 0

    def _read(self) -> Frame | None:
        while self._position < len(self.files):
            path = self.files[self._position]
            self._position += 1
            try:
                image = decode_image(path)
            except ImageError as exc:
                self.skipped.append((path, str(exc)))
                log.warning("skipping %s: %s", path, exc)
                continue
            index = self._next_index()
            if self.realtime and index > 0:
                time.sleep(1.0 / self.fps)
            return Frame(image, index / self.fps, index)
        self._end()
        return None


# -- device listing ---------------------------------------------------------------------------

_VIDEO_NODE = re.compile(r"^video(\d+)$")
_DEV = Path("/dev")
_SYSFS = Path("/sys/class/video4linux")


def _has_v4l_tree() -> bool:
    """True on systems that name cameras /dev/videoN (Linux)."""
    return _DEV.is_dir() and Path("/proc").is_dir()


def list_cameras(dev_dir: Path = _DEV, sysfs_dir: Path = _SYSFS) -> list[CameraInfo]:
    """Video capture devices, found cheaply from ``/dev/video*`` and sysfs, never by opening them.

    Opening a device can block for seconds or switch on the camera light, so this only reads
    names. Metadata nodes (sysfs ``index`` != 0, which UVC cameras add next to the capture node)
    are left out. Returns ``[]`` when there are none, and on systems without ``/dev/video*``.
    """
    cameras: list[CameraInfo] = []
    try:
        entries = sorted(dev_dir.glob("video*"))
    except OSError:
        return cameras
    for entry in entries:
        match = _VIDEO_NODE.match(entry.name)
        if not match:
            continue
        number = int(match.group(1))
        node = sysfs_dir / entry.name
        with suppress(OSError, ValueError):
            if int((node / "index").read_text().strip()) != 0:
                continue  # a second node of the same camera (metadata), not a capture device
        name = entry.name
        with suppress(OSError):
            name = (node / "name").read_text().strip() or name
        cameras.append(CameraInfo(number, str(entry), name))
    return cameras


# -- parsing a user's source spec -------------------------------------------------------------


def open_source(spec: str | int | Path, **options: Any) -> FrameSource:
    """Build (not open) a source from what a user typed.

    ``"0"``/``1`` or ``"/dev/video2"`` → camera; an existing folder → :class:`FolderSource`; a file
    with an image suffix → :class:`ImageSource`; any other existing file → :class:`VideoFileSource`.
    ``options`` go to the source's constructor. Raises :class:`SourceError` for paths that do not
    exist. Use as ``with open_source(spec) as source: ...``.
    """
    if isinstance(spec, int):
        return CameraSource(spec, **options)
    text = str(spec).strip()
    if text.isdigit():
        return CameraSource(int(text), **options)
    device = re.fullmatch(r"/dev/video(\d+)", text)
    if device:
        return CameraSource(int(device.group(1)), **options)
    path = Path(text).expanduser()
    if path.is_dir():
        return FolderSource(path, **options)
    if path.is_file():
        if path.suffix.lower() in IMAGE_SUFFIXES:
            return ImageSource(path, **options)
        return VideoFileSource(path, **options)
    raise SourceError(
        f"no such camera, file or folder: {text!r} (cameras are given by number, e.g. 0)"
    )


class MemorySource(FrameSource):
    """Frames from memory (a list or any iterable of BGR arrays), for tests and the benchmark.

    Timestamps are ``index / fps``. With ``realtime=True`` the frames become available on a
    wall-clock schedule, like a camera with a one-frame buffer: ``read()`` waits for the next due
    frame, skips any that went stale while the caller was busy, and sets ``captured_at`` to the
    moment the frame was due, so ``StepResult.latency_ms`` is true capture-to-result latency.
    """

    def __init__(
        self,
        frames: Iterable[np.ndarray],
        *,
        fps: float = 30.0,
        realtime: bool = False,
        description: str = "memory",
    ) -> None:
        """Wrap ``frames``; nothing is copied until read."""
        super().__init__()
        self._source = frames
        self._frames: Iterator[np.ndarray] | None = None
        self.fps = fps
        self.realtime = realtime
        self.description = description
        self.dropped = 0
        self._position = 0
        self._start = 0.0

    def _open(self) -> None:
        self._frames = iter(self._source)
        self._position = 0
        self._start = time.monotonic()

    def _read(self) -> Frame | None:
        assert self._frames is not None
        if self.realtime:
            # Newest frame that is already due (older ones are dropped, as a camera would).
            due_index = int((time.monotonic() - self._start) * self.fps)
            while self._position < due_index:
                if next(self._frames, None) is None:
                    self._end()
                    return None
                self._position += 1
                self.dropped += 1
            due = self._start + self._position / self.fps
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        image = next(self._frames, None)
        if image is None:
            self._end()
            return None
        position = self._position
        self._position += 1
        timestamp = position / self.fps
        captured = self._start + timestamp if self.realtime else time.monotonic()
        return Frame(image, timestamp, self._next_index(), captured)
