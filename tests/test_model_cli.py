"""`emotune train` argument handling (the training and export work itself is stubbed out)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from model_support import export_tiny_model, write_synthetic_npz

from emotune.cli import main


def test_train_requires_data(monkeypatch, capsys):
    monkeypatch.delenv("EMOTUNE_DATA", raising=False)
    assert main(["train"]) != 0
    assert "--data" in capsys.readouterr().err


def test_train_passes_options_to_the_training_loop(tmp_path, monkeypatch):
    pytest.importorskip("tensorflow")
    import emotune.training.train as training

    seen = {}

    def fake_train(config, resume=None, verbose=2):
        seen.update(config=config, resume=resume, verbose=verbose)
        return Path(config.out)

    monkeypatch.setattr(training, "train", fake_train)
    data = write_synthetic_npz(tmp_path / "tiny.npz")
    code = main(
        [
            "train",
            "--data",
            str(data),
            "--labels",
            "ferplus",
            "--arch",
            "mini_xception",
            "--epochs",
            "3",
            "--out",
            str(tmp_path / "run"),
            "--ferplus-weight",
            "0.7",
            "--batch-size",
            "16",
            "--seed",
            "9",
            "--resume",
            str(tmp_path / "old"),
        ]
    )
    assert code == 0
    config = seen["config"]
    assert (config.labels, config.arch, config.epochs, config.batch_size, config.seed) == (
        "ferplus",
        "mini_xception",
        3,
        16,
        9,
    )
    assert config.ferplus_weight == pytest.approx(0.7)
    assert seen["resume"] == str(tmp_path / "old")


def test_time_budget_selects_the_time_boxed_trainer(tmp_path, monkeypatch):
    pytest.importorskip("tensorflow")
    import emotune.training.accelerated as accelerated

    seen = {}

    def fake_time_boxed(config, budget_s, verbose=2):
        seen.update(config=config, budget_s=budget_s)
        return Path(config.out)

    monkeypatch.setattr(accelerated, "train_time_boxed", fake_time_boxed)
    data = write_synthetic_npz(tmp_path / "tiny.npz")
    code = main(
        [
            "train",
            "--data",
            str(data),
            "--arch",
            "compact_vgg_fast",
            "--time-budget",
            "120",
            "--out",
            str(tmp_path / "run"),
        ]
    )
    assert code == 0
    assert seen["budget_s"] == pytest.approx(120.0)
    assert seen["config"].arch == "compact_vgg_fast"


def test_distillation_options_reach_the_config_and_missing_teachers_fail(
    tmp_path, monkeypatch, capsys
):
    pytest.importorskip("tensorflow")
    import emotune.training.train as training

    seen = {}
    monkeypatch.setattr(
        training,
        "train",
        lambda config, resume=None, verbose=2: seen.update(config=config) or Path(config.out),
    )
    data = write_synthetic_npz(tmp_path / "tiny.npz")
    teacher = tmp_path / "teacher.keras"
    teacher.write_bytes(b"stub")
    code = main(
        [
            "train",
            "--data",
            str(data),
            "--teacher",
            str(teacher),
            "--teacher",
            str(teacher),
            "--teacher-weight",
            "0.3",
            "--init-from",
            str(teacher),
            "--out",
            str(tmp_path / "run"),
        ]
    )
    assert code == 0
    config = seen["config"]
    assert config.teachers == [str(teacher)] * 2 and config.teacher_weight == pytest.approx(0.3)
    assert config.init_from == str(teacher)
    assert main(["train", "--data", str(data), "--teacher", str(tmp_path / "nope.keras")]) != 0
    assert "nope.keras not found" in capsys.readouterr().err


def test_time_budget_cannot_resume(tmp_path, capsys):
    data = write_synthetic_npz(tmp_path / "tiny.npz")
    code = main(
        ["train", "--data", str(data), "--time-budget", "60", "--resume", str(tmp_path / "old")]
    )
    assert code != 0
    assert "--resume" in capsys.readouterr().err


def test_export_from_calls_the_exporter(tmp_path, monkeypatch):
    pytest.importorskip("tensorflow")
    import emotune.training.export as exporting

    seen = {}

    def fake_export(checkpoint, data, out_dir, quantization, run_dir, max_accuracy_drop, with_val):
        seen.update(
            checkpoint=checkpoint, out_dir=out_dir, quantization=quantization, with_val=with_val
        )
        return {
            "model": {"quantization": quantization, "temperature": 1.2},
            "tune": {"accuracy": 0.5},
        }

    monkeypatch.setattr(exporting, "export", fake_export)
    data = write_synthetic_npz(tmp_path / "tiny.npz")
    checkpoint = tmp_path / "best.keras"
    checkpoint.write_bytes(b"stub")
    code = main(
        [
            "train",
            "--data",
            str(data),
            "--export-from",
            str(checkpoint),
            "--models-dir",
            str(tmp_path / "m"),
            "--quantization",
            "int8",
            "--with-val",
        ]
    )
    assert code == 0
    assert seen == {
        "checkpoint": str(checkpoint),
        "out_dir": str(tmp_path / "m"),
        "quantization": "int8",
        "with_val": True,
    }


def test_export_from_a_missing_checkpoint_fails(tmp_path, capsys):
    data = write_synthetic_npz(tmp_path / "tiny.npz")
    assert main(["train", "--data", str(data), "--export-from", str(tmp_path / "nope.keras")]) != 0
    assert "nope.keras" in capsys.readouterr().err


@pytest.mark.slow
def test_evaluate_latency_only_reports_load_and_predict_times(tmp_path, capsys):
    pytest.importorskip("tensorflow")
    export_tiny_model(tmp_path)
    assert (
        main(["evaluate", "--model", str(tmp_path / "emotion.tflite"), "--latency", "--json"]) == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert result["predict_batch1_wall_ms"] > 0
    assert result["tensorflow_imported"] is False
    assert set(result["batch4_ms"]) == {"one_call", "loop"}


def test_teacher_views_need_a_teacher_and_the_cpu_trainer(tmp_path, capsys):
    data = write_synthetic_npz(tmp_path / "tiny.npz")
    teacher = tmp_path / "teacher.keras"
    teacher.write_bytes(b"stub")
    assert main(["train", "--data", str(data), "--teacher-views", "4"]) != 0
    assert "needs at least one --teacher" in capsys.readouterr().err
    code = main(
        [
            "train",
            "--data",
            str(data),
            "--teacher",
            str(teacher),
            "--teacher-views",
            "4",
            "--time-budget",
            "60",
        ]
    )
    assert code != 0
    assert "CPU trainer only" in capsys.readouterr().err


def test_export_ensemble_calls_the_builder_and_checks_members(tmp_path, monkeypatch, capsys):
    import emotune.training.ensemble as ensemble

    seen = {}
    monkeypatch.setattr(
        ensemble,
        "build_ensemble",
        lambda sources, data, out, **kw: seen.update(sources=sources, out=out, **kw),
    )
    data = write_synthetic_npz(tmp_path / "tiny.npz")
    members = [tmp_path / "a.tflite", tmp_path / "b.keras"]
    for member in members:
        member.write_bytes(b"stub")
    args = [
        "train",
        "--data",
        str(data),
        "--models-dir",
        str(tmp_path),
        "--export-ensemble",
        *map(str, members),
    ]
    assert main([*args, "--no-mirror", "--weights", "1", "2"]) == 0
    assert (
        seen["sources"] == [str(m) for m in members]
        and seen["mirror"] is False
        and seen["weights"] == [1, 2]
    )
    assert main([*args, "--weights", "1"]) != 0
    assert "1 weights for 2 members" in capsys.readouterr().err
    assert (
        main(["train", "--data", str(data), "--export-ensemble", str(tmp_path / "nope.tflite")])
        != 0
    )
    assert "ensemble member" in capsys.readouterr().err
