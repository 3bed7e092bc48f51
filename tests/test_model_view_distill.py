"""Distillation on stored augmented views: the views, their teacher targets (and the cache that
lets a resumed run skip the teachers), the per-epoch batches, and a tiny end-to-end run."""

from __future__ import annotations

import numpy as np
import pytest
from model_support import write_synthetic_npz

pytest.importorskip("tensorflow")

import keras  # noqa: E402

from emotune.training import view_distill  # noqa: E402
from emotune.training.view_distill import (  # noqa: E402
    ViewBatches,
    augmented_views,
    cached_view_targets,
    view_targets,
)


def _faces(count: int = 5) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (count, 48, 48), dtype=np.uint8)


def _brightness_teacher(tmp_path) -> str:
    """A 'network' whose belief in class 0 grows with the mean grey level, so its targets differ
    from view to view."""
    inputs = keras.Input((48, 48, 1))
    mean = keras.layers.GlobalAveragePooling2D()(inputs)
    logits = keras.layers.Dense(
        7,
        kernel_initializer=keras.initializers.Constant(np.eye(7)[0][None] / 20.0),
        bias_initializer="zeros",
    )(mean)
    path = tmp_path / "bright.keras"
    keras.Model(inputs, logits).save(path)
    return str(path)


def test_views_are_reproducible_augmentations_of_each_face():
    faces = _faces()
    views = augmented_views(faces, 3, seed=7)
    assert views.shape == (5, 3, 48, 48) and views.dtype == np.uint8
    np.testing.assert_array_equal(views, augmented_views(faces, 3, seed=7))
    assert not np.array_equal(views, augmented_views(faces, 3, seed=8))
    assert not np.array_equal(views[:, 0], views[:, 1])  # each view is its own draw
    assert not np.array_equal(views[:, 0], faces)
    with pytest.raises(ValueError, match="at least one view"):
        augmented_views(faces, 0)


def test_view_targets_mix_labels_with_the_teachers_opinion_of_each_view(tmp_path):
    teacher = _brightness_teacher(tmp_path)
    views = np.stack(
        [np.full((2, 48, 48), 20, np.uint8), np.full((2, 48, 48), 240, np.uint8)], axis=1
    )
    labels = np.eye(7, dtype=np.float32)[[3, 5]]
    targets = view_targets(views, labels, [teacher], teacher_weight=0.5)
    assert targets.shape == (2, 2, 7)
    np.testing.assert_allclose(targets.sum(axis=2), 1.0, atol=1e-5)
    np.testing.assert_allclose(targets[0, :, 3], 0.5 + targets[0, :, 5], atol=1e-5)  # label half
    assert targets[0, 1, 0] > targets[0, 0, 0]  # the brighter view looks more like class 0


def test_cached_targets_skip_the_teachers_until_the_teachers_change(tmp_path, monkeypatch):
    teacher = _brightness_teacher(tmp_path)
    views = augmented_views(_faces(4), 2, seed=1)
    labels = np.eye(7, dtype=np.float32)[[0, 1, 2, 3]]
    cache = tmp_path / "view_targets.npy"
    first = cached_view_targets(views, labels, [teacher], 0.5, cache, log=lambda _m: None)
    calls = []
    monkeypatch.setattr(view_distill, "view_targets", lambda *a: calls.append(a) or first)
    messages = []
    again = cached_view_targets(views, labels, [teacher], 0.5, cache, log=messages.append)
    np.testing.assert_array_equal(again, first)
    assert not calls and "from" in messages[0]
    cached_view_targets(views, labels, [teacher], 0.7, cache, log=lambda _m: None)
    assert len(calls) == 1  # another weight is another set of targets


def test_view_batches_draw_one_stored_view_per_face_each_epoch():
    views = augmented_views(_faces(8), 3, seed=2)
    targets = np.zeros((8, 3, 7), np.float32)
    targets[:, :, 0] = np.arange(8)[:, None] * 10 + np.arange(3)[None]  # encodes (face, view)
    weights = np.arange(8, dtype=np.float32)
    batches = ViewBatches(views, targets, weights, batch_size=4, seed=0)
    assert len(batches) == 2
    seen = set()
    for _epoch in range(6):
        for index in range(len(batches)):
            x, y, w = batches[index]
            assert x.shape == (4, 48, 48, 1) and x.dtype == np.float32
            for image, target, weight in zip(x, y, w, strict=True):
                face, view = divmod(int(target[0]), 10)
                np.testing.assert_array_equal(image[..., 0], views[face, view])
                assert weight == face
                seen.add((face, view))
        batches.on_epoch_end()
    assert len({face for face, _ in seen}) == 8
    assert len({view for _, view in seen}) == 3  # views change between epochs
    with pytest.raises(ValueError, match="do not match"):
        ViewBatches(views, targets[:4], weights)


@pytest.mark.slow
def test_training_on_teacher_views_runs_and_logs_it(tmp_path):
    from emotune.training.train import TrainConfig, train

    data = write_synthetic_npz(tmp_path / "tiny.npz", n_train=140)
    out = tmp_path / "run"
    config = TrainConfig(
        data=str(data),
        out=str(out),
        epochs=1,
        batch_size=32,
        max_train=64,
        teachers=[_brightness_teacher(tmp_path)],
        teacher_views=2,
    )
    train(config, verbose=0)
    log = (out / "train.log").read_text()
    assert "distilling on 2 views per face" in log and "epoch 1:" in log
    assert np.load(out / "view_targets.npy").shape == (64, 2, 7)
    assert (out / "best.keras").is_file()
