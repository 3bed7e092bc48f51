"""`emotune doctor`: every check reports instead of crashing, and the exit code follows the
essential checks only (a missing camera is a warning)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

import emotune.doctor as doctor
from emotune.cli import main
from emotune.cli.doctor import format_report
from emotune.doctor import camera, qt_platform
from emotune.doctor.camera import check_camera, probe_camera
from emotune.doctor.library import check_library, configured_folders, count_audio_files
from emotune.doctor.libvlc import check_libvlc
from emotune.doctor.model import check_model
from emotune.doctor.python_version import check_python
from emotune.doctor.qt_platform import (
    apt_packages_for,
    check_qt_platform,
    chosen_platform,
    parse_ldd_missing,
)
from emotune.doctor.result import CheckResult
from emotune.paths import DEMO_LIBRARY_DIR

ALL_KEYS = {"python", "user_dirs", "camera", "libvlc", "sound", "model", "library", "qt", "mpris"}
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux device nodes")


@pytest.fixture
def no_camera(monkeypatch):
    """This machine as if it had no /dev/video* at all."""
    monkeypatch.setattr(camera, "video_devices", lambda: [])


def _run_doctor_json(capsys) -> tuple[int, dict]:
    code = main(["doctor", "--json"])
    return code, json.loads(capsys.readouterr().out)


# --- the whole command -------------------------------------------------------------------


@linux_only
def test_doctor_json_has_every_check_and_reports_the_missing_camera(no_camera, capsys, monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    code, report = _run_doctor_json(capsys)
    checks = {check["key"]: check for check in report["checks"]}
    assert set(checks) == ALL_KEYS
    for check in checks.values():
        assert {"title", "ok", "status", "detail", "hint", "essential"} <= set(check)
        assert check["detail"]
        if not check["ok"]:
            assert check["hint"], f"{check['key']} failed without a fix hint"
    assert checks["camera"]["ok"] is False
    assert checks["camera"]["status"] == "warning"
    assert "emoji" in checks["camera"]["hint"]
    assert checks["python"]["ok"] is True
    assert checks["qt"]["ok"] is True
    essential_ok = all(c["ok"] for c in checks.values() if c["essential"])
    assert report["ok"] is essential_ok
    assert code == (0 if essential_ok else 1)


@linux_only
def test_doctor_text_report_marks_the_camera_with_a_cross(no_camera, capsys, monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    main(["doctor"])
    out = capsys.readouterr().out
    camera_line = next(line for line in out.splitlines() if "Camera" in line)
    assert camera_line.startswith("✗")
    assert "✓ Python" in out
    assert "fix:" in out


def _fake_results(camera_ok: bool, model_ok: bool) -> list[CheckResult]:
    return [
        CheckResult("python", "Python", True, "3.11"),
        CheckResult("camera", "Camera", camera_ok, "none", hint="plug one in", essential=False),
        CheckResult("model", "Emotion model", model_ok, "broken", hint="retrain"),
    ]


@pytest.mark.parametrize(
    ("camera_ok", "model_ok", "expected_code"),
    [(True, True, 0), (False, True, 0), (True, False, 1), (False, False, 1)],
)
def test_exit_code_follows_essential_checks_only(
    monkeypatch, capsys, camera_ok, model_ok, expected_code
):
    monkeypatch.setattr(doctor, "run_checks", lambda: _fake_results(camera_ok, model_ok))
    code, report = _run_doctor_json(capsys)
    assert code == expected_code
    assert report["ok"] is (expected_code == 0)


def test_text_report_falls_back_to_ascii_marks():
    text = format_report(_fake_results(camera_ok=False, model_ok=False), unicode_marks=False)
    assert "✓" not in text and "✗" not in text
    assert "OK Python" in text
    assert "1 essential check(s) failed: Emotion model." in text


def test_a_crashing_check_is_reported_not_raised(monkeypatch):
    def explode() -> CheckResult:
        raise RuntimeError("boom")

    monkeypatch.setattr(doctor, "CHECKS", (("model", "Emotion model", explode),))
    [result] = doctor.run_checks()
    assert result.ok is False and result.essential is True
    assert "boom" in result.detail


# --- camera --------------------------------------------------------------------------------


@linux_only
def test_no_video_devices_is_a_warning_with_a_hint():
    result = check_camera(devices=[])
    assert result.ok is False and result.essential is False and result.status == "warning"
    assert "/dev/video" in result.detail
    assert "emoji buttons" in result.hint


@linux_only
def test_a_device_that_cannot_be_opened_fails_quickly(tmp_path):
    # A device node that exists but is no camera: OpenCV must give up, not hang.
    fake = tmp_path / "video63"
    fake.write_bytes(b"")
    started = time.monotonic()
    result = check_camera(devices=[fake])
    assert result.ok is False and result.essential is False
    assert str(fake) in result.detail
    assert time.monotonic() - started < camera.PROBE_TIMEOUT_S + 10


@linux_only
def test_a_hanging_camera_times_out(monkeypatch):
    # Stand in for a wedged driver: the probe child just sleeps.
    monkeypatch.setattr(camera, "_PROBE_SCRIPT", "import time; time.sleep(60)")
    started = time.monotonic()
    ok, detail = probe_camera(0, timeout=1.0)
    assert ok is False
    assert detail == "no frame within 1 s"
    assert time.monotonic() - started < 10


@linux_only
def test_first_working_device_is_reported(tmp_path):
    nodes = [tmp_path / "video0", tmp_path / "video2"]
    for node in nodes:
        node.write_bytes(b"")
    answers = {0: (False, "could not be opened"), 2: (True, "640x480 frames")}
    result = check_camera(devices=nodes, probe=answers.__getitem__)
    assert result.ok is True
    assert "camera 2" in result.detail and "640x480" in result.detail


# --- python, libvlc, model, library -------------------------------------------------------


def test_python_version_check():
    assert check_python().ok is True
    old = check_python((3, 9, 18))
    assert old.ok is False and "3.10" in old.hint


def test_libvlc_present_reports_its_version():
    result = check_libvlc()
    assert result.ok is True, result.detail
    assert result.detail.startswith("libvlc 3.")


def test_libvlc_missing_is_reported_with_an_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "vlc", None)  # makes `import vlc` raise ImportError
    result = check_libvlc()
    assert result.ok is False and result.essential is True
    assert "not found" in result.detail
    if sys.platform.startswith("linux"):
        assert "libvlc5 vlc-plugin-base" in result.hint


def test_missing_model_file(tmp_path):
    result = check_model(tmp_path / "emotion.tflite")
    assert result.ok is False and "missing" in result.detail and result.hint


def test_corrupt_model_file_is_reported_not_raised(tmp_path):
    garbage = tmp_path / "emotion.tflite"
    garbage.write_bytes(b"this is not a flatbuffer")
    result = check_model(garbage)
    assert result.ok is False
    assert "does not load" in result.detail


def test_missing_classifier_module_is_reported(tmp_path, monkeypatch):
    model = tmp_path / "emotion.tflite"
    model.write_bytes(b"x")
    monkeypatch.setitem(sys.modules, "emotune.vision.classifier", None)
    result = check_model(model)
    assert result.ok is False
    assert "emotune.vision.classifier is missing" in result.detail


def test_library_counts_audio_files_by_extension_in_any_case(tmp_path):
    (tmp_path / "album").mkdir()
    for name in (
        "a.mp3",
        "b.FLAC",
        "album/c.ogg",
        "album/d.opus",
        "e.m4a",
        "f.wav",
        "cover.jpg",
        "notes.txt",
    ):
        (tmp_path / name).write_bytes(b"")
    assert count_audio_files(tmp_path) == 6
    result = check_library([tmp_path, tmp_path / "gone"])
    assert result.ok is True
    assert result.detail.startswith("6 tracks")
    assert "gone (missing)" in result.detail


def test_library_count_falls_back_to_extensions_without_the_scanner(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "emotune.music.library.scanner", None)  # import now fails
    for name in ("a.mp3", "b.Opus", "c.txt"):
        (tmp_path / name).write_bytes(b"")
    assert count_audio_files(tmp_path) == 2


def test_empty_library_fails_with_a_hint(tmp_path):
    result = check_library([tmp_path])
    assert result.ok is False and result.essential is True
    assert "music_library" in result.hint


@pytest.mark.parametrize("scanner_available", [True, False])
def test_library_includes_the_demo_folder_and_folders_from_settings(
    tmp_path, monkeypatch, scanner_available
):
    from emotune.settings import Settings

    if not scanner_available:
        monkeypatch.setitem(sys.modules, "emotune.music.library.scanner", None)
    (tmp_path / "song.mp3").write_bytes(b"")
    Settings().set("library_folders", [str(tmp_path)])
    assert configured_folders() == [DEMO_LIBRARY_DIR, tmp_path]
    result = check_library()
    assert f"{tmp_path} (1)" in result.detail
    assert result.ok is True


# --- Qt -----------------------------------------------------------------------------------


def test_platform_choice_follows_the_environment():
    assert chosen_platform({"QT_QPA_PLATFORM": "offscreen"})[0] == "offscreen"
    assert chosen_platform({"QT_QPA_PLATFORM": "wayland;xcb"})[0] == "wayland"
    if sys.platform.startswith("linux"):
        assert chosen_platform({"DISPLAY": ":0"})[0] == "xcb"
        assert chosen_platform({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"})[0] == "wayland"
        assert chosen_platform({})[0] is None


@linux_only
def test_no_display_fails_with_xvfb_hint():
    result = check_qt_platform(env={"PATH": "/usr/bin:/bin"})
    assert result.ok is False
    assert "DISPLAY" in result.detail
    assert "xvfb-run" in result.hint


def test_offscreen_platform_really_starts_qt():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = check_qt_platform(env=env)
    assert result.ok is True, result.detail
    assert "'offscreen'" in result.detail


@linux_only
def test_unreachable_x_display_is_reported():
    env = {**os.environ, "DISPLAY": ":987"}
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("WAYLAND_DISPLAY", None)
    result = check_qt_platform(env=env)
    assert result.ok is False
    assert result.hint


def test_missing_xcb_libraries_are_parsed_and_mapped_to_packages():
    ldd_output = (
        "\tlinux-vdso.so.1 (0x00007ffd)\n"
        "\tlibQt6XcbQpa.so.6 => /x/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f)\n"
        "\tlibxcb-cursor.so.0 => not found\n"
        "\tlibxkbcommon-x11.so.0 => not found\n"
        "\tlibxcb-cursor.so.0 => not found\n"
    )
    missing = parse_ldd_missing(ldd_output)
    assert missing == ["libxcb-cursor.so.0", "libxkbcommon-x11.so.0"]
    assert apt_packages_for(missing) == ["libxcb-cursor0", "libxkbcommon-x11-0"]


@linux_only
def test_missing_xcb_libraries_fail_the_check_on_x11(monkeypatch):
    monkeypatch.setattr(qt_platform, "missing_libraries", lambda plugin: ["libxcb-cursor.so.0"])
    result = check_qt_platform(env={"DISPLAY": ":0"})
    assert result.ok is False
    assert "libxcb-cursor.so.0" in result.detail
    assert "apt-get install --no-install-recommends libxcb-cursor0" in result.hint


def test_installed_xcb_plugin_has_no_missing_libraries():
    plugin = qt_platform.xcb_plugin_path(qt_platform.pyside6_dir())
    if not (sys.platform.startswith("linux") and plugin.exists()):
        pytest.skip("only pip's Linux PySide6 wheel ships the xcb plugin")
    assert qt_platform.missing_libraries(plugin) == [], "run `make setup` to install them"


def test_doctor_does_not_import_pyside6_into_its_own_process():
    # Qt may only ever load in the smoke-test child, never in the doctor's own process.
    code = (
        "import os, sys; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from emotune.doctor import run_checks; run_checks()\n"
        "print('PySide6' in sys.modules)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().splitlines()[-1] == "False"
