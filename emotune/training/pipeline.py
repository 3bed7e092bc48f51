"""tf.data pipelines over in-memory face arrays."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from emotune.training.augment import AugmentConfig, augment_batch
from emotune.vision.preprocess import to_model_input


def make_dataset(
    faces: np.ndarray,
    target: np.ndarray,
    sample_weight: np.ndarray | None = None,
    batch_size: int = 64,
    training: bool = False,
    seed: int = 0,
    augment: AugmentConfig | None = None,
) -> tf.data.Dataset:
    """Batches of (x, y[, w]); when ``training``, shuffled and augmented on the fly."""
    x = to_model_input(faces)
    parts = (x, target.astype(np.float32))
    if sample_weight is not None:
        parts = (*parts, sample_weight.astype(np.float32))
    dataset = tf.data.Dataset.from_tensor_slices(parts)
    if training:
        dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=training)
    if training:
        cfg = augment or AugmentConfig()
        dataset = dataset.map(
            lambda images, *rest: (augment_batch(images, cfg), *rest),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    return dataset.prefetch(tf.data.AUTOTUNE)
