"""Time-boxed training on an accelerator: Keras 3 on whichever backend ``KERAS_BACKEND`` names
(JAX on the lent GPU machines, which carry JAX and PyTorch but no TensorFlow).

The CPU trainer (:mod:`emotune.training.train`) feeds a tf.data pipeline; on a GPU a host-side
pipeline would starve the device, and there may be no TensorFlow at all. Here the fit set sits in
memory, augmentation runs inside the compiled step (:class:`RandomFaceAugment` in front of the
network), and the learning rate follows a cosine over *wall-clock time*, so a run ends at a low
rate exactly when its budget does, whatever the device's speed.

Outputs match the CPU trainer's (``best.keras``/``last.keras`` hold the bare network, without the
augmentation layer), so ``emotune train --export-from`` and ``--resume`` work on them unchanged.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import keras

from emotune.training.architectures import INPUT_SHAPE
from emotune.training.augment import RandomFaceAugment
from emotune.training.checkpoints import TuningAccuracy
from emotune.training.distill import load_teachers, with_teachers
from emotune.training.run_setup import (
    TrainConfig,
    build_network,
    compile_for_training,
    cosine_rate,
    prepare_run,
)
from emotune.vision.preprocess import to_model_input


class TimeBudget(keras.callbacks.Callback):
    """Sets each epoch's learning rate on a cosine over elapsed time and stops the run once
    ``budget_s`` seconds have passed (checked between epochs)."""

    def __init__(self, budget_s: float, peak_rate: float, clock=time.monotonic) -> None:
        super().__init__()
        self.budget_s, self.peak_rate, self.clock = budget_s, peak_rate, clock
        self.started = clock()

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.started = self.clock()

    def progress(self) -> float:
        """Fraction of the budget used so far (0..1)."""
        return min((self.clock() - self.started) / self.budget_s, 1.0)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.model.optimizer.learning_rate = cosine_rate(self.progress(), self.peak_rate)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.progress() >= 1.0:
            self.model.stop_training = True


def _device_name() -> str:
    """The accelerator Keras will use, for the run's record (``cpu`` when there is none)."""
    if keras.backend.backend() == "jax":
        import jax

        return str(jax.devices()[0].device_kind)
    return "cpu"


def with_augmentation(network: keras.Model, seed: int) -> keras.Model:
    """``network`` behind a :class:`RandomFaceAugment` layer that acts only while fitting."""
    inputs = keras.Input(INPUT_SHAPE, name="face")
    return keras.Model(
        inputs, network(RandomFaceAugment(seed=seed)(inputs)), name=f"{network.name}_training"
    )


def train_time_boxed(
    config: TrainConfig, budget_s: float, steps_per_execution: int = 8, verbose: int = 2
) -> Path:
    """Train ``config.arch`` from scratch for ``budget_s`` seconds (at most ``config.epochs``
    epochs); returns the run folder. ``steps_per_execution`` batches several steps into one
    compiled call, which is what keeps a fast device from waiting on Python."""
    config = replace(
        config,
        schedule="cosine-time",
        extra={
            **config.extra,
            "time_budget_s": budget_s,
            "backend": keras.backend.backend(),
            "device": _device_name(),
        },
    )
    run = prepare_run(config, teachers_in_step=True)
    network = build_network(config, run.log)
    if config.teachers:
        # The teachers score each augmented batch inside the step: a fresh view every time.
        trainer = with_teachers(
            network, load_teachers(config.teachers), RandomFaceAugment(seed=config.seed)
        )
        trainer = compile_for_training(
            trainer,
            config.learning_rate,
            config.teacher_weight,
            steps_per_execution=steps_per_execution,
        )
        run.log(
            f"distilling from {len(config.teachers)} teacher(s) in the step, weight {config.teacher_weight}"
        )
    else:
        trainer = compile_for_training(
            with_augmentation(network, config.seed),
            config.learning_rate,
            steps_per_execution=steps_per_execution,
        )
    run.log(
        f"backend {keras.backend.backend()}, time budget {budget_s:.0f}s, at most {config.epochs} epochs"
    )
    scorer = TuningAccuracy(run.tune.faces, run.tune, run.out, -1.0, run.log, network=network)
    budget = TimeBudget(budget_s, config.learning_rate)
    trainer.fit(
        to_model_input(run.fit.faces),
        run.fit_target,
        sample_weight=run.sample_weight,
        batch_size=config.batch_size,
        epochs=config.epochs,
        shuffle=True,
        callbacks=[
            budget,
            scorer,
            keras.callbacks.CSVLogger(str(run.out / "history.csv"), append=True),
        ],
        verbose=verbose,
    )
    # The bare network is what ships; give last.keras a fresh optimizer so --resume can load it.
    compile_for_training(network, cosine_rate(1.0, config.learning_rate))
    network.optimizer.build(network.trainable_variables)  # zero moments, so loading matches exactly
    network.save(run.out / "last.keras")
    summary = {"best_tune_score": scorer.best, "seconds": round(budget.clock() - budget.started, 1)}
    (run.out / "summary.json").write_text(json.dumps(summary, indent=2))
    run.log(
        f"done in {summary['seconds']}s; best tune score {scorer.best:.4f}; best model at {run.out / 'best.keras'}"
    )
    run.close()
    return run.out
