"""What both trainers share before the first step: the run's settings, its log, the fit/tuning
split, targets and class weights, and the cosine learning-rate curve. No TensorFlow here, so the
accelerator trainer (Keras on JAX) can use it on a machine without TensorFlow."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import keras
import numpy as np

from emotune.training import data as fer
from emotune.training.architectures import build
from emotune.training.distill import (
    TeacherMixedCrossEntropy,
    copy_weights,
    mix_targets,
    student_accuracy,
    teacher_probabilities,
)

SCHEDULES = ("plateau", "cosine")


@dataclass
class TrainConfig:
    """Everything that defines a training run (saved as config.json)."""

    data: str
    out: str = "runs/latest"
    arch: str = "compact_vgg"
    labels: str = "blend"
    ferplus_weight: float = 0.5
    epochs: int = 60
    batch_size: int = 64
    learning_rate: float = 1e-3
    tune_fraction: float = 0.1
    class_weight_power: float = 0.3
    patience: int = 12
    # "plateau": halve the rate when the tuning loss stalls; "cosine": decay from learning_rate
    # to 1% of it over exactly `epochs`, which ends a time-boxed CPU run at a low rate.
    schedule: str = "plateau"
    seed: int = 1234
    max_train: int | None = None  # cap on training rows, for smoke tests
    # Distillation: .keras teachers whose mean probabilities are mixed into the fit targets.
    teachers: list[str] = field(default_factory=list)
    teacher_weight: float = 0.5
    # > 0: the teachers score this many augmented views of each face instead of the plain faces
    # (view_distill.py); the CPU trainer then feeds those views instead of augmenting on the fly.
    teacher_views: int = 0
    init_from: str | None = None  # start from this .keras file's weights instead of random ones
    extra: dict = field(default_factory=dict)


@dataclass
class PreparedRun:
    """A run folder ready for fitting: split, targets, per-row weights and a log function."""

    out: Path
    log: Callable[[str], None]
    fit: fer.Split
    tune: fer.Split
    fit_target: np.ndarray
    tune_target: np.ndarray
    sample_weight: np.ndarray
    close: Callable[[], None]


def tuning_rows(
    full: fer.Split, config: TrainConfig, run_dir: Path | None
) -> tuple[np.ndarray, np.ndarray]:
    """(fit, tune) row indices. A resumed run keeps the tuning rows it started with (saved in
    ``tune_index.npy``), so a change to how splits are drawn can never leak tuning rows into
    fitting halfway through a run."""
    saved = run_dir / "tune_index.npy" if run_dir is not None else None
    if saved is not None and saved.is_file():
        tune_index = np.load(saved)
        fit_mask = np.ones(len(full), dtype=bool)
        fit_mask[tune_index] = False
        return np.flatnonzero(fit_mask), tune_index
    return fer.tuning_split(full.labels, config.tune_fraction, seed=config.seed, faces=full.faces)


def cosine_rate(progress: float, peak: float) -> float:
    """Learning rate at ``progress`` (0..1, clipped) on a cosine from ``peak`` to 1% of it."""
    progress = min(max(progress, 0.0), 1.0)
    floor = 0.01 * peak
    return float(floor + 0.5 * (peak - floor) * (1.0 + np.cos(np.pi * progress)))


def cosine_learning_rate(epoch: int, config: TrainConfig) -> float:
    """Learning rate for ``epoch`` (0-based) on a cosine from ``learning_rate`` to 1% of it."""
    return cosine_rate(epoch / max(config.epochs - 1, 1), config.learning_rate)


def compile_for_training(
    model: keras.Model, learning_rate: float, teacher_weight: float | None = None, **options
) -> keras.Model:
    """Adam on cross-entropy against (soft) targets from logits, with accuracy: the one training
    setup every trainer uses. With ``teacher_weight``, ``model`` is a :func:`with_teachers`
    model and the targets are mixed with its teachers' output in the step. ``options`` go to
    ``compile`` (e.g. ``steps_per_execution``)."""
    if teacher_weight is None:
        loss = keras.losses.CategoricalCrossentropy(from_logits=True)
        accuracy = keras.metrics.CategoricalAccuracy(name="acc")
    else:
        loss = TeacherMixedCrossEntropy(teacher_weight)
        accuracy = keras.metrics.MeanMetricWrapper(student_accuracy, name="acc")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate), loss=loss, metrics=[accuracy], **options
    )
    return model


def build_network(config: TrainConfig, log: Callable[[str], None]) -> keras.Model:
    """A fresh ``config.arch`` network, starting from ``config.init_from``'s weights when given."""
    network = build(config.arch)
    if config.init_from:
        copy_weights(network, config.init_from)
        log(f"starting from the weights of {config.init_from}")
    return network


def prepare_run(
    config: TrainConfig, resume_dir: Path | None = None, teachers_in_step: bool = False
) -> PreparedRun:
    """Open the run folder's log, seed everything, split and weight the data, and record
    ``config.json`` and ``tune_index.npy``. ``config.teachers`` are mixed into the fit targets
    here unless they score augmented views (``teacher_views``) or run inside the training step
    (``teachers_in_step``)."""
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    log_file = (out / "train.log").open("a", encoding="utf-8")

    def log(message: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {message}"
        print(line, flush=True)
        log_file.write(line + "\n")
        log_file.flush()

    keras.utils.set_random_seed(config.seed)
    full = fer.load_split(config.data, "train")
    fit_index, tune_index = tuning_rows(full, config, resume_dir)
    fit_split, tune_split = full.subset(fit_index), full.subset(tune_index)
    if config.max_train:
        fit_split = fit_split.subset(np.arange(min(config.max_train, len(fit_split))))
        tune_split = tune_split.subset(np.arange(min(config.max_train, len(tune_split))))
    fit_target = fer.targets(fit_split, config.labels, config.ferplus_weight)
    tune_target = fer.targets(tune_split, config.labels, config.ferplus_weight)
    weights = fer.class_weights(fit_target, config.class_weight_power)
    log(
        f"fit {len(fit_split)} tune {len(tune_split)} labels={config.labels} arch={config.arch} "
        f"class weights {np.round(weights, 2).tolist()}"
    )
    if config.teachers and not config.teacher_views and not teachers_in_step:
        teacher = teacher_probabilities(config.teachers, fit_split.faces)
        fit_target = mix_targets(fit_target, teacher, config.teacher_weight)
        log(f"distilling from {len(config.teachers)} teacher(s) at weight {config.teacher_weight}")
    (out / "config.json").write_text(json.dumps(asdict(config), indent=2))
    np.save(out / "tune_index.npy", tune_index)
    return PreparedRun(
        out=out,
        log=log,
        fit=fit_split,
        tune=tune_split,
        fit_target=fit_target,
        tune_target=tune_target,
        sample_weight=(fit_target @ weights).astype(np.float32),
        close=log_file.close,
    )
