"""On-the-fly augmentation as in the seed study: shift, rotate, shear, zoom, horizontal flip,
brightness/contrast and noise. Works on whole batches of float images (B, 48, 48, 1) in 0..255.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import tensorflow as tf


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


def _affine_transforms(batch: int, size: int, cfg: AugmentConfig) -> tf.Tensor:
    """Per-image projective transforms (B, 8) mapping output pixels to input pixels."""
    angle = tf.random.uniform([batch], -1.0, 1.0) * math.radians(cfg.rotate_degrees)
    shear = tf.random.uniform([batch], -1.0, 1.0) * math.radians(cfg.shear_degrees)
    scale = 1.0 / tf.random.uniform([batch], 1.0 - cfg.zoom, 1.0 + cfg.zoom)
    shift_x = tf.random.uniform([batch], -1.0, 1.0) * cfg.shift * size
    shift_y = tf.random.uniform([batch], -1.0, 1.0) * cfg.shift * size
    cos, sin = tf.cos(angle), tf.sin(angle)
    # A = scale * R(angle) @ Shear(shear); rows (a0, a1), (b0, b1).
    a0 = scale * cos
    a1 = scale * (cos * tf.tan(shear) - sin)
    b0 = scale * sin
    b1 = scale * (sin * tf.tan(shear) + cos)
    centre = (size - 1) / 2.0
    # Rotate/shear/zoom about the centre, then shift.
    a2 = centre - a0 * centre - a1 * centre + shift_x
    b2 = centre - b0 * centre - b1 * centre + shift_y
    zeros = tf.zeros([batch])
    return tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)


def augment_batch(images: tf.Tensor, cfg: AugmentConfig = AugmentConfig()) -> tf.Tensor:
    """Randomly transform a batch of (B, H, W, 1) float32 images in 0..255; returns the same shape."""
    batch = tf.shape(images)[0]
    size = images.shape[1] or 48
    if cfg.flip:
        flip = tf.random.uniform([batch, 1, 1, 1]) < 0.5
        images = tf.where(flip, tf.reverse(images, axis=[2]), images)
    images = tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=_affine_transforms(batch, size, cfg),
        output_shape=tf.shape(images)[1:3],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="REFLECT",
    )
    mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    contrast = tf.random.uniform([batch, 1, 1, 1], 1.0 - cfg.contrast, 1.0 + cfg.contrast)
    brightness = tf.random.uniform([batch, 1, 1, 1], -1.0, 1.0) * cfg.brightness * 255.0
    images = (images - mean) * contrast + mean + brightness
    noisy = tf.cast(tf.random.uniform([batch, 1, 1, 1]) < cfg.noise_probability, tf.float32)
    images = images + noisy * tf.random.normal(tf.shape(images), stddev=cfg.noise_std)
    return tf.clip_by_value(images, 0.0, 255.0)
