"""Small things: "Paused" in words, volume up/down/mute in the Playback menu, "video restarted"."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

pytest.importorskip("PySide6")

from ui_support import build_app  # noqa: E402

from emotune.emotions import Emotion  # noqa: E402
from emotune.ui.workers.vision_worker import SourceProblem  # noqa: E402
from emotune.vision.sources import SourceEvent, VideoFileSource  # noqa: E402


@pytest.fixture
def app(qtbot, tmp_path):
    harness = build_app(qtbot, tmp_path)
    yield harness
    harness.close()


def test_paused_is_said_in_words_beside_the_controls(app):
    panel = app.window.player
    app.controller.choose_mood(Emotion.HAPPY)
    app.sync()
    assert panel.state_label.text() == ""
    app.window.play_action.trigger()  # Space: pause
    app.sync()
    assert panel.state_label.text() == "Paused" and panel.state_label.isVisible()
    app.window.play_action.trigger()
    app.sync()
    assert panel.state_label.text() == ""


def test_volume_up_down_and_mute_from_the_playback_menu(app):
    window = app.window
    slider = window.player.volume
    slider.setValue(50)
    app.sync()
    assert window.volume_up_action.shortcut().toString() == "Ctrl+Up"
    window.volume_up_action.trigger()
    app.sync()
    assert slider.value() == 55 and app.dj.volume == 55
    window.volume_down_action.trigger()
    window.volume_down_action.trigger()
    app.sync()
    assert slider.value() == 45 and app.dj.volume == 45
    window.mute_action.trigger()
    app.sync()
    assert slider.value() == 0 and app.dj.volume == 0 and window.mute_action.isChecked()
    window.mute_action.trigger()  # unmute: back to where it was
    app.sync()
    assert slider.value() == 45 and app.dj.volume == 45 and not window.mute_action.isChecked()
    slider.setValue(98)
    window.volume_up_action.trigger()
    assert slider.value() == 100  # clamped


def test_a_looping_video_reports_each_restart(tmp_path):
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (64, 48))
    assert writer.isOpened()
    for i in range(3):
        writer.write(np.full((48, 64, 3), i * 40, np.uint8))
    writer.release()
    events = []
    with VideoFileSource(path, loop=True) as source:
        source.add_listener(lambda _s, e: events.append(e))
        for _ in range(7):  # 3 + 3 + 1 frames: two restarts
            assert source.read() is not None
    assert events.count(SourceEvent.LOOPED) == 2


def test_video_restarted_shows_in_the_status_bar(app):
    # What the vision worker sends when its source reports SourceEvent.LOOPED.
    app.controller.camera._on_source_problem(SourceProblem.RESTARTED, "clip.mp4: video restarted")
    assert app.window.statusBar().currentMessage() == "clip.mp4: video restarted"
    assert app.window.banners.banner("camera") is None  # a word in passing, not a banner
