"""Shared helpers for the model tests: a synthetic FER-style npz and a tiny exported model.

Nothing here needs the real FER data; everything is generated from a seed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from emotune.emotions import NUM_CLASSES

# FER+ vote column for each canonical class (see emotune.training.data.FERPLUS_TO_CANONICAL).
_VOTE_COLUMN = [4, 5, 6, 1, 0, 3, 2]


def synthetic_faces(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """uint8 (N, 48, 48) noise images with a class-dependent brightness band, so they are learnable."""
    faces = rng.integers(0, 120, size=(len(labels), 48, 48)).astype(np.int32)
    for i, label in enumerate(labels):
        faces[i, 6 * int(label) : 6 * int(label) + 6, :] += 120
    return np.clip(faces, 0, 255).astype(np.uint8)


def synthetic_votes(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(N, 10) FER+-style votes: mostly for the label, a few elsewhere, 10 in total."""
    votes = np.zeros((len(labels), 10), dtype=np.uint8)
    for i, label in enumerate(labels):
        majority = int(rng.integers(4, 10))
        votes[i, _VOTE_COLUMN[int(label)]] = majority
        for column in rng.integers(0, 10, size=10 - majority):
            votes[i, column] += 1
    return votes


def write_synthetic_npz(path: Path, n_train: int = 140, n_val: int = 42, seed: int = 0) -> Path:
    """An npz with the keys of fer2013_trainval.npz (train and val, votes, not-a-face flags)."""
    rng = np.random.default_rng(seed)
    arrays: dict[str, np.ndarray] = {}
    for split, n in (("train", n_train), ("val", n_val)):
        labels = np.arange(n) % NUM_CLASSES
        rng.shuffle(labels)
        arrays[f"x_{split}"] = synthetic_faces(labels, rng)
        arrays[f"y_{split}"] = labels.astype(np.uint8)
        arrays[f"ferplus_votes_{split}"] = synthetic_votes(labels, rng)
        nf = np.zeros(n, dtype=bool)
        nf[:2] = True  # a couple of not-a-face rows, which loading must drop
        arrays[f"nf_{split}"] = nf
    # Like the real file: a few val images also appear in train.
    arrays["in_train_val"] = np.arange(n_val) % 10 == 3
    np.savez(path, **arrays)
    return path


def export_tiny_model(
    out_dir: Path, temperature: float = 2.0, quantization: str = "float32", seed: int = 0
):
    """Build a random-weight compact_vgg and export it to ``out_dir`` as emotion.tflite/.json/.keras.

    Returns the Keras model (uncalibrated) for comparisons.
    """
    import keras

    from emotune.training import export
    from emotune.training.architectures import build

    keras.utils.set_random_seed(seed)
    model = build("compact_vgg")
    rng = np.random.default_rng(seed)
    representative = rng.integers(0, 256, size=(16, 48, 48)).astype(np.uint8)
    content = export.convert(model, temperature, quantization, representative)
    meta = export.metadata(
        arch="compact_vgg",
        temperature=temperature,
        quantization=quantization,
        source="test",
        content=content,
    )
    export.write_model_files(out_dir, model, content, meta)
    return model
