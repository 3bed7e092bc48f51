"""Export: the TFLite model reproduces the Keras model (with T baked in); the full export writes
every file the app and the model card need."""

from __future__ import annotations

import json

import numpy as np
import pytest
from model_support import export_tiny_model, write_synthetic_npz

pytest.importorskip("tensorflow")

from emotune.training import export, model_card  # noqa: E402
from emotune.training.inference import keras_logits, load_source  # noqa: E402
from emotune.vision.classifier import EmotionClassifier, default_num_threads, softmax  # noqa: E402


def _faces(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, 48, 48)).astype(np.uint8)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """(folder, Keras model) of a random-weight float model exported with T = 2.5."""
    folder = tmp_path_factory.mktemp("float_model")
    return folder, export_tiny_model(folder, temperature=2.5)


@pytest.mark.parametrize("batch", [1, 5])
def test_float_round_trip_matches_keras_with_temperature(exported, batch):
    folder, model = exported
    faces = _faces(batch)
    expected = keras_logits(model, faces) / 2.5
    classifier = EmotionClassifier.load(folder / "emotion.tflite")
    np.testing.assert_allclose(classifier.logits(faces), expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(classifier.predict(faces), softmax(expected), atol=1e-5)


def test_baked_probabilities_output_is_softmax_of_logits(exported):
    # Consumers that read the 'probabilities' output directly must see the same calibrated numbers.
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(exported[0] / "emotion.tflite"), num_threads=1)
    runner = interpreter.get_signature_runner()
    out = runner(face=_faces(1).astype(np.float32)[..., None])
    np.testing.assert_allclose(out["probabilities"], softmax(out["logits"]), atol=1e-5)


def test_keras_copy_is_the_uncalibrated_source(exported):
    folder, model = exported
    reloaded = load_source(folder / "emotion.keras")
    faces = _faces(2)
    np.testing.assert_allclose(keras_logits(reloaded, faces), keras_logits(model, faces), atol=1e-5)


@pytest.mark.parametrize("quantization", ["dynamic", "int8"])
def test_quantized_models_stay_close_to_float(tmp_path, quantization):
    model = export_tiny_model(tmp_path, temperature=1.0, quantization=quantization)
    faces = _faces(8)
    expected = softmax(keras_logits(model, faces))
    classifier = EmotionClassifier.load(tmp_path / "emotion.tflite")
    got = classifier.predict(faces)
    assert classifier.metadata.quantization == quantization
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-5)
    assert np.abs(got - expected).max() < 0.05
    assert (tmp_path / "emotion.tflite").stat().st_size < 1_000_000  # int8 weights: ~4x smaller


def test_choose_prefers_the_fastest_acceptable_candidate():
    def candidate(name, mean, ms, cpu=float("nan")):
        return export.Candidate(name, b"x", {"mean": mean}, 1.0, 0.0, ms, cpu)

    float_c = candidate("float32", 0.60, 2.0)
    fast_bad = candidate("int8", 0.55, 1.0)
    fast_ok = candidate("dynamic", 0.598, 1.5)
    assert (
        export.choose([float_c, fast_bad, fast_ok], {"mean": 0.60}, 0.005).quantization == "dynamic"
    )
    assert export.choose([float_c, fast_bad], {"mean": 0.60}, 0.005).quantization == "float32"
    # CPU time, when measured, outranks noisy wall time.
    noisy = [candidate("dynamic", 0.60, 4.3, cpu=1.4), candidate("int8", 0.60, 3.4, cpu=1.9)]
    assert export.choose(noisy, {"mean": 0.60}, 0.005).quantization == "dynamic"


@pytest.mark.slow
def test_full_export_on_synthetic_data(tmp_path):
    import keras

    from emotune.training.architectures import build

    data = write_synthetic_npz(tmp_path / "tiny.npz")
    keras.utils.set_random_seed(0)
    checkpoint = tmp_path / "run" / "best.keras"
    checkpoint.parent.mkdir()
    build("compact_vgg").save(checkpoint)
    out = tmp_path / "models"
    metrics = export.export(
        checkpoint, data, out_dir=out, quantization="float32", with_val=True, log=lambda _: None
    )

    for name in (
        "emotion.tflite",
        "emotion.json",
        "emotion.keras",
        "metrics.json",
        "MODEL_CARD.md",
    ):
        assert (out / name).is_file(), name
    meta = json.loads((out / "emotion.json").read_text())
    assert meta["temperature"] == pytest.approx(metrics["calibration_tune"]["temperature"])
    assert meta["temperature"] > 0
    assert meta["quantization"] == "float32"
    assert json.loads((out / "metrics.json").read_text())["tune"]["n"] == metrics["tune"]["n"] > 0
    card = (out / "MODEL_CARD.md").read_text()
    assert f"T = {meta['temperature']:.3f}" in card
    assert metrics["val"]["n"] == 40  # 42 val rows minus 2 not-a-face
    assert metrics["val_without_train_duplicates"]["n"] < metrics["val"]["n"]
    assert f"This model: {100 * metrics['val']['accuracy']:.1f}%" in card
    assert "Interim model" not in card
    assert "## Targets" in card and f"| {100 * metrics['val']['accuracy']:.1f}% | 65.6% |" in card
    # The next model exported into the same folder lists this one as its predecessor.
    from emotune.training import report

    successor = json.loads(json.dumps(metrics))
    successor["model"]["version"] = "successor"
    report.write(out, successor)
    lineage = json.loads((out / "metrics.json").read_text())["earlier_models"]
    assert [entry["version"] for entry in lineage] == [meta["version"]]
    assert lineage[0]["val_accuracy"] == metrics["val"]["accuracy"]
    assert "Earlier shipped models" in (out / "MODEL_CARD.md").read_text()
    # Without val numbers the card says it is interim and quotes none.
    interim = model_card.render({k: v for k, v in metrics.items() if not k.startswith("val")})
    assert "Interim model" in interim and "| val |" not in interim
    # A run folder with a README gets a pointer to it (how the run was chosen, how to resume).
    assert "Run notes" not in card  # this export's checkpoint folder has no README
    noted = json.loads(json.dumps(metrics))
    noted["model"]["run_readme"] = "models/checkpoint/README.md"
    assert "`models/checkpoint/README.md` says how this run was chosen" in model_card.render(noted)
    # An unmet accuracy bar points at those notes for what limited the model.
    noted["val"]["accuracy"], noted["val"]["accuracy_ferplus"] = 0.5, 0.9
    assert "The FER2013 bar is not met. `models/checkpoint/README.md` records" in model_card.render(
        noted
    )
    noted["val"]["accuracy"] = 0.7
    assert "bar is not met" not in model_card.render(noted)
    # A distilled run says so, with its teachers, weight and where they scored the faces.
    assert "Distilled from" not in card  # this checkpoint learned from labels alone
    taught = json.loads(json.dumps(metrics))
    taught.setdefault("training", {}).setdefault("config", {}).update(
        teachers=["models/checkpoint/teachers/a.keras", "t/b.keras"],
        teacher_weight=0.9,
        schedule="cosine-time",
    )
    taught_card = model_card.render(taught)
    assert "Distilled from 2 teacher networks (`a.keras`, `b.keras`" in taught_card
    assert "0.1 x the labels above + 0.9 x the teachers' mean probabilities" in taught_card
    assert "inside the training step" in taught_card
    assert model_card.model_summary(taught)["teacher_weight"] == 0.9
    assert model_card.model_summary(metrics)["teacher_weight"] is None
    assert metrics["latency"]["num_threads"] == default_num_threads()
    assert metrics["latency"]["tensorflow_imported"] is False
    classifier = EmotionClassifier.load(out / "emotion.tflite")
    assert classifier.temperature == pytest.approx(meta["temperature"])
