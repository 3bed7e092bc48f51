"""Capture and inference off the GUI thread.

:class:`VisionWorker` is a QObject that lives in its own QThread and owns the frame source, the
:class:`~emotune.vision.pipeline.FramePipeline` and the :class:`~emotune.mood.MoodTracker`. It
loops reading frames; each processed frame goes to the GUI as a :class:`FrameUpdate` (a private
QImage copy plus plain face boxes and numbers), and tracker/source events go out as signals too.
The GUI thread never touches the source or the model, and this thread never touches a widget.

Commands from the GUI (open a source, camera off, calibrate, quit) go through a thread-safe
queue that the loop drains between frames, so they work while the loop is busy and need no
event loop in this thread.

Heavy imports (OpenCV, the model runtime) happen inside the thread, after the first frame has been
shown, so the window appears and starts showing the camera as early as possible.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import Enum, auto
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QImage

from emotune.mood import MoodConfig, MoodSnapshot
from emotune.ui.frames import FaceBox, FrameUpdate
from emotune.vision.driver import VisionOptions

if TYPE_CHECKING:  # annotations only: OpenCV and the model runtime load inside the thread
    import numpy as np

    from emotune.mood import MoodTracker
    from emotune.vision.calibration import NeutralCalibrator
    from emotune.vision.pipeline import FaceResult, FramePipeline, PipelineStats, StepResult
    from emotune.vision.sources import Frame, SourceEvent, SourceStatus

log = logging.getLogger(__name__)


class FrameSourceLike(Protocol):
    """What the worker uses of a frame source (:class:`~emotune.vision.sources.FrameSource`)."""

    description: str
    status: SourceStatus

    def open(self) -> None: ...
    def close(self) -> None: ...
    def read(self) -> Frame | None: ...


class VisionPipeline(Protocol):
    """What the worker uses of the vision driver (:class:`~emotune.vision.pipeline.FramePipeline`)."""

    tracker: MoodTracker | None
    stats: PipelineStats

    def step(self, source: FrameSourceLike) -> StepResult | None: ...
    def reset(self) -> None: ...
    def set_logit_bias(self, bias: np.ndarray | None) -> None: ...


SourceFactory = Callable[[str], FrameSourceLike]
"""Builds an unopened frame source from a spec (camera index, video, image or folder)."""
PipelineFactory = Callable[[VisionOptions], VisionPipeline]
"""Builds a FramePipeline (with a tracker) from options; may raise with a user message."""


class SourceProblem(Enum):
    """What the ``source_problem`` signal reports about the frame source (with a message)."""

    OPEN_FAILED = auto()  # the source could not be opened
    CAMERA_LOST = auto()  # a camera stopped sending pictures; the source is reconnecting
    RECONNECTED = auto()  # the camera is back
    ENDED = auto()  # a video or folder has no more frames
    RESTARTED = auto()  # a looping video started again
    CRASHED = auto()  # the worker loop itself failed


class _Command(Enum):
    """Requests from the GUI thread, drained by the loop between frames."""

    OPEN = auto()
    STOP = auto()
    CALIBRATE = auto()
    RESET_CALIBRATION = auto()
    MOOD_CONFIG = auto()
    QUIT = auto()


@dataclass(frozen=True)
class SourceInfo:
    """What was opened, for the privacy indicator and the Camera menu."""

    spec: str
    description: str
    is_camera: bool


def default_source_factory(spec: str) -> FrameSourceLike:
    """A live-paced source for the GUI: videos loop, a still image repeats at 10 fps."""
    from emotune.vision.sources import FolderSource, ImageSource, VideoFileSource, open_source

    source = open_source(spec)
    # Files play at their own speed (not as fast as decoding allows) so moods unfold in real
    # time; a still image becomes a steady 10 fps feed so the tracker sees time pass.
    if isinstance(source, VideoFileSource):
        return VideoFileSource(source.path, realtime=True, loop=True)
    if isinstance(source, ImageSource):
        return ImageSource(source.path, repeat=True, fps=10.0, realtime=True)
    if isinstance(source, FolderSource):
        return FolderSource(source.path, fps=1.0, realtime=True)
    return source


def default_pipeline_factory(options: VisionOptions) -> FramePipeline:
    """The one vision driver (:func:`emotune.vision.driver.build_pipeline`)."""
    from emotune.vision.driver import build_pipeline

    return build_pipeline(options)


def is_camera_spec(spec: str) -> bool:
    """True for "0", "1", "/dev/video2": specs that open a webcam."""
    text = str(spec).strip()
    return text.isdigit() or text.startswith("/dev/video")


def frame_to_qimage(image_bgr: np.ndarray, max_width: int) -> tuple[QImage, float]:
    """Downscale (for display only) and convert a BGR frame to an RGB QImage that owns its pixels.

    Returns the image and the scale applied (display px per frame px). Done here, on the worker,
    so the GUI thread only has to paint.
    """
    import cv2

    height, width = image_bgr.shape[:2]
    scale = min(1.0, max_width / float(width)) if width else 1.0
    if scale < 1.0:
        image_bgr = cv2.resize(
            image_bgr,
            (max(1, round(width * scale)), max(1, round(height * scale))),
            interpolation=cv2.INTER_AREA,
        )
    if image_bgr.ndim == 2:
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_GRAY2RGB)
    elif image_bgr.shape[2] == 4:
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGRA2RGB)
    else:
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
    h, w = rgb.shape[:2]
    # .copy(): the QImage must own its buffer, since the numpy array dies with this frame.
    qimage = QImage(rgb.data, w, h, rgb.strides[0], QImage.Format.Format_RGB888).copy()
    return qimage, scale


class VisionWorker(QObject):
    """Owns source, pipeline and tracker; runs :meth:`run` in its QThread."""

    frame_ready = Signal(object)  # FrameUpdate
    mood_update = Signal(
        object
    )  # MoodEvent (frozen, plain data): shown/music mood and state changes
    source_opened = Signal(object)  # SourceInfo
    source_problem = Signal(object, str)  # SourceProblem, message for the user
    capture_stopped = Signal()  # the source was released: nothing is being captured
    model_status = Signal(bool, str)  # loaded?, message
    calibration_progress = Signal(float)  # 0..1
    calibration_finished = Signal(bool, str)  # ok?, message for the user
    finished = Signal()

    def __init__(
        self,
        options: VisionOptions | None = None,
        *,
        source_factory: SourceFactory | None = None,
        pipeline_factory: PipelineFactory | None = None,
        display_width: int = 800,
        max_fps: float = 30.0,
    ) -> None:
        """Configure the worker; nothing is opened until :meth:`run` starts in the thread."""
        super().__init__()
        self.options = options or VisionOptions()
        self._source_factory = source_factory or default_source_factory
        self._pipeline_factory = pipeline_factory or default_pipeline_factory
        self.display_width = display_width
        self._min_period = 1.0 / max_fps if max_fps > 0 else 0.0
        self._commands: queue.SimpleQueue[tuple[_Command, object]] = queue.SimpleQueue()
        self._quit = threading.Event()
        self._source: FrameSourceLike | None = None
        self._source_info: SourceInfo | None = None
        self._pipeline: VisionPipeline | None = None
        self._pipeline_failed = False
        self._calibrator: NeutralCalibrator | None = None
        self._unsubscribe: Callable[[], None] | None = None
        # Frames emitted but not yet painted: above the limit frames are still analysed but not
        # sent, so a busy GUI never builds up a backlog of stale pictures.
        self._in_flight = 0
        self._in_flight_lock = threading.Lock()
        self.max_in_flight = 2
        self.frames_processed = 0
        self.frames_dropped = 0
        self._last_frame_at = 0.0

    # -- commands (any thread) -------------------------------------------------------------

    def open_source(self, spec: str) -> None:
        """Switch to ``spec`` (camera index, video, image or folder); the old source is released."""
        self._commands.put((_Command.OPEN, str(spec)))

    def stop_capture(self) -> None:
        """Release the source (camera off): nothing is captured until :meth:`open_source`."""
        self._commands.put((_Command.STOP, None))

    def calibrate_neutral(self, seconds: float = 4.0) -> None:
        """Record ``seconds`` of the user's resting face and store a neutral calibration."""
        self._commands.put((_Command.CALIBRATE, float(seconds)))

    def reset_calibration(self) -> None:
        """Forget the neutral calibration."""
        self._commands.put((_Command.RESET_CALIBRATION, None))

    def set_mood_config(self, config: MoodConfig) -> None:
        """Use new mood-filter settings (e.g. the music hold time) from the next frame on."""
        self._commands.put((_Command.MOOD_CONFIG, config))

    def request_quit(self) -> None:
        """Ask the loop to release everything and finish."""
        self._quit.set()
        self._commands.put((_Command.QUIT, None))

    def frame_consumed(self) -> None:
        """The GUI painted a frame (call from the GUI thread's slot)."""
        with self._in_flight_lock:
            self._in_flight = max(0, self._in_flight - 1)

    # -- the loop (worker thread) ------------------------------------------------------------

    @Slot()
    def run(self) -> None:
        """Loop until :meth:`request_quit`: drain commands, read a frame, process, emit."""
        try:
            while not self._quit.is_set():
                if self._source is None:
                    try:
                        command = self._commands.get(timeout=0.2)
                    except queue.Empty:
                        continue
                    self._handle(command)
                    continue
                self._drain()
                if self._source is None or self._quit.is_set():
                    continue
                self._step()
        except Exception as error:  # never let the thread die silently
            log.exception("vision worker crashed")
            self.source_problem.emit(
                SourceProblem.CRASHED,
                f"The camera worker stopped unexpectedly ({error}). Choose a source again from the Camera menu.",
            )
        finally:
            self._close_source()
            self.finished.emit()

    def _drain(self) -> None:
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return
            self._handle(command)

    def _handle(self, command: tuple[_Command, object]) -> None:
        name, arg = command
        if name is _Command.OPEN:
            self._open(arg)
        elif name is _Command.STOP:
            self._close_source()
            self.capture_stopped.emit()
        elif name is _Command.CALIBRATE:
            self._start_calibration(arg)
        elif name is _Command.RESET_CALIBRATION:
            from emotune.vision.calibration import reset_calibration

            reset_calibration()
            if self._pipeline is not None:
                self._pipeline.set_logit_bias(None)
            self.calibration_finished.emit(True, "Neutral calibration removed.")
        elif name is _Command.MOOD_CONFIG:
            self.options = replace(self.options, mood=arg)
            tracker = getattr(self._pipeline, "tracker", None)
            if tracker is not None:
                tracker.config = arg  # the belief is kept; only the knobs change
        elif name is _Command.QUIT:
            self._quit.set()

    def _open(self, spec: str) -> None:
        self._close_source()
        try:
            source = self._source_factory(spec)
            source.open()
        except Exception as error:  # SourceError has a user-facing message; others get one
            log.info("cannot open source %r: %s", spec, error)
            self.source_problem.emit(SourceProblem.OPEN_FAILED, str(error) or f"cannot open {spec}")
            self.capture_stopped.emit()
            return
        self._source = source
        self._unsubscribe = (
            source.add_listener(self._on_source_event) if hasattr(source, "add_listener") else None
        )
        self._source_info = SourceInfo(
            spec, str(getattr(source, "description", spec)), is_camera_spec(spec)
        )
        if self._pipeline is not None:
            self._pipeline.reset()
            if self._pipeline.tracker is not None:
                self._pipeline.tracker.reset()  # another feed, maybe another person: start afresh
        self.source_opened.emit(self._source_info)

    def _close_source(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._source is not None:
            try:
                self._source.close()  # releases the camera device at once
            except Exception:
                log.exception("closing the source failed")
            self._source = None
            self._source_info = None

    def _on_source_event(self, source: FrameSourceLike, event: SourceEvent) -> None:
        from emotune.vision.sources import SourceEvent

        if event is SourceEvent.CAMERA_LOST:
            self.source_problem.emit(
                SourceProblem.CAMERA_LOST,
                "The camera stopped sending pictures. Reconnecting…; check the cable, or pick another source in the Camera menu.",
            )
        elif event is SourceEvent.RECONNECTED:
            self.source_problem.emit(SourceProblem.RECONNECTED, "The camera is back.")
        elif event is SourceEvent.LOOPED:
            self.source_problem.emit(
                SourceProblem.RESTARTED,
                f"{getattr(source, 'description', 'The video')}: video restarted",
            )
        elif event is SourceEvent.END_OF_STREAM:
            self.source_problem.emit(
                SourceProblem.ENDED,
                f"{getattr(source, 'description', 'The source')} has no more frames. Open another source from the Camera menu.",
            )

    def _load_pipeline(self) -> None:
        try:
            pipeline = self._pipeline_factory(self.options)
        except Exception as error:
            log.warning("emotion model unavailable: %s", error)
            self._pipeline_failed = True
            self.model_status.emit(
                False,
                f"The emotion model could not be loaded: {error}. The picture is shown, and moods can be picked with the emoji buttons.",
            )
            return
        self._pipeline = pipeline
        tracker = getattr(pipeline, "tracker", None)
        if tracker is not None:
            tracker.subscribe(self.mood_update.emit)  # MoodEvent is immutable: safe to hand over
        self.model_status.emit(True, "")

    def _step(self) -> None:
        """One frame through the vision driver (:meth:`FramePipeline.step`), then to the GUI."""
        source = self._source
        started = time.monotonic()
        if self._pipeline is None:
            frame = source.read()
            if frame is None:
                self._after_empty_read(source)
                return
            self._emit_frame(frame, [], None, {})
            if not self._pipeline_failed:
                self._load_pipeline()  # the first picture is on screen already; now pay for the model
        else:
            result = self._pipeline.step(source)
            if result is None:
                self._after_empty_read(source)
                return
            if self._calibrator is not None:
                self._feed_calibration(result.primary, result.frame.timestamp)
            t = result.timings
            timings = {
                "detect_ms": t.detect_ms,
                "crop_ms": t.crop_ms,
                "classify_ms": t.classify_ms,
                "total_ms": t.total_ms,
            }
            self._emit_frame(result.frame, result.faces, result.mood, timings)
        self.frames_processed += 1
        # Sources that do not pace themselves (fakes, fast folders) must not spin a core.
        spare = self._min_period - (time.monotonic() - started)
        if spare > 0:
            time.sleep(spare)

    def _after_empty_read(self, source: FrameSourceLike) -> None:
        """No frame came: the source ended or closed (release it), or it is lost / between
        frames (the driver already told the tracker about a lost camera)."""
        from emotune.vision.sources import SourceStatus

        status = getattr(source, "status", None)
        if status in (SourceStatus.ENDED, SourceStatus.CLOSED):
            self._close_source()
            self.capture_stopped.emit()
        elif status is not SourceStatus.LOST:
            time.sleep(0.01)  # a dropped read: do not spin

    def _emit_frame(
        self,
        frame: Frame,
        faces: Sequence[FaceResult],
        mood: MoodSnapshot | None,
        timings: dict[str, float],
    ) -> None:
        with self._in_flight_lock:
            if self._in_flight >= self.max_in_flight:
                self.frames_dropped += 1
                return
            self._in_flight += 1
        image, scale = frame_to_qimage(frame.image, self.display_width)
        boxes = tuple(
            FaceBox(
                round(f.box.x * scale),
                round(f.box.y * scale),
                round(f.box.w * scale),
                round(f.box.h * scale),
                tuple(float(p) for p in f.probabilities),
                bool(f.is_primary),
            )
            for f in faces
        )
        fps = float(self._pipeline.stats.fps) if self._pipeline is not None else 0.0
        now = time.monotonic()
        if fps == 0.0 and self._last_frame_at:
            fps = 1.0 / max(1e-3, now - self._last_frame_at)
        self._last_frame_at = now
        self.frame_ready.emit(
            FrameUpdate(
                image,
                boxes,
                mood,
                fps,
                timings.get("total_ms", 0.0),
                timings,
                int(frame.index),
                float(getattr(frame, "captured_at", now)),
            )
        )

    # -- neutral calibration (worker thread) ---------------------------------------------------

    def _start_calibration(self, seconds: float) -> None:
        if self._pipeline is None:
            self.calibration_finished.emit(
                False,
                "Calibration needs the camera and the emotion model running. Switch the camera on and try again.",
            )
            return
        if self._source is None:
            self.calibration_finished.emit(
                False, "The camera is off. Switch it on (Camera ▸ Camera on) and try again."
            )
            return
        from emotune.vision.calibration import NeutralCalibrator

        self._calibrator = NeutralCalibrator(duration_s=seconds, model_id=self._model_id())
        self.calibration_progress.emit(0.0)

    def _model_id(self) -> str | None:
        """Content hash of the loaded model, so a calibration is never reused with another one."""
        from emotune.vision.calibration import model_id

        path = getattr(getattr(self._pipeline, "classifier", None), "path", None)
        try:
            return model_id(path) if path is not None else None
        except OSError:
            return None

    def _feed_calibration(self, primary: FaceResult | None, timestamp: float) -> None:
        from emotune.vision.calibration import CalibrationError, save_calibration

        calibrator = self._calibrator
        done = calibrator.add(None if primary is None else primary.raw_probabilities, timestamp)
        self.calibration_progress.emit(float(calibrator.progress))
        if not done:
            return
        self._calibrator = None
        try:
            calibration = calibrator.result()
        except CalibrationError as error:
            self.calibration_finished.emit(False, str(error))
            return
        save_calibration(calibration)
        self._pipeline.set_logit_bias(calibration.logit_bias)
        self.calibration_finished.emit(
            True,
            f"Calibrated on {calibration.frames} frames: your resting face now reads as neutral.",
        )
