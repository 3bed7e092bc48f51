"""Knowledge distillation: soft targets from larger (or several) trained networks.

The teachers' averaged class probabilities on the *fit* rows are mixed into the training targets.
An ensemble of several networks is more accurate than any one of them (on the tuning split,
six GPU-trained candidates together beat the best single one by about 1.5 points), and a small
network trained towards that ensemble keeps part of the gain at its own runtime cost. Teachers
must have been trained on the same fit rows, never on the tuning rows, or the tuning split
stops being held out.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

from emotune.emotions import NUM_CLASSES
from emotune.vision.preprocess import to_model_input


def teacher_probabilities(teachers: Sequence[str | Path], faces: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Mean softmax (N, 7) of the ``.keras`` teachers (which output logits) on uint8 ``faces``."""
    if not teachers:
        raise ValueError("no teacher models given")
    x = to_model_input(faces)
    total = np.zeros((len(x), NUM_CLASSES), dtype=np.float64)
    for path in teachers:
        if not Path(path).is_file():
            raise FileNotFoundError(f"teacher model {path} not found")
        model = keras.models.load_model(path, compile=False)
        logits = np.asarray(model.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64)
        if logits.shape != total.shape:
            raise ValueError(f"teacher {path} gives outputs of shape {logits.shape}, expected {total.shape}")
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        total += shifted / shifted.sum(axis=1, keepdims=True)
    return (total / len(teachers)).astype(np.float32)


def mix_targets(target: np.ndarray, teacher: np.ndarray, teacher_weight: float) -> np.ndarray:
    """``(1 - w) * target + w * teacher``; rows still sum to what ``target``'s rows sum to (1)."""
    if not 0.0 <= teacher_weight <= 1.0:
        raise ValueError(f"teacher weight must be within 0..1, got {teacher_weight}")
    if target.shape != teacher.shape:
        raise ValueError(f"targets {target.shape} and teacher probabilities {teacher.shape} differ in shape")
    return ((1.0 - teacher_weight) * target + teacher_weight * teacher).astype(np.float32)


def copy_weights(model: keras.Model, source: str | Path) -> None:
    """Start ``model`` from the weights of the ``.keras`` file ``source`` (same architecture)."""
    donor = keras.models.load_model(source, compile=False)
    mine, theirs = [w.shape for w in model.weights], [w.shape for w in donor.weights]
    if mine != theirs:
        raise ValueError(f"{source} is a {donor.name} model; its weights do not fit {model.name}")
    model.set_weights(donor.get_weights())
