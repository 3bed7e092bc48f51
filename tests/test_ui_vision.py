"""The vision worker inside the app: failing cameras, camera off, calibration, responsiveness."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QThread  # noqa: E402
from ui_support import FakePipeline, build_app, fake_scanner, fake_tracks, make_dj  # noqa: E402

from emotune.emotions import Emotion  # noqa: E402
from emotune.music.playback.backends import PlayerState  # noqa: E402
from emotune.vision.sources import SourceError  # noqa: E402


def test_window_survives_a_camera_that_fails_after_3_seconds(qtbot, tmp_path):
    app = build_app(qtbot, tmp_path, camera=Emotion.HAPPY, fail_after=3.0)
    try:
        qtbot.waitUntil(lambda: app.window.video.frames_shown > 5, timeout=5000)
        assert app.window.video.capturing
        qtbot.waitUntil(lambda: app.window.banners.banner("camera") is not None, timeout=10000)
        banner = app.window.banners.banner("camera")
        assert "camera" in banner.text.lower() and "Camera menu" in banner.text  # says what to do
        assert app.window.isVisible()
        qtbot.waitUntil(lambda: "Camera lost" in app.window.mood_header.detail.text(), timeout=3000)
        # The app keeps working: moods from the buttons still drive the music.
        app.controller.choose_mood(Emotion.NEUTRAL)
        app.sync()
        assert app.dj.backend.state is PlayerState.PLAYING
        assert set(app.upcoming_emotions()) == {Emotion.NEUTRAL}
        shown = app.window.video.frames_shown
        qtbot.wait(300)
        assert app.window.video.frames_shown == shown  # no frames from a lost camera
        assert app.controller.camera._vision_thread.isRunning()
    finally:
        app.close()
    assert app.source.closed.is_set()  # the device is released on exit


def test_camera_off_releases_the_device_and_shows_it(qtbot, tmp_path):
    app = build_app(qtbot, tmp_path, camera=Emotion.SAD)
    try:
        qtbot.waitUntil(lambda: app.window.video.frames_shown > 0, timeout=5000)
        assert app.window.camera_on_action.isChecked()
        assert "Capturing" in app.window.privacy_label.text()
        app.window.camera_on_action.trigger()  # Camera ▸ Camera on, unchecked
        qtbot.waitUntil(app.source.closed.is_set, timeout=3000)
        qtbot.waitUntil(lambda: not app.window.video.capturing, timeout=3000)
        assert "nothing is captured" in app.window.privacy_label.text()
        assert not app.window.mood_header.view.capturing
        assert not app.window.camera_on_action.isChecked()
        shown = app.window.video.frames_shown
        qtbot.wait(300)
        assert app.window.video.frames_shown == shown
        app.source.closed.clear()
        app.window.camera_on_action.trigger()  # and on again
        qtbot.waitUntil(lambda: app.window.video.frames_shown > shown, timeout=5000)
        assert app.window.video.capturing
    finally:
        app.close()


def test_no_camera_shows_a_banner_and_music_still_plays(qtbot, tmp_path):
    from emotune.settings import Settings
    from emotune.ui.controller import AppController
    from emotune.ui.main_window import MainWindow
    from emotune.ui.workers.vision_worker import VisionWorker

    def no_camera(spec: str):
        raise SourceError("no camera found (no /dev/video* devices), so camera 0 cannot be opened.")

    settings = Settings(tmp_path / "settings.json")
    window = MainWindow()
    qtbot.addWidget(window)
    vision = VisionWorker(source_factory=no_camera, pipeline_factory=lambda model: FakePipeline())
    controller = AppController(
        window,
        make_dj(settings),
        settings,
        vision=vision,
        source_spec="0",
        scanner=fake_scanner(fake_tracks()),
    )
    window.show()
    controller.start()
    try:
        qtbot.waitUntil(lambda: window.banners.banner("camera") is not None, timeout=5000)
        text = window.banners.banner("camera").text
        assert "No camera found" in text and "emoji buttons" in text
        assert window.banners.banner("camera").action_button is not None
        assert not window.mood_header.view.capturing and not window.video.capturing
        qtbot.waitUntil(lambda: bool(controller.tracks), timeout=5000)
        controller.choose_mood(Emotion.HAPPY)
        assert controller.bridge.wait_idle(5.0)
        assert controller.dj.backend.state is PlayerState.PLAYING
    finally:
        window.close()


def test_neutral_calibration_runs_in_the_worker(qtbot, tmp_path):
    app = build_app(qtbot, tmp_path, camera=Emotion.SAD)
    try:
        qtbot.waitUntil(
            lambda: (
                app.window.video.frames_shown > 3 and app.controller.times.model_loaded is not None
            ),
            timeout=5000,
        )
        with qtbot.waitSignal(app.vision.calibration_finished, timeout=8000) as blocker:
            app.vision.calibrate_neutral(1.0)
        ok, message = blocker.args
        assert ok, message
        qtbot.waitUntil(
            lambda: (
                "Calibrated"
                in (
                    app.window.banners.banner("calibration").text
                    if app.window.banners.banner("calibration")
                    else ""
                )
            ),
            timeout=3000,
        )
    finally:
        app.close()


def test_frames_are_dropped_not_queued_while_the_gui_is_busy(qtbot, tmp_path):
    import time

    app = build_app(qtbot, tmp_path, camera=Emotion.HAPPY)
    try:
        qtbot.waitUntil(lambda: app.window.video.frames_shown > 2, timeout=5000)
        time.sleep(1.0)  # the GUI thread is stuck; the worker keeps analysing
        assert app.vision._in_flight <= app.vision.max_in_flight
        qtbot.waitUntil(lambda: app.vision.frames_dropped > 0, timeout=3000)
    finally:
        app.close()


def _write_demo_video(path: Path, seconds: float = 4.0) -> Path:
    pytest.importorskip("cv2")
    pytest.importorskip("skimage")
    from emotune.devtools import demo_video

    demo_video.write_video(path, seconds)
    return path


def test_gui_timer_never_waits_more_than_50ms_with_a_video_source(qtbot, tmp_path):
    """A 16 ms timer on the GUI thread, while the real worker decodes, detects and classifies."""
    from emotune.paths import DEFAULT_MODEL
    from emotune.settings import Settings
    from emotune.ui.controller import AppController
    from emotune.ui.main_window import MainWindow
    from emotune.ui.responsiveness import TimerLagProbe
    from emotune.ui.workers.vision_worker import VisionWorker

    video = _write_demo_video(tmp_path / "demo.mp4")
    settings = Settings(tmp_path / "settings.json")
    window = MainWindow()
    qtbot.addWidget(window)
    # The real pipeline when the model is there (it is in the repository); a fake one otherwise.
    factory = None if DEFAULT_MODEL.is_file() else (lambda model: FakePipeline())
    vision = VisionWorker(pipeline_factory=factory)
    controller = AppController(
        window,
        make_dj(settings),
        settings,
        vision=vision,
        source_spec=str(video),
        scanner=fake_scanner(fake_tracks()),
    )
    window.resize(1280, 800)
    window.show()
    controller.start()
    try:
        qtbot.waitUntil(
            lambda: controller.times.model_loaded is not None and bool(controller.tracks),
            timeout=15000,
        )
        controller.choose_mood(Emotion.HAPPY)  # music playing too
        qtbot.wait(500)  # past the start-up work
        probe = TimerLagProbe()
        probe.start()
        frames_before = window.video.frames_shown
        qtbot.wait(6000)
        probe.stop()
        frames = window.video.frames_shown - frames_before
        report = (
            f"max gap {probe.max_gap_ms:.1f} ms raw, {probe.max_adjusted_gap_ms:.1f} ms excluding CPU starvation "
            f"(schedstat: {probe.has_schedstat}); {probe.ticks} ticks, {frames} frames shown; worst {probe.worst[:5]}"
        )
        print(report)
        if probe.ticks < 0.5 * 6000 / probe.interval_ms:
            # The OS gave this process too little CPU to even run a 16 ms timer (another job is
            # saturating the cores): no verdict about the app is possible, so do not give one.
            pytest.skip(f"machine too busy to measure GUI latency: {report}")
        assert frames > 20, report  # the camera really was running
        assert probe.max_adjusted_gap_ms <= 50.0, report
    finally:
        window.close()
    assert (
        isinstance(controller.camera._vision_thread, QThread)
        and controller.camera._vision_thread.isFinished()
    )
