"""Knowledge distillation: soft targets from larger (or several) trained networks.

The teachers' averaged class probabilities on the *fit* rows are mixed into the training targets.
An ensemble of several networks is more accurate than any one of them (on the tuning split,
six GPU-trained candidates together beat the best single one by about 1.5 points), and a small
network trained towards that ensemble keeps part of the gain at its own runtime cost. Teachers
must have been trained on the same fit rows, never on the tuning rows, or the tuning split
stops being held out.

On an accelerator the teachers can instead run inside every training step, on the same augmented
batch the student sees (:func:`with_teachers`, :class:`TeacherMixedCrossEntropy`): a fresh view
each step, at the cost of the teachers' forward passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np
from keras import ops

from emotune.emotions import NUM_CLASSES
from emotune.training.calibrate import softmax
from emotune.vision.preprocess import to_model_input


def teacher_probabilities(
    teachers: Sequence[str | Path], faces: np.ndarray, batch_size: int = 512
) -> np.ndarray:
    """Mean softmax (N, 7) of the ``.keras`` teachers (which output logits) on uint8 ``faces``."""
    x = to_model_input(faces)
    total = np.zeros((len(x), NUM_CLASSES), dtype=np.float64)
    for path, model in zip(teachers, load_teachers(teachers), strict=True):
        logits = np.asarray(model.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64)
        if logits.shape != total.shape:
            raise ValueError(
                f"teacher {path} gives outputs of shape {logits.shape}, expected {total.shape}"
            )
        total += softmax(logits)
    return (total / len(teachers)).astype(np.float32)


def mix_targets(target: np.ndarray, teacher: np.ndarray, teacher_weight: float) -> np.ndarray:
    """``(1 - w) * target + w * teacher``; rows still sum to what ``target``'s rows sum to (1)."""
    if not 0.0 <= teacher_weight <= 1.0:
        raise ValueError(f"teacher weight must be within 0..1, got {teacher_weight}")
    if target.shape != teacher.shape:
        raise ValueError(
            f"targets {target.shape} and teacher probabilities {teacher.shape} differ in shape"
        )
    return ((1.0 - teacher_weight) * target + teacher_weight * teacher).astype(np.float32)


def copy_weights(model: keras.Model, source: str | Path) -> None:
    """Start ``model`` from the weights of the ``.keras`` file ``source`` (same architecture)."""
    donor = keras.models.load_model(source, compile=False)
    mine, theirs = [w.shape for w in model.weights], [w.shape for w in donor.weights]
    if mine != theirs:
        raise ValueError(f"{source} is a {donor.name} model; its weights do not fit {model.name}")
    model.set_weights(donor.get_weights())


def load_teachers(teachers: Sequence[str | Path]) -> list[keras.Model]:
    """The ``.keras`` teachers, frozen."""
    if not teachers:
        raise ValueError("no teacher models given")
    models = []
    for index, path in enumerate(teachers):
        if not Path(path).is_file():
            raise FileNotFoundError(f"teacher model {path} not found")
        model = keras.models.load_model(path, compile=False)
        model.trainable = False
        model.name = f"teacher_{index}"  # two runs of one architecture share a name
        models.append(model)
    return models


def with_teachers(
    student: keras.Model, teachers: Sequence[keras.Model], front: keras.layers.Layer
) -> keras.Model:
    """A training model: ``front`` (e.g. the augmentation layer), then the student's logits
    side by side with the log of the teachers' mean probabilities, both on the same batch
    (N, 14). Fit it with :class:`TeacherMixedCrossEntropy`; ship ``student`` alone."""
    inputs = keras.Input(student.input_shape[1:], name="face")
    view = front(inputs)
    # training=False: the teachers' dropout and batch statistics stay in inference mode.
    probabilities = [
        keras.layers.Softmax()(_single(teacher(view, training=False))) for teacher in teachers
    ]
    mean = probabilities[0] if len(probabilities) == 1 else keras.layers.Average()(probabilities)
    teacher_logits = keras.layers.Lambda(lambda p: ops.log(ops.maximum(p, 1e-7)))(mean)
    return keras.Model(
        inputs,
        keras.layers.Concatenate()([_single(student(view)), teacher_logits]),
        name=f"{student.name}_distilling",
    )


def _single(outputs):
    """The one output tensor of a model call (functional models may return it in a list)."""
    flat = keras.tree.flatten(outputs)
    if len(flat) != 1:
        raise ValueError(f"expected a model with one output, got {len(flat)}")
    return flat[0]


@keras.saving.register_keras_serializable(package="emotune")
class TeacherMixedCrossEntropy(keras.losses.Loss):
    """Cross-entropy of the student's logits (first 7 columns of ``y_pred``) against
    ``(1 - w) * y_true + w * teacher`` (the softmax of the last 7 columns, which get no gradient)."""

    def __init__(
        self, teacher_weight: float = 0.5, name: str = "teacher_mixed_crossentropy", **kwargs
    ) -> None:
        super().__init__(name=name, **kwargs)
        if not 0.0 <= teacher_weight <= 1.0:
            raise ValueError(f"teacher weight must be within 0..1, got {teacher_weight}")
        self.teacher_weight = teacher_weight

    def call(self, y_true, y_pred):
        """Per-sample loss."""
        student, teacher = y_pred[:, :NUM_CLASSES], y_pred[:, NUM_CLASSES:]
        teacher = ops.stop_gradient(ops.softmax(teacher, axis=-1))
        target = (1.0 - self.teacher_weight) * ops.cast(
            y_true, student.dtype
        ) + self.teacher_weight * teacher
        return keras.losses.categorical_crossentropy(target, student, from_logits=True)

    def get_config(self) -> dict:
        """Serialisable settings."""
        return {**super().get_config(), "teacher_weight": self.teacher_weight}


def student_accuracy(y_true, y_pred):
    """Accuracy of the student's columns of a :func:`with_teachers` output."""
    return keras.metrics.categorical_accuracy(y_true, y_pred[:, :NUM_CLASSES])
