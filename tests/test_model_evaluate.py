"""Evaluation metrics and the `emotune evaluate` command on synthetic data."""

from __future__ import annotations

import json

import numpy as np
import pytest
from model_support import export_tiny_model, write_synthetic_npz

from emotune.training.metrics import auc, classification_metrics, roc_curve, wilson_interval


def test_metrics_on_a_hand_checked_example():
    labels = np.array([0, 0, 1, 1, 3, 3, 3, 6])
    predicted = np.array([0, 1, 1, 1, 3, 3, 0, 6])
    probabilities = np.eye(7)[predicted] * 0.9 + 0.1 / 7
    m = classification_metrics(probabilities, labels)
    assert m["accuracy"] == pytest.approx(6 / 8)
    assert m["confusion"][0] == [1, 1, 0, 0, 0, 0, 0]
    assert m["confusion"][3] == [1, 0, 0, 2, 0, 0, 0]
    angry = m["per_class"]["angry"]
    assert angry["precision"] == pytest.approx(1 / 2)  # predicted angry twice, once right
    assert angry["recall"] == pytest.approx(1 / 2)
    assert angry["tn_rate"] == pytest.approx(5 / 6)
    assert angry["fp_rate"] == pytest.approx(1 / 6)
    # Balanced accuracy averages recall over the 4 classes present: (1/2 + 1 + 2/3 + 1) / 4.
    assert m["balanced_accuracy"] == pytest.approx((0.5 + 1 + 2 / 3 + 1) / 4)
    assert m["per_class"]["fear"]["support"] == 0
    assert "auc" not in m["per_class"]["fear"]  # no positives: AUC undefined


def test_accuracy_comes_with_a_wilson_interval():
    # Textbook values: 50 of 100 gives 0.404-0.596; 0 of 10 gives 0-0.278.
    np.testing.assert_allclose(wilson_interval(50, 100), (0.4038, 0.5962), atol=1e-4)
    np.testing.assert_allclose(wilson_interval(0, 10), (0.0, 0.2775), atol=1e-4)
    narrow, wide = wilson_interval(650, 1000), wilson_interval(65, 100)
    assert wide[0] < narrow[0] < 0.65 < narrow[1] < wide[1]
    assert all(np.isnan(wilson_interval(0, 0)))
    labels = np.array([0, 1, 2, 3])
    m = classification_metrics(np.eye(7)[[0, 1, 2, 4]], labels)
    assert m["accuracy_ci95"] == pytest.approx(list(wilson_interval(3, 4)))


def test_roc_auc_is_one_for_perfect_and_half_for_constant_scores():
    positive = np.array([1, 1, 0, 0, 0], bool)
    assert auc(*roc_curve(np.array([0.9, 0.8, 0.3, 0.2, 0.1]), positive)) == pytest.approx(1.0)
    assert auc(*roc_curve(np.full(5, 0.5), positive)) == pytest.approx(0.5)
    assert auc(*roc_curve(np.array([0.1, 0.2, 0.3, 0.8, 0.9]), positive)) == pytest.approx(0.0)


def test_evaluate_cli_json_and_plots(tmp_path, capsys):
    pytest.importorskip("tensorflow")
    from emotune.cli import main

    data = write_synthetic_npz(tmp_path / "tiny.npz", n_val=42)
    export_tiny_model(tmp_path / "model", temperature=1.5)
    out = tmp_path / "report"
    code = main(
        [
            "evaluate",
            "--model",
            str(tmp_path / "model" / "emotion.tflite"),
            "--data",
            str(data),
            "--split",
            "val",
            "--out",
            str(out),
            "--json",
        ]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 40  # 42 rows minus the 2 not-a-face rows
    assert 0.0 <= report["accuracy"] <= 1.0
    assert "accuracy_ferplus" in report
    low, high = report["fer2013"]["accuracy_ci95"]
    assert low <= report["accuracy"] <= high and high - low > 0.1  # 40 faces: a wide interval
    assert report["temperature"] == pytest.approx(1.5)
    assert len(report["fer2013"]["confusion"]) == 7
    assert np.array(report["fer2013"]["confusion"]).sum() == 40
    for kind in ("confusion", "roc", "reliability"):
        for labels in ("fer2013", "ferplus"):
            png = out / f"{kind}_{labels}.png"
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_cli_tune_split_and_table(tmp_path, capsys):
    pytest.importorskip("tensorflow")
    from emotune.cli import main

    data = write_synthetic_npz(tmp_path / "tiny.npz", n_train=140)
    export_tiny_model(tmp_path / "model")
    code = main(
        [
            "evaluate",
            "--model",
            str(tmp_path / "model" / "emotion.keras"),
            "--data",
            str(data),
            "--split",
            "tune",
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "FER2013 labels" in text and "FER+ strict majority" in text
    assert "95% CI" in text
    assert "surprise" in text


def test_evaluate_cli_reports_a_missing_split(tmp_path, capsys):
    from emotune.cli import main

    data = write_synthetic_npz(tmp_path / "tiny.npz")
    model = tmp_path / "emotion.tflite"
    model.write_bytes(b"unused")
    assert main(["evaluate", "--model", str(model), "--data", str(data), "--split", "test"]) != 0
    assert "test" in capsys.readouterr().err


def test_evaluate_record_stores_the_split_next_to_the_model(tmp_path, capsys):
    pytest.importorskip("tensorflow")
    from emotune.cli import main

    data = write_synthetic_npz(tmp_path / "tiny.npz", n_val=42)
    export_tiny_model(tmp_path / "model", temperature=1.5)
    (tmp_path / "model" / "metrics.json").write_text(json.dumps({"model": {"version": "x"}}))
    code = main(
        [
            "evaluate",
            "--model",
            str(tmp_path / "model" / "emotion.tflite"),
            "--data",
            str(data),
            "--split",
            "val",
            "--record",
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "balanced" in text and "  recall: angry" in text and "ECE" in text
    metrics = json.loads((tmp_path / "model" / "metrics.json").read_text())
    assert metrics["model"] == {"version": "x"}  # the rest of the file is kept
    assert metrics["val"]["n"] == 40
    assert "balanced_accuracy" in metrics["val"]["fer2013"]
    assert "reliability" not in metrics["val"]["fer2013"]
