"""Ensemble classifier: members, mirror averaging, temperature, class bias, output prior, errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from model_support import export_tiny_model

from emotune.emotions import NUM_CLASSES
from emotune.vision.classifier import (
    EmotionClassifier,
    ModelLoadError,
    combine_member_logits,
    softmax,
)

pytest.importorskip("tensorflow")  # building the fixture members needs the train extra


def _faces(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, 48, 48)).astype(np.uint8)


@pytest.fixture(scope="module")
def member_dir(tmp_path_factory) -> Path:
    """Two random-weight members: emotion.tflite and emotion_b.tflite.

    Random weights give near-uniform logits; tiny temperatures sharpen them so that averaging,
    mirroring and bias make differences far above float noise.."""
    folder = tmp_path_factory.mktemp("members")
    export_tiny_model(folder, temperature=0.002, seed=0)
    other = tmp_path_factory.mktemp("other")
    export_tiny_model(other, temperature=0.003, seed=1)
    for suffix in (".tflite", ".json"):
        shutil.copy(other / f"emotion{suffix}", folder / f"emotion_b{suffix}")
    (folder / "emotion_a.json").write_text((folder / "emotion.json").read_text())
    return folder


def _ensemble(member_dir: Path, tmp_path: Path, **fields) -> Path:
    """A copy of the members with an ensemble sidecar made of ``fields``; returns the model path."""
    for name in ("emotion.tflite", "emotion_b.tflite", "emotion_b.json"):
        shutil.copy(member_dir / name, tmp_path / name)
    sidecar = {
        "arch": "ensemble(test)",
        "temperature": 1.0,
        "temperature_baked": False,
        "members": [
            {"file": "emotion.tflite", "weight": 1.0, "temperature": 0.002},
            {"file": "emotion_b.tflite", "weight": 1.0, "temperature": 0.003},
        ],
        **fields,
    }
    (tmp_path / "emotion.json").write_text(json.dumps(sidecar))
    return tmp_path / "emotion.tflite"


def _member_probabilities(member_dir: Path, faces: np.ndarray, mirror: bool) -> list[np.ndarray]:
    """Each member loaded on its own (its own sidecar), averaged over the mirror view if asked."""
    out = []
    for name in ("emotion_a", "emotion_b"):
        path = member_dir / f"{name}.tflite"
        if not path.exists():
            shutil.copy(member_dir / "emotion.tflite", path)
        alone = EmotionClassifier.load(path)
        p = alone.predict(faces)
        if mirror:
            p = (p + alone.predict(np.ascontiguousarray(faces[:, :, ::-1]))) / 2
        out.append(p)
    return out


def test_each_member_loads_and_gives_probabilities(member_dir, tmp_path):
    classifier = EmotionClassifier.load(_ensemble(member_dir, tmp_path))
    members = classifier.member_classifiers()
    assert [m.path.name for m in members] == ["emotion.tflite", "emotion_b.tflite"]
    assert [m.temperature for m in members] == [0.002, 0.003]
    for member in members:
        p = member.predict(_faces(3))
        assert p.shape == (3, NUM_CLASSES)
        np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("mirror", [False, True])
def test_ensemble_output_is_the_mean_of_its_members(member_dir, tmp_path, mirror):
    faces = _faces(4, seed=2)
    classifier = EmotionClassifier.load(_ensemble(member_dir, tmp_path, mirror=mirror))
    expected = np.mean(_member_probabilities(member_dir, faces, mirror), axis=0)
    np.testing.assert_allclose(classifier.predict(faces), expected, atol=1e-5)
    # One face at a time (the live path) gives the same numbers as the batch.
    np.testing.assert_allclose(classifier.predict(faces[1]), expected[1:2], atol=1e-5)


def test_mirror_changes_the_output(member_dir, tmp_path):
    faces = _faces(4, seed=3)
    (tmp_path / "plain").mkdir()
    (tmp_path / "mirror").mkdir()
    plain = EmotionClassifier.load(_ensemble(member_dir, tmp_path / "plain"))
    mirrored = EmotionClassifier.load(_ensemble(member_dir, tmp_path / "mirror", mirror=True))
    assert np.abs(plain.predict(faces) - mirrored.predict(faces)).max() > 1e-2


def test_weights_temperature_and_bias_shape_the_output(member_dir, tmp_path):
    faces = _faces(5, seed=4)
    bias = [0.0, 0.3, 0.8, 0.0, 0.0, 0.2, -0.1]
    classifier = EmotionClassifier.load(
        _ensemble(
            member_dir,
            tmp_path,
            temperature=0.7,
            class_bias=bias,
            members=[
                {"file": "emotion.tflite", "weight": 1.0, "temperature": 0.002},
                {"file": "emotion_b.tflite", "weight": 3.0, "temperature": 0.003},
            ],
        )
    )
    a, b = _member_probabilities(member_dir, faces, mirror=False)
    expected = softmax(np.log(0.25 * a + 0.75 * b) / 0.7 + np.asarray(bias))
    np.testing.assert_allclose(classifier.predict(faces), expected, atol=1e-5)
    np.testing.assert_allclose(classifier.predict(faces).sum(axis=1), 1.0, atol=1e-5)
    # A caller's logit_bias still adds on top (the neutral-face calibration path).
    extra = np.array([0.5, 0, 0, 0, 0, 0, 0], np.float32)
    np.testing.assert_allclose(
        classifier.predict(faces, logit_bias=extra), softmax(np.log(expected) + extra), atol=1e-5
    )


def test_combine_logits_averages_calibrated_logits(member_dir, tmp_path):
    faces = _faces(3, seed=5)
    classifier = EmotionClassifier.load(_ensemble(member_dir, tmp_path, combine="logits"))
    logits = [m.logits(faces) for m in classifier.member_classifiers()]
    np.testing.assert_allclose(
        classifier.predict(faces), softmax((logits[0] + logits[1]) / 2), atol=1e-5
    )


def test_bias_and_prior_load_from_the_sidecar(member_dir, tmp_path):
    prior = [0.1, 0.02, 0.14, 0.26, 0.24, 0.15, 0.09]
    bias = [0.0, 0.4, 0.8, 0.0, 0.0, 0.2, 0.0]
    classifier = EmotionClassifier.load(
        _ensemble(member_dir, tmp_path, class_bias=bias, output_prior=prior)
    )
    np.testing.assert_allclose(classifier.class_prior, prior, rtol=1e-6)
    np.testing.assert_allclose(classifier.class_bias, bias, rtol=1e-6)


def test_prior_and_bias_default_to_uniform_and_zero(member_dir):
    classifier = EmotionClassifier.load(member_dir / "emotion_b.tflite")
    np.testing.assert_allclose(
        classifier.class_prior, np.full(NUM_CLASSES, 1 / NUM_CLASSES), rtol=1e-6
    )
    assert not classifier.class_bias.any()


def test_missing_member_is_a_clear_load_error(member_dir, tmp_path):
    path = _ensemble(member_dir, tmp_path)
    (tmp_path / "emotion_b.tflite").unlink()
    with pytest.raises(ModelLoadError, match=r"ensemble member .*emotion_b\.tflite.* is missing"):
        EmotionClassifier.load(path)


@pytest.mark.parametrize(
    "fields",
    [
        {"class_bias": [0.1, 0.2]},
        {"output_prior": [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]},
        {"members": [{"file": "../emotion.tflite"}]},
        {"members": [{"file": "emotion.tflite", "weight": 0}]},
        {"combine": "median"},
    ],
)
def test_bad_ensemble_sidecar_is_a_load_error(member_dir, tmp_path, fields):
    with pytest.raises(ModelLoadError, match="invalid"):
        EmotionClassifier.load(_ensemble(member_dir, tmp_path, **fields))


def test_combine_member_logits_one_member_one_view_is_unchanged():
    logits = np.random.default_rng(0).normal(size=(1, 4, NUM_CLASSES)).astype(np.float32)
    np.testing.assert_array_equal(combine_member_logits([logits], [1.0]), logits[0])
    two_views = np.concatenate([logits, logits + 1.0])  # a constant shift: the same softmax
    np.testing.assert_allclose(
        softmax(combine_member_logits([two_views], [2.0])), softmax(logits[0]), atol=1e-6
    )


def test_fixture_members_disagree_enough_to_test_averaging(member_dir):
    # Guards the tests above: near-identical members would make "equals the mean" vacuous.
    a, b = _member_probabilities(member_dir, _faces(4, seed=2), mirror=False)
    assert np.abs(a - b).max() > 0.05


def test_member_only_loads_the_entry_file_alone(member_dir, tmp_path):
    path = _ensemble(
        member_dir, tmp_path, mirror=True, class_bias=[0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0]
    )
    alone = EmotionClassifier.load(path, member_only=True)
    faces = _faces(3, seed=6)
    assert alone.temperature == 0.002 and not alone.metadata.members
    expected = EmotionClassifier.load(path).member_classifiers()[0].predict(faces)
    np.testing.assert_allclose(alone.predict(faces), expected, atol=1e-6)


def test_files_lists_every_member(member_dir, tmp_path):
    classifier = EmotionClassifier.load(_ensemble(member_dir, tmp_path))
    assert [f.name for f in classifier.files] == ["emotion.tflite", "emotion_b.tflite"]
    assert all(f.is_file() for f in classifier.files)


def test_class_bias_lifts_a_class_that_collapses_into_neutral():
    from emotune.training.ensemble import BiasObjective, decision_scores, fit_class_bias

    rng = np.random.default_rng(0)
    labels = rng.integers(0, NUM_CLASSES, size=700)
    logits = rng.normal(scale=0.3, size=(700, NUM_CLASSES))
    logits[np.arange(700), labels] += 1.0
    fear = labels == 2
    logits[fear, 4] += 1.2  # fear faces lean to neutral: without a bias fear is rarely chosen
    before = decision_scores(logits.argmax(1), labels, labels)["fer2013"]["recall"]["fear"]
    bias = fit_class_bias(logits, labels, labels, BiasObjective(floor=0.5))
    after = decision_scores((logits + bias).argmax(1), labels, labels)["fer2013"]["recall"]
    assert before < 0.3 and after["fear"] >= 0.5
    assert bias[4] == 0 and bias[2] > 0  # read against neutral, which stays at 0
    assert min(after.values()) >= 0.5


def test_build_ensemble_writes_members_bias_and_the_prior_of_its_own_output(member_dir, tmp_path):
    from model_support import write_synthetic_npz

    from emotune.training import splits
    from emotune.training.ensemble import build_ensemble

    data = write_synthetic_npz(tmp_path / "tiny.npz", n_train=140)
    out = tmp_path / "models"
    out.mkdir()
    for suffix in (".tflite", ".json", ".keras"):
        shutil.copy(member_dir / f"emotion{suffix}", out / f"emotion{suffix}")
    keras_member = tmp_path / "other.keras"
    shutil.copy(member_dir / "emotion.keras", keras_member)  # exported as a second member
    metrics = build_ensemble(
        [out / "emotion.tflite", keras_member], data, out, run_dir=tmp_path, log=lambda _: None
    )
    meta = json.loads((out / "emotion.json").read_text())
    assert [m["file"] for m in meta["members"]] == ["emotion.tflite", "emotion_other.tflite"]
    assert meta["members"][0]["temperature"] == 0.002  # the first member's own sidecar's T
    assert meta["mirror"] is True and meta["temperature"] > 0
    assert len(meta["class_bias"]) == NUM_CLASSES and meta["class_bias"][4] == 0
    classifier = EmotionClassifier.load(out / "emotion.tflite")
    assert len(classifier.member_classifiers()) == 2
    tune = splits.load_named_split(data, "tune", run_dir=tmp_path)
    np.testing.assert_allclose(
        classifier.class_prior, classifier.predict(tune.faces).mean(axis=0), atol=1e-5
    )
    assert metrics["tune"]["n"] == len(tune) and "bias_cross_validated" in metrics["tune_stages"]
    # Re-running reads emotion.tflite's entry from the ensemble sidecar it now sits next to.
    again = build_ensemble(
        [out / "emotion.tflite"], data, out, run_dir=tmp_path, log=lambda _: None
    )
    assert again["model"]["members"][0]["temperature"] == 0.002
