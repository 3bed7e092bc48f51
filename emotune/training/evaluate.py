"""Evaluate an emotion model on a labelled split: metrics (:mod:`.metrics`) and plots (:mod:`.plots`).

Reports against both label sets when the data allows: the original FER2013 labels, and the strict
FER+ majority (a class with more than half of all 10 annotator votes; other rows are skipped).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from emotune.emotions import CLASS_NAMES, NUM_CLASSES
from emotune.training import calibrate, splits
from emotune.training import data as fer
from emotune.training.metrics import classification_metrics, label_sets


def evaluate_probabilities(probabilities: np.ndarray, split: fer.Split) -> dict:
    """Metrics for every available label set, plus the top-level summary numbers."""
    report: dict = {"n": len(split)}
    for name, (mask, labels) in label_sets(split).items():
        report[name] = classification_metrics(probabilities[mask], labels)
    report["accuracy"] = report["fer2013"]["accuracy"]
    if "ferplus" in report:
        report["accuracy_ferplus"] = report["ferplus"]["accuracy"]
        report["n_ferplus"] = report["ferplus"]["n"]
    return report


# -- models ----------------------------------------------------------------------------------


def predict_probabilities(
    model_path: str | Path, faces: np.ndarray, chunk: int = 128
) -> tuple[np.ndarray, dict]:
    """Calibrated probabilities (N, 7) for uint8 faces from a ``.tflite`` or ``.keras`` model.

    A ``.tflite`` goes through the runtime :class:`EmotionClassifier` (so this measures exactly
    what ships). A ``.keras`` model is divided by the temperature in its ``.json`` sidecar when one
    sits next to it (``models/emotion.keras`` + ``models/emotion.json``), else T = 1.
    """
    path = Path(model_path)
    if path.suffix == ".tflite":
        from emotune.vision.classifier import EmotionClassifier

        classifier = EmotionClassifier.load(path)
        parts = [classifier.predict(faces[i : i + chunk]) for i in range(0, len(faces), chunk)]
        info = {
            "backend": classifier.backend,
            "temperature": classifier.temperature,
            "quantization": classifier.metadata.quantization,
            "arch": classifier.metadata.arch,
            "members": [f.name for f in classifier.files],
            "mirror": classifier.metadata.mirror,
            "class_bias": classifier.class_bias.tolist(),
        }
        return np.concatenate(parts) if parts else np.zeros((0, NUM_CLASSES), np.float32), info
    if path.suffix == ".keras":
        from emotune.training.inference import keras_logits, load_source

        sidecar = path.with_suffix(".json")
        temperature = (
            float(json.loads(sidecar.read_text()).get("temperature", 1.0))
            if sidecar.is_file()
            else 1.0
        )
        model = load_source(path)
        logits = keras_logits(model, faces)
        info = {
            "backend": "keras",
            "temperature": temperature,
            "quantization": "float32",
            "arch": model.name,
        }
        return calibrate.softmax(logits / temperature).astype(np.float32), info
    raise ValueError(f"unsupported model file {path}: expected .tflite or .keras")


def evaluate_model(
    model_path: str | Path,
    data: str | Path,
    split: str,
    out: str | Path | None = None,
    run_dir: str | Path | None = None,
    seed: int | None = None,
    log: Callable[[str], None] | None = None,
) -> dict:
    """Evaluate ``model_path`` on ``split`` of ``data``; write plots and report.json into ``out``.

    ``split`` may be any ``x_<split>`` in the npz, or ``tune``/``fit`` (carved out of train with
    the run's ``tune_index.npy`` -- ``run_dir``, or the model's own folder -- else by ``seed``).
    """
    run_dir = run_dir or splits.run_dir_of(model_path)
    faces_split = splits.load_named_split(data, split, run_dir=run_dir, seed=seed)
    probabilities, info = predict_probabilities(model_path, faces_split.faces)
    report = evaluate_probabilities(probabilities, faces_split)
    report.update({"model": str(model_path), "data": str(data), "split": split, **info})
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        from emotune.training import plots

        report["plots"] = [str(p) for p in plots.write_all(report, probabilities, faces_split, out)]
        (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
        if log:
            log(f"wrote {out / 'report.json'} and {len(report['plots'])} plots")
    return report


# -- text ------------------------------------------------------------------------------------


def format_report(report: dict) -> str:
    """A human-readable summary: headline numbers and a per-class table per label set."""
    lines = [
        f"model {report.get('model')}  split {report.get('split')}  ({report['n']} faces, "
        f"backend {report.get('backend')}, T={report.get('temperature', 1.0):.3f})"
    ]
    if len(report.get("members", [])) > 1 or report.get("mirror"):
        bias = report.get("class_bias") or []
        lines.append(
            f"ensemble of {len(report['members'])} ({', '.join(report['members'])}), "
            f"mirror {'on' if report.get('mirror') else 'off'}, class bias "
            + (
                " ".join(f"{c[:3]} {b:+.2f}" for c, b in zip(CLASS_NAMES, bias, strict=True))
                if any(bias)
                else "none"
            )
        )
    for name, title in (("fer2013", "FER2013 labels"), ("ferplus", "FER+ strict majority")):
        if name not in report:
            continue
        m = report[name]
        lines += [
            "",
            f"{title}: n={m['n']}  accuracy {m['accuracy']:.4f} "
            f"(95% CI {m['accuracy_ci95'][0]:.3f}-{m['accuracy_ci95'][1]:.3f})  balanced {m['balanced_accuracy']:.4f}  "
            f"macro-F1 {m['macro_f1']:.4f}  macro-AUC {m['macro_auc']:.4f}  ECE {m['ece']:.4f}",
            "  recall: "
            + "  ".join(f"{c} {row['recall']:.3f}" for c, row in m["per_class"].items()),
            f"  {'class':<9}{'n':>6}{'prec':>7}{'recall':>7}{'F1':>7}{'AUC':>7}{'TPR':>7}{'TNR':>7}{'FPR':>7}{'FNR':>7}",
        ]
        for cls, row in m["per_class"].items():
            lines.append(
                f"  {cls:<9}{row['support']:>6}{row['precision']:>7.3f}{row['recall']:>7.3f}{row['f1']:>7.3f}"
                f"{row.get('auc', float('nan')):>7.3f}{row['tp_rate']:>7.3f}{row['tn_rate']:>7.3f}"
                f"{row['fp_rate']:>7.3f}{row['fn_rate']:>7.3f}"
            )
        lines.append(
            "  confusion (rows true, cols predicted): " + " ".join(c[:3] for c in CLASS_NAMES)
        )
        for cls, row in zip(CLASS_NAMES, m["confusion"], strict=True):
            lines.append(f"  {cls:<9}" + "".join(f"{v:>6}" for v in row))
    return "\n".join(lines)


__all__ = [
    "evaluate_model",
    "evaluate_probabilities",
    "format_report",
    "predict_probabilities",
]
