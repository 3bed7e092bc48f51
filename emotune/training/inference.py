"""Running a Keras checkpoint on faces: the inference helpers training, export and evaluation share.

Their own module, so :mod:`.evaluate` can run a ``.keras`` model without importing
:mod:`.export` (which imports the report, which imports the evaluation).
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from emotune.emotions import CLASS_NAMES
from emotune.vision.preprocess import to_model_input


def load_source(path: str | Path) -> keras.Model:
    """Load a ``.keras`` checkpoint for inference (no optimizer, no compile)."""
    return keras.models.load_model(path, compile=False)


def keras_logits(model: keras.Model, faces: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Raw (uncalibrated) logits (N, 7) of a Keras model for uint8 faces (N, 48, 48)."""
    if len(faces) == 0:
        return np.zeros((0, len(CLASS_NAMES)), np.float32)
    # predict, not model(x): a reloaded functional model declares its one input as a list, and
    # calling it with a bare array warns once per batch (Keras 3.15).
    return np.asarray(
        model.predict(to_model_input(faces), batch_size=batch_size, verbose=0), dtype=np.float32
    )
