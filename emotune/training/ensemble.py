"""Build the shipped ensemble: export members, fit its temperature and class-prior bias.

The runtime ensemble (:class:`emotune.vision.classifier.EmotionClassifier` with a ``members``
sidecar) averages the calibrated probabilities of several ``.tflite`` networks, optionally over
each face and its mirror image, then applies one temperature and a per-class logit bias. Every
number here is fitted on the tuning split (``tune_index.npy``); ``val`` is never read.

    emotune train --data fer2013_trainval.npz --export-ensemble models/emotion.tflite \\
        models/checkpoint/teachers/gpu_b04.keras models/checkpoint/teachers/gpu_b06.keras
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emotune.emotions import CLASS_NAMES, NUM_CLASSES
from emotune.paths import MODELS_DIR
from emotune.training import calibrate
from emotune.training import data as fer
from emotune.vision.classifier import EmotionClassifier, combine_member_logits, softmax

RECALL_FLOOR = 0.5
"""Every class's FER2013 recall the bias aims for (issue 19: no class collapses into neutral)."""


def export_member(
    checkpoint: str | Path,
    tune: fer.Split,
    out_path: str | Path,
    quantization: str = "dynamic",
    log: Callable[[str], None] = print,
) -> dict:
    """Calibrate (T on the tuning split) and convert one ``.keras`` network to ``out_path``.

    Writes ``out_path`` and its own sidecar (so the member also loads alone); returns the
    sidecar dict with the float and converted tuning accuracies added under ``"tune"``.
    """
    from emotune.training import export  # imports TensorFlow: only when exporting
    from emotune.training.inference import keras_logits, load_source

    checkpoint, out_path = Path(checkpoint), Path(out_path)
    model = load_source(checkpoint)
    raw = keras_logits(model, tune.faces)
    temperature = calibrate.fit_temperature(raw, export.calibration_targets(tune))
    content = export.convert(model, temperature, quantization)
    meta = export.metadata(
        arch=str(model.name),
        temperature=temperature,
        quantization=quantization,
        source=export._project_relative(checkpoint),
        content=content,
    )
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_bytes(content)
    out_path.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")
    converted = export.tflite_logits(out_path, tune.faces)
    meta["tune"] = {
        "float": export.tune_accuracy(raw, tune),
        quantization: export.tune_accuracy(converted, tune),
    }
    log(
        f"{checkpoint} -> {out_path} ({len(content) / 1e6:.2f} MB, T={temperature:.3f}): {meta['tune']}"
    )
    return meta


def member_view_logits(model_path: str | Path, faces: np.ndarray, chunk: int = 256) -> np.ndarray:
    """Calibrated logits (2, N, 7) of one exported member: the faces and their mirror images."""
    # member_only: emotion.tflite is both a member and the file the ensemble sidecar sits next to.
    classifier = EmotionClassifier.load(model_path, num_threads=1, member_only=True)
    views = []
    for batch in (faces, faces[:, :, ::-1]):
        batch = np.ascontiguousarray(batch)
        parts = [classifier.logits(batch[i : i + chunk]) for i in range(0, len(batch), chunk)]
        views.append(np.concatenate(parts))
    return np.stack(views)


def recalls(predicted: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Recall per class (7,); NaN for a class absent from ``labels``."""
    out = np.full(NUM_CLASSES, np.nan)
    for k in range(NUM_CLASSES):
        rows = labels == k
        if rows.any():
            out[k] = float((predicted[rows] == k).mean())
    return out


@dataclass(frozen=True)
class BiasObjective:
    """What the class-bias search maximises on FER2013 labels and the strict FER+ majority.

    ``mean(FER2013 accuracy, FER+ accuracy) - penalty * sum(max(0, floor - recall_k))`` over the
    FER2013 recalls, ``- l1 * sum(|bias|)``: with a large penalty, "every class at least
    ``floor``" comes first and the accuracies second; ``penalty=0`` only maximises accuracy. The
    L1 term keeps classes that need no help near 0 (without it the search drifts, e.g. lowering
    surprise for a few FER+ faces, which cross-validation does not confirm).
    """

    floor: float = RECALL_FLOOR
    penalty: float = 1.0
    fer2013_share: float = 0.5  # weight of FER2013 accuracy in the mean (FER+ gets the rest)
    l1: float = 0.005

    def __call__(
        self,
        predicted: np.ndarray,
        labels: np.ndarray,
        majority: np.ndarray,
        bias: np.ndarray | None = None,
    ) -> float:
        """The objective for predicted classes against FER2013 ``labels`` and FER+ ``majority``."""
        has = majority >= 0
        accuracy13 = float((predicted == labels).mean())
        accuracy_plus = float((predicted[has] == majority[has]).mean()) if has.any() else accuracy13
        shortfall = np.nansum(np.maximum(0.0, self.floor - recalls(predicted, labels)))
        share = self.fer2013_share
        cost = 0.0 if bias is None else self.l1 * float(np.abs(bias).sum())
        return (
            share * accuracy13
            + (1 - share) * accuracy_plus
            - self.penalty * float(shortfall)
            - cost
        )


def fit_class_bias(
    logits: np.ndarray,
    labels: np.ndarray,
    majority: np.ndarray,
    objective: BiasObjective,
    grid: np.ndarray | None = None,
    passes: int = 4,
) -> np.ndarray:
    """Per-class logit bias (7,) maximising ``objective`` of ``argmax(logits + bias)``.

    Coordinate ascent over ``grid`` offsets, one class at a time, then pairs of classes moved
    together by up to +-0.3 (fear and sad take faces from each other and from neutral, so
    raising one alone can lower the other below the floor), until neither gains. Neutral stays
    at 0 (a common shift of all seven changes nothing), so the bias reads as each class's offset
    against neutral.
    """
    grid = np.round(np.arange(-1.5, 1.51, 0.05), 2) if grid is None else grid
    logits = np.asarray(logits, dtype=np.float64)
    anchor = CLASS_NAMES.index("neutral")
    free = [k for k in range(NUM_CLASSES) if k != anchor]
    steps = np.round(np.arange(-0.3, 0.31, 0.05), 2)
    bias = np.zeros(NUM_CLASSES)
    best = objective(logits.argmax(1), labels, majority)

    def consider(trial: np.ndarray) -> bool:
        nonlocal best, bias
        score = objective((logits + trial).argmax(1), labels, majority, trial)
        if score > best + 1e-12:
            best, bias = score, trial
            return True
        return False

    for _ in range(passes):
        moved = False
        for k in free:
            for value in grid:
                trial = bias.copy()
                trial[k] = value
                moved |= consider(trial)
        for i, a in enumerate(free):
            for b in free[i + 1 :]:
                for da in steps:
                    for db in steps:
                        trial = bias.copy()
                        trial[a] += da
                        trial[b] += db
                        moved |= consider(trial)
        if not moved:
            break
    return bias


def cross_validated_predictions(
    logits: np.ndarray,
    labels: np.ndarray,
    majority: np.ndarray,
    objective: BiasObjective,
    folds: int = 5,
    repeats: int = 3,
    seed: int = 0,
) -> np.ndarray:
    """Out-of-fold predicted classes (repeats, N): each fold decided by a bias fitted on the others.

    Folds are stratified by FER2013 label. The honest estimate of what a bias fitted on the whole
    tuning split does on new faces.
    """
    rng = np.random.default_rng(seed)
    out = np.zeros((repeats, len(labels)), dtype=np.int64)
    for r in range(repeats):
        fold_of = np.zeros(len(labels), dtype=np.int64)
        for k in range(NUM_CLASSES):
            rows = np.flatnonzero(labels == k)
            rng.shuffle(rows)
            fold_of[rows] = np.arange(len(rows)) % folds
        for f in range(folds):
            held = fold_of == f
            bias = fit_class_bias(logits[~held], labels[~held], majority[~held], objective)
            out[r, held] = (logits[held] + bias).argmax(1)
    return out


def decision_scores(predicted: np.ndarray, labels: np.ndarray, majority: np.ndarray) -> dict:
    """Accuracy, balanced accuracy and per-class recall on both label sets for predicted classes."""
    has = majority >= 0
    result = {}
    for name, (p, y) in {
        "fer2013": (predicted, labels),
        "ferplus": (predicted[has], majority[has]),
    }.items():
        per_class = recalls(p, y)
        result[name] = {
            "accuracy": float((p == y).mean()),
            "balanced_accuracy": float(np.nanmean(per_class)),
            "recall": {c: float(r) for c, r in zip(CLASS_NAMES, per_class, strict=True)},
        }
    return result


@dataclass
class Member:
    """One exported member: its file and the sidecar entry that describes it."""

    path: Path
    entry: dict


def _member_entry(path: Path, weight: float) -> dict:
    """The ensemble sidecar's entry for an exported member, from that member's own sidecar."""
    meta = json.loads(path.with_suffix(".json").read_text())
    # emotion.tflite's sidecar is the ensemble's own once it ships: its member entry describes it.
    listed = {entry["file"]: entry for entry in meta.get("members", [])}
    meta = listed.get(path.name, meta)
    if "members" in meta:
        raise ValueError(
            f"{path.with_suffix('.json')} describes an ensemble that does not list {path.name}"
        )
    keep = ("arch", "temperature", "quantization", "sha256", "version", "source")
    return {"file": path.name, "weight": float(weight), **{k: meta[k] for k in keep if k in meta}}


def prepare_members(
    sources: Sequence[str | Path],
    tune: fer.Split,
    out_dir: Path,
    weights: Sequence[float] | None = None,
    quantization: str = "dynamic",
    log: Callable[[str], None] = print,
) -> list[Member]:
    """Members ready to list: ``.tflite`` sources are used as they are (their sidecar gives the
    temperature), ``.keras`` ones are exported next to the model as ``emotion_<stem>.tflite``."""
    weights = list(weights) if weights is not None else [1.0] * len(sources)
    members = []
    for source, weight in zip(sources, weights, strict=True):
        source = Path(source)
        if source.suffix == ".keras":
            target = out_dir / f"emotion_{source.stem}.tflite"
            export_member(source, tune, target, quantization, log)
            source = target
        elif source.suffix != ".tflite":
            raise ValueError(f"member {source}: expected a .keras or .tflite file")
        if source.resolve().parent != out_dir.resolve():
            raise ValueError(f"member {source} must sit in {out_dir}, next to the ensemble sidecar")
        members.append(Member(source, _member_entry(source, weight)))
    return members


def stage_report(logits: np.ndarray, split: fer.Split) -> dict:
    """The evaluation report (both label sets, per class, ECE) of calibrated logits, compact."""
    from emotune.training.evaluate import evaluate_probabilities

    report = evaluate_probabilities(softmax(logits), split)
    for name in ("fer2013", "ferplus"):
        if name in report:
            report[name] = {k: v for k, v in report[name].items() if k != "reliability"}
    return report


def fit_ensemble(
    member_views: Sequence[np.ndarray],
    weights: Sequence[float],
    tune: fer.Split,
    combine: str = "probabilities",
    mirror: bool = True,
    objective: BiasObjective | None = None,
    log: Callable[[str], None] = print,
) -> dict:
    """Temperature, class bias and output prior of an ensemble, fitted on the tuning split.

    ``member_views``: each member's calibrated logits (2, N, 7) on the faces and their mirror
    images (:func:`member_view_logits`). Returns the sidecar fields (``temperature``,
    ``class_bias``, ``output_prior``) and ``"tune"``: reports for each stage and the
    cross-validated estimate of the bias.
    """
    from emotune.training.export import calibration_targets

    objective = objective or BiasObjective()
    labels = tune.labels.astype(np.int64)
    majority = (
        fer.ferplus_majority(tune.votes) if tune.votes is not None else np.full(len(labels), -1)
    )
    targets = calibration_targets(tune)
    views = [v if mirror else v[:1] for v in member_views]
    combined = combine_member_logits(views, weights, combine)
    t0 = calibrate.fit_temperature(combined, targets)
    bias = fit_class_bias(combined / t0, labels, majority, objective)
    biased = combined / t0 + bias
    # Dividing every logit by one more scalar keeps each decision, so refit the temperature after
    # the bias: T and the bias both absorb it, and the shown probabilities stay calibrated.
    t_extra = calibrate.fit_temperature(biased, targets)
    temperature, class_bias = t0 * t_extra, np.round(bias / t_extra, 6)
    final = combined / temperature + class_bias
    oof = cross_validated_predictions(combined / t0, labels, majority, objective)
    cv = [decision_scores(row, labels, majority) for row in oof]
    tune_report = {
        "ensemble": stage_report(combined / t0, tune),
        "final": stage_report(final, tune),
        "bias_cross_validated": {
            "folds": 5,
            "repeats": len(oof),
            "runs": cv,
            "mean": {
                name: {
                    key: float(np.mean([run[name][key] for run in cv]))
                    for key in ("accuracy", "balanced_accuracy")
                }
                for name in cv[0]
            },
        },
        "objective": {
            "floor": objective.floor,
            "penalty": objective.penalty,
            "fer2013_share": objective.fer2013_share,
            "l1": objective.l1,
        },
        "temperature_before_bias": t0,
    }
    log(
        f"T before bias {t0:.3f}, final T {temperature:.3f}, class bias {np.round(class_bias, 3).tolist()}"
    )
    return {
        "temperature": float(temperature),
        "class_bias": [float(b) for b in class_bias],
        "output_prior": [float(p) for p in softmax(final).astype(np.float64).mean(axis=0)],
        "tune": tune_report,
    }


def ensemble_metadata(
    members: Sequence[Member],
    fitted: dict,
    combine: str,
    mirror: bool,
    tune_rows: int,
    run_dir: Path,
) -> dict:
    """The ensemble's ``emotion.json``: the members, how they combine, T, bias and prior."""
    from emotune.training import export

    digest = hashlib.sha256(
        "".join(m.entry.get("sha256", "") for m in members).encode()
    ).hexdigest()
    today = _dt.date.today().strftime("%Y%m%d")
    archs = " + ".join(m.entry.get("arch", "?") for m in members)
    base = export.metadata(
        arch=f"ensemble({archs})",
        temperature=fitted["temperature"],
        quantization=",".join(sorted({m.entry.get("quantization", "?") for m in members})),
        source="emotune.training.ensemble",
        content=digest.encode(),
    )
    base.update(
        {
            "format_version": 2,
            "version": f"{today}-{digest[:8]}",
            "temperature_baked": False,
            "outputs": {
                "logits": "combine(members' calibrated logits over views) / temperature + class_bias",
                "probabilities": "softmax(logits)",
            },
            "sha256": digest,
            "members": [m.entry for m in members],
            "combine": combine,
            "mirror": mirror,
            "class_bias": fitted["class_bias"],
            "output_prior": fitted["output_prior"],
            "tune_rows": tune_rows,
            "run_dir": export._project_relative(run_dir),
            "run_readme": export._project_relative(run_dir / "README.md"),
        }
    )
    return base


def build_ensemble(
    sources: Sequence[str | Path],
    data: str | Path,
    out_dir: str | Path,
    weights: Sequence[float] | None = None,
    combine: str = "probabilities",
    mirror: bool = True,
    run_dir: str | Path | None = None,
    log: Callable[[str], None] = print,
) -> dict:
    """Export the members, fit the ensemble on the tuning split, write ``emotion.json`` and
    ``metrics.json`` (tuning numbers and latency) into ``out_dir``; returns the metrics.

    ``run_dir`` holds the ``tune_index.npy`` every member was kept off (default
    ``models/checkpoint``, the shipped networks' split).
    """
    from emotune.training import report, splits

    out_dir = Path(out_dir)
    run_dir = Path(run_dir) if run_dir is not None else MODELS_DIR / "checkpoint"
    tune = splits.load_named_split(data, "tune", run_dir=run_dir)
    members = prepare_members(sources, tune, out_dir, weights, log=log)
    views = [member_view_logits(m.path, tune.faces) for m in members]
    fitted = fit_ensemble(
        views, [m.entry["weight"] for m in members], tune, combine, mirror, log=log
    )
    meta = ensemble_metadata(members, fitted, combine, mirror, len(tune), run_dir)
    sidecar = out_dir / "emotion.json"
    partial = sidecar.with_suffix(".json.partial")
    partial.write_text(json.dumps(meta, indent=2) + "\n")
    partial.replace(sidecar)
    first = out_dir / meta["members"][0]["file"]
    classifier = EmotionClassifier.load(first)
    check = np.concatenate(
        [classifier.predict(tune.faces[i : i + 256]) for i in range(0, len(tune), 256)]
    )
    metrics = {
        "model": meta,
        "size_bytes": sum((out_dir / m["file"]).stat().st_size for m in meta["members"]),
        "tune": stage_report(np.log(np.maximum(check, 1e-30)), tune),
        "tune_stages": fitted["tune"],
        "latency": report.measure_latency(first, tune.faces[:64]),
    }
    metrics = report.carry_lineage(metrics, out_dir / "metrics.json")
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    log(
        f"wrote {sidecar} and {out_dir / 'metrics.json'}: tune {metrics['tune']['accuracy']:.4f} / "
        f"{metrics['tune'].get('accuracy_ferplus', float('nan')):.4f}"
    )
    return metrics
