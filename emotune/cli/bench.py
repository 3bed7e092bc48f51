"""`emotune bench`: how fast the live vision pipeline is on one CPU core, what the model costs,
and how fast the desktop app starts.

The report is a dict of named sections, each produced by a function registered in
:data:`SECTIONS` (``register_section``); more can be added without touching the existing ones.
Sections run in registration order and can read the results of earlier ones from
``context.results``. Sections that need Qt (``startup``) run it in a child process, so the bench
itself never imports it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emotune.cli._common import fail, non_negative_int, positive_int

RESOLUTIONS: tuple[tuple[int, int], ...] = ((640, 480), (1280, 720))

BARS = {
    "640x480_total_median_ms": 8.0,
    "640x480_total_p99_ms": 16.0,
    "1280x720_total_median_ms": 15.0,
    "speedup_vs_naive_640x480": 10.0,
    "model_predict_one_face_median_ms": 3.0,
    "model_load_s": 0.5,
    "model_size_mb": 20.0,
}
"""Targets from the vision-pipeline and model issues, checked in the ``bars`` section."""


@dataclass
class BenchContext:
    """What sections share: parsed args, the loaded classifier, frames, earlier results."""

    args: argparse.Namespace
    classifier: Any = None
    frames: dict[str, list[Any]] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)
    cores: list[int] = field(default_factory=list)
    """The cores this process could use before the bench pinned itself to one."""


Section = Callable[[BenchContext], dict[str, Any]]
SECTIONS: dict[str, Section] = {}


def register_section(name: str, section: Section) -> None:
    """Add (or replace) a named section; it runs after those registered before it."""
    SECTIONS[name] = section


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `bench` subcommand."""
    parser = subparsers.add_parser(
        "bench",
        help="measure the vision pipeline's per-frame latency, the model's cost and the app's start-up",
        description="Per-frame latency (detect, classify, total; median and p95) at 640x480 and "
        "1280x720 with one face, capture-to-result latency, and the same frames through a naive "
        "reference (full-frame Haar + Keras predict) for a speed-up ratio, and the desktop app's "
        "start-up time and memory (three offscreen runs). Pinned to one core; the model and start-up "
        "sections run fresh processes on all the cores the app would get.",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--frames",
        type=positive_int,
        default=200,
        help="frames per resolution for the pipeline (default 200)",
    )
    parser.add_argument(
        "--reference-frames",
        type=positive_int,
        default=12,
        help="frames per resolution for the slow reference (default 12)",
    )
    parser.add_argument(
        "--core",
        type=non_negative_int,
        default=None,
        help="CPU core to pin to (default: the last one)",
    )
    parser.add_argument(
        "--model", default=None, help="emotion model (default models/emotion.tflite)"
    )
    parser.add_argument(
        "--keras", default=None, help="Keras model for the reference (default models/emotion.keras)"
    )
    parser.add_argument(
        "--data",
        default=os.environ.get("EMOTUNE_DATA"),
        help="FER2013+FER+ npz for the mood_sequences section (default $EMOTUNE_DATA)",
    )
    parser.add_argument(
        "--sections", default=None, help=f"comma-separated subset of: {', '.join(SECTIONS)}"
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the selected sections and print the report."""
    from emotune.devtools.vision_benchmark import pin_to_one_core, unpin
    from emotune.vision.classifier import EmotionClassifier, ModelLoadError

    wanted = (
        list(SECTIONS)
        if not args.sections
        else [s.strip() for s in args.sections.split(",") if s.strip()]
    )
    unknown = [name for name in wanted if name not in SECTIONS]
    if unknown:
        return fail(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    # Pin before loading anything that starts threads (LiteRT, TensorFlow).
    pinning = pin_to_one_core(args.core)
    try:
        try:
            classifier = EmotionClassifier.load(args.model, num_threads=1)
        except ModelLoadError as error:
            return fail(str(error))
        context = BenchContext(
            args=args, classifier=classifier, cores=pinning.get("previous_cores", [])
        )
        context.results["environment"] = {
            "pinning": {k: v for k, v in pinning.items() if k != "previous_cores"}
        }
        for name in wanted:
            if not args.json:
                print(f"running {name} ...", file=sys.stderr, flush=True)
            context.results[name] = SECTIONS[name](context) | context.results.get(name, {})
    finally:
        unpin(pinning)
    report = {
        name: context.results[name] for name in ["environment", *wanted] if name in context.results
    }
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        print()
    else:
        _print_report(report)
    return 0


# -- built-in sections ------------------------------------------------------------------------


def _frames(context: BenchContext, width: int, height: int, count: int) -> list[Any]:
    from emotune.devtools.vision_benchmark import make_frames

    key = f"{width}x{height}"
    cached = context.frames.get(key, [])
    if len(cached) < count:
        cached = make_frames(width, height, count)
        context.frames[key] = cached
    return cached[:count]


def _environment(context: BenchContext) -> dict[str, Any]:
    import cv2
    import numpy as np

    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "opencv": cv2.__version__,
        "numpy": np.__version__,
        "model": str(getattr(context.classifier, "path", "")),
        "classifier_backend": getattr(context.classifier, "backend", "unknown"),
        "scene": "astronaut head-and-shoulders on a blurred room, face 30% of frame height, "
        "3 px jitter, brightness flicker and noise; one face",
    }


def _pipeline(context: BenchContext) -> dict[str, Any]:
    from emotune.devtools.vision_benchmark import time_pipeline

    out = {}
    for width, height in RESOLUTIONS:
        frames = _frames(context, width, height, context.args.frames)
        out[f"{width}x{height}"] = time_pipeline(context.classifier, frames)
    return out


def _capture_latency(context: BenchContext) -> dict[str, Any]:
    from emotune.devtools.vision_benchmark import time_capture_to_result

    width, height = RESOLUTIONS[0]
    frames = _frames(context, width, height, min(context.args.frames, 150))
    return {f"{width}x{height}": time_capture_to_result(context.classifier, frames)}


def _reference(context: BenchContext) -> dict[str, Any]:
    from emotune.devtools.vision_benchmark import find_keras_model, time_naive_reference

    keras_path = find_keras_model(context.args.keras)
    out: dict[str, Any] = {
        "method": "Haar scaleFactor=1.1 minNeighbors=5 on the full gray frame + Keras model.predict"
    }
    pipeline = context.results.get("pipeline", {})
    for width, height in RESOLUTIONS:
        key = f"{width}x{height}"
        frames = _frames(context, width, height, context.args.reference_frames + 2)
        result = time_naive_reference(frames, keras_path)
        ours = pipeline.get(key, {}).get("total_ms", {}).get("median")
        if ours:
            result["speedup_median"] = round(result["total_ms"]["median"] / ours, 1)
        ours_cpu = pipeline.get(key, {}).get("total_cpu_ms", {}).get("median")
        if ours_cpu:
            # CPU time ratio: the same comparison, insensitive to other processes on the core.
            result["speedup_cpu_median"] = round(result["total_cpu_ms"]["median"] / ours_cpu, 1)
        out[key] = result
    return out


def _model(context: BenchContext) -> dict[str, Any]:
    """The classifier alone: file size, cold load in a fresh process, one-face predict latency
    as the app runs it (fresh process, all cores, default threads) and on the pinned core."""
    from emotune.devtools.latency import load_time, one_face_timing, predict_time_fresh

    classifier = context.classifier
    timing = one_face_timing(classifier)
    return {
        "path": str(classifier.path),
        "size_mb": round(sum(f.stat().st_size for f in classifier.files) / 1e6, 3),
        "arch": classifier.metadata.arch,
        "quantization": classifier.metadata.quantization,
        "predict_one_face_ms": predict_time_fresh(classifier.path, context.cores),
        "predict_one_face_one_core_ms": {
            "median": round(timing["wall_ms"], 3),
            "cpu_median": round(timing["cpu_ms"], 3),
        },
        # A fresh interpreter, so the number includes nothing this process already imported.
        "cold_load": load_time(classifier.path),
    }


STARTUP_TIMEOUT_S = 300.0


def _run_probe(command: list[str], timeout: float) -> subprocess.CompletedProcess:
    """Run a probe process and capture its output (a seam for tests)."""
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def _startup(context: BenchContext) -> dict[str, Any]:
    """The desktop app's start-up time and memory: :mod:`emotune.devtools.startup_probe` (three fresh
    ``emotune gui`` runs, offscreen, on a demo video) in its own process, so this process never
    imports Qt, and on the cores the app would get (the bench itself is pinned to one)."""
    command = [sys.executable, "-m", "emotune.devtools.startup_probe", "--json"]
    if context.cores:
        command += ["--cores", ",".join(str(core) for core in context.cores)]
    try:
        result = _run_probe(command, STARTUP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {"error": f"the start-up probe did not finish within {STARTUP_TIMEOUT_S:.0f} s"}
    try:
        return json.loads(result.stdout)
    except ValueError:
        return {
            "error": f"the start-up probe failed (exit {result.returncode}): {result.stderr.strip()[-400:]}"
        }


def _bars(context: BenchContext) -> dict[str, Any]:
    pipeline = context.results.get("pipeline", {})
    reference = context.results.get("reference", {})
    model = context.results.get("model", {})
    predict = model.get("predict_one_face_ms", {})
    one_core = model.get("predict_one_face_one_core_ms", {})
    measured = {
        "640x480_total_median_ms": pipeline.get("640x480", {}).get("total_ms", {}).get("median"),
        "640x480_total_p99_ms": pipeline.get("640x480", {}).get("total_ms", {}).get("p99"),
        "1280x720_total_median_ms": pipeline.get("1280x720", {}).get("total_ms", {}).get("median"),
        "speedup_vs_naive_640x480": reference.get("640x480", {}).get("speedup_median"),
        "model_predict_one_face_median_ms": predict.get("median"),
        "model_load_s": model.get("cold_load", {}).get("load_s"),
        "model_size_mb": model.get("size_mb"),
    }
    # The same numbers in CPU time: what the work costs when the core is not shared.
    measured_cpu = {
        "640x480_total_median_ms": pipeline.get("640x480", {})
        .get("total_cpu_ms", {})
        .get("median"),
        "640x480_total_p99_ms": pipeline.get("640x480", {}).get("total_cpu_ms", {}).get("p99"),
        "1280x720_total_median_ms": pipeline.get("1280x720", {})
        .get("total_cpu_ms", {})
        .get("median"),
        "speedup_vs_naive_640x480": reference.get("640x480", {}).get("speedup_cpu_median"),
        # One thread on the pinned core: the single-core cost, undisturbed by the other core.
        "model_predict_one_face_median_ms": one_core.get("cpu_median"),
    }
    out: dict[str, Any] = {}
    for name, bar in BARS.items():
        value = measured[name]
        entry: dict[str, Any] = {"bar": bar, "measured": value, "pass": None}
        if value is not None:
            entry["pass"] = value >= bar if name.startswith("speedup") else value <= bar
        if measured_cpu.get(name) is not None:
            entry["measured_cpu"] = measured_cpu[name]
        if name == "model_predict_one_face_median_ms" and one_core.get("median") is not None:
            entry["measured_one_core_one_thread"] = one_core["median"]
        out[name] = entry
    # The app's own bars, as the start-up probe checked them on its median run.
    startup = context.results.get("startup", {})
    for name, entry in startup.get("bars", {}).items():
        if name == "no_tensorflow":
            out["app_tensorflow_imported"] = {
                "bar": False,
                "measured": startup.get("tensorflow_imported"),
                "pass": entry.get("pass"),
            }
        else:
            out[f"app_{name}"] = {
                "bar": entry.get("bar"),
                "measured": entry.get("measured_median"),
                "pass": entry.get("pass"),
            }
    if "note" in reference.get("640x480", {}):
        out["note"] = "speed-up is against detection only: " + reference["640x480"]["note"]
    return out


register_section("environment", _environment)
register_section("pipeline", _pipeline)
register_section("capture_latency", _capture_latency)
register_section("reference", _reference)
register_section("model", _model)
register_section("startup", _startup)
register_section("bars", _bars)


def _mood_sequences(context: BenchContext) -> dict[str, Any]:
    """The mood filter on replayed webcam-like sessions of held-out faces
    (:mod:`emotune.devtools.mood_benchmark`); skipped without the data file."""
    data = context.args.data
    if not data or not os.path.isfile(data):
        where = data or "none given"
        return {"skipped": f"no data file ({where}): pass --data FILE or set $EMOTUNE_DATA"}
    from emotune.devtools.mood_benchmark import benchmark_report

    try:
        return benchmark_report(data, classifier=context.classifier)
    except ValueError as error:
        return {"error": str(error)}


register_section("mood_sequences", _mood_sequences)


# -- text output ------------------------------------------------------------------------------


def _print_report(report: dict[str, Any]) -> None:
    env = report.get("environment", {})
    pin = env.get("pinning", {})
    where = f"core {pin['core']}" if pin.get("pinned") else "not pinned"
    print(
        f"EmoTune bench  ({where}, OpenCV {env.get('opencv', '?')}, {env.get('classifier_backend', '?')})"
    )
    if "pipeline" in report:
        print("\nPipeline per frame, ms (median / p95):")
        print(
            f"  {'frame':<10} {'detect':>15} {'classify':>15} {'total':>15} {'total CPU time':>15}  face found  full scans (total ms)"
        )
        for key, r in report["pipeline"].items():
            cells = " ".join(
                f"{r[s]['median']:>7.2f} /{r[s]['p95']:>6.2f}"
                for s in ("detect_ms", "classify_ms", "total_ms", "total_cpu_ms")
            )
            scans = r.get("full_scan_frames_total_ms", {})
            scan_ms = f" ({scans['median']:.1f})" if scans.get("n") else ""
            print(
                f"  {key:<10} {cells}  {r['frames_with_face']:>9.0%}  {r['full_scan_share']:>9.0%}{scan_ms}"
            )
    if "capture_latency" in report:
        for key, r in report["capture_latency"].items():
            lat = r["latency_ms"]
            print(
                f"\nCapture to result at {key}, {r['fps']:.0f} fps: median {lat['median']:.2f} ms, p95 {lat['p95']:.2f} ms (dropped {r['dropped_frames']})"
            )
    if "reference" in report:
        print(f"\nNaive reference ({report['reference']['method']}):")
        for key, r in report["reference"].items():
            if not isinstance(r, dict):
                continue
            speed = f", ours is {r['speedup_median']}x faster" if "speedup_median" in r else ""
            if "speedup_cpu_median" in r:
                speed += f" ({r['speedup_cpu_median']}x in CPU time)"
            print(
                f"  {key:<10} total median {r['total_ms']['median']:.1f} ms (detect {r['detect_ms']['median']:.1f}, CPU {r['total_cpu_ms']['median']:.1f}){speed}"
            )
            if "note" in r:
                print(f"             note: {r['note']}")
    if "model" in report:
        m = report["model"]
        load = m.get("cold_load", {})
        print(
            f"\nModel {m['arch']} ({m['quantization']}, {m['size_mb']} MB): one face median "
            f"{m['predict_one_face_ms']['median']} ms as the app runs it ({m['predict_one_face_ms']['num_threads']} "
            f"thread(s), unpinned), {m['predict_one_face_one_core_ms']['median']} ms on the pinned core "
            f"(CPU {m['predict_one_face_one_core_ms']['cpu_median']} ms); "
            f"cold load {load.get('load_s', float('nan')):.3f} s in a fresh process, "
            f"TensorFlow imported: {load.get('tensorflow_imported')}"
        )
    if "startup" in report:
        _print_startup(report["startup"])
    if "bars" in report:
        print("\nBars:")
        for name, r in report["bars"].items():
            if not isinstance(r, dict):
                print(f"  {r}")
                continue
            verdict = {True: "PASS", False: "FAIL", None: "n/a"}[r["pass"]]
            cpu = f"  (CPU time: {r['measured_cpu']})" if "measured_cpu" in r else ""
            if "measured_one_core_one_thread" in r:
                cpu += f"  (one core, one thread: {r['measured_one_core_one_thread']})"
            print(f"  {name:<28} measured {r['measured']}  bar {r['bar']}  {verdict}{cpu}")
    for name, section in report.items():
        if name not in (
            "environment",
            "pipeline",
            "capture_latency",
            "reference",
            "model",
            "startup",
            "bars",
        ):
            print(f"\n{name}: {json.dumps(section)}")


def _print_startup(startup: dict[str, Any]) -> None:
    if "error" in startup:
        print(f"\nApp start-up: {startup['error']}")
        return

    def median(key: str) -> Any:
        return startup.get(key, {}).get("median")

    print(
        f"\nApp start-up ({startup.get('successful_runs')}/{startup.get('runs')} runs, offscreen, medians): "
        f"window {median('window_shown_s')} s, first camera frame {median('first_frame_s')} s, "
        f"RSS {median('rss_mb')} MB (peak {median('peak_rss_mb')} MB), "
        f"TensorFlow imported: {startup.get('tensorflow_imported')}"
    )
    for error in startup.get("errors", []):
        print(f"  error: {error}")
