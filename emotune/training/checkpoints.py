"""Per-epoch tuning-split scoring and crash-safe checkpoints, shared by both trainers
(TensorFlow on the CPU, JAX on an accelerator): no TensorFlow import here."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import keras
import numpy as np

from emotune.training import data as fer
from emotune.vision.preprocess import to_model_input


def save_atomically(model: keras.Model, path: Path) -> None:
    """Save next to ``path`` and rename over it: a run killed mid-save (the end of a session)
    leaves the previous checkpoint intact instead of a truncated one."""
    tmp = path.with_name(f".{path.stem}.tmp.keras")
    model.save(tmp)
    os.replace(tmp, path)


class TuningAccuracy(keras.callbacks.Callback):
    """Measures tuning-split accuracy on FER2013 and FER+ majority labels after every epoch,
    saves ``best.keras`` and ``last.keras``, and records resumable state.

    ``network`` is the model to score and save when it differs from the one being fitted (the
    accelerator trainer fits an augmentation layer in front of it, which must not ship)."""

    def __init__(
        self,
        faces: np.ndarray,
        split: fer.Split,
        out: Path,
        best: float,
        log,
        network: keras.Model | None = None,
    ) -> None:
        super().__init__()
        self.network = network
        self.x = to_model_input(faces)
        self.fer2013 = split.labels.astype(np.int64)
        self.ferplus = fer.ferplus_majority(split.votes) if split.votes is not None else None
        self.out, self.best, self.log = out, best, log
        self.started = time.time()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs if logs is not None else {}
        network = self.network or self.model
        logits = (
            network.predict_on_batch(self.x)
            if len(self.x) <= 4096
            else network.predict(self.x, verbose=0)
        )
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
        save_atomically(network, self.out / "last.keras")
        improved = score > self.best
        if improved:
            self.best = score
            save_atomically(network, self.out / "best.keras")
        state = {
            "epoch": epoch + 1,
            "best_score": self.best,
            "learning_rate": float(self.model.optimizer.learning_rate),
        }
        tmp_state = self.out / "state.json.tmp"
        tmp_state.write_text(json.dumps(state, indent=2))
        os.replace(tmp_state, self.out / "state.json")
        self.log(
            f"epoch {epoch + 1}: loss {logs.get('loss', float('nan')):.4f} val_loss {logs.get('val_loss', float('nan')):.4f} "
            f"tune fer2013 {acc_fer:.4f} ferplus {logs.get('tune_acc_ferplus', float('nan')):.4f} "
            f"lr {float(self.model.optimizer.learning_rate):.2e} {'*best*' if improved else ''} "
            f"[{time.time() - self.started:.0f}s]"
        )
