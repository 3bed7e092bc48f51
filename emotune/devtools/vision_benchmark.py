"""Latency measurements of the live vision pipeline and of a naive reference, for `emotune bench`.

All frames are synthetic (see :mod:`.synthetic`), built in memory. Each function returns a
plain JSON-ready dict. TensorFlow/Keras is imported only inside :func:`time_naive_reference`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from emotune.devtools.synthetic import blank_frame, jittered_frames
from emotune.vision.detector import DetectorConfig
from emotune.vision.native_stderr import native_stderr_without
from emotune.vision.pipeline import Classifier, FramePipeline
from emotune.vision.preprocess import FACE_SIZE
from emotune.vision.sources import MemorySource

TENSORFLOW_NOISE = (
    "WARNING: All log messages before absl::InitializeLog() is called",
    "I0000 00:00:",  # absl INFO lines before its initialisation; W/E lines are kept
)
"""Start-up lines TensorFlow writes to stderr whatever TF_CPP_MIN_LOG_LEVEL says."""


def pin_to_one_core(core: int | None = None) -> dict[str, Any]:
    """Restrict this process (all threads) to one CPU core and OpenCV to one thread.

    ``core`` None picks the last allowed core. Returns what was done, for the report.
    """
    cv2.setNumThreads(1)
    info: dict[str, Any] = {"opencv_threads": 1}
    if not hasattr(os, "sched_setaffinity"):
        info["pinned"] = False
        info["note"] = "os.sched_setaffinity is not available on this platform; not pinned"
        return info
    allowed = sorted(os.sched_getaffinity(0))
    chosen = allowed[-1] if core is None else core
    os.sched_setaffinity(0, {chosen})
    info.update(pinned=True, core=chosen, cores_available=len(allowed), previous_cores=allowed)
    return info


def unpin(info: dict[str, Any]) -> None:
    """Undo :func:`pin_to_one_core` (for in-process callers such as tests or the GUI)."""
    if info.get("pinned") and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(info["previous_cores"]))
    cv2.setNumThreads(-1)  # back to OpenCV's default


def summarize(values_ms: Sequence[float]) -> dict[str, float]:
    """Median, p95, p99, mean, min and max in ms (rounded), plus the sample count.

    The p99 and max show the rare slow frames (a full face search) that the p95 hides.
    """
    v = np.asarray(values_ms, dtype=np.float64)
    if v.size == 0:
        return {"n": 0}
    return {
        "median": round(float(np.median(v)), 3),
        "p95": round(float(np.percentile(v, 95)), 3),
        "p99": round(float(np.percentile(v, 99)), 3),
        "mean": round(float(v.mean()), 3),
        "min": round(float(v.min()), 3),
        "max": round(float(v.max()), 3),
        "n": int(v.size),
    }


def make_frames(width: int, height: int, count: int, seed: int = 0) -> list[np.ndarray]:
    """``count`` jittered one-face frames (face 30% of the frame height)."""
    return list(jittered_frames(count, width, height, seed=seed))


def time_pipeline(
    classifier: Classifier,
    frames: Sequence[np.ndarray],
    warmup: int = 10,
    detector_config: DetectorConfig | None = None,
    no_face_frames: int = 60,
) -> dict[str, Any]:
    """Per-frame detect/classify/total latency of :meth:`FramePipeline.process` (ms).

    Frames are processed in order as a stream (so tracking between full-search frames happens,
    as it would live); the first ``warmup`` frames are not counted. ``full_scan_frames_total_ms``
    shows the frames that ran a part of the spread full face search on their own (a round of
    ``search_slices`` frames every ``full_scan_every``). ``first_frame_total_ms`` is the stream's
    first frame, which searches the whole frame at once; ``no_face_total_ms`` and
    ``no_face_total_cpu_ms`` time ``no_face_frames`` frames of the empty room, where the search
    runs on every frame.
    """
    pipeline = _pipeline(classifier, detector_config)
    first_ms = None
    for frame in frames[:warmup]:
        pipeline.process(frame)
        if first_ms is None and pipeline.last_timings is not None:
            first_ms = pipeline.last_timings.total_ms
    detect, classify, total, cpu, full_scan_total, found, full = [], [], [], [], [], 0, 0
    for frame in frames[warmup:]:
        faces = pipeline.process(frame)
        t = pipeline.last_timings
        assert t is not None
        detect.append(t.detect_ms)
        classify.append(t.classify_ms)
        total.append(t.total_ms)
        cpu.append(t.cpu_ms)
        found += bool(faces)
        full += t.full_scan
        if t.full_scan:
            full_scan_total.append(t.total_ms)
    n = max(1, len(frames) - warmup)
    return {
        "detect_ms": summarize(detect),
        "classify_ms": summarize(classify),
        "total_ms": summarize(total),
        "total_cpu_ms": summarize(cpu),
        "full_scan_frames_total_ms": summarize(full_scan_total),
        "frames_with_face": round(found / n, 4),
        "full_scan_share": round(full / n, 4),
        "first_frame_total_ms": None if first_ms is None else round(first_ms, 3),
        # At most as many empty frames as the stream has (short test runs stay short).
        **_time_no_face(classifier, frames, min(no_face_frames, len(frames)), detector_config),
    }


def _pipeline(classifier: Classifier, detector_config: DetectorConfig | None) -> FramePipeline:
    """The window's pipeline (the one vision driver) around an already loaded classifier."""
    from emotune.vision.driver import VisionOptions, build_pipeline

    return build_pipeline(
        VisionOptions(use_calibration=False, detector=detector_config), classifier=classifier
    )


def _time_no_face(
    classifier: Classifier,
    frames: Sequence[np.ndarray],
    count: int,
    detector_config: DetectorConfig | None,
) -> dict[str, Any]:
    """Per-frame total latency on ``count`` frames of the empty room, the size of ``frames``
    (the first one, which searches everything at once, not counted)."""
    if count < 1 or not frames:
        return {}
    height, width = frames[0].shape[:2]
    empty = blank_frame(width, height)
    pipeline = _pipeline(classifier, detector_config)
    pipeline.process(empty)
    total, cpu = [], []
    for _ in range(count):
        pipeline.process(empty)
        t = pipeline.last_timings
        assert t is not None
        total.append(t.total_ms)
        cpu.append(t.cpu_ms)
    return {"no_face_total_ms": summarize(total), "no_face_total_cpu_ms": summarize(cpu)}


def time_capture_to_result(
    classifier: Classifier, frames: Sequence[np.ndarray], fps: float = 30.0, warmup: int = 10
) -> dict[str, Any]:
    """Capture-to-result latency through ``FramePipeline.step`` on a camera-like paced source.

    The source releases frames on a 30 fps wall-clock schedule with a one-frame buffer (stale
    frames are dropped, as with ``CAP_PROP_BUFFERSIZE=1``); latency runs from the moment a frame
    was due to the moment its result exists (read + detect + classify + mood update). Camera
    exposure and driver time are outside the process and not included.
    """
    from emotune.vision.driver import VisionOptions, build_pipeline

    warmup = min(warmup, len(frames) // 3)  # short runs (tests) still measure something
    pipeline = build_pipeline(VisionOptions(use_calibration=False), classifier=classifier)
    source = MemorySource(
        list(frames), fps=fps, realtime=True, description="paced synthetic camera"
    )
    latencies: list[float] = []
    with source:
        while True:
            result = pipeline.step(source)
            if result is None:
                break
            # Frame.index counts delivered frames; timestamp tells how far into the stream we are.
            if result.frame.timestamp * fps >= warmup:
                latencies.append(result.latency_ms)
    return {"latency_ms": summarize(latencies), "fps": fps, "dropped_frames": source.dropped}


def find_keras_model(explicit: str | Path | None = None) -> Path | None:
    """The Keras model for the naive reference: ``explicit`` or ``models/emotion.keras``."""
    from emotune.paths import MODELS_DIR

    candidate = Path(explicit) if explicit else MODELS_DIR / "emotion.keras"
    return candidate if candidate.is_file() else None


def time_naive_reference(
    frames: Sequence[np.ndarray], keras_path: Path | None, warmup: int = 2
) -> dict[str, Any]:
    """The straightforward way, for comparison: Haar (scaleFactor 1.1) on every full frame, then
    Keras ``model.predict`` on the faces. Imports TensorFlow/Keras here only.

    Without a Keras model only the detection half is timed (``classify_ms`` is then absent).
    """
    cascade = cv2.CascadeClassifier(
        str(Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml")
    )
    predict: Callable[[np.ndarray], Any] | None = None
    note = None
    if keras_path is not None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        try:
            # TensorFlow's start-up INFO lines (oneDNN, no CUDA) are written by absl before it
            # reads TF_CPP_MIN_LOG_LEVEL, so that variable alone does not keep them off stderr.
            with native_stderr_without(TENSORFLOW_NOISE):
                import keras  # the reference only; the app itself never imports Keras/TensorFlow

                model = keras.models.load_model(keras_path, compile=False)

            def predict(batch: np.ndarray) -> Any:
                return model.predict(batch, verbose=0)
        except Exception as error:  # no TensorFlow installed, or an unreadable file
            note = f"Keras reference unavailable ({type(error).__name__}: {error}); detection only"
    else:
        note = "no Keras model (models/emotion.keras or --keras); reference times detection only"
    detect, classify, total, cpu = [], [], [], []
    for number, frame in enumerate(frames):
        # Process CPU time, not thread time: Keras runs its ops on TensorFlow's own threads.
        c0 = time.process_time()
        t0 = time.perf_counter()
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        boxes = cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5)
        t1 = time.perf_counter()
        if predict is not None and len(boxes):
            crops = [
                cv2.resize(gray[y : y + h, x : x + w], (FACE_SIZE, FACE_SIZE))
                for x, y, w, h in boxes
            ]
            predict(np.stack(crops).astype(np.float32)[..., None])
        t2 = time.perf_counter()
        c2 = time.process_time()
        if number >= warmup:
            detect.append((t1 - t0) * 1e3)
            classify.append((t2 - t1) * 1e3)
            total.append((t2 - t0) * 1e3)
            cpu.append((c2 - c0) * 1e3)
    out: dict[str, Any] = {
        "detect_ms": summarize(detect),
        "total_ms": summarize(total),
        "total_cpu_ms": summarize(cpu),
    }
    if predict is not None:
        out["classify_ms"] = summarize(classify)
        out["keras_model"] = str(keras_path)
    if note:
        out["note"] = note
    return out
