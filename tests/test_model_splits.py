"""Named splits: the tuning split comes from the run that trained the model."""

from __future__ import annotations

import json

import numpy as np
from model_support import write_synthetic_npz

from emotune.training import data as fer
from emotune.training import splits


def test_tune_and_fit_partition_train_and_follow_the_saved_index(tmp_path):
    data = write_synthetic_npz(tmp_path / "tiny.npz", n_train=140)
    train = fer.load_split(data, "train")
    run = tmp_path / "run"
    run.mkdir()
    saved = np.arange(0, len(train), 5)  # deliberately not what tuning_split would pick
    np.save(run / "tune_index.npy", saved)
    tune = splits.load_named_split(data, "tune", run_dir=run)
    fit = splits.load_named_split(data, "fit", run_dir=run)
    assert len(tune) == len(saved) and len(tune) + len(fit) == len(train)
    np.testing.assert_array_equal(tune.faces, train.faces[saved])
    # Without a run folder, the seed decides, reproducibly.
    again = splits.load_named_split(data, "tune", seed=7)
    np.testing.assert_array_equal(
        again.faces, train.faces[fer.tuning_split(train.labels, 0.1, seed=7)[1]]
    )


def test_exported_model_finds_its_run_through_the_sidecar(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    np.save(run / "tune_index.npy", np.arange(3))
    models = tmp_path / "models"
    models.mkdir()
    (models / "emotion.tflite").write_bytes(b"")
    (models / "emotion.json").write_text(json.dumps({"run_dir": str(run)}))
    assert splits.run_dir_of(models / "emotion.tflite") == run
    assert splits.run_dir_of(run / "best.keras") == run
    assert splits.run_dir_of(tmp_path / "elsewhere.keras") is None


def test_has_exact_copy_finds_duplicated_pixels():
    rng = np.random.default_rng(0)
    others = rng.integers(0, 256, size=(5, 48, 48)).astype(np.uint8)
    faces = np.stack([others[2], rng.integers(0, 256, size=(48, 48)).astype(np.uint8)])
    np.testing.assert_array_equal(splits.has_exact_copy(faces, others), [True, False])


def test_tuning_split_keeps_duplicates_of_fit_images_out_of_tuning():
    rng = np.random.default_rng(1)
    labels = np.repeat(np.arange(7), 30)
    faces = rng.integers(0, 256, size=(len(labels), 48, 48)).astype(np.uint8)
    faces[1::2] = faces[0::2]  # every image twice, as FER2013 sometimes has it
    plain_fit, plain_tune = fer.tuning_split(labels, 0.2, seed=3)
    assert splits.has_exact_copy(faces[plain_tune], faces[plain_fit]).any()  # the problem exists
    fit, tune = fer.tuning_split(labels, 0.2, seed=3, faces=faces)
    assert not splits.has_exact_copy(faces[tune], faces[fit]).any()
    assert len(tune) > 0 and sorted(np.concatenate([fit, tune])) == list(range(len(labels)))


def test_a_resumed_run_keeps_the_tuning_rows_it_started_with(tmp_path):
    from emotune.training.run_setup import TrainConfig, tuning_rows

    data = write_synthetic_npz(tmp_path / "tiny.npz", n_train=140)
    train = fer.load_split(data, "train")
    np.save(tmp_path / "tune_index.npy", np.arange(0, len(train), 7))
    fit, tune = tuning_rows(train, TrainConfig(data=str(data)), tmp_path)
    np.testing.assert_array_equal(tune, np.arange(0, len(train), 7))
    assert len(fit) + len(tune) == len(train) and not set(fit) & set(tune)
