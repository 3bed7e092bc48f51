"""Architectures, a tiny training run, and the preprocessing shared by training and runtime."""

from __future__ import annotations

import json

import numpy as np
import pytest
from model_support import write_synthetic_npz

pytest.importorskip("tensorflow")

from emotune.training.architectures import ARCHITECTURES, build  # noqa: E402
from emotune.vision.preprocess import preprocess, to_model_input  # noqa: E402


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_every_architecture_maps_faces_to_seven_logits(name):
    model = build(name)
    assert tuple(model.input_shape) == (None, 48, 48, 1)
    assert tuple(model.output_shape) == (None, 7)
    out = np.asarray(model(np.zeros((2, 48, 48, 1), np.float32), training=False))
    assert out.shape == (2, 7)
    assert np.all(np.isfinite(out))


def test_unknown_architecture_lists_the_known_ones():
    with pytest.raises(ValueError, match="compact_vgg"):
        build("resnet152")


@pytest.mark.slow
def test_two_step_training_run_writes_checkpoints_and_resumes(tmp_path):
    from emotune.training.train import TrainConfig, train

    data = write_synthetic_npz(tmp_path / "tiny.npz", n_train=140)
    out = tmp_path / "run"
    # 64 training rows at batch 32 with drop_remainder: exactly two steps per epoch.
    config = TrainConfig(
        data=str(data), out=str(out), epochs=1, batch_size=32, max_train=64, seed=3
    )
    train(config, verbose=0)
    for name in (
        "best.keras",
        "last.keras",
        "state.json",
        "history.csv",
        "config.json",
        "train.log",
        "tune_index.npy",
    ):
        assert (out / name).is_file(), name
    assert json.loads((out / "state.json").read_text())["epoch"] == 1
    assert not list(out.glob(".*.tmp.keras")) and not list(out.glob("*.tmp"))  # saved via rename
    assert "epoch 1:" in (out / "train.log").read_text()

    config.epochs = 2
    train(config, resume=str(out), verbose=0)
    assert json.loads((out / "state.json").read_text())["epoch"] == 2
    assert "resumed from" in (out / "train.log").read_text()


def test_cosine_schedule_decays_from_the_rate_to_one_percent_over_the_run():
    from emotune.training.train import TrainConfig, cosine_learning_rate

    config = TrainConfig(data="unused.npz", epochs=11, learning_rate=1e-3, schedule="cosine")
    rates = [cosine_learning_rate(epoch, config) for epoch in range(config.epochs)]
    assert rates[0] == pytest.approx(1e-3)
    assert rates[5] == pytest.approx((1e-3 + 1e-5) / 2)
    assert rates[-1] == pytest.approx(1e-5)
    assert all(later < earlier for earlier, later in zip(rates, rates[1:], strict=False))
    # A resumed run past the planned end stays at the floor instead of climbing again.
    assert cosine_learning_rate(20, config) == pytest.approx(1e-5)


def test_unknown_schedule_is_refused():
    from emotune.training.train import TrainConfig, learning_rate_schedule

    with pytest.raises(ValueError, match="cosine"):
        learning_rate_schedule(TrainConfig(data="unused.npz", schedule="step"))


def test_training_pipeline_feeds_the_network_what_the_runtime_feeds_it():
    # The same faces must reach the network identically through tf.data (training/eval) and
    # through the runtime classifier; both go through to_model_input.
    from emotune.training.pipeline import make_dataset

    faces = np.random.default_rng(0).integers(0, 256, size=(6, 48, 48)).astype(np.uint8)
    batch_x, _ = next(iter(make_dataset(faces, np.zeros((6, 7), np.float32), batch_size=6)))
    np.testing.assert_array_equal(batch_x.numpy(), to_model_input(faces))


class _RecordingInterpreter:
    """Stands in for a TFLite interpreter and records what the classifier feeds it."""

    def __init__(self) -> None:
        self.fed: list[np.ndarray] = []

    def get_input_details(self):
        return [
            {
                "index": 0,
                "shape": np.array([1, 48, 48, 1]),
                "dtype": np.float32,
                "quantization": (0.0, 0),
            }
        ]

    def get_output_details(self):
        return [{"index": 1, "name": "logits", "shape": np.array([1, 7]), "quantization": (0.0, 0)}]

    def get_signature_runner(self):
        raise ValueError("no signatures")

    def set_tensor(self, index, value):
        self.fed.append(np.array(value))

    def invoke(self):
        pass

    def get_tensor(self, index):
        return np.zeros((len(self.fed[-1]), 7), np.float32)


def test_classifier_feeds_the_shared_model_input():
    from pathlib import Path

    from emotune.vision.classifier import EmotionClassifier, ModelMetadata

    interpreter = _RecordingInterpreter()
    classifier = EmotionClassifier(
        interpreter, ModelMetadata.from_dict({}), Path("fake.tflite"), "fake"
    )
    # A colour camera crop of another size goes through the one shared preprocess.
    crop = np.random.default_rng(1).integers(0, 256, size=(96, 80, 3)).astype(np.uint8)
    face = preprocess(crop)
    classifier.predict(face)
    np.testing.assert_array_equal(interpreter.fed[-1], to_model_input(face[None]))
    # Training data is already 48x48 grayscale: preprocess leaves it untouched.
    np.testing.assert_array_equal(preprocess(face), face)
