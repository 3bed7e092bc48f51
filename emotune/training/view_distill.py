"""Distillation on fixed augmented views: the teacher scores exactly the picture the student sees.

Teachers that scored the plain fit rows (:mod:`emotune.training.distill`) had nearly memorised
them, so their targets said little beyond the labels, and a student fine-tuned on them did not
improve. On an augmented view the teachers are less certain and their probabilities carry more
of what they know ("consistent" distillation, Beyer et al. 2022). Running the teachers inside
every training step would triple the cost of a CPU step, so each fit face gets ``views`` random
augmentations up front, the teachers score each view once, and every epoch then draws one view
per face. The student's step does no augmentation of its own: the view already is one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

from emotune.training.augment import AugmentConfig, SeededRandom, augment_batch
from emotune.training.distill import mix_targets, teacher_probabilities
from emotune.vision.preprocess import to_model_input


def augmented_views(
    faces: np.ndarray,
    views: int,
    seed: int = 0,
    config: AugmentConfig | None = None,
    batch_size: int = 2048,
) -> np.ndarray:
    """``views`` random augmentations of each uint8 face: uint8 (N, views, 48, 48), reproducible
    by ``seed``. Rounding back to uint8 keeps 26k faces x 8 views under 0.5 GB."""
    if views < 1:
        raise ValueError(f"need at least one view per face, got {views}")
    config = config or AugmentConfig()
    rng = SeededRandom(keras.random.SeedGenerator(seed))
    out = np.empty((len(faces), views, *faces.shape[1:]), dtype=np.uint8)
    for view in range(views):
        for start in range(0, len(faces), batch_size):
            chunk = faces[start : start + batch_size].astype(np.float32)[..., None]
            augmented = keras.ops.convert_to_numpy(augment_batch(chunk, config, rng))
            out[start : start + batch_size, view] = np.rint(augmented[..., 0]).astype(np.uint8)
    return out


def view_targets(
    views: np.ndarray,
    label_target: np.ndarray,
    teachers: Sequence[str | Path],
    teacher_weight: float,
) -> np.ndarray:
    """Per-view targets (N, V, 7): the label targets mixed with the teachers' mean probabilities
    on that very view."""
    count, per_face = views.shape[:2]
    teacher = teacher_probabilities(teachers, views.reshape(count * per_face, *views.shape[2:]))
    labels = np.repeat(label_target.astype(np.float32), per_face, axis=0)
    return mix_targets(labels, teacher, teacher_weight).reshape(count, per_face, -1)


def cached_view_targets(
    views: np.ndarray,
    label_target: np.ndarray,
    teachers: Sequence[str | Path],
    teacher_weight: float,
    cache: Path,
    log=print,
) -> np.ndarray:
    """:func:`view_targets`, stored in ``cache`` (.npy) so that a resumed run skips the teachers
    (minutes on a CPU). A cache of another shape, or written for other teachers, is recomputed."""
    key = cache.with_suffix(".teachers.txt")
    wanted = "\n".join([f"weight {teacher_weight}", *map(str, teachers)])
    if cache.is_file() and key.is_file() and key.read_text() == wanted:
        stored = np.load(cache)
        if stored.shape == (*views.shape[:2], label_target.shape[1]):
            log(f"teacher targets from {cache}")
            return stored
    log(
        f"scoring {views.shape[0] * views.shape[1]:,} augmented views with {len(teachers)} teacher(s)"
    )
    targets = view_targets(views, label_target, teachers, teacher_weight)
    np.save(cache, targets)
    key.write_text(wanted)
    return targets


class ViewBatches(keras.utils.PyDataset):
    """Shuffled batches of (x, y, w) that draw one stored view (and its target) per face each
    epoch."""

    def __init__(
        self,
        views: np.ndarray,
        targets: np.ndarray,
        sample_weight: np.ndarray,
        batch_size: int = 64,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if views.shape[:2] != targets.shape[:2] or len(sample_weight) != len(views):
            raise ValueError(
                f"views {views.shape}, targets {targets.shape} and weights {sample_weight.shape} do not match"
            )
        self.views, self.targets = views, targets
        self.sample_weight = sample_weight.astype(np.float32)
        self.batch_size = batch_size
        self.rng = np.random.default_rng(seed)
        self.on_epoch_end()

    def __len__(self) -> int:
        """Full batches per epoch (the remainder is dropped, as in the CPU pipeline)."""
        return len(self.views) // self.batch_size

    def on_epoch_end(self) -> None:
        """Reshuffle the faces and draw each one's view for the next epoch."""
        self.order = self.rng.permutation(len(self.views))
        self.chosen = self.rng.integers(0, self.views.shape[1], size=len(self.views))

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        picks = self.chosen[rows]
        return (
            to_model_input(self.views[rows, picks]),
            self.targets[rows, picks],
            self.sample_weight[rows],
        )
