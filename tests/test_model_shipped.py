"""The model shipped in models/: metadata, size, and a real face it must get right."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from emotune.emotions import CLASS_NAMES, Emotion
from emotune.paths import DEFAULT_MODEL
from emotune.vision.classifier import EmotionClassifier, preprocess, softmax

pytestmark = pytest.mark.skipif(
    not DEFAULT_MODEL.is_file(), reason="no shipped models/emotion.tflite"
)


@pytest.fixture(scope="module")
def classifier() -> EmotionClassifier:
    return EmotionClassifier.load()


def _astronaut_face() -> np.ndarray:
    data = pytest.importorskip("skimage.data")
    rgb = data.astronaut()
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    cascade = cv2.CascadeClassifier(
        str(Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml")
    )
    boxes = cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(60, 60))
    assert len(boxes) >= 1, "Haar cascade found no face in the astronaut image"
    x, y, w, h = max(boxes, key=lambda b: b[2] * b[3])
    return preprocess(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)[y : y + h, x : x + w])


def test_smiling_astronaut_is_happy(classifier):
    probabilities = classifier.predict(_astronaut_face())[0]
    assert Emotion(int(probabilities.argmax())) is Emotion.HAPPY, dict(
        zip(CLASS_NAMES, probabilities.round(3), strict=True)
    )


def test_shipped_metadata_and_size():
    meta = json.loads(DEFAULT_MODEL.with_suffix(".json").read_text())
    assert meta["class_names"] == list(CLASS_NAMES)
    assert meta["temperature"] > 0
    files = [DEFAULT_MODEL.parent / m["file"] for m in meta.get("members", [])] or [DEFAULT_MODEL]
    assert sum(f.stat().st_size for f in files) <= 20 * 1024 * 1024  # issue 19's size bar


def test_shipped_prior_is_a_distribution(classifier):
    prior = classifier.class_prior
    assert prior.shape == (7,) and np.all(prior > 0)
    np.testing.assert_allclose(prior.sum(), 1.0, atol=1e-4)


def test_shipped_ensemble_is_its_members_mean_then_temperature_and_bias(classifier):
    """Whatever the shipped sidecar lists: mean member probability over the views, / T, + bias."""
    members = classifier.member_classifiers()
    faces = np.random.default_rng(2).integers(0, 256, size=(3, 48, 48)).astype(np.uint8)
    views = (
        [faces, np.ascontiguousarray(faces[:, :, ::-1])] if classifier.metadata.mirror else [faces]
    )
    weights = [s.weight for s in classifier.metadata.members] or [1.0]
    mean = sum(
        w * np.mean([m.predict(v) for v in views], axis=0)
        for w, m in zip(weights, members, strict=True)
    )
    mean = mean / sum(weights)
    if len(members) == 1 and len(views) == 1:
        expected = mean  # a single network: its own calibrated output
    else:
        expected = softmax(np.log(mean) / classifier.temperature + classifier.class_bias)
    np.testing.assert_allclose(classifier.predict(faces), expected, atol=1e-5)


def test_shipped_probabilities_sum_to_one(classifier):
    faces = np.random.default_rng(0).integers(0, 256, size=(3, 48, 48)).astype(np.uint8)
    np.testing.assert_allclose(classifier.predict(faces).sum(axis=1), 1.0, atol=1e-5)


CHECKPOINT = DEFAULT_MODEL.parent / "checkpoint"


@pytest.mark.skipif(not (CHECKPOINT / "last.keras").is_file(), reason="no committed checkpoint")
def test_committed_checkpoint_and_teachers_load_and_can_teach():
    """The resumable checkpoint and the teachers its README documents must load and score faces."""
    pytest.importorskip("tensorflow")
    import keras

    from emotune.training.distill import teacher_probabilities

    resumable = keras.models.load_model(CHECKPOINT / "last.keras")
    assert resumable.optimizer is not None and resumable.output_shape == (None, 7)
    teachers = sorted((CHECKPOINT / "teachers").glob("*.keras"))
    assert len(teachers) >= 2
    faces = np.random.default_rng(1).integers(0, 256, size=(4, 48, 48)).astype(np.uint8)
    probabilities = teacher_probabilities(teachers, faces)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert (CHECKPOINT / "tune_index.npy").is_file()  # a resumed run keeps its tuning rows
    for teacher in teachers:
        assert teacher.name.removesuffix(".keras") in (CHECKPOINT / "README.md").read_text()
