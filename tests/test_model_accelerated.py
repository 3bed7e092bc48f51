"""The accelerator trainer (Keras on any backend, time-boxed), its augmentation layer, and the
data pack that carries the training set to a lent GPU machine."""

from __future__ import annotations

import json

import numpy as np
import pytest
from model_support import write_synthetic_npz

pytest.importorskip("tensorflow")

import keras  # noqa: E402

from emotune.training.accelerated import TimeBudget, train_time_boxed, with_augmentation  # noqa: E402
from emotune.training.architectures import build  # noqa: E402
from emotune.training.augment import AugmentConfig, RandomFaceAugment  # noqa: E402
from emotune.training.datapack import pack, unpack  # noqa: E402
from emotune.training.run_setup import TrainConfig  # noqa: E402


def _faces(n: int = 8, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, 48, 48, 1)).astype(np.float32)


def test_augment_layer_is_identity_outside_training_and_random_inside():
    layer = RandomFaceAugment(seed=5)
    faces = _faces()
    np.testing.assert_array_equal(np.asarray(layer(faces, training=False)), faces)
    first, second = np.asarray(layer(faces, training=True)), np.asarray(layer(faces, training=True))
    assert first.shape == faces.shape
    assert first.min() >= 0.0 and first.max() <= 255.0
    assert not np.allclose(first, faces)
    assert not np.allclose(first, second)  # fresh draws on every call


def test_augment_layer_survives_a_save_and_load(tmp_path):
    config = AugmentConfig(rotate_degrees=7.0, flip=False)
    model = keras.Sequential([keras.Input((48, 48, 1)), RandomFaceAugment(config, seed=2)])
    model.save(tmp_path / "aug.keras")
    loaded = keras.models.load_model(tmp_path / "aug.keras")
    assert loaded.layers[0].config == config


def test_training_wrapper_shares_weights_with_the_network_it_wraps():
    network = build("compact_vgg_fast")
    trainer = with_augmentation(network, seed=1)
    faces = _faces(2)
    # At inference the augmentation layer is inert, so both give the same logits.
    np.testing.assert_allclose(
        np.asarray(trainer(faces, training=False)),
        np.asarray(network(faces, training=False)),
        rtol=1e-5,
        atol=1e-5,
    )
    assert {id(w) for w in network.weights} <= {id(w) for w in trainer.weights}


class _FakeOptimizer:
    learning_rate = 0.0


class _FakeModel:
    def __init__(self) -> None:
        self.optimizer, self.stop_training = _FakeOptimizer(), False


def test_time_budget_follows_a_cosine_over_wall_time_and_stops_at_the_end():
    now = [0.0]
    budget = TimeBudget(100.0, 1e-3, clock=lambda: now[0])
    budget.set_model(_FakeModel())
    budget.on_train_begin()
    budget.on_epoch_begin(0)
    assert budget.model.optimizer.learning_rate == pytest.approx(1e-3)
    now[0] = 50.0
    budget.on_epoch_begin(1)
    assert budget.model.optimizer.learning_rate == pytest.approx((1e-3 + 1e-5) / 2)
    budget.on_epoch_end(1)
    assert budget.model.stop_training is False
    now[0] = 101.0
    budget.on_epoch_end(2)
    assert budget.model.stop_training is True


@pytest.mark.slow
def test_time_boxed_run_writes_a_network_the_cpu_tools_can_load(tmp_path):
    data = write_synthetic_npz(tmp_path / "tiny.npz", n_train=140)
    out = tmp_path / "run"
    config = TrainConfig(
        data=str(data),
        out=str(out),
        arch="compact_vgg_fast",
        epochs=2,
        batch_size=32,
        max_train=64,
        seed=3,
    )
    train_time_boxed(config, budget_s=3600.0, steps_per_execution=1, verbose=0)
    for name in (
        "best.keras",
        "last.keras",
        "history.csv",
        "config.json",
        "train.log",
        "tune_index.npy",
        "summary.json",
    ):
        assert (out / name).is_file(), name
    saved = json.loads((out / "config.json").read_text())
    assert saved["schedule"] == "cosine-time" and saved["extra"]["time_budget_s"] == 3600.0
    assert "epoch 2:" in (out / "train.log").read_text()  # the epoch cap ends it before the budget
    best = keras.models.load_model(out / "best.keras")
    assert [
        layer.name for layer in best.layers if isinstance(layer, RandomFaceAugment)
    ] == []  # ships bare
    assert best.output_shape == (None, 7)
    assert (
        keras.models.load_model(out / "last.keras").optimizer is not None
    )  # --resume can continue it


def test_data_pack_restores_the_exact_arrays(tmp_path):
    source = write_synthetic_npz(tmp_path / "tiny.npz", n_train=40, n_val=10)
    size = pack(source, tmp_path / "tiny.pack.npz")
    assert size == (tmp_path / "tiny.pack.npz").stat().st_size
    unpack(tmp_path / "tiny.pack.npz", tmp_path / "restored.npz")
    with np.load(source) as original, np.load(tmp_path / "restored.npz") as restored:
        assert sorted(restored.files) == sorted(
            key for key in original.files if key.endswith("_train")
        )
        for key in restored.files:
            np.testing.assert_array_equal(restored[key], original[key])


def test_data_pack_refuses_pixels_that_do_not_match_their_digest(tmp_path):
    source = write_synthetic_npz(tmp_path / "tiny.npz", n_train=20, n_val=5)
    pack(source, tmp_path / "tiny.pack.npz")
    with np.load(tmp_path / "tiny.pack.npz") as packed:
        arrays = {key: packed[key] for key in packed.files}
    arrays["digest_x_train"] = np.array("0" * 32)
    np.savez(tmp_path / "tampered.npz", **arrays)
    with pytest.raises(ValueError, match="did not decode"):
        unpack(tmp_path / "tampered.npz", tmp_path / "restored.npz")


@pytest.mark.slow
def test_time_boxed_run_distils_in_the_step_and_ships_only_the_student(tmp_path):
    teacher = build("compact_vgg_lite")
    teacher.save(tmp_path / "teacher.keras")
    data = write_synthetic_npz(tmp_path / "tiny.npz", n_train=140)
    out = tmp_path / "run"
    config = TrainConfig(
        data=str(data),
        out=str(out),
        arch="compact_vgg_lite",
        epochs=1,
        batch_size=32,
        max_train=64,
        teachers=[str(tmp_path / "teacher.keras")],
        teacher_weight=0.6,
    )
    train_time_boxed(config, budget_s=3600.0, steps_per_execution=1, verbose=0)
    log = (out / "train.log").read_text()
    assert "in the step, weight 0.6" in log and "epoch 1:" in log
    assert "distilling from 1 teacher(s) at weight" not in log  # not also mixed on the plain faces
    best = keras.models.load_model(out / "best.keras")
    assert best.output_shape == (None, 7)
    assert not any(layer.name.startswith("teacher") for layer in best.layers)
