"""`emotune detect` and `emotune bench`, run in-process with a fake classifier (and the real
model when it has been exported)."""

from __future__ import annotations

import json
import os
import subprocess

import cv2
import pytest
from vision_fakes import BrightnessClassifier, real_model_available

from emotune.cli import main
from emotune.devtools.synthetic import jittered_frames, make_scene
from emotune.vision.classifier import default_num_threads


@pytest.fixture
def fake_model(monkeypatch):
    from emotune.vision import classifier as classifier_module

    fake = BrightnessClassifier()
    monkeypatch.setattr(
        classifier_module.EmotionClassifier,
        "load",
        classmethod(lambda cls, path=None, num_threads=1: fake),
    )
    return fake


@pytest.fixture
def face_png(tmp_path):
    path = tmp_path / "face.png"
    assert cv2.imwrite(str(path), make_scene(640, 480).image)
    return path


@pytest.fixture
def short_video(tmp_path):
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (320, 240))
    for frame in jittered_frames(30, 320, 240):
        writer.write(frame)
    writer.release()
    return path


def test_detect_image_json(fake_model, face_png, capsys):
    assert main(["detect", str(face_png), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["kind"] == "image" and report["frames_analysed"] == 1
    faces = report["frames"][0]["faces"]
    assert len(faces) == 1 and faces[0]["primary"] and faces[0]["emotion"] == "happy"
    x, y, w, h = faces[0]["box"]
    assert 200 < x + w / 2 < 440 and w > 100
    assert sum(faces[0]["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)


def test_detect_image_table(fake_model, face_png, capsys):
    assert main(["detect", str(face_png)]) == 0
    out = capsys.readouterr().out
    assert "emotion" in out and "happy" in out and "surprise" in out


def test_detect_video_every_nth_frame_with_mood_timeline(fake_model, short_video, capsys):
    assert main(["detect", str(short_video), "--every", "3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [f["index"] for f in report["frames"]] == list(range(0, 30, 3))
    assert report["mood_timeline"][0]["to"] == "happy" and report["mood_switches"] == 0
    assert report["final_mood"] == "happy"
    assert main(["detect", str(short_video)]) == 0
    out = capsys.readouterr().out
    assert "Mood timeline" in out and "Mood switches" in out


def test_detect_csv_round_trips_the_json_timeline(fake_model, short_video, tmp_path, capsys):
    from emotune.timeline_csv import read_timeline_csv

    target = tmp_path / "out" / "timeline.csv"
    assert main(["detect", str(short_video), "--json", "--csv", str(target)]) == 0
    report = json.loads(capsys.readouterr().out)
    rows = read_timeline_csv(target)
    assert len(rows) == len(report["frames"]) == 30
    for row, frame in zip(rows, report["frames"], strict=True):
        assert row.timestamp == pytest.approx(frame["t"], abs=1e-3)
        assert (row.mood.key if row.mood else None) == frame["mood"]
        assert (row.music_mood.key if row.music_mood else None) == frame["music_mood"]
        assert row.state.value == frame["state"]
        assert len(row.probabilities) == 7 and sum(row.probabilities) == pytest.approx(1.0)
    assert rows[-1].mood is not None and rows[-1].mood.key == "happy"


def test_detect_missing_path_and_missing_camera_fail_clearly(fake_model, tmp_path, capsys):
    assert main(["detect", str(tmp_path / "nothing.mp4")]) == 1
    assert "no such" in capsys.readouterr().err
    assert main(["detect", "9"]) == 1  # no camera 9 here
    err = capsys.readouterr().err
    assert "camera 9" in err and "Traceback" not in err


def test_bench_json_sections(fake_model, capsys):
    code = main(
        [
            "bench",
            "--json",
            "--frames",
            "14",
            "--reference-frames",
            "1",
            "--keras",
            "/nonexistent.keras",
            "--sections",
            "pipeline,capture_latency,reference,bars",
        ]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report) == ["environment", "pipeline", "capture_latency", "reference", "bars"]
    assert report["environment"]["pinning"]["opencv_threads"] == 1
    for size in ("640x480", "1280x720"):
        stats = report["pipeline"][size]
        assert stats["frames_with_face"] == 1.0
        assert 0 < stats["total_ms"]["median"] <= stats["total_ms"]["p95"]
        assert stats["total_ms"]["p95"] <= stats["total_ms"]["p99"] <= stats["total_ms"]["max"]
        assert stats["first_frame_total_ms"] > 0 and stats["no_face_total_ms"]["n"] == 14
        assert report["reference"][size]["speedup_median"] > 1
    assert "detection only" in report["reference"]["640x480"]["note"]
    capture = report["capture_latency"]["640x480"]
    # Paced at 30 fps: frames are either measured or (on a very busy machine) dropped as stale.
    assert capture["fps"] == 30.0 and capture["latency_ms"]["n"] + capture["dropped_frames"] > 0
    assert set(report["bars"]) >= {
        "640x480_total_median_ms",
        "1280x720_total_median_ms",
        "speedup_vs_naive_640x480",
    }
    p99_bar = report["bars"]["640x480_total_p99_ms"]
    assert (
        p99_bar["bar"] == 16.0
        and p99_bar["measured"] == report["pipeline"]["640x480"]["total_ms"]["p99"]
    )


def test_bench_rejects_unknown_sections(fake_model, capsys):
    assert main(["bench", "--sections", "nope"]) == 1
    assert "unknown section" in capsys.readouterr().err


def test_bench_sections_can_be_added(fake_model, capsys, monkeypatch):
    from emotune.cli import bench

    monkeypatch.setattr(bench, "SECTIONS", dict(bench.SECTIONS))
    bench.register_section("memory", lambda context: {"rss_mb": 1.0})
    assert main(["bench", "--json", "--sections", "memory"]) == 0
    assert json.loads(capsys.readouterr().out)["memory"] == {"rss_mb": 1.0}


STARTUP_REPORT = {
    "runs": 3,
    "successful_runs": 3,
    "window_shown_s": {"median": 0.61, "min": 0.6, "max": 0.7},
    "first_frame_s": {"median": 0.93, "min": 0.9, "max": 1.1},
    "rss_mb": {"median": 180.0, "min": 170.0, "max": 190.0},
    "peak_rss_mb": {"median": 400.0, "min": 390.0, "max": 420.0},
    "tensorflow_imported": False,
    "bars": {
        "first_frame_s": {"bar": 1.5, "measured_median": 0.93, "pass": True},
        "peak_rss_mb": {"bar": 350.0, "measured_median": 400.0, "pass": False},
        "no_tensorflow": {"pass": True},
    },
}


def test_bench_startup_section_probes_the_app_on_its_cores_and_reports_its_bars(
    fake_model, capsys, monkeypatch
):
    from emotune.cli import bench

    calls = []

    def fake_run(command, timeout):
        calls.append(command)
        return subprocess.CompletedProcess(command, 0, stdout=json.dumps(STARTUP_REPORT), stderr="")

    monkeypatch.setattr(bench, "_run_probe", fake_run)
    assert main(["bench", "--json", "--sections", "startup,bars"]) == 0
    report = json.loads(capsys.readouterr().out)
    (command,) = calls
    assert command[1:4] == ["-m", "emotune.devtools.startup_probe", "--json"]
    # The probe gets the cores the bench had before pinning itself to one, like the app would.
    assert command[4:] == ["--cores", ",".join(map(str, sorted(os.sched_getaffinity(0))))]
    assert report["startup"]["first_frame_s"]["median"] == 0.93
    bars = report["bars"]
    assert bars["app_first_frame_s"] == {"bar": 1.5, "measured": 0.93, "pass": True}
    assert bars["app_peak_rss_mb"]["pass"] is False
    assert bars["app_tensorflow_imported"] == {"bar": False, "measured": False, "pass": True}

    assert main(["bench", "--sections", "startup,bars"]) == 0
    text = capsys.readouterr().out
    assert "first camera frame 0.93 s" in text and "peak 400.0 MB" in text
    assert "app_peak_rss_mb" in text and "FAIL" in text


def test_bench_startup_section_reports_a_failed_probe_without_failing_the_bench(
    fake_model, capsys, monkeypatch
):
    from emotune.cli import bench

    monkeypatch.setattr(
        bench,
        "_run_probe",
        lambda command, timeout: subprocess.CompletedProcess(
            command, 1, stdout="", stderr="qt.qpa.plugin: no platform"
        ),
    )
    assert main(["bench", "--sections", "startup"]) == 0
    assert "start-up probe failed (exit 1): qt.qpa.plugin: no platform" in capsys.readouterr().out


@pytest.mark.skipif(not real_model_available(), reason="models/emotion.tflite not exported yet")
def test_detect_image_with_the_real_model(face_png, capsys):
    assert main(["detect", str(face_png), "--json", "--no-calibration"]) == 0
    faces = json.loads(capsys.readouterr().out)["frames"][0]["faces"]
    assert len(faces) == 1
    assert faces[0]["emotion"] == "happy"  # the astronaut is smiling


@pytest.mark.skipif(not real_model_available(), reason="models/emotion.tflite not exported yet")
def test_bench_model_section_reports_the_classifier_cost_and_its_bars(capsys):
    assert main(["bench", "--json", "--sections", "model,bars"]) == 0
    report = json.loads(capsys.readouterr().out)
    model = report["model"]
    assert 0 < model["size_mb"] <= 5
    assert (
        model["predict_one_face_ms"]["cpu_median"] > 0
        and model["predict_one_face_ms"]["median"] > 0
    )
    # The app-configuration probe escapes the bench's one-core pinning and uses the app's threads.
    assert model["predict_one_face_ms"]["num_threads"] == default_num_threads()
    assert model["predict_one_face_one_core_ms"]["median"] > 0
    # The cold load runs in a fresh interpreter; the runtime path must not pull in TensorFlow.
    assert model["cold_load"]["tensorflow_imported"] is False
    bars = report["bars"]
    assert bars["model_size_mb"]["pass"] is True
    assert (
        bars["model_predict_one_face_median_ms"]["measured"]
        == model["predict_one_face_ms"]["median"]
    )
    assert (
        bars["model_predict_one_face_median_ms"]["measured_one_core_one_thread"]
        == model["predict_one_face_one_core_ms"]["median"]
    )
    assert bars["model_load_s"]["measured"] == model["cold_load"]["load_s"]
