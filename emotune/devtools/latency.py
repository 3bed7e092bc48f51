"""Runtime cost of an exported model: load time (in a fresh interpreter process) and per-call
prediction latency through :class:`emotune.vision.classifier.EmotionClassifier`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from emotune.vision.classifier import EmotionClassifier

_LOAD_PROBE = """
import json, sys, time
start = time.perf_counter()
from emotune.vision.classifier import EmotionClassifier
imported = time.perf_counter()
classifier = EmotionClassifier.load(sys.argv[1])
done = time.perf_counter()
print(json.dumps({"import_and_load_s": done - start, "load_s": done - imported,
                  "backend": classifier.backend, "tensorflow_imported": "tensorflow" in sys.modules}))
"""


_PREDICT_PROBE = """
import json, os, sys
cores = json.loads(sys.argv[2])
if cores and hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, cores)  # before any thread starts, so all inherit it
from emotune.vision.classifier import EmotionClassifier, default_num_threads
from emotune.devtools.latency import one_face_timing
timing = one_face_timing(EmotionClassifier.load(sys.argv[1]), rounds=int(sys.argv[3]))
print(json.dumps({"median": round(timing["wall_ms"], 3), "cpu_median": round(timing["cpu_ms"], 3),
                  "num_threads": default_num_threads()}))
"""


def predict_time_fresh(
    model_path: str | Path, cores: list[int] | None = None, rounds: int = 2000
) -> dict:
    """One-face ``predict`` latency as the app runs it: a fresh process, the default thread count.

    ``cores`` restricts that process to those CPU cores (default: whatever this process may
    use), so a caller pinned to one core can still measure the unpinned case. Returns
    ``median`` and ``cpu_median`` (calling thread only) in ms, and ``num_threads``.
    """
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _PREDICT_PROBE,
            str(model_path),
            json.dumps(sorted(cores or [])),
            str(rounds),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def load_time(model_path: str | Path) -> dict:
    """Cold-start cost in a fresh Python process: ``import_and_load_s`` (importing the classifier
    module -- NumPy, OpenCV, LiteRT -- plus loading) and ``load_s`` (:meth:`EmotionClassifier.load`
    alone), plus which backend loaded and whether TensorFlow got imported."""
    result = subprocess.run(
        [sys.executable, "-c", _LOAD_PROBE, str(model_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def machine_load() -> dict:
    """The 1-minute load average and core count, to put latency numbers in context."""
    try:
        load = os.getloadavg()[0]
    except (OSError, AttributeError):  # not available on Windows
        load = None
    return {"load_average_1min": load, "cpu_count": os.cpu_count()}


def interleaved_timings(
    calls: dict[str, Callable[[], object]], rounds: int = 500, warmup: int = 30
) -> dict[str, dict[str, float]]:
    """Median wall-clock and thread-CPU milliseconds of each named zero-argument call, timed
    round-robin: ``{name: {"wall_ms": ..., "cpu_ms": ...}}``.

    Interleaving gives every variant the same background load. CPU time also leaves out the time
    the thread sat descheduled, so it ranks variants reliably even on a busy machine, where wall
    medians mostly measure the scheduler.
    """
    for _ in range(warmup):
        for call in calls.values():
            call()
    wall: dict[str, list[float]] = {name: [] for name in calls}
    cpu: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            start, start_cpu = time.perf_counter(), time.thread_time()
            call()
            cpu[name].append(time.thread_time() - start_cpu)
            wall[name].append(time.perf_counter() - start)
    return {
        name: {
            "wall_ms": float(np.median(wall[name]) * 1000.0),
            "cpu_ms": float(np.median(cpu[name]) * 1000.0),
        }
        for name in calls
    }


def one_face_timing(classifier: EmotionClassifier, rounds: int = 2000) -> dict[str, float]:
    """Median ``wall_ms`` and ``cpu_ms`` of ``classifier.predict`` on one face, cycling through 64
    random faces so the number is not a cache artefact of one input."""
    faces = np.random.default_rng(0).integers(0, 256, size=(64, 48, 48), dtype=np.uint8)
    counter = iter(range(10**9))
    return interleaved_timings(
        {"one": lambda: classifier.predict(faces[next(counter) % 64])}, rounds
    )["one"]


def interleaved_latency_ms(
    calls: dict[str, Callable[[], object]], rounds: int = 500, warmup: int = 30
) -> dict[str, float]:
    """Median wall-clock milliseconds of each named call, timed round-robin (see
    :func:`interleaved_timings`)."""
    return {name: t["wall_ms"] for name, t in interleaved_timings(calls, rounds, warmup).items()}


def batch_strategy_ms(
    model_path: str | Path, faces: np.ndarray, batch: int = 4, rounds: int = 200
) -> dict[str, float]:
    """Median ms for ``batch`` faces in one resized-interpreter call vs a loop of single calls."""
    classifier = EmotionClassifier.load(model_path)
    chunk = np.asarray(faces)[:batch]
    return interleaved_latency_ms(
        {
            "one_call": lambda: classifier.predict(chunk),
            "loop": lambda: [classifier.predict(face) for face in chunk],
        },
        rounds=rounds,
    )


def predict_latency_ms(
    model_path: str | Path, faces: np.ndarray, repeats: int = 300, warmup: int = 30, batch: int = 1
) -> float:
    """Median wall-clock milliseconds of ``predict`` on ``batch`` faces, after ``warmup`` calls.

    Cycles through ``faces`` so the number is not a cache artefact of one input.
    """
    classifier = EmotionClassifier.load(model_path)
    faces = np.asarray(faces)
    count = len(faces)
    for i in range(warmup):
        classifier.predict(faces[[(i + k) % count for k in range(batch)]])
    timings = []
    for i in range(repeats):
        chunk = faces[[(i + k) % count for k in range(batch)]]
        start = time.perf_counter()
        classifier.predict(chunk)
        timings.append(time.perf_counter() - start)
    return float(np.median(timings) * 1000.0)


__all__ = [
    "batch_strategy_ms",
    "interleaved_latency_ms",
    "interleaved_timings",
    "load_time",
    "machine_load",
    "one_face_timing",
    "predict_latency_ms",
    "predict_time_fresh",
]
