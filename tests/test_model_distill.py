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
    logits = keras.layers.Dense(
        7,
        kernel_initializer="zeros",
        bias_initializer=keras.initializers.Constant(np.eye(7)[favourite] * 20.0),
    )(flat)
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
    taught = prepare_run(
        TrainConfig(
            data=str(data),
            out=str(tmp_path / "taught"),
            max_train=32,
            teachers=[teacher],
            teacher_weight=0.5,
        )
    )
    plain.close()
    taught.close()
    np.testing.assert_allclose(
        taught.fit_target, 0.5 * plain.fit_target + 0.5 * np.eye(7)[6], atol=1e-3
    )
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


def test_mixed_loss_blends_labels_with_the_teachers_columns():
    from emotune.training.distill import TeacherMixedCrossEntropy

    student = np.log(np.full((2, 7), 1 / 7, np.float32))
    teacher = np.log(np.eye(7, dtype=np.float32)[[6, 6]] * 0.94 + 0.01)
    y_true = np.eye(7, dtype=np.float32)[[0, 1]]
    y_pred = np.concatenate([student, teacher], axis=1)
    plain = keras.losses.CategoricalCrossentropy(from_logits=True)(y_true, student)
    np.testing.assert_allclose(
        float(TeacherMixedCrossEntropy(0.0)(y_true, y_pred)), float(plain), rtol=1e-5
    )
    # A uniform student is equally far from any one-hot-ish target, so only a shifted student shows
    # which target the loss uses: leaning towards the teacher's class lowers it only when w > 0.
    leaning = y_pred.copy()
    leaning[:, 6] += 2.0
    assert float(TeacherMixedCrossEntropy(0.8)(y_true, leaning)) < float(
        TeacherMixedCrossEntropy(0.8)(y_true, y_pred)
    )
    assert float(TeacherMixedCrossEntropy(0.0)(y_true, leaning)) > float(
        TeacherMixedCrossEntropy(0.0)(y_true, y_pred)
    )
    with pytest.raises(ValueError, match="0..1"):
        TeacherMixedCrossEntropy(-0.1)


def test_teachers_in_the_step_score_the_student_s_view_and_stay_frozen(tmp_path):
    from emotune.training.distill import load_teachers, with_teachers
    from emotune.training.run_setup import compile_for_training

    happy, sad = _biased_teacher(tmp_path, 3, "happy"), _biased_teacher(tmp_path, 5, "sad")
    teachers = load_teachers([happy, sad])
    student = build("compact_vgg_lite")
    trainer = with_teachers(student, teachers, keras.layers.Identity())
    faces = np.random.default_rng(0).integers(0, 256, (4, 48, 48, 1)).astype(np.float32)
    out = np.asarray(trainer(faces, training=False))
    assert out.shape == (4, 14)
    np.testing.assert_allclose(
        out[:, :7], np.asarray(student(faces, training=False)), rtol=1e-4, atol=1e-4
    )
    np.testing.assert_allclose(
        np.exp(out[:, 7:])[:, [3, 5]], 0.5, atol=1e-3
    )  # mean of the two teachers
    frozen = [w.copy() for t in teachers for w in t.get_weights()]
    before = [w.copy() for w in student.get_weights()]
    compile_for_training(trainer, 1e-2, teacher_weight=0.5)
    trainer.fit(faces, np.eye(7, dtype=np.float32)[[0, 1, 2, 4]], epochs=1, batch_size=4, verbose=0)
    for old, new in zip(frozen, [w for t in teachers for w in t.get_weights()], strict=True):
        np.testing.assert_array_equal(old, new)
    assert any(not np.array_equal(a, b) for a, b in zip(before, student.get_weights(), strict=True))
    with pytest.raises(FileNotFoundError, match="gone.keras"):
        load_teachers([str(tmp_path / "gone.keras")])
