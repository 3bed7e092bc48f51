"""Export a trained Keras checkpoint as the shipped runtime model.

Writes into ``models/`` (or ``out_dir``):

- ``emotion.tflite`` -- the runtime model. Input ``face`` (N, 48, 48, 1) float32 pixels 0..255;
  outputs ``logits`` (= raw logits / T, the calibrated logits) and ``probabilities``
  (= softmax of those). The temperature is baked in, so every consumer sees calibrated numbers.
- ``emotion.json`` -- sidecar metadata read by :class:`emotune.vision.classifier.EmotionClassifier`.
- ``emotion.keras`` -- the uncalibrated source model (no optimizer state), for retraining/analysis.
- ``metrics.json`` and ``MODEL_CARD.md`` -- see :mod:`emotune.training.report`.

T is fitted on the tuning split (never on ``val``); quantized candidates are compared on the
tuning split too, and ``quantization="auto"`` picks the fastest one that loses no more than
``max_accuracy_drop`` tuning accuracy against the float model.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from emotune import __version__
from emotune.emotions import CLASS_NAMES
from emotune.paths import MODELS_DIR, PROJECT_ROOT
from emotune.training import calibrate, splits
from emotune.training import data as fer
from emotune.training.inference import keras_logits, load_source
from emotune.vision.classifier import EmotionClassifier
from emotune.vision.preprocess import FACE_SIZE, to_model_input

QUANTIZATIONS = ("float32", "dynamic", "int8")
"""float32: no quantization; dynamic: int8 weights, float activations; int8: full integer
(weights and activations, calibrated on training faces) with a float32 input/output interface."""

MODEL_NAME = "emotion"
FORMAT_VERSION = 1


def _write_saved_model(model: keras.Model, temperature: float, directory: Path) -> None:
    """A SavedModel whose serving signature returns calibrated logits and probabilities.

    Goes through Keras' ExportArchive because converting a Keras 3 model's concrete function
    directly leaves its weights as uninitialised resource variables (the TFLite model outputs NaN).
    """
    inverse_t = float(1.0 / temperature)

    def serve(face: tf.Tensor) -> dict[str, tf.Tensor]:
        logits = model(face, training=False) * inverse_t
        return {"logits": logits, "probabilities": tf.nn.softmax(logits)}

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(
        "serve",
        serve,
        input_signature=[tf.TensorSpec([None, FACE_SIZE, FACE_SIZE, 1], tf.float32, name="face")],
    )
    archive.write_out(str(directory), verbose=False)


def convert(
    model: keras.Model,
    temperature: float = 1.0,
    quantization: str = "float32",
    representative_faces: np.ndarray | None = None,
) -> bytes:
    """TFLite flatbuffer of ``model`` with logits / ``temperature`` and softmax baked in.

    ``int8`` needs ``representative_faces`` (uint8 (N, 48, 48) training faces) to calibrate the
    activation ranges; use faces the tuning split does not contain.
    """
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"unknown quantization {quantization!r}; expected one of {QUANTIZATIONS}")
    with tempfile.TemporaryDirectory(prefix="emotune_export_") as tmp:
        _write_saved_model(model, temperature, Path(tmp))
        converter = tf.lite.TFLiteConverter.from_saved_model(tmp)
        if quantization != "float32":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if quantization == "int8":
            if representative_faces is None or len(representative_faces) == 0:
                raise ValueError("int8 quantization needs representative_faces")
            x = to_model_input(representative_faces)

            def representative() -> Iterable[list[np.ndarray]]:
                for row in x:
                    yield [row[None]]

            converter.representative_dataset = representative
            # Integer kernels only; the float input/output interface keeps the runtime simple.
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        return converter.convert()


def metadata(
    *,
    arch: str,
    temperature: float,
    quantization: str,
    source: str,
    content: bytes,
    extra: dict | None = None,
) -> dict:
    """The ``emotion.json`` sidecar for a converted model."""
    digest = hashlib.sha256(content).hexdigest()
    today = _dt.date.today().strftime("%Y%m%d")
    return {
        "format_version": FORMAT_VERSION,
        "version": f"{today}-{digest[:8]}",
        "emotune_version": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "arch": arch,
        "class_names": list(CLASS_NAMES),
        "temperature": float(temperature),
        "temperature_baked": True,
        "quantization": quantization,
        "input": {
            "name": "face",
            "shape": [None, FACE_SIZE, FACE_SIZE, 1],
            "dtype": "float32",
            "range": [0, 255],
            "colour": "grayscale",
            "preprocess": "emotune.vision.preprocess.preprocess then to_model_input",
        },
        "outputs": {
            "logits": "raw logits / temperature (calibrated logits)",
            "probabilities": "softmax(logits)",
        },
        "sha256": digest,
        "source": source,
        **(extra or {}),
    }


def write_model_files(
    out_dir: Path, model: keras.Model, content: bytes, meta: dict
) -> dict[str, Path]:
    """Write emotion.tflite, emotion.json and emotion.keras into ``out_dir``; returns their paths.

    The TFLite file is written to a temporary name and renamed, so a running app never reads a
    half-written model.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "tflite": out_dir / f"{MODEL_NAME}.tflite",
        "json": out_dir / f"{MODEL_NAME}.json",
        "keras": out_dir / f"{MODEL_NAME}.keras",
    }
    for key, payload in (
        ("tflite", content),
        ("json", (json.dumps(meta, indent=2) + "\n").encode()),
    ):
        partial = paths[key].with_suffix(paths[key].suffix + ".partial")
        partial.write_bytes(payload)
        partial.replace(paths[key])
    partial_keras = out_dir / f"{MODEL_NAME}.partial.keras"
    model.save(partial_keras)
    partial_keras.replace(paths["keras"])
    return paths


def tflite_logits(model_path: Path, faces: np.ndarray, chunk: int = 128) -> np.ndarray:
    """Calibrated logits from an exported model, via the runtime classifier, in chunks."""
    classifier = EmotionClassifier.load(model_path)
    out = [classifier.logits(faces[i : i + chunk]) for i in range(0, len(faces), chunk)]
    return np.concatenate(out) if out else np.zeros((0, len(CLASS_NAMES)), np.float32)


def calibration_targets(split: fer.Split) -> np.ndarray:
    """Soft targets for fitting T: the FER+ vote distribution where there are votes, else one-hot."""
    if split.votes is None:
        return fer.one_hot(split.labels)
    return fer.targets(split, "ferplus")


def tune_accuracy(logits: np.ndarray, split: fer.Split) -> dict[str, float]:
    """Tuning accuracy on FER2013 labels and (where votes exist) strict FER+ majority labels."""
    predicted = logits.argmax(axis=1)
    result = {"fer2013": float((predicted == split.labels).mean())}
    if split.votes is not None:
        majority = fer.ferplus_majority(split.votes)
        has = majority >= 0
        result["ferplus"] = float((predicted[has] == majority[has]).mean())
    result["mean"] = float(np.mean(list(result.values())))
    return result


@dataclass
class Candidate:
    """One converted variant and how it did on the tuning split."""

    quantization: str
    content: bytes
    accuracy: dict[str, float]
    agreement_with_float: float  # share of tuning faces with the same top class as Keras
    max_abs_logit_error: float
    latency_ms: float  # median wall-clock ms, batch 1
    cpu_ms: float = float("nan")  # median thread-CPU ms, batch 1 (robust to a busy machine)
    size_bytes: int = field(init=False)

    def __post_init__(self) -> None:
        self.size_bytes = len(self.content)

    def summary(self) -> dict:
        """JSON-friendly numbers (without the flatbuffer)."""
        return {
            "quantization": self.quantization,
            "size_bytes": self.size_bytes,
            "tune_accuracy": self.accuracy,
            "agreement_with_float": self.agreement_with_float,
            "max_abs_logit_error": self.max_abs_logit_error,
            "latency_ms_median": self.latency_ms,
            "cpu_ms_median": self.cpu_ms,
        }


def choose(
    candidates: list[Candidate], reference: dict[str, float], max_accuracy_drop: float
) -> Candidate:
    """The fastest candidate whose mean tuning accuracy is within ``max_accuracy_drop`` of float.

    Speed is judged by CPU time per call when measured (wall time on a busy machine is mostly
    scheduler noise), else by wall time.
    """
    acceptable = [
        c for c in candidates if reference["mean"] - c.accuracy["mean"] <= max_accuracy_drop
    ]
    pool = acceptable or [c for c in candidates if c.quantization == "float32"] or candidates

    def cost(c: Candidate) -> float:
        return c.cpu_ms if np.isfinite(c.cpu_ms) else c.latency_ms

    return min(pool, key=cost)


def _candidates(
    model: keras.Model,
    wanted: Iterable[str],
    temperature: float,
    representative: np.ndarray,
    tune: fer.Split,
    raw: np.ndarray,
    arch: str,
    source: str,
    log: Callable[[str], None],
) -> list[Candidate]:
    """Convert ``model`` once per quantization and measure each on the tuning split.

    Accuracy and agreement come from the runtime classifier on the converted file; latency is
    timed round-robin across all variants at the end.
    """
    from emotune.devtools import latency

    candidates: list[Candidate] = []
    with tempfile.TemporaryDirectory(prefix="emotune_candidates_") as tmp:
        paths: dict[str, Path] = {}
        for name in wanted:
            content = convert(model, temperature, name, representative if name == "int8" else None)
            path = Path(tmp) / name / f"{MODEL_NAME}.tflite"
            path.parent.mkdir()
            path.write_bytes(content)
            meta = metadata(
                arch=arch,
                temperature=temperature,
                quantization=name,
                source=source,
                content=content,
            )
            path.with_suffix(".json").write_text(json.dumps(meta))
            paths[name] = path
            logits = tflite_logits(path, tune.faces)
            candidates.append(
                Candidate(
                    quantization=name,
                    content=content,
                    accuracy=tune_accuracy(logits, tune),
                    agreement_with_float=float((logits.argmax(1) == raw.argmax(1)).mean()),
                    max_abs_logit_error=float(np.abs(logits - raw / temperature).max()),
                    latency_ms=float("nan"),
                )
            )
        # Timed round-robin so every variant sees the same background load, on one thread each:
        # the calling thread's CPU time is then the whole cost, a fair ranking on a busy machine.
        classifiers = {
            name: EmotionClassifier.load(path, num_threads=1) for name, path in paths.items()
        }
        faces = tune.faces[:64]
        counter = iter(range(10**9))
        timings = latency.interleaved_timings(
            {
                name: (lambda c=c: c.predict(faces[next(counter) % len(faces)]))
                for name, c in classifiers.items()
            },
            rounds=1000,
        )
    for candidate in candidates:
        candidate.latency_ms = timings[candidate.quantization]["wall_ms"]
        candidate.cpu_ms = timings[candidate.quantization]["cpu_ms"]
        log(f"  {candidate.quantization}: {candidate.summary()}")
    return candidates


def export(
    checkpoint: str | Path,
    data: str | Path,
    out_dir: str | Path = MODELS_DIR,
    quantization: str = "auto",
    run_dir: str | Path | None = None,
    max_accuracy_drop: float = 0.005,
    representative_count: int = 500,
    with_val: bool = False,
    log: Callable[[str], None] = print,
) -> dict:
    """Calibrate, convert, verify and write the runtime model; returns the metrics dict.

    ``quantization`` is one of :data:`QUANTIZATIONS` or ``auto`` (try all, keep the fastest within
    ``max_accuracy_drop`` of float on the tuning split). ``with_val`` also evaluates the shipped
    model on the ``val`` split for the model card -- do that once, for the final model.
    """
    from emotune.training import report  # pulls in matplotlib; only needed here

    checkpoint = Path(checkpoint)
    out_dir = Path(out_dir)
    run_dir = Path(run_dir) if run_dir else splits.run_dir_of(checkpoint)
    with tempfile.TemporaryDirectory(prefix="emotune_ckpt_") as tmp:
        # Snapshot first: a run that is still training may rewrite best.keras while we read it.
        model = load_source(copy_checkpoint(checkpoint, Path(tmp) / checkpoint.name))
    arch = _arch_name(model, run_dir)
    log(f"loaded {checkpoint} ({arch}, {model.count_params():,} parameters)")

    train = fer.load_split(data, "train")
    index = splits.tune_index(train.labels, run_dir, train_faces=train.faces)
    tune = train.subset(index)
    fit_mask = np.ones(len(train), dtype=bool)
    fit_mask[index] = False
    rng = np.random.default_rng(0)
    fit_rows = np.flatnonzero(fit_mask)
    representative = train.faces[
        rng.choice(fit_rows, min(representative_count, len(fit_rows)), replace=False)
    ]
    log(
        f"tuning split: {len(tune)} faces (from {run_dir / 'tune_index.npy' if run_dir else 'recomputed seed'})"
    )

    raw = keras_logits(model, tune.faces)
    targets = calibration_targets(tune)
    temperature = calibrate.fit_temperature(raw, targets)
    float_accuracy = tune_accuracy(raw, tune)
    log(f"temperature T = {temperature:.4f}; float tune accuracy {float_accuracy}")

    wanted = QUANTIZATIONS if quantization == "auto" else (quantization,)
    candidates = _candidates(
        model, wanted, temperature, representative, tune, raw, arch, str(checkpoint), log
    )
    for candidate in candidates:
        # The float conversion must reproduce Keras; anything else is a converter bug, not noise.
        if candidate.quantization == "float32" and candidate.max_abs_logit_error > 1e-3:
            raise RuntimeError(
                f"float TFLite logits differ from Keras by {candidate.max_abs_logit_error:.2e}; not exporting"
            )
    chosen = choose(candidates, float_accuracy, max_accuracy_drop)
    log(f"shipping {chosen.quantization} ({chosen.size_bytes / 1e6:.2f} MB)")

    run_readme = Path(run_dir) / "README.md" if run_dir else None
    extra = {
        "tune_rows": len(tune),
        "run_dir": _project_relative(run_dir) if run_dir else None,
        "run_readme": _project_relative(run_readme)
        if run_readme and run_readme.is_file()
        else None,
    }
    meta = metadata(
        arch=arch,
        temperature=temperature,
        quantization=chosen.quantization,
        source=_project_relative(checkpoint),
        content=chosen.content,
        extra=extra,
    )
    paths = write_model_files(out_dir, model, chosen.content, meta)
    metrics = report.build_metrics(
        model_path=paths["tflite"],
        meta=meta,
        data=data,
        tune=tune,
        raw_tune_logits=raw,
        candidates=[c.summary() for c in candidates],
        chosen=chosen.quantization,
        float_accuracy=float_accuracy,
        max_accuracy_drop=max_accuracy_drop,
        tune_has_fit_copy=splits.has_exact_copy(tune.faces, train.faces[fit_mask]),
        run_dir=run_dir,
        with_val=with_val,
        log=log,
    )
    report.write(out_dir, metrics)
    log(
        f"wrote {', '.join(str(p) for p in paths.values())}, metrics.json and MODEL_CARD.md in {out_dir}"
    )
    return metrics


def _arch_name(model: keras.Model, run_dir: Path | None) -> str:
    """The architecture name from the run's config.json, else the Keras model name."""
    if run_dir and (run_dir / "config.json").is_file():
        return str(json.loads((run_dir / "config.json").read_text()).get("arch", model.name))
    return model.name


def _project_relative(path: Path) -> str:
    """``path`` relative to the project root when inside it, so metadata holds no machine paths."""
    resolved = path.resolve()
    return (
        str(resolved.relative_to(PROJECT_ROOT))
        if resolved.is_relative_to(PROJECT_ROOT)
        else str(path)
    )


def copy_checkpoint(source: str | Path, destination: str | Path) -> Path:
    """Copy a checkpoint file (used to snapshot a still-training run's best.keras before export)."""
    destination = Path(destination)
    shutil.copy2(source, destination)
    return destination


__all__ = [
    "QUANTIZATIONS",
    "Candidate",
    "calibration_targets",
    "choose",
    "convert",
    "copy_checkpoint",
    "export",
    "metadata",
    "tflite_logits",
    "tune_accuracy",
    "write_model_files",
]
