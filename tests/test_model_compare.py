"""Paired comparison of two models on the same faces (`emotune evaluate --compare`)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from model_support import export_tiny_model, write_synthetic_npz

from emotune.training.compare import mcnemar


def test_mcnemar_counts_only_the_faces_where_the_models_disagree():
    a = np.array([1, 1, 1, 0, 0, 1], bool)
    b = np.array([1, 0, 0, 1, 0, 1], bool)
    result = mcnemar(a, b)
    assert (result["only_a"], result["only_b"]) == (2, 1)
    # Exact two-sided binomial on 3 discordant faces: 2 * P(X <= 1 | n=3, 1/2) = 2 * 4/8 = 1.
    assert result["p_value"] == pytest.approx(1.0)
    lopsided = mcnemar(np.ones(20, bool), np.zeros(20, bool))  # A right on all 20, B on none
    assert lopsided["p_value"] == pytest.approx(2 / 2**20)
    assert mcnemar(a, a)["p_value"] == 1.0  # no discordant faces
    # 7 vs 1: 2 * (1 + 8) / 256
    assert mcnemar(np.r_[np.ones(7), 0], np.r_[np.zeros(7), 1])["p_value"] == pytest.approx(
        18 / 256
    )
    with pytest.raises(ValueError, match="shape"):
        mcnemar(a, b[:3])


def test_evaluate_compare_scores_both_models_on_the_same_faces(tmp_path, capsys):
    pytest.importorskip("tensorflow")
    from emotune.cli import main

    data = write_synthetic_npz(tmp_path / "tiny.npz", n_val=42)
    export_tiny_model(tmp_path / "a", seed=0)
    export_tiny_model(tmp_path / "b", seed=1)
    a, b = tmp_path / "a" / "emotion.tflite", tmp_path / "b" / "emotion.keras"
    code = main(
        [
            "evaluate",
            "--model",
            str(a),
            "--compare",
            str(b),
            "--data",
            str(data),
            "--split",
            "val",
            "--json",
        ]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n"] == 40
    for name in ("fer2013", "ferplus"):
        r = result[name]
        assert 0.0 <= r["p_value"] <= 1.0
        # The discordant counts are exactly the accuracy difference.
        assert r["only_b"] - r["only_a"] == round((r["accuracy_b"] - r["accuracy_a"]) * r["n"])
    code = main(
        ["evaluate", "--model", str(a), "--compare", str(a), "--data", str(data), "--split", "val"]
    )
    assert code == 0
    assert "exact McNemar p = 1" in capsys.readouterr().out  # a model against itself
    assert (
        main(
            [
                "evaluate",
                "--model",
                str(a),
                "--compare",
                str(tmp_path / "none.keras"),
                "--data",
                str(data),
            ]
        )
        != 0
    )
    assert "none.keras not found" in capsys.readouterr().err
