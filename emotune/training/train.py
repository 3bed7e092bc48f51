"""The training loop: Adam, ReduceLROnPlateau (or a cosine schedule), EarlyStopping, checkpoints and resume.

Each run writes into its output folder:
- ``last.keras`` (every epoch, with optimizer state) and ``state.json`` for ``--resume``;
- ``best.keras``, the best epoch by mean tuning accuracy over both label sets;
- ``history.csv`` and ``config.json``.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import keras
import numpy as np

from emotune.training import data as fer
from emotune.training.architectures import build
from emotune.training.pipeline import make_dataset
from emotune.vision.preprocess import to_model_input


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
    extra: dict = field(default_factory=dict)


def _save_atomically(model: keras.Model, path: Path) -> None:
    """Save next to ``path`` and rename over it: a run killed mid-save (the end of a session)
    leaves the previous checkpoint intact instead of a truncated one."""
    tmp = path.with_name(f".{path.stem}.tmp.keras")
    model.save(tmp)
    os.replace(tmp, path)


class TuningAccuracy(keras.callbacks.Callback):
    """Measures tuning-split accuracy on FER2013 and FER+ majority labels after every epoch,
    saves ``best.keras`` and ``last.keras``, and records resumable state."""

    def __init__(self, faces: np.ndarray, split: fer.Split, out: Path, best: float, log) -> None:
        super().__init__()
        self.x = to_model_input(faces)
        self.fer2013 = split.labels.astype(np.int64)
        self.ferplus = fer.ferplus_majority(split.votes) if split.votes is not None else None
        self.out, self.best, self.log = out, best, log
        self.started = time.time()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs if logs is not None else {}
        logits = self.model.predict_on_batch(self.x) if len(self.x) <= 4096 else self.model.predict(self.x, verbose=0)
        predicted = np.asarray(logits).argmax(axis=1)
        acc_fer = float((predicted == self.fer2013).mean())
        logs["tune_acc_fer2013"] = acc_fer
        score = acc_fer
        if self.ferplus is not None:
            has = self.ferplus >= 0
            acc_plus = float((predicted[has] == self.ferplus[has]).mean())
            logs["tune_acc_ferplus"] = acc_plus
            score = (acc_fer + acc_plus) / 2
        logs["tune_score"] = score
        _save_atomically(self.model, self.out / "last.keras")
        improved = score > self.best
        if improved:
            self.best = score
            _save_atomically(self.model, self.out / "best.keras")
        state = {"epoch": epoch + 1, "best_score": self.best, "learning_rate": float(self.model.optimizer.learning_rate)}
        tmp_state = self.out / "state.json.tmp"
        tmp_state.write_text(json.dumps(state, indent=2))
        os.replace(tmp_state, self.out / "state.json")
        self.log(
            f"epoch {epoch + 1}: loss {logs.get('loss', float('nan')):.4f} val_loss {logs.get('val_loss', float('nan')):.4f} "
            f"tune fer2013 {acc_fer:.4f} ferplus {logs.get('tune_acc_ferplus', float('nan')):.4f} "
            f"lr {float(self.model.optimizer.learning_rate):.2e} {'*best*' if improved else ''} "
            f"[{time.time() - self.started:.0f}s]"
        )


SCHEDULES = ("plateau", "cosine")


def _tuning_rows(full: fer.Split, config: TrainConfig, run_dir: Path | None) -> tuple[np.ndarray, np.ndarray]:
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


def cosine_learning_rate(epoch: int, config: TrainConfig) -> float:
    """Learning rate for ``epoch`` (0-based) on a cosine from ``learning_rate`` to 1% of it."""
    progress = min(max(epoch / max(config.epochs - 1, 1), 0.0), 1.0)
    floor = 0.01 * config.learning_rate
    return float(floor + 0.5 * (config.learning_rate - floor) * (1.0 + np.cos(np.pi * progress)))


def learning_rate_schedule(config: TrainConfig) -> keras.callbacks.Callback:
    """The callback that drives the learning rate for ``config.schedule``.

    The cosine schedule depends only on the epoch index, so a resumed run continues on the
    same curve.
    """
    if config.schedule == "cosine":
        return keras.callbacks.LearningRateScheduler(lambda epoch, _rate: cosine_learning_rate(epoch, config))
    if config.schedule == "plateau":
        return keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=4, min_lr=1e-5, verbose=0)
    raise ValueError(f"unknown schedule {config.schedule!r}; choose from {SCHEDULES}")


def train(
    config: TrainConfig,
    resume: str | None = None,
    verbose: int = 2,
    resume_learning_rate: float | None = None,
) -> Path:
    """Train a model as configured; returns the output folder. ``resume`` is a run folder or a
    ``last.keras`` path to continue from (epoch count and best score are restored);
    ``resume_learning_rate`` replaces the restored optimizer's learning rate, which lets a run
    that was cut off by a session limit continue on a shorter, lower-rate schedule."""
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
    resume_dir = None if not resume else Path(resume) if Path(resume).is_dir() else Path(resume).parent
    fit_index, tune_index = _tuning_rows(full, config, resume_dir)
    fit_split, tune_split = full.subset(fit_index), full.subset(tune_index)
    if config.max_train:
        fit_split = fit_split.subset(np.arange(min(config.max_train, len(fit_split))))
        tune_split = tune_split.subset(np.arange(min(config.max_train, len(tune_split))))
    fit_target = fer.targets(fit_split, config.labels, config.ferplus_weight)
    tune_target = fer.targets(tune_split, config.labels, config.ferplus_weight)
    weights = fer.class_weights(fit_target, config.class_weight_power)
    sample_weight = fit_target @ weights
    log(f"fit {len(fit_split)} tune {len(tune_split)} labels={config.labels} arch={config.arch} class weights {np.round(weights, 2).tolist()}")
    (out / "config.json").write_text(json.dumps(asdict(config), indent=2))
    np.save(out / "tune_index.npy", tune_index)

    initial_epoch, best = 0, -1.0
    resume_path = Path(resume) if resume else None
    if resume_path and resume_path.is_dir():
        resume_path = resume_path / "last.keras"
    if resume_path:
        model = keras.models.load_model(resume_path)
        state_file = resume_path.parent / "state.json"
        if state_file.exists():
            state = json.loads(state_file.read_text())
            initial_epoch, best = int(state["epoch"]), float(state["best_score"])
        if resume_learning_rate is not None:
            model.optimizer.learning_rate.assign(resume_learning_rate)
        log(
            f"resumed from {resume_path} at epoch {initial_epoch}, best tune score {best:.4f}, "
            f"learning rate {float(model.optimizer.learning_rate):.2e}"
        )
    else:
        model = build(config.arch)
        model.compile(
            optimizer=keras.optimizers.Adam(config.learning_rate),
            loss=keras.losses.CategoricalCrossentropy(from_logits=True),
            metrics=[keras.metrics.CategoricalAccuracy(name="acc")],
        )
    train_ds = make_dataset(fit_split.faces, fit_target, sample_weight, config.batch_size, training=True, seed=config.seed)
    tune_ds = make_dataset(tune_split.faces, tune_target, batch_size=256)
    callbacks = [
        TuningAccuracy(tune_split.faces, tune_split, out, best, log),
        learning_rate_schedule(config),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience, restore_best_weights=False),
        keras.callbacks.CSVLogger(str(out / "history.csv"), append=True),
    ]
    model.fit(
        train_ds,
        validation_data=tune_ds,
        epochs=config.epochs,
        initial_epoch=initial_epoch,
        callbacks=callbacks,
        verbose=verbose,
    )
    log(f"done; best tune score {callbacks[0].best:.4f}; best model at {out / 'best.keras'}")
    log_file.close()
    return out
