"""Named splits for evaluation and export: any ``x_<name>`` in the npz, plus ``tune`` and ``fit``.

``tune`` is the stratified slice of ``train`` held out for model selection and calibration;
``fit`` is the rest of ``train``. Both come from a run's saved ``tune_index.npy`` when a run folder
is given (so they match the rows that run really held out), otherwise they are recomputed with
:func:`emotune.training.data.tuning_split` from the seed and fraction.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from emotune.paths import PROJECT_ROOT
from emotune.training import data as fer

DEFAULT_SEED = 1234
DEFAULT_FRACTION = 0.1
DERIVED_SPLITS = ("tune", "fit")


def run_dir_of(model_path: str | Path | None) -> Path | None:
    """The run folder that trained a model: the checkpoint's own folder when it holds
    ``tune_index.npy``, else the ``run_dir`` recorded in an exported model's ``.json`` sidecar
    (so ``models/emotion.tflite`` is evaluated on the tuning rows its run really held out)."""
    if model_path is None:
        return None
    path = Path(model_path)
    if (path.parent / "tune_index.npy").is_file():
        return path.parent
    sidecar = path.with_suffix(".json")
    if sidecar.is_file():
        try:
            recorded = json.loads(sidecar.read_text(encoding="utf-8")).get("run_dir")
        except (OSError, ValueError):
            recorded = None
        # Recorded relative to the project root (exports run from there); also try the cwd.
        for folder in [PROJECT_ROOT / recorded, Path(recorded)] if recorded else []:
            if (folder / "tune_index.npy").is_file():
                return folder
    return None


def tune_index(
    train_labels: np.ndarray,
    run_dir: str | Path | None = None,
    seed: int | None = None,
    fraction: float | None = None,
    train_faces: np.ndarray | None = None,
) -> np.ndarray:
    """Row indices of the tuning split within the faces-only ``train`` split.

    Prefers ``run_dir/tune_index.npy``; otherwise recomputes from ``seed``/``fraction``, taken from
    ``run_dir/config.json`` when present, else the defaults (1234, 0.1) of the shipped run, and
    (given ``train_faces``) without images that also occur in the fit rows, as training does.
    """
    if run_dir is not None:
        folder = Path(run_dir)
        saved = folder / "tune_index.npy"
        if saved.is_file():
            index = np.load(saved)
            if len(index) and index.max() >= len(train_labels):
                raise ValueError(
                    f"{saved} indexes row {index.max()} but train has {len(train_labels)} rows; wrong data file?"
                )
            return index
        config = folder / "config.json"
        if config.is_file():
            settings = json.loads(config.read_text())
            seed = settings.get("seed", seed) if seed is None else seed
            fraction = settings.get("tune_fraction", fraction) if fraction is None else fraction
    seed = DEFAULT_SEED if seed is None else seed
    fraction = DEFAULT_FRACTION if fraction is None else fraction
    return fer.tuning_split(train_labels, fraction, seed=seed, faces=train_faces)[1]


def load_named_split(
    npz_path: str | Path,
    name: str,
    run_dir: str | Path | None = None,
    seed: int | None = None,
    fraction: float | None = None,
) -> fer.Split:
    """Faces-only split ``name`` from the npz; ``tune``/``fit`` are carved out of ``train``."""
    if name not in DERIVED_SPLITS:
        return fer.load_split(npz_path, name)
    train = fer.load_split(npz_path, "train")
    index = tune_index(train.labels, run_dir, seed, fraction, train_faces=train.faces)
    if name == "tune":
        return train.subset(index)
    mask = np.ones(len(train), dtype=bool)
    mask[index] = False
    return train.subset(mask)


def has_exact_copy(faces: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Boolean mask over ``faces``: True where the same pixels occur somewhere in ``others``.

    FER2013's training set holds exact duplicates, so a random tuning split shares some images
    with the rows the model was fitted on; this finds them so they can be reported separately.
    """
    seen = {fer.face_digest(face) for face in others}
    return np.array([fer.face_digest(face) in seen for face in faces], dtype=bool)


__all__ = ["DERIVED_SPLITS", "has_exact_copy", "load_named_split", "run_dir_of", "tune_index"]
