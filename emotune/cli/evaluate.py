"""`emotune evaluate`: accuracy, per-class table, ROC/AUC and calibration of an emotion model.

emotune evaluate --model models/emotion.tflite --data fer2013_trainval.npz --split tune
emotune evaluate --model runs/x/best.keras --data ... --split val --out reports/val --json
emotune evaluate --model models/emotion.keras --compare runs/x/best.keras --data ... --split tune
"""

from __future__ import annotations

import argparse
import math
import os

from emotune.cli._common import fail, print_json, seed_int

DATA_ENV = "EMOTUNE_DATA"


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `evaluate` subcommand."""
    parser = subparsers.add_parser(
        "evaluate",
        help="evaluate an emotion model on a labelled split",
        description="Evaluate a .tflite (through the runtime classifier) or .keras model on a split of an npz "
        "(x_<split>, y_<split>, optional ferplus_votes_<split> and nf_<split>). 'tune' and 'fit' are the "
        "tuning split of train and the rest of train.",
    )
    parser.add_argument(
        "--model",
        default=None,
        help="model file (.tflite or .keras); default models/emotion.tflite",
    )
    parser.add_argument(
        "--data", default=os.environ.get(DATA_ENV), help=f"npz file; default ${DATA_ENV}"
    )
    parser.add_argument(
        "--split", default="tune", help="split name: val, train, tune, fit, ... (default tune)"
    )
    parser.add_argument("--out", default=None, help="folder for report.json and the PNG plots")
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")
    parser.add_argument(
        "--run-dir", default=None, help="run folder whose tune_index.npy defines 'tune'"
    )
    parser.add_argument(
        "--seed",
        type=seed_int,
        default=None,
        help="recompute 'tune' with this seed when no run folder is known",
    )
    parser.add_argument(
        "--compare",
        metavar="MODEL",
        help="compare --model (A) with this model (B) on the same faces: both accuracies and an exact "
        "McNemar test of the difference",
    )
    parser.add_argument(
        "--sequences",
        action="store_true",
        help="score the mood filter on replayed webcam-like sessions of held-out tuning faces "
        "(shown and music mood over time) instead of the per-image report",
    )
    parser.add_argument(
        "--record",
        action="store_true",
        help="store this split's numbers in the metrics.json next to the model (what the About box and the "
        "model card show); for the final, shipped model only",
    )
    parser.add_argument(
        "--latency",
        action="store_true",
        help="also time load and predict (the app's thread count, batch 1 and 4) of a .tflite; without --data, only that",
    )
    return parser


def _latency(model: str) -> dict:
    """Load time (fresh process) and predict latency of a .tflite model, with the machine load."""
    import numpy as np

    from emotune.devtools import latency
    from emotune.vision.classifier import EmotionClassifier, default_num_threads

    faces = np.random.default_rng(0).integers(0, 256, size=(64, 48, 48)).astype(np.uint8)
    single = latency.one_face_timing(EmotionClassifier.load(model), rounds=1000)
    return {
        **latency.machine_load(),
        "num_threads": default_num_threads(),
        "predict_batch1_wall_ms": single["wall_ms"],
        "predict_batch1_cpu_ms": single["cpu_ms"],
        "batch4_ms": latency.batch_strategy_ms(model, faces),
        **latency.load_time(model),
    }


def _print_latency(result: dict) -> None:
    print(
        f"latency ({result['cpu_count']} cores, load average {result['load_average_1min'] or float('nan'):.1f}): "
        f"{result['num_threads']} thread(s): predict 1 face {result['predict_batch1_wall_ms']:.3f} ms median wall ({result['predict_batch1_cpu_ms']:.3f} ms CPU); "
        f"4 faces {result['batch4_ms']['one_call']:.3f} ms in one call, {result['batch4_ms']['loop']:.3f} ms looped; "
        f"load {result['load_s'] * 1000:.0f} ms ({result['import_and_load_s'] * 1000:.0f} ms with imports), "
        f"backend {result['backend']}, TensorFlow imported: {result['tensorflow_imported']}"
    )


def _finite(value):
    """Replace NaN/inf by None so the output is strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _compare(model: str, args: argparse.Namespace) -> int:
    """``--compare``: the paired comparison instead of the full report."""
    from emotune.training.compare import compare_models, format_comparison
    from emotune.vision.classifier import ModelLoadError

    if not os.path.isfile(args.compare):
        return fail(f"model file {args.compare} not found")
    try:
        result = compare_models(
            model, args.compare, args.data, args.split, run_dir=args.run_dir, seed=args.seed
        )
    except (KeyError, ValueError, ModelLoadError) as error:
        return fail(str(error))
    if args.json:
        print_json(_finite(result))
    else:
        print(format_comparison(result))
    return 0


def _sequences(model: str, args: argparse.Namespace) -> int:
    """``--sequences``: the mood-filter sequence benchmark for this model."""
    from emotune.devtools.mood_benchmark import benchmark_report, format_report
    from emotune.vision.classifier import ModelLoadError

    try:
        report = benchmark_report(args.data, model=model)
    except (KeyError, ValueError, ModelLoadError) as error:
        return fail(str(error))
    if args.json:
        print_json(_finite(report))
    else:
        print(format_report(report))
    return 0


def run(args: argparse.Namespace) -> int:
    """Run the evaluation and print a table or JSON."""
    from emotune.paths import DEFAULT_MODEL

    model = args.model or str(DEFAULT_MODEL)
    if not os.path.isfile(model):
        return fail(f"model file {model} not found")
    if args.latency and not model.endswith(".tflite"):
        return fail("--latency times the runtime model: pass a .tflite")
    if args.latency and not args.data:
        result = _latency(model)
        if args.json:
            print_json(_finite(result))
        else:
            _print_latency(result)
        return 0
    if not args.data:
        return fail(f"--data is required (or set {DATA_ENV})")
    if not os.path.isfile(args.data):
        return fail(f"data file {args.data} not found")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.sequences:
        return _sequences(model, args)
    if args.compare:
        return _compare(model, args)
    from emotune.training.evaluate import evaluate_model, format_report
    from emotune.vision.classifier import ModelLoadError

    try:
        report = evaluate_model(
            model, args.data, args.split, out=args.out, run_dir=args.run_dir, seed=args.seed
        )
    except (KeyError, ValueError, ModelLoadError) as error:
        return fail(str(error))
    if args.latency:
        report["latency"] = _latency(model)
    if args.record:
        from emotune.training.report import record_split

        print(f"recorded {args.split} in {record_split(model, args.split, report)}")
    if args.json:
        print_json(_finite(report))
    else:
        print(format_report(report))
        if args.latency:
            _print_latency(report["latency"])
        if args.out:
            print(f"\nreport.json and plots in {args.out}")
    return 0
