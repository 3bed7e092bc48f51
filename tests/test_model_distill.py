"""Distillation: teachers' mean probabilities mixed into the fit targets, and starting a network
from another model's weights."""

from __future__ import annotations

import numpy as np
import pytest
from model_support import write_synthetic_npz

pytest.importorskip("tensorflow")

import keras  # noqa: E402

from emotune.training.architectures import build  # noqa: E402
from emotune.training.distill import copy_weights, mix_targets, teacher_probabilities  # noqa: E402
from emotune.training.run_setup import TrainConfig, prepare_run  # noqa: E402


def _save(model: keras.Model, path) -> str:
    model.save(path)
    return str(path)


def _biased_teacher(tmp_path, favourite: int, name: str) -> str:
    """A 'network' that always puts almost all its probability on one class."""
    inputs = keras.Input((48, 48, 1))
    flat = keras.layers.Flatten()(inputs)
    logits = keras.layers.Dense(7, kernel_initializer="zeros", bias_initializer=keras.initializers.Constant(np.eye(7)[favourite] * 20.0))(flat)
    return _save(keras.Model(inputs, logits), tmp_path / f"{name}.keras")


def test_teacher_probabilities_average_the_teachers(tmp_path):
    faces = np.zeros((3, 48, 48), np.uint8)
    happy, sad = _biased_teacher(tmp_path, 3, "happy"), _biased_teacher(tmp_path, 5, "sad")
    probs = teacher_probabilities([happy, sad], faces)
    assert probs.shape == (3, 7)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(probs[:, 3], 0.5, atol=1e-3)
    np.testing.assert_allclose(probs[:, 5], 0.5, atol=1e-3)


def test_teacher_problems_are_reported(tmp_path):
    with pytest.raises(ValueError, match="no teacher"):
        teacher_probabilities([], np.zeros((1, 48, 48), np.uint8))
    with pytest.raises(FileNotFoundError, match="missing.keras"):
        teacher_probabilities([str(tmp_path / "missing.keras")], np.zeros((1, 48, 48), np.uint8))


def test_mix_targets_weights_and_validates():
    target = np.eye(7, dtype=np.float32)[[0, 1]]
    teacher = np.full((2, 7), 1 / 7, dtype=np.float32)
    mixed = mix_targets(target, teacher, 0.25)
    np.testing.assert_allclose(mixed[0, 0], 0.75 + 0.25 / 7, rtol=1e-6)
    np.testing.assert_allclose(mixed.sum(axis=1), 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match="0..1"):
        mix_targets(target, teacher, 1.5)
    with pytest.raises(ValueError, match="shape"):
        mix_targets(target, teacher[:1], 0.5)


def test_prepare_run_mixes_teacher_probabilities_into_fit_targets_only(tmp_path):
    data = write_synthetic_npz(tmp_path / "tiny.npz", n_train=140)
    teacher = _biased_teacher(tmp_path, 6, "surprise")
    plain = prepare_run(TrainConfig(data=str(data), out=str(tmp_path / "plain"), max_train=32))
    taught = prepare_run(TrainConfig(data=str(data), out=str(tmp_path / "taught"), max_train=32, teachers=[teacher], teacher_weight=0.5))
    plain.close()
    taught.close()
    np.testing.assert_allclose(taught.fit_target, 0.5 * plain.fit_target + 0.5 * np.eye(7)[6], atol=1e-3)
    np.testing.assert_array_equal(taught.tune_target, plain.tune_target)  # tuning stays held out
    assert "distilling from 1 teacher" in (tmp_path / "taught" / "train.log").read_text()


def test_copy_weights_starts_from_another_model_and_refuses_other_architectures(tmp_path):
    source = build("compact_vgg_lite")
    path = _save(source, tmp_path / "lite.keras")
    fresh = build("compact_vgg_lite")
    copy_weights(fresh, path)
    for mine, theirs in zip(fresh.get_weights(), source.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    with pytest.raises(ValueError, match="do not fit"):
        copy_weights(build("compact_vgg_sep"), path)
