"""Collect the numbers that ship with a model (``models/metrics.json``) and write the model card."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from emotune.devtools import latency
from emotune.training import calibrate, model_card
from emotune.training import data as fer
from emotune.training.evaluate import evaluate_probabilities, predict_probabilities
from emotune.vision.classifier import default_num_threads


def measure_latency(model_path: Path, faces: np.ndarray) -> dict:
    """The card's runtime numbers for ``model_path``: one- and four-face ``predict`` medians with
    the app's default thread count, the batching strategy, and a cold load in a fresh process."""
    return {
        **latency.machine_load(),
        "num_threads": default_num_threads(),
        "predict_ms_median_batch1": latency.predict_latency_ms(model_path, faces),
        "predict_ms_median_batch4": latency.predict_latency_ms(
            model_path, faces, repeats=100, batch=4
        ),
        "batch4_strategy_ms": latency.batch_strategy_ms(model_path, faces),
        **latency.load_time(model_path),
    }


def calibration_summary(raw_logits: np.ndarray, temperature: float, split: fer.Split) -> dict:
    """ECE (FER2013 labels, strict FER+ majority, and FER+ vote share) and NLL (FER+ vote
    distribution) before and after dividing the logits by ``temperature``."""
    result: dict = {"temperature": temperature}
    majority = fer.ferplus_majority(split.votes) if split.votes is not None else None
    soft = fer.targets(split, "ferplus") if split.votes is not None else fer.one_hot(split.labels)
    for stage, t in (("before", 1.0), ("after", temperature)):
        probabilities = calibrate.softmax(raw_logits / t)
        entry = {
            "ece_fer2013": calibrate.ece(probabilities, split.labels),
            "nll_soft_targets": calibrate.nll(raw_logits, soft, t),
            "mean_confidence": float(probabilities.max(axis=1).mean()),
        }
        if majority is not None:
            entry["ece_ferplus"] = calibrate.ece(probabilities, majority)
            entry["ece_votes"] = calibrate.ece_votes(
                probabilities, fer.ferplus_distribution(split.votes)
            )
        result[stage] = entry
    return result


def _compact(report: dict) -> dict:
    """Drop the bulky reliability bins from an evaluation report for metrics.json."""
    out = {}
    for key, value in report.items():
        if isinstance(value, dict) and "reliability" in value:
            value = {k: v for k, v in value.items() if k != "reliability"}
        out[key] = value
    return out


def _training_info(run_dir: Path | None) -> dict:
    if run_dir is None:
        return {}
    info: dict = {"run_dir": str(run_dir)}
    for name in ("config.json", "state.json"):
        path = run_dir / name
        if path.is_file():
            info[path.stem] = json.loads(path.read_text())
    history = run_dir / "history.csv"
    if history.is_file():
        lines = [line for line in history.read_text().splitlines()[1:] if line.strip()]
        info["epochs_run"] = len(lines)
    return info


def _val_without_duplicates(
    data: str | Path, probabilities: np.ndarray, split: fer.Split
) -> dict | None:
    """Val accuracy excluding the val images that also appear in train (``in_train_val``)."""
    with np.load(data, allow_pickle=False) as npz:
        if "in_train_val" not in npz.files:
            return None
        duplicate = npz["in_train_val"].astype(bool)
        if "nf_val" in npz.files:
            duplicate = duplicate[~npz["nf_val"].astype(bool)]
    if len(duplicate) != len(split):
        return None
    keep = ~duplicate
    report = evaluate_probabilities(probabilities[keep], split.subset(keep))
    return {
        "n": int(keep.sum()),
        "accuracy": report["accuracy"],
        "accuracy_ferplus": report.get("accuracy_ferplus"),
    }


def build_metrics(
    *,
    model_path: Path,
    meta: dict,
    data: str | Path,
    tune: fer.Split,
    raw_tune_logits: np.ndarray,
    candidates: list[dict],
    chosen: str,
    float_accuracy: dict,
    max_accuracy_drop: float,
    tune_has_fit_copy: np.ndarray | None,
    run_dir: Path | None,
    with_val: bool,
    log: Callable[[str], None] = print,
) -> dict:
    """Everything the model card states, measured on the exported file itself."""
    probabilities, _ = predict_probabilities(model_path, tune.faces)
    tune_report = evaluate_probabilities(probabilities, tune)
    metrics: dict = {
        "model": meta,
        "size_bytes": model_path.stat().st_size,
        "training": _training_info(run_dir),
        "calibration_tune": calibration_summary(raw_tune_logits, meta["temperature"], tune),
        "quantization": {
            "chosen": chosen,
            "max_accuracy_drop": max_accuracy_drop,
            "float_keras_tune_accuracy": float_accuracy,
            "candidates": candidates,
        },
        "tune": _compact(tune_report),
        "latency": measure_latency(model_path, tune.faces[:64]),
    }
    if tune_has_fit_copy is not None and tune_has_fit_copy.any():
        keep = ~tune_has_fit_copy
        clean = evaluate_probabilities(probabilities[keep], tune.subset(keep))
        metrics["tune_without_fit_duplicates"] = {
            "n": int(keep.sum()),
            "accuracy": clean["accuracy"],
            "accuracy_ferplus": clean.get("accuracy_ferplus"),
        }
    log(
        f"tune: accuracy {tune_report['accuracy']:.4f} ferplus {tune_report.get('accuracy_ferplus', float('nan')):.4f}"
    )
    if with_val:
        val = fer.load_split(data, "val")
        val_probabilities, _ = predict_probabilities(model_path, val.faces)
        val_report = evaluate_probabilities(val_probabilities, val)
        metrics["val"] = _compact(val_report)
        metrics["val_without_train_duplicates"] = _val_without_duplicates(
            data, val_probabilities, val
        )
        log(
            f"val: accuracy {val_report['accuracy']:.4f} ferplus {val_report.get('accuracy_ferplus', float('nan')):.4f}"
        )
    return metrics


def record_split(model_path: str | Path, split: str, report: dict) -> Path:
    """Store an evaluation ``report`` of ``split`` in the ``metrics.json`` next to ``model_path``
    (created if missing), without the reliability bins; returns that file's path."""
    path = Path(model_path).parent / "metrics.json"
    try:
        metrics = json.loads(path.read_text())
    except (OSError, ValueError):
        metrics = {}
    keep = ("n", "fer2013", "ferplus", "accuracy", "accuracy_ferplus", "n_ferplus")
    metrics[split] = _compact({k: v for k, v in report.items() if k in keep})
    path.write_text(json.dumps(metrics, indent=2) + "\n")
    return path


def carry_lineage(metrics: dict, previous_path: Path) -> dict:
    """Add the models shipped before this one (from the ``metrics.json`` being replaced) to
    ``metrics["earlier_models"]``, so the card can show what each change of recipe bought."""
    try:
        previous = json.loads(previous_path.read_text())
    except (OSError, ValueError):
        return metrics
    earlier = list(previous.get("earlier_models", []))
    if "val" in previous and previous.get("model", {}).get("version") != metrics["model"].get(
        "version"
    ):
        earlier.append(model_card.model_summary(previous))
    if earlier:
        metrics["earlier_models"] = earlier
    return metrics


def write(out_dir: Path, metrics: dict) -> tuple[Path, Path]:
    """Write ``metrics.json`` and ``MODEL_CARD.md`` into ``out_dir``, keeping the lineage of the
    models shipped there before."""
    metrics_path = out_dir / "metrics.json"
    metrics = carry_lineage(metrics, metrics_path)
    metrics_path.write_text(json.dumps(metrics, indent=2) + "\n")
    card_path = out_dir / "MODEL_CARD.md"
    card_path.write_text(model_card.render(metrics))
    return metrics_path, card_path


__all__ = [
    "build_metrics",
    "calibration_summary",
    "carry_lineage",
    "measure_latency",
    "record_split",
    "write",
]
