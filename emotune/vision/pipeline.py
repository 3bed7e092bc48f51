"""Frames to faces to emotion probabilities (and, optionally, to a steady mood).

:meth:`FramePipeline.process` is the pure per-frame step: detect faces, crop and preprocess each
to 48x48, classify all of them in **one** batched call, mark the primary face. :meth:`step` reads
one frame from a :class:`~emotune.vision.sources.FrameSource`, processes it and feeds the mood
tracker; :meth:`run` only loops over :meth:`step` (so tests drive :meth:`step` directly).

Timings per stage are on :attr:`FramePipeline.last_timings` and rolled up in
:attr:`FramePipeline.stats` for a status bar. No Qt, no disk writes: frames stay in memory.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from emotune.emotions import EMOTIONS, Emotion
from emotune.mood import MoodSnapshot, MoodTracker
from emotune.vision.calibration import apply_bias
from emotune.vision.detector import Box, FaceDetector
from emotune.vision.preprocess import preprocess
from emotune.vision.sources import Frame, FrameSource, SourceStatus

log = logging.getLogger(__name__)


class Classifier(Protocol):
    """What the pipeline needs from :class:`emotune.vision.classifier.EmotionClassifier`."""

    def predict(self, faces: np.ndarray, logit_bias: np.ndarray | None = None) -> np.ndarray:
        """Probabilities (N, 7) for uint8 faces (N, 48, 48)."""
        ...


PrimaryPolicy = Literal["largest", "center"] | Callable[[Sequence[Box], tuple[int, int]], int]
"""How the face that drives the mood is chosen: the largest box, the one nearest the frame
centre, or a callable ``(boxes, (height, width)) -> index``."""


@dataclass(frozen=True)
class FaceResult:
    """One detected face and what the model made of it."""

    box: Box
    face: np.ndarray
    """The uint8 (48, 48) grayscale crop that was classified."""
    probabilities: np.ndarray
    """(7,) float32 in canonical order, with the user's neutral calibration applied if set."""
    raw_probabilities: np.ndarray
    """(7,) float32 straight from the model (what neutral calibration records)."""
    is_primary: bool

    @property
    def emotion(self) -> Emotion:
        """The most probable emotion for this face (this frame only, not smoothed)."""
        return EMOTIONS[int(np.argmax(self.probabilities))]

    @property
    def confidence(self) -> float:
        """Probability of :attr:`emotion`."""
        return float(np.max(self.probabilities))

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly view (no pixels)."""
        return {
            "box": list(self.box.as_tuple()),
            "primary": self.is_primary,
            "emotion": self.emotion.key,
            "confidence": round(self.confidence, 4),
            "probabilities": {
                e.key: round(float(p), 4) for e, p in zip(EMOTIONS, self.probabilities, strict=True)
            },
        }


@dataclass(frozen=True)
class FrameTimings:
    """Milliseconds spent per stage on one frame."""

    detect_ms: float
    crop_ms: float
    classify_ms: float
    total_ms: float
    cpu_ms: float
    """CPU time this thread spent on the frame: unlike the wall-clock stages, it does not grow
    when other processes compete for the core, so it shows the work itself."""
    full_scan: bool
    faces: int


@dataclass(frozen=True)
class StepResult:
    """Everything :meth:`FramePipeline.step` learned from one frame."""

    frame: Frame
    faces: list[FaceResult]
    timings: FrameTimings
    mood: MoodSnapshot | None
    latency_ms: float
    """From the frame entering the process (``Frame.captured_at``) to this result."""

    @property
    def primary(self) -> FaceResult | None:
        """The face that drives the mood, if any."""
        return next((f for f in self.faces if f.is_primary), None)


class PipelineStats:
    """Rolling per-stage timings over the last ``window`` frames."""

    def __init__(self, window: int = 120) -> None:
        """Keep the last ``window`` frames' timings."""
        self._timings: deque[FrameTimings] = deque(maxlen=window)
        self._stamps: deque[float] = deque(maxlen=window)
        self.frames = 0

    def add(self, timings: FrameTimings, now: float | None = None) -> None:
        """Record one frame's timings (``now`` is a monotonic time, for the fps estimate)."""
        self._timings.append(timings)
        self._stamps.append(time.monotonic() if now is None else now)
        self.frames += 1

    @property
    def fps(self) -> float:
        """Frames per second over the window (0 until two frames)."""
        if len(self._stamps) < 2 or self._stamps[-1] <= self._stamps[0]:
            return 0.0
        return (len(self._stamps) - 1) / (self._stamps[-1] - self._stamps[0])

    def summary(self) -> dict[str, float]:
        """Median and p95 of detect/classify/total ms, plus fps: e.g. for a status bar."""
        out: dict[str, float] = {"frames": float(self.frames), "fps": round(self.fps, 1)}
        if not self._timings:
            return out
        for name in ("detect_ms", "classify_ms", "total_ms"):
            values = np.array([getattr(t, name) for t in self._timings])
            out[f"{name}_median"] = round(float(np.median(values)), 3)
            out[f"{name}_p95"] = round(float(np.percentile(values, 95)), 3)
        return out


class FramePipeline:
    """Detector + classifier (+ optional mood tracker) for one stream of frames. Not thread-safe:
    use one pipeline per worker thread."""

    def __init__(
        self,
        classifier: Classifier,
        detector: FaceDetector | None = None,
        *,
        tracker: MoodTracker | None = None,
        primary: PrimaryPolicy = "largest",
        logit_bias: np.ndarray | None = None,
        stats_window: int = 120,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Wire the stages; ``logit_bias`` is a neutral calibration (see :mod:`.calibration`)."""
        self.classifier = classifier
        self.detector = detector or FaceDetector()
        self.tracker = tracker
        self.primary = primary
        self.logit_bias = None if logit_bias is None else np.asarray(logit_bias, dtype=np.float32)
        self.stats = PipelineStats(stats_window)
        self.last_timings: FrameTimings | None = None
        self._last_primary: Box | None = None
        self._clock = clock

    def set_logit_bias(self, bias: np.ndarray | None) -> None:
        """Apply (or with None, remove) a per-user neutral calibration from the next frame on."""
        self.logit_bias = None if bias is None else np.asarray(bias, dtype=np.float32)

    def reset(self) -> None:
        """Forget tracked faces and the primary face (call when switching sources)."""
        self.detector.reset()
        self._last_primary = None

    # -- the per-frame step ------------------------------------------------------------------

    def process(self, frame_bgr: np.ndarray) -> list[FaceResult]:
        """Faces in one BGR (or gray) frame with probabilities; primary face first, then by size."""
        cpu0 = time.thread_time()
        t0 = time.perf_counter()
        boxes = self.detector.detect(frame_bgr)
        t1 = time.perf_counter()
        crops = [preprocess(frame_bgr[b.y : b.y + b.h, b.x : b.x + b.w]) for b in boxes]
        t2 = time.perf_counter()
        if crops:
            # One batched call for all faces: per-call overhead dominates for a 48x48 model.
            raw = np.asarray(self.classifier.predict(np.stack(crops)), dtype=np.float32).reshape(
                len(crops), -1
            )
            probs = apply_bias(raw, self.logit_bias) if self.logit_bias is not None else raw
        else:
            raw = probs = np.zeros((0, len(EMOTIONS)), dtype=np.float32)
        t3 = time.perf_counter()
        primary_index = self._choose_primary(boxes, frame_bgr.shape[:2]) if boxes else -1
        results = [
            FaceResult(box, crop, probs[i], raw[i], i == primary_index)
            for i, (box, crop) in enumerate(zip(boxes, crops, strict=True))
        ]
        results.sort(key=lambda r: (not r.is_primary, -r.box.area))
        t4 = time.perf_counter()
        timings = FrameTimings(
            detect_ms=(t1 - t0) * 1e3,
            crop_ms=(t2 - t1) * 1e3,
            classify_ms=(t3 - t2) * 1e3,
            total_ms=(t4 - t0) * 1e3,
            cpu_ms=(time.thread_time() - cpu0) * 1e3,
            full_scan=self.detector.last_was_full_scan,
            faces=len(results),
        )
        self.last_timings = timings
        self.stats.add(timings, self._clock())
        return results

    def _choose_primary(self, boxes: Sequence[Box], shape: tuple[int, int]) -> int:
        if callable(self.primary):
            index = int(self.primary(boxes, shape))
        elif self.primary == "center":
            cy, cx = shape[0] / 2.0, shape[1] / 2.0
            index = min(
                range(len(boxes)),
                key=lambda i: (boxes[i].center[0] - cx) ** 2 + (boxes[i].center[1] - cy) ** 2,
            )
        else:
            index = max(range(len(boxes)), key=lambda i: boxes[i].area)
            # Stickiness: two similar-sized faces must not take turns driving the mood, so the
            # previous primary keeps the role unless another face is clearly (30%) larger.
            if self._last_primary is not None:
                same = max(range(len(boxes)), key=lambda i: boxes[i].iou(self._last_primary))  # type: ignore[arg-type]
                if (
                    boxes[same].iou(self._last_primary) > 0.3
                    and boxes[index].area < 1.3 * boxes[same].area
                ):
                    index = same
        self._last_primary = boxes[index]
        return index

    # -- driving a source --------------------------------------------------------------------

    def step(self, source: FrameSource) -> StepResult | None:
        """Read one frame, process it and update the tracker; None when no frame came.

        When the read fails because the camera is lost, the tracker is told (it keeps the mood).
        """
        frame = source.read()
        if frame is None:
            if source.status is SourceStatus.LOST and self.tracker is not None:
                self.tracker.camera_lost(self._clock())
            return None
        faces = self.process(frame.image)
        mood = None
        if self.tracker is not None:
            primary = next((f for f in faces if f.is_primary), None)
            mood = self.tracker.update(
                None if primary is None else primary.probabilities, frame.timestamp
            )
        latency = (time.monotonic() - frame.captured_at) * 1e3
        assert self.last_timings is not None
        return StepResult(frame, faces, self.last_timings, mood, latency)

    def run(
        self,
        source: FrameSource,
        on_result: Callable[[StepResult], None] | None = None,
        stop: threading.Event | None = None,
        max_consecutive_errors: int = 30,
    ) -> None:
        """Loop :meth:`step` until ``stop`` is set or the source ends/closes.

        Meant for a worker thread. Exceptions from a frame (or from ``on_result``) are logged and skipped (the camera
        must not take the app down); after ``max_consecutive_errors`` in a row the loop stops.
        """
        errors = 0
        while not (stop is not None and stop.is_set()):
            if source.status not in (SourceStatus.OPEN, SourceStatus.LOST):
                break
            try:
                result = self.step(source)
                if result is not None and on_result is not None:
                    on_result(result)
                errors = 0
            except Exception:
                errors += 1
                log.exception("vision step failed (%d in a row)", errors)
                if errors >= max_consecutive_errors:
                    break
