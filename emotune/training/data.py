"""Loading FER2013/FER+ arrays, label modes, the tuning split and class weights.

Pure NumPy: the tf.data pipeline that augments these arrays lives in :mod:`emotune.training.pipeline`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emotune.emotions import CLASS_NAMES, NUM_CLASSES
from emotune.vision.preprocess import preprocess

LABEL_MODES = ("ferplus", "fer2013", "blend")

# FER+ vote columns are: neutral, happiness, surprise, sadness, anger, disgust, fear, contempt,
# unknown, NF. This picks, for each canonical class, its FER+ column; contempt/unknown/NF drop out.
FERPLUS_TO_CANONICAL = np.array([4, 5, 6, 1, 0, 3, 2])


@dataclass
class Split:
    """Faces, labels and (optional) FER+ votes for one split."""

    faces: np.ndarray  # uint8 (N, 48, 48)
    labels: np.ndarray  # uint8 (N,) FER2013 labels in canonical order
    votes: np.ndarray | None  # uint8 (N, 10) FER+ votes, or None when the npz has none

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, index: np.ndarray) -> Split:
        """Rows selected by a boolean mask or an index array."""
        return Split(
            self.faces[index], self.labels[index], None if self.votes is None else self.votes[index]
        )


def load_split(npz_path: str | Path, split: str, faces_only: bool = True) -> Split:
    """Read ``x_<split>``/``y_<split>`` (and FER+ votes if present) from an npz file.

    With ``faces_only``, rows FER+ marks as not-a-face (``nf_<split>``) are dropped.
    Raises KeyError naming the missing keys if the split is absent.
    """
    with np.load(npz_path, allow_pickle=False) as data:
        keys = set(data.files)
        needed = {f"x_{split}", f"y_{split}"}
        if not needed <= keys:
            available = sorted(k[2:] for k in keys if k.startswith("x_"))
            raise KeyError(
                f"{npz_path} has no split {split!r} (missing {sorted(needed - keys)}); available: {available}"
            )
        faces = data[f"x_{split}"]
        labels = data[f"y_{split}"].astype(np.uint8)
        votes = data[f"ferplus_votes_{split}"] if f"ferplus_votes_{split}" in keys else None
        mask = np.ones(len(labels), dtype=bool)
        if faces_only and f"nf_{split}" in keys:
            mask &= ~data[f"nf_{split}"].astype(bool)
    if faces.ndim != 3 or faces.shape[1:] != (48, 48) or faces.dtype != np.uint8:
        # Other datasets may come in other sizes or colour; bring them through the shared step.
        faces = np.stack([preprocess(face) for face in faces])
    split_data = Split(faces, labels, votes)
    return split_data.subset(mask) if not mask.all() else split_data


def ferplus_distribution(votes: np.ndarray) -> np.ndarray:
    """Soft labels (N, 7) from FER+ votes, renormalised after dropping contempt/unknown/NF.

    Rows with no votes for any of the 7 classes come back all zero.
    """
    counts = votes[:, FERPLUS_TO_CANONICAL].astype(np.float32)
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)


def ferplus_majority(votes: np.ndarray) -> np.ndarray:
    """Strict-majority FER+ label per row, or -1 where no class gets more than half of all votes.

    'All votes' counts every column including contempt/unknown/NF, matching the published
    FER+ majority protocol used for the peer's 71.9% figure.
    """
    counts = votes[:, FERPLUS_TO_CANONICAL].astype(np.int32)
    totals = votes.astype(np.int32).sum(axis=1)
    best = counts.argmax(axis=1)
    best_count = counts[np.arange(len(counts)), best]
    return np.where(best_count * 2 > totals, best, -1)


def one_hot(labels: np.ndarray) -> np.ndarray:
    """(N,) integer labels to (N, 7) float32 one-hot."""
    return np.eye(NUM_CLASSES, dtype=np.float32)[labels.astype(np.int64)]


def targets(split: Split, mode: str, ferplus_weight: float = 0.5) -> np.ndarray:
    """Training targets (N, 7) for a label mode.

    - ``fer2013``: one-hot original labels.
    - ``ferplus``: FER+ vote distribution (falls back to the FER2013 label where FER+ has none).
    - ``blend``: ``ferplus_weight`` * FER+ distribution + (1 - ``ferplus_weight``) * FER2013 one-hot,
      which keeps the network close to both label sets.
    """
    if mode not in LABEL_MODES:
        raise ValueError(f"unknown label mode {mode!r}; expected one of {LABEL_MODES}")
    hard = one_hot(split.labels)
    if mode == "fer2013":
        return hard
    if split.votes is None:
        raise ValueError(f"label mode {mode!r} needs FER+ votes, which this data lacks")
    soft = ferplus_distribution(split.votes)
    soft = np.where(soft.sum(axis=1, keepdims=True) > 0, soft, hard)
    if mode == "ferplus":
        return soft
    return (ferplus_weight * soft + (1.0 - ferplus_weight) * hard).astype(np.float32)


def tuning_split(
    labels: np.ndarray, fraction: float = 0.1, seed: int = 0, faces: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Stratified (fit_index, tune_index) carved out of the training rows, reproducible by seed.

    With ``faces``, tuning rows whose exact pixels also occur among the fit rows move to the fit
    side: FER2013 holds duplicate images, and a model would otherwise be scored on pictures it
    was trained on, which flatters the tuning accuracy used for model selection.
    """
    rng = np.random.default_rng(seed)
    fit, tune = [], []
    for cls in range(NUM_CLASSES):
        rows = np.flatnonzero(labels == cls)
        rng.shuffle(rows)
        cut = int(round(len(rows) * fraction))
        tune.append(rows[:cut])
        fit.append(rows[cut:])
    fit_index, tune_index = np.sort(np.concatenate(fit)), np.sort(np.concatenate(tune))
    if faces is not None:
        fit_digests = {face_digest(faces[row]) for row in fit_index}
        seen_in_fit = np.array(
            [face_digest(faces[row]) in fit_digests for row in tune_index], dtype=bool
        )
        fit_index = np.sort(np.concatenate([fit_index, tune_index[seen_in_fit]]))
        tune_index = tune_index[~seen_in_fit]
    return fit_index, tune_index


def face_digest(face: np.ndarray) -> bytes:
    """A 16-byte fingerprint of a face's exact pixels, for finding duplicate images."""
    return hashlib.blake2b(np.ascontiguousarray(face).tobytes(), digest_size=16).digest()


def class_weights(target: np.ndarray, power: float = 0.5) -> np.ndarray:
    """Per-class weights (7,) from soft or hard targets: (mean frequency / frequency) ** power.

    A power below 1 softens the correction so that 'disgust' (1.5% of FER2013) is helped without
    the network over-predicting it.
    """
    frequency = target.sum(axis=0) / max(len(target), 1)
    frequency = np.maximum(frequency, 1e-6)
    weights = (frequency.mean() / frequency) ** power
    return (weights / (weights * frequency).sum() * frequency.sum()).astype(np.float32)


__all__ = [
    "CLASS_NAMES",
    "LABEL_MODES",
    "Split",
    "class_weights",
    "face_digest",
    "ferplus_distribution",
    "ferplus_majority",
    "load_split",
    "one_hot",
    "targets",
    "tuning_split",
]
