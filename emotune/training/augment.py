"""On-the-fly augmentation as in the seed study: shift, rotate, shear, zoom, horizontal flip,
brightness/contrast and noise. Works on whole batches of float images (B, 48, 48, 1) in 0..255.

Written with ``keras.ops`` so that one transform serves both trainers: the CPU trainer maps it
over a tf.data pipeline (random draws from ``tf.random``), and the accelerator trainer runs it as
the first layer of a jitted JAX training step (:class:`RandomFaceAugment`, seeded draws).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Protocol

import keras
from keras import ops


@dataclass(frozen=True)
class AugmentConfig:
    """Ranges for each random transform (all sampled uniformly per image)."""

    shift: float = 0.1  # fraction of the image side
    rotate_degrees: float = 15.0
    shear_degrees: float = 10.0
    zoom: float = 0.15  # scale in [1 - zoom, 1 + zoom]
    flip: bool = True
    brightness: float = 0.2  # added offset, fraction of 255
    contrast: float = 0.3  # multiply deviation from the mean by [1 - c, 1 + c]
    noise_std: float = 5.0  # Gaussian pixel noise, in grey levels
    noise_probability: float = 0.3


class RandomSource(Protocol):
    """Where the random draws come from (differs between tf.data and a jitted step)."""

    def uniform(self, shape, low: float = 0.0, high: float = 1.0): ...

    def normal(self, shape, stddev: float = 1.0): ...


class TensorFlowRandom:
    """Stateful ``tf.random`` draws: fresh values on every call of a tf.data map function."""

    def uniform(self, shape, low: float = 0.0, high: float = 1.0):
        """Uniform draws in [low, high)."""
        import tensorflow as tf

        return tf.random.uniform(shape, low, high)

    def normal(self, shape, stddev: float = 1.0):
        """Zero-mean Gaussian draws."""
        import tensorflow as tf

        return tf.random.normal(shape, stddev=stddev)


class SeededRandom:
    """``keras.random`` draws from a SeedGenerator, whose state Keras threads through a jitted
    (stateless) JAX training step."""

    def __init__(self, seed_generator: keras.random.SeedGenerator) -> None:
        self.seed_generator = seed_generator

    def uniform(self, shape, low: float = 0.0, high: float = 1.0):
        """Uniform draws in [low, high)."""
        return keras.random.uniform(shape, low, high, seed=self.seed_generator)

    def normal(self, shape, stddev: float = 1.0):
        """Zero-mean Gaussian draws."""
        return keras.random.normal(shape, stddev=stddev, seed=self.seed_generator)


def _affine_transforms(batch, size: int, cfg: AugmentConfig, rng: RandomSource):
    """Per-image projective transforms (B, 8) mapping output pixels to input pixels."""
    angle = rng.uniform([batch], -1.0, 1.0) * math.radians(cfg.rotate_degrees)
    shear = rng.uniform([batch], -1.0, 1.0) * math.radians(cfg.shear_degrees)
    scale = 1.0 / rng.uniform([batch], 1.0 - cfg.zoom, 1.0 + cfg.zoom)
    shift_x = rng.uniform([batch], -1.0, 1.0) * cfg.shift * size
    shift_y = rng.uniform([batch], -1.0, 1.0) * cfg.shift * size
    cos, sin = ops.cos(angle), ops.sin(angle)
    # A = scale * R(angle) @ Shear(shear); rows (a0, a1), (b0, b1).
    a0 = scale * cos
    a1 = scale * (cos * ops.tan(shear) - sin)
    b0 = scale * sin
    b1 = scale * (sin * ops.tan(shear) + cos)
    centre = (size - 1) / 2.0
    # Rotate/shear/zoom about the centre, then shift.
    a2 = centre - a0 * centre - a1 * centre + shift_x
    b2 = centre - b0 * centre - b1 * centre + shift_y
    zeros = ops.zeros_like(a0)
    return ops.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)


def augment_batch(images, cfg: AugmentConfig = AugmentConfig(), rng: RandomSource | None = None):
    """Randomly transform a batch of (B, H, W, 1) float32 images in 0..255; returns the same shape.

    ``rng`` defaults to :class:`TensorFlowRandom` (the tf.data pipeline)."""
    rng = rng or TensorFlowRandom()
    batch = ops.shape(images)[0]
    size = images.shape[1] or 48
    if cfg.flip:
        flip = rng.uniform([batch, 1, 1, 1]) < 0.5
        images = ops.where(flip, ops.flip(images, axis=2), images)
    images = ops.image.affine_transform(
        images,
        _affine_transforms(batch, size, cfg, rng),
        interpolation="bilinear",
        fill_mode="reflect",
        data_format="channels_last",
    )
    mean = ops.mean(images, axis=(1, 2, 3), keepdims=True)
    contrast = rng.uniform([batch, 1, 1, 1], 1.0 - cfg.contrast, 1.0 + cfg.contrast)
    brightness = rng.uniform([batch, 1, 1, 1], -1.0, 1.0) * cfg.brightness * 255.0
    images = (images - mean) * contrast + mean + brightness
    noisy = ops.cast(rng.uniform([batch, 1, 1, 1]) < cfg.noise_probability, "float32")
    images = images + noisy * rng.normal(ops.shape(images), stddev=cfg.noise_std)
    return ops.clip(images, 0.0, 255.0)


@keras.saving.register_keras_serializable(package="emotune")
class RandomFaceAugment(keras.layers.Layer):
    """:func:`augment_batch` as a layer: active only when ``training``, identity otherwise.

    Placed in front of a network it moves augmentation into the compiled training step, which is
    what keeps an accelerator busy (a host-side pipeline would starve it)."""

    def __init__(
        self, config: AugmentConfig | None = None, seed: int | None = None, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.config = config or AugmentConfig()
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        """Augmented images while training, the input unchanged otherwise."""
        if not training:
            return images
        return augment_batch(images, self.config, SeededRandom(self.seed_generator))

    def compute_output_shape(self, input_shape):
        """Same shape as the input."""
        return input_shape

    def get_config(self) -> dict:
        """Serialisable settings."""
        return {**super().get_config(), "config": asdict(self.config), "seed": self.seed}

    @classmethod
    def from_config(cls, config: dict) -> RandomFaceAugment:
        """Inverse of :meth:`get_config`."""
        settings = dict(config)
        return cls(config=AugmentConfig(**settings.pop("config")), **settings)
