"""The training loop: Adam, ReduceLROnPlateau (or a cosine schedule), EarlyStopping, checkpoints and resume.

Each run writes into its output folder:
- ``last.keras`` (every epoch, with optimizer state) and ``state.json`` for ``--resume``;
- ``best.keras``, the best epoch by mean tuning accuracy over both label sets;
- ``history.csv`` and ``config.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import keras

from emotune.training.checkpoints import TuningAccuracy
from emotune.training.pipeline import make_dataset
from emotune.training.run_setup import (
    SCHEDULES,
    PreparedRun,
    TrainConfig,
    build_network,
    compile_for_training,
    cosine_learning_rate,
    prepare_run,
)
from emotune.training.view_distill import ViewBatches, augmented_views, cached_view_targets


def learning_rate_schedule(config: TrainConfig) -> keras.callbacks.Callback:
    """The callback that drives the learning rate for ``config.schedule``.

    The cosine schedule depends only on the epoch index, so a resumed run continues on the
    same curve.
    """
    if config.schedule == "cosine":
        return keras.callbacks.LearningRateScheduler(
            lambda epoch, _rate: cosine_learning_rate(epoch, config)
        )
    if config.schedule == "plateau":
        return keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss", factor=0.5, patience=4, min_lr=1e-5, verbose=0
        )
    raise ValueError(f"unknown schedule {config.schedule!r}; choose from {SCHEDULES}")


def training_batches(config: TrainConfig, run: PreparedRun):
    """Augmented-on-the-fly batches, or with ``teacher_views`` the stored views the teachers
    scored (see :mod:`emotune.training.view_distill`)."""
    if not config.teacher_views:
        return make_dataset(
            run.fit.faces,
            run.fit_target,
            run.sample_weight,
            config.batch_size,
            training=True,
            seed=config.seed,
        )
    if not config.teachers:
        raise ValueError("teacher views need at least one teacher")
    views = augmented_views(run.fit.faces, config.teacher_views, seed=config.seed)
    targets = cached_view_targets(
        views,
        run.fit_target,
        config.teachers,
        config.teacher_weight,
        run.out / "view_targets.npy",
        run.log,
    )
    run.log(
        f"distilling on {config.teacher_views} views per face at teacher weight {config.teacher_weight}"
    )
    return ViewBatches(views, targets, run.sample_weight, config.batch_size, seed=config.seed)


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
    resume_dir = (
        None if not resume else Path(resume) if Path(resume).is_dir() else Path(resume).parent
    )
    run = prepare_run(config, resume_dir)
    out, log = run.out, run.log
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
        model = compile_for_training(build_network(config, log), config.learning_rate)
    train_ds = training_batches(config, run)
    tune_ds = make_dataset(run.tune.faces, run.tune_target, batch_size=256)
    callbacks = [
        TuningAccuracy(run.tune.faces, run.tune, out, best, log),
        learning_rate_schedule(config),
        keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=config.patience, restore_best_weights=False
        ),
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
    run.close()
    return out
