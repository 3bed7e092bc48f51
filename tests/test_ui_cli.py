"""`emotune gui` from the command line: options, lazy Qt import, and a real (offscreen) run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from emotune.cli import build_parser, main
from emotune.paths import DEFAULT_MODEL, DEMO_LIBRARY_DIR

ROOT = Path(__file__).resolve().parent.parent


def test_gui_options_parse_without_importing_qt():
    code = (
        "import sys; from emotune.cli import build_parser; "
        "a = build_parser().parse_args(['gui', '--camera', '1', '--no-audio', '--library', '.', '--model', 'm.tflite']); "
        "print(a.camera, a.no_audio, a.library, a.model, 'PySide6' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.split()
    assert out == ["1", "True", ".", "m.tflite", "False"]


def test_gui_help_lists_the_options(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["gui", "--help"])
    text = capsys.readouterr().out
    for option in ("--camera", "--no-audio", "--library", "--model"):
        assert option in text


def test_gui_rejects_a_missing_library_folder(tmp_path, capsys):
    assert main(["gui", "--library", str(tmp_path / "nope")]) == 1
    assert "no such folder" in capsys.readouterr().err


@pytest.mark.slow
def test_the_app_runs_on_a_video_and_reports_its_start_up(tmp_path):
    pytest.importorskip("PySide6")
    pytest.importorskip("skimage")
    if not DEFAULT_MODEL.is_file():
        pytest.skip("no emotion model in models/")
    from test_ui_vision import _write_demo_video

    video = _write_demo_video(tmp_path / "demo.mp4", seconds=3.0)
    library = DEMO_LIBRARY_DIR if DEMO_LIBRARY_DIR.is_dir() else tmp_path
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "EMOTUNE_HOME": str(tmp_path / "home")}
    shot = tmp_path / "shot.png"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "emotune",
            "--camera",
            str(video),
            "--no-audio",
            "--library",
            str(library),
            "--quit-after",
            "15",
            "--probe",
            "--screenshot",
            str(shot),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    line = next(line for line in result.stdout.splitlines() if line.startswith("EMOTUNE_PROBE "))
    probe = json.loads(line.split(" ", 1)[1])
    assert probe["first_frame_s"] is not None and probe["frames_shown"] > 0
    assert probe["tensorflow_imported"] is False
    assert probe["model_loaded_s"] is not None
    assert shot.is_file() and shot.stat().st_size > 10_000
    settings = json.loads((tmp_path / "home" / "config" / "settings.json").read_text())
    assert settings["last_source"] == str(video)
    assert isinstance(settings["window_geometry"], str)


def test_app_plays_on_vlc_dummy_output_with_a_note_when_there_is_no_sound_device(
    monkeypatch, tmp_path
):
    pytest.importorskip("PySide6")
    from emotune.music.playback.backends import sound_output, vlc_available

    if not vlc_available():
        pytest.skip("libvlc is not installed")
    from emotune.settings import Settings
    from emotune.ui import app

    monkeypatch.setenv("EMOTUNE_HOME", str(tmp_path))
    monkeypatch.setattr(
        sound_output, "find_sound_output", lambda: sound_output.SoundOutput(False, "no card here")
    )
    dj, note = app.make_dj(Settings(), no_audio=False)
    try:
        assert dj.backend.name == "vlc" and dj.backend.dummy_audio is True
        assert note is not None and "No sound device found (no card here)" in note
    finally:
        dj.close()

    monkeypatch.setattr(
        sound_output, "find_sound_output", lambda: sound_output.SoundOutput(True, "a card")
    )
    dj, note = app.make_dj(Settings(), no_audio=False)
    try:
        assert dj.backend.dummy_audio is False and note is None
    finally:
        dj.close()


def test_startup_summary_takes_medians_of_the_runs_that_showed_a_frame_and_checks_the_bars():
    pytest.importorskip("PySide6")
    from emotune.devtools.startup_probe import summarise

    reports = [
        {"first_frame_s": 0.9, "peak_rss_mb": 300.0, "tensorflow_imported": False},
        {"first_frame_s": 2.1, "peak_rss_mb": 320.0, "tensorflow_imported": False},
        {"first_frame_s": 1.2, "peak_rss_mb": 500.0, "tensorflow_imported": False},
        {"first_frame_s": None, "window_shown_s": 0.7},
        {"error": "no probe output (exit 1)", "returncode": 1},
    ]
    summary = summarise(reports)
    assert summary["runs"] == 5 and summary["successful_runs"] == 3
    assert summary["first_frame_s"] == {"median": 1.2, "min": 0.9, "max": 2.1}
    assert summary["bars"]["first_frame_s"]["pass"] is True  # the median run, not the slowest
    assert summary["bars"]["peak_rss_mb"] == {"bar": 350.0, "measured_median": 320.0, "pass": True}
    assert summary["bars"]["no_tensorflow"]["pass"] is True
    assert summary["errors"] == [
        "no probe output (exit 1)",
        "no frame shown within the run (window shown at 0.7 s)",
    ]


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity on this platform")
def test_startup_probe_runs_the_app_on_the_cores_it_is_given(monkeypatch, capsys):
    pytest.importorskip("PySide6")
    from emotune.devtools import startup_probe

    seen = []

    def fake_probe(*args, **kwargs):
        seen.append(sorted(os.sched_getaffinity(0)))  # what the app processes would inherit
        return {"bars": {}}

    monkeypatch.setattr(startup_probe, "probe", fake_probe)
    original = os.sched_getaffinity(0)
    core = sorted(original)[-1]
    try:
        assert startup_probe.main(["--json", "--cores", str(core)]) == 0
    finally:
        os.sched_setaffinity(0, original)
    assert seen == [[core]]
    with pytest.raises(SystemExit):
        startup_probe.main(["--cores", "first"])
    assert "expected comma-separated core numbers" in capsys.readouterr().err
