"""Runtime classifier: loading, errors, probabilities, logit bias, no TensorFlow at load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from model_support import export_tiny_model

from emotune.emotions import Emotion
from emotune.vision import preprocess as shared_preprocess
from emotune.vision.classifier import (
    EmotionClassifier,
    ModelLoadError,
    default_num_threads,
    preprocess,
    softmax,
)

pytest.importorskip("tensorflow")  # building the fixture model needs the train extra


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    """A random-weight model exported with T = 2."""
    folder = tmp_path_factory.mktemp("model")
    export_tiny_model(folder, temperature=2.0)
    return folder


@pytest.fixture(scope="module")
def classifier(model_dir) -> EmotionClassifier:
    return EmotionClassifier.load(model_dir / "emotion.tflite")


def _faces(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, 48, 48)).astype(np.uint8)


def test_preprocess_is_the_shared_function():
    assert preprocess is shared_preprocess.preprocess


def test_predict_returns_probabilities_in_canonical_order(classifier):
    probabilities = classifier.predict(_faces(5))
    assert probabilities.shape == (5, 7)
    assert probabilities.dtype == np.float32
    assert np.all(probabilities >= 0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert classifier.classes == tuple(Emotion)


def test_single_face_and_batch_agree(classifier):
    faces = _faces(3, seed=1)
    batch = classifier.predict(faces)
    singles = np.concatenate([classifier.predict(face) for face in faces])  # (48, 48) each
    np.testing.assert_allclose(batch, singles, atol=1e-5)


def test_one_and_two_threads_give_the_same_probabilities(model_dir):
    faces = _faces(4, seed=2)
    one = EmotionClassifier.load(model_dir / "emotion.tflite", num_threads=1).predict(faces)
    two = EmotionClassifier.load(model_dir / "emotion.tflite", num_threads=2).predict(faces)
    np.testing.assert_allclose(one, two, atol=1e-5)
    with pytest.raises(ValueError, match="num_threads"):
        EmotionClassifier.load(model_dir / "emotion.tflite", num_threads=0)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs CPU affinity (Linux)")
def test_default_thread_count_follows_the_cores_this_process_may_use():
    cores = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(cores)})
        assert default_num_threads() == 1
        if len(cores) >= 2:
            os.sched_setaffinity(0, set(sorted(cores)[:2]))
            assert default_num_threads() == 2
    finally:
        os.sched_setaffinity(0, cores)


def test_empty_batch_gives_empty_result(classifier):
    assert classifier.predict(np.zeros((0, 48, 48), np.uint8)).shape == (0, 7)


def test_probabilities_are_softmax_of_calibrated_logits(classifier):
    faces = _faces(4, seed=2)
    np.testing.assert_allclose(
        classifier.predict(faces), softmax(classifier.logits(faces)), atol=1e-6
    )
    log_p = classifier.log_probabilities(faces)
    np.testing.assert_allclose(np.exp(log_p).sum(axis=1), 1.0, atol=1e-5)


def test_logit_bias_shifts_towards_the_biased_class(classifier):
    faces = _faces(4, seed=3)
    bias = np.zeros(7, np.float32)
    bias[Emotion.NEUTRAL.value] = 3.0
    plain = classifier.predict(faces)
    biased = classifier.predict(faces, logit_bias=bias)
    assert np.all(biased[:, Emotion.NEUTRAL.value] > plain[:, Emotion.NEUTRAL.value])
    np.testing.assert_allclose(biased.sum(axis=1), 1.0, atol=1e-5)
    # Same as adding the bias to log-probabilities and renormalising.
    expected = softmax(np.log(plain) + bias)
    np.testing.assert_allclose(biased, expected, atol=1e-4)


def test_bad_input_is_rejected_with_a_hint(classifier):
    with pytest.raises(ValueError, match="preprocess"):
        classifier.predict(np.zeros((2, 64, 64), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        classifier.predict(np.zeros((2, 48, 48), np.float32))
    with pytest.raises(ValueError, match="logit_bias"):
        classifier.predict(_faces(1), logit_bias=np.zeros(5))


def test_metadata_is_read(classifier):
    assert classifier.temperature == pytest.approx(2.0)
    assert classifier.metadata.arch == "compact_vgg"
    assert classifier.backend in ("litert", "tensorflow")


def test_missing_model_raises_model_load_error(tmp_path):
    missing = tmp_path / "nowhere" / "emotion.tflite"
    with pytest.raises(ModelLoadError, match="not found") as info:
        EmotionClassifier.load(missing)
    assert str(missing) in str(info.value)
    assert "export" in str(info.value)
    assert isinstance(info.value, RuntimeError)


def test_corrupt_model_raises_model_load_error(tmp_path, model_dir):
    corrupt = tmp_path / "emotion.tflite"
    corrupt.write_bytes(b"this is not a flatbuffer" * 10)
    (tmp_path / "emotion.json").write_text((model_dir / "emotion.json").read_text())
    with pytest.raises(ModelLoadError, match="corrupt") as info:
        EmotionClassifier.load(corrupt)
    assert str(corrupt) in str(info.value)


def test_truncated_model_raises_model_load_error(tmp_path, model_dir):
    truncated = tmp_path / "emotion.tflite"
    truncated.write_bytes((model_dir / "emotion.tflite").read_bytes()[:1000])
    (tmp_path / "emotion.json").write_text((model_dir / "emotion.json").read_text())
    with pytest.raises(ModelLoadError):
        EmotionClassifier.load(truncated)


def test_missing_or_wrong_metadata_raises_model_load_error(tmp_path, model_dir):
    model = tmp_path / "emotion.tflite"
    model.write_bytes((model_dir / "emotion.tflite").read_bytes())
    with pytest.raises(ModelLoadError, match="metadata"):
        EmotionClassifier.load(model)
    meta = json.loads((model_dir / "emotion.json").read_text())
    meta["class_names"] = list(reversed(meta["class_names"]))
    (tmp_path / "emotion.json").write_text(json.dumps(meta))
    with pytest.raises(ModelLoadError, match="class_names"):
        EmotionClassifier.load(model)


_LOAD_PROBE = """
import json, sys, time
from emotune.vision.classifier import EmotionClassifier
start = time.perf_counter()
classifier = EmotionClassifier.load(sys.argv[1])
elapsed = time.perf_counter() - start
classifier.predict(__import__("numpy").zeros((1, 48, 48), "uint8"))
print(json.dumps({"load_s": elapsed, "tf": [m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras")]}))
"""


def test_loading_and_predicting_import_no_tensorflow_and_is_fast(model_dir):
    completed = subprocess.run(
        [sys.executable, "-c", _LOAD_PROBE, str(model_dir / "emotion.tflite")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["tf"] == []
    assert result["load_s"] <= 0.5
