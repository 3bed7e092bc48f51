"""Neutral-face calibration: the bias makes the user's resting face read neutral; only numbers stored."""

from __future__ import annotations

import json

import numpy as np
import pytest

from emotune.emotions import NUM_CLASSES, Emotion
from emotune.paths import user_data_dir
from emotune.vision.calibration import (
    Calibration,
    CalibrationError,
    NeutralCalibrator,
    apply_bias,
    calibration_path,
    compute_bias,
    load_calibration,
    model_id,
    reset_calibration,
    save_calibration,
)


def resting_face_reads_sad(n: int = 40, seed: int = 0) -> np.ndarray:
    """Probabilities of a user whose relaxed face the model calls sad."""
    rng = np.random.default_rng(seed)
    logits = np.zeros((n, NUM_CLASSES))
    logits[:, Emotion.SAD.value] = 2.0
    logits[:, Emotion.NEUTRAL.value] = 1.0
    logits += rng.normal(0, 0.3, logits.shape)
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


def test_bias_makes_the_recorded_face_neutral_but_keeps_real_expressions():
    recorded = resting_face_reads_sad()
    assert np.mean(recorded.argmax(axis=1) == Emotion.SAD.value) > 0.9
    bias = compute_bias(recorded)
    calibrated = apply_bias(recorded, bias)
    assert np.mean(calibrated.argmax(axis=1) == Emotion.NEUTRAL.value) > 0.9
    assert calibrated[:, Emotion.NEUTRAL.value].mean() > 0.4
    # A broad smile still reads happy after calibration.
    smile = np.full(NUM_CLASSES, 0.02)
    smile[Emotion.HAPPY.value] = 0.88
    assert apply_bias(smile[None], bias)[0].argmax() == Emotion.HAPPY.value
    assert np.allclose(calibrated.sum(axis=1), 1.0, atol=1e-5)


def test_bias_is_clipped_and_centred():
    extreme = np.full((5, NUM_CLASSES), 1e-9)
    extreme[:, Emotion.ANGRY.value] = 1.0
    bias = compute_bias(extreme, max_abs=2.0)
    assert np.all(np.abs(bias) <= 2.0 + 1e-6)
    unclipped = compute_bias(resting_face_reads_sad())
    assert abs(float(unclipped.mean())) < 1e-5


def test_apply_bias_matches_adding_to_logits():
    logits = np.array([[0.3, -1.0, 0.2, 2.0, 1.0, -0.5, 0.1]])
    bias = np.array([0.5, 0, 0, -1.0, 0.7, 0, 0])
    p = np.exp(logits) / np.exp(logits).sum()
    expected = np.exp(logits + bias) / np.exp(logits + bias).sum()
    assert np.allclose(apply_bias(p, bias), expected, atol=1e-6)
    assert np.allclose(apply_bias(p, None), p)


def test_calibrator_collects_for_the_duration_and_needs_faces():
    calibrator = NeutralCalibrator(duration_s=3.0, min_frames=10)
    probs = resting_face_reads_sad(100)
    done = False
    for i, p in enumerate(probs):
        done = calibrator.add(p if i % 5 else None, i / 10.0)  # some frames without a face
        if done:
            break
    assert done and calibrator.progress == 1.0
    assert i == 30  # 3 s at 10 fps
    result = calibrator.result()
    assert result.frames == calibrator.frames == 24
    assert (
        apply_bias(probs, result.logit_bias).argmax(axis=1).tolist().count(Emotion.NEUTRAL.value)
        > 90
    )

    empty = NeutralCalibrator(duration_s=1.0, min_frames=10)
    for i in range(20):
        empty.add(None, i / 10.0)
    with pytest.raises(CalibrationError, match="face"):
        empty.result()


def test_save_load_reset_round_trip_in_user_data_dir():
    assert load_calibration() is None
    calibration = Calibration(compute_bias(resting_face_reads_sad()), frames=40, model_id="abc123")
    path = save_calibration(calibration)
    assert path == calibration_path() and path.parent == user_data_dir()
    data = json.loads(path.read_text())
    # Only numbers and small metadata: no image, no pixel arrays.
    assert set(data) == {"version", "class_names", "logit_bias", "frames", "created", "model_id"}
    assert len(data["logit_bias"]) == NUM_CLASSES and path.stat().st_size < 1000
    loaded = load_calibration(model_id="abc123")
    assert loaded is not None and np.allclose(loaded.logit_bias, calibration.logit_bias, atol=1e-4)
    assert load_calibration(model_id="another-model") is None  # made for a different model
    assert reset_calibration() is True
    assert reset_calibration() is False
    assert load_calibration() is None


def test_corrupt_calibration_file_is_ignored():
    calibration_path().write_text("{not json")
    assert load_calibration() is None
    calibration_path().write_text(json.dumps({"logit_bias": [1, 2]}))
    assert load_calibration() is None


def test_model_id_changes_with_the_file(tmp_path):
    a, b = tmp_path / "a.tflite", tmp_path / "b.tflite"
    a.write_bytes(b"model one")
    b.write_bytes(b"model two")
    assert model_id(a) != model_id(b) and len(model_id(a)) == 16


def test_model_id_changes_with_the_sidecar_so_a_new_ensemble_is_another_model(tmp_path):
    model = tmp_path / "emotion.tflite"
    model.write_bytes(b"the first member")
    alone = model_id(model)
    (tmp_path / "emotion.json").write_text('{"members": ["emotion.tflite"]}')
    first = model_id(model)
    (tmp_path / "emotion.json").write_text('{"members": ["emotion.tflite", "emotion_b.tflite"]}')
    assert len({alone, first, model_id(model)}) == 3
