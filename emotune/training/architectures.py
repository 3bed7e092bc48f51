"""Model builders. Every builder returns an uncompiled Keras model with random weights
(weights=None), input (48, 48, 1) float pixels in 0..255, and 7 output logits.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
from keras import layers

from emotune.emotions import NUM_CLASSES
from emotune.vision.preprocess import FACE_SIZE

INPUT_SHAPE = (FACE_SIZE, FACE_SIZE, 1)


def _conv_bn(x, filters: int, kernel: int = 3, strides: int = 1, separable: bool = False):
    conv = layers.SeparableConv2D if separable else layers.Conv2D
    x = conv(filters, kernel, strides=strides, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


def _head(x, dropout: float, name: str):
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(dropout)(x)
    return layers.Dense(NUM_CLASSES, name="logits")(x)


def compact_vgg(
    stem: int = 32,
    widths: tuple[int, ...] = (48, 96, 192),
    dropout: float = 0.4,
    separable_after: int | None = None,
) -> keras.Model:
    """VGG-style net with BatchNorm: a 3x3 stem, a strided 3x3 conv to 24x24, then stages of two
    3x3 convs (widths 48, 96, 192 at 24, 12 and 6 pixels) and global average pooling.

    Only the stem runs at full 48x48 resolution: that keeps the multiply-adds, and so the runtime
    latency, low (about 1.5 ms float on one core) while the later stages carry the capacity.
    With ``separable_after`` = k, the second conv of every stage after stage k is depthwise
    separable (about 9x fewer multiply-adds there).
    """
    inputs = keras.Input(INPUT_SHAPE, name="face")
    x = layers.Rescaling(1.0 / 255.0)(inputs)
    x = _conv_bn(x, stem)
    x = _conv_bn(x, stem, strides=2)  # 24x24
    for index, width in enumerate(widths):
        x = _conv_bn(x, width)
        x = _conv_bn(x, width, separable=separable_after is not None and index > separable_after)
        if index < len(widths) - 1:
            x = layers.MaxPooling2D()(x)  # 12x12, 6x6
    outputs = _head(x, dropout, "compact_vgg")
    return keras.Model(inputs, outputs, name="compact_vgg")


def compact_vgg_fast(dropout: float = 0.4) -> keras.Model:
    """:func:`compact_vgg` with a 16-channel stem and 32 channels at 24x24.

    The full- and half-resolution layers cost most of the multiply-adds but carry the least
    capacity, so thinning only them cuts one-face latency by about a third (0.88 vs 1.28 ms
    LiteRT, one thread) while the 96/192-wide later stages keep ~94% of the parameters.
    """
    model = compact_vgg(stem=16, widths=(32, 96, 192), dropout=dropout)
    return keras.Model(model.inputs, model.outputs, name="compact_vgg_fast")


def compact_vgg_lite(dropout: float = 0.4) -> keras.Model:
    """:func:`compact_vgg` at stem 16 and widths 24/64/160: the 12x12 and 6x6 stages hold most
    of the multiply-adds, so narrowing them (more than the last) makes one-face inference about
    35% faster than :func:`compact_vgg_fast` (0.66 vs 1.03 ms dynamic-quantized, one core,
    untrained) with 388k parameters."""
    model = compact_vgg(stem=16, widths=(24, 64, 160), dropout=dropout)
    return keras.Model(model.inputs, model.outputs, name="compact_vgg_lite")


def compact_vgg_sep(dropout: float = 0.4) -> keras.Model:
    """:func:`compact_vgg_fast` with the second conv of the 12x12 and 6x6 stages depthwise
    separable: about as fast as :func:`compact_vgg_lite` (0.65 ms) with 263k parameters."""
    model = compact_vgg(stem=16, widths=(32, 96, 192), dropout=dropout, separable_after=0)
    return keras.Model(model.inputs, model.outputs, name="compact_vgg_sep")


def vgg_teacher(dropout: float = 0.5) -> keras.Model:
    """:func:`compact_vgg` at stem 64 and widths 128/256/512 (about 5M parameters, ten times the
    multiply-adds of :func:`compact_vgg_fast`): a teacher for distillation, trained on a GPU.
    Far too slow for the 1 ms runtime budget on a laptop CPU; never shipped."""
    model = compact_vgg(stem=64, widths=(128, 256, 512), dropout=dropout)
    return keras.Model(model.inputs, model.outputs, name="vgg_teacher")


def small_resnet(width: int = 32, dropout: float = 0.3) -> keras.Model:
    """A ResNet-style net: strided stem, then residual stages of widths w, 2w, 4w, 8w."""
    inputs = keras.Input(INPUT_SHAPE, name="face")
    x = layers.Rescaling(1.0 / 255.0)(inputs)
    x = _conv_bn(x, width)
    for stage, multiplier in enumerate((1, 2, 4, 8)):
        filters = width * multiplier
        strides = 1 if stage == 0 else 2
        shortcut = x
        y = _conv_bn(x, filters, strides=strides)
        y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
        y = layers.BatchNormalization()(y)
        if strides != 1 or shortcut.shape[-1] != filters:
            shortcut = layers.Conv2D(filters, 1, strides=strides, use_bias=False)(shortcut)
            shortcut = layers.BatchNormalization()(shortcut)
        x = layers.ReLU()(layers.Add()([y, shortcut]))
    outputs = _head(x, dropout, "small_resnet")
    return keras.Model(inputs, outputs, name=f"small_resnet_w{width}")


def mini_xception(dropout: float = 0.0) -> keras.Model:
    """The mini-Xception of Arriaga et al. (2017), the architecture behind the ``fer`` package."""
    inputs = keras.Input(INPUT_SHAPE, name="face")
    x = layers.Rescaling(1.0 / 255.0)(inputs)
    x = _conv_bn(x, 8)
    x = _conv_bn(x, 8)
    for filters in (16, 32, 64, 128):
        residual = layers.Conv2D(filters, 1, strides=2, padding="same", use_bias=False)(x)
        residual = layers.BatchNormalization()(residual)
        x = _conv_bn(x, filters, separable=True)
        x = layers.SeparableConv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        x = layers.Add()([x, residual])
    outputs = _head(x, dropout, "mini_xception")
    return keras.Model(inputs, outputs, name="mini_xception")


def mobilenet(alpha: float = 0.5, dropout: float = 0.3) -> keras.Model:
    """The seed study's recipe: Keras MobileNet (v1) from scratch, on 48x48 grayscale input.

    The seed fine-tuned ImageNet weights on RGB; here weights=None, so one input channel works.
    """
    inputs = keras.Input(INPUT_SHAPE, name="face")
    x = layers.Rescaling(1.0 / 127.5, offset=-1.0)(inputs)
    backbone = keras.applications.MobileNet(
        input_shape=INPUT_SHAPE, alpha=alpha, include_top=False, weights=None, pooling=None
    )
    x = backbone(x)
    outputs = _head(x, dropout, "mobilenet")
    return keras.Model(inputs, outputs, name=f"mobilenet_a{alpha}")


ARCHITECTURES: dict[str, Callable[[], keras.Model]] = {
    "compact_vgg": compact_vgg,
    "compact_vgg_wide": lambda: compact_vgg(stem=32, widths=(64, 128, 256)),
    "compact_vgg_fast": compact_vgg_fast,
    "compact_vgg_lite": compact_vgg_lite,
    "compact_vgg_sep": compact_vgg_sep,
    "vgg_teacher": vgg_teacher,
    "small_resnet": small_resnet,
    "mini_xception": mini_xception,
    "mobilenet": mobilenet,
}


def build(name: str) -> keras.Model:
    """Build an architecture by name; raises ValueError listing the known names."""
    try:
        builder = ARCHITECTURES[name]
    except KeyError:
        raise ValueError(
            f"unknown architecture {name!r}; choose from {sorted(ARCHITECTURES)}"
        ) from None
    return builder()
