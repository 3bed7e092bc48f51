"""The single face preprocessing step shared by training and runtime inference.

Training images are already 48x48 grayscale; runtime crops come from camera frames in any size
and colour layout. Both pass through :func:`preprocess`, and both are turned into model input by
:func:`to_model_input`, so the network never sees data prepared two different ways.
"""

from __future__ import annotations

import cv2
import numpy as np

FACE_SIZE = 48
"""Side length, in pixels, of the square grayscale face the model takes."""


def preprocess(image: np.ndarray) -> np.ndarray:
    """Turn a BGR, BGRA or grayscale face crop of any size into a uint8 (48, 48) grayscale face.

    Raises ValueError for empty or malformed input.
    """
    array = np.asarray(image)
    if array.size == 0 or array.ndim not in (2, 3):
        raise ValueError(f"expected a non-empty 2-D or 3-D image, got shape {array.shape}")
    if array.dtype != np.uint8:
        # Floats in [0, 1] are scaled; anything else is clipped into the byte range.
        if np.issubdtype(array.dtype, np.floating) and array.max(initial=0.0) <= 1.0:
            array = array * 255.0
        array = np.clip(array, 0, 255).astype(np.uint8)
    if array.ndim == 3:
        channels = array.shape[2]
        if channels == 1:
            array = array[:, :, 0]
        elif channels == 3:
            array = cv2.cvtColor(array, cv2.COLOR_BGR2GRAY)
        elif channels == 4:
            array = cv2.cvtColor(array, cv2.COLOR_BGRA2GRAY)
        else:
            raise ValueError(f"unsupported channel count {channels}")
    if array.shape != (FACE_SIZE, FACE_SIZE):
        height, width = array.shape
        # INTER_AREA averages pixels when shrinking, matching how FER2013 crops were downsampled.
        shrinking = height > FACE_SIZE or width > FACE_SIZE
        interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
        array = cv2.resize(array, (FACE_SIZE, FACE_SIZE), interpolation=interpolation)
    return np.ascontiguousarray(array, dtype=np.uint8)


def to_model_input(faces: np.ndarray) -> np.ndarray:
    """Turn uint8 faces of shape (N, 48, 48) into float32 model input of shape (N, 48, 48, 1).

    Pixel values stay in 0..255: the network rescales them itself, so training and the exported
    runtime model cannot disagree about normalisation.
    """
    batch = np.asarray(faces)
    if batch.ndim == 2:
        batch = batch[None]
    if batch.ndim != 3 or batch.shape[1:] != (FACE_SIZE, FACE_SIZE):
        raise ValueError(
            f"expected faces of shape (N, {FACE_SIZE}, {FACE_SIZE}), got {batch.shape}"
        )
    return batch.astype(np.float32)[..., None]
