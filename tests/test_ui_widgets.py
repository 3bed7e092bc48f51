"""The painted widgets on their own: chart, timeline, emoji bar, banners, about box, helpers."""

from __future__ import annotations

import json
import sys
import time

import pytest

pytest.importorskip("PySide6")

import numpy as np  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402

from emotune.emotions import EMOTIONS, NUM_CLASSES, Emotion  # noqa: E402
from emotune.mood import MoodState  # noqa: E402
from emotune.ui import qt_compat  # noqa: E402
from emotune.ui.about import about_html, load_metrics  # noqa: E402
from emotune.ui.frames import FaceBox, FrameUpdate  # noqa: E402
from emotune.ui.icons import emotion_pixmap, has_emoji_font  # noqa: E402
from emotune.ui.mood_view import describe  # noqa: E402
from emotune.ui.theme import format_time  # noqa: E402
from emotune.ui.widgets.banner import BannerArea, BannerLevel  # noqa: E402
from emotune.ui.widgets.emoji_bar import EmojiBar  # noqa: E402
from emotune.ui.widgets.mood_header import MoodHeader  # noqa: E402
from emotune.ui.widgets.prob_chart import ProbabilityChart  # noqa: E402
from emotune.ui.widgets.timeline import MoodTimeline  # noqa: E402
from emotune.ui.widgets.video_view import VideoView  # noqa: E402
from emotune.ui.workers.vision_worker import frame_to_qimage  # noqa: E402


def test_chart_shows_exactly_the_snapshot_and_highlights_the_largest_bar(qtbot):
    chart = ProbabilityChart()
    qtbot.addWidget(chart)
    chart.resize(400, 240)
    chart.show()
    values = [0.05, 0.0, 0.05, 0.7, 0.1, 0.05, 0.05]
    chart.set_probabilities(values)
    assert chart.displayed() == values  # no easing: the printed numbers are the snapshot's
    assert chart.leading() is Emotion.HAPPY
    assert "Happy: 70%" in chart.toolTip() and "How sure" in chart.toolTip()
    chart.set_probabilities([0.05, 0.0, 0.05, 0.3, 0.5, 0.05, 0.05])
    assert chart.leading() is Emotion.NEUTRAL
    chart.set_probabilities(None)  # no face: bars grey out, nothing highlighted
    assert chart.leading() is None and max(chart.displayed()) == 0.0
    chart.grab()  # paints without errors in both states
    with pytest.raises(ValueError):
        chart.set_probabilities([0.5, 0.5])


def test_timeline_keeps_only_the_window_and_paints(qtbot):
    timeline = MoodTimeline(window_s=60)
    qtbot.addWidget(timeline)
    timeline.resize(600, 80)
    now = time.monotonic()
    probs = [1 / NUM_CLASSES] * NUM_CLASSES
    timeline.add_sample(probs, Emotion.SAD, t=now - 200)  # far outside the window
    for i in range(120):
        mood = Emotion.HAPPY if i < 60 else Emotion.SAD
        timeline.add_sample(
            probs if i % 30 else None,
            mood,
            pinned=80 <= i < 90,
            faded=i > 110,
            t=now - 60 + i * 0.5,
        )
    samples = timeline.samples()
    assert all(s.t >= now - 60 - 5 for s in samples)
    assert len(samples) == 120
    image = timeline.grab().toImage()
    assert image.width() == 600
    # Painted something besides the background in the band (the mood colours).
    colours = {image.pixelColor(x, 8).name() for x in range(10, 590, 7)}
    assert len(colours) > 2


def test_emoji_bar_reports_choices(qtbot):
    bar = EmojiBar()
    qtbot.addWidget(bar)
    bar.show()
    chosen = []
    bar.mood_chosen.connect(chosen.append)
    qtbot.mouseClick(bar.buttons[Emotion.FEAR], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(bar.auto_button, Qt.MouseButton.LeftButton)
    assert chosen == [Emotion.FEAR, None]
    bar.set_selected(Emotion.SAD)
    assert bar.selected() is Emotion.SAD and chosen == [Emotion.FEAR, None]  # no signal
    bar.set_counts({Emotion.SAD: 3})
    assert "3 tracks" in bar.buttons[Emotion.SAD].toolTip()
    assert "No angry tracks" in bar.buttons[Emotion.ANGRY].toolTip()


def test_banners_replace_by_key_and_dismiss(qtbot):
    area = BannerArea()
    qtbot.addWidget(area)
    area.show()
    clicked = []
    area.show_banner(
        "camera",
        "No camera found.",
        BannerLevel.WARNING,
        ("Open video…", lambda: clicked.append(1)),
    )
    area.show_banner("camera", "Camera lost.", BannerLevel.WARNING)
    area.show_banner("audio", "No sound.", BannerLevel.ERROR)
    assert area.keys() == ["camera", "audio"]
    assert area.banner("camera").text == "Camera lost."
    assert area.isVisible()
    first = area.show_banner(
        "library", "Empty.", BannerLevel.INFO, ("Choose…", lambda: clicked.append(2))
    )
    qtbot.mouseClick(first.action_button, Qt.MouseButton.LeftButton)
    assert clicked == [2]
    area.dismiss("camera")
    area.dismiss("audio")
    area.dismiss("library")
    assert area.keys() == [] and not area.isVisible()
    with pytest.raises(ValueError):
        area.show_banner("x", "y", "fatal")


def test_mood_header_shows_a_view(qtbot):
    header = MoodHeader()
    qtbot.addWidget(header)
    happy = _snapshot(Emotion.HAPPY, 0.8, MoodState.TRACKING, music=Emotion.HAPPY)
    header.show_view(describe(happy))
    assert header.name.text() == "Happy" and header.detail.text() == "80% sure · music for happy"
    assert not header.badge.isVisibleTo(header)
    header.show_view(
        describe(_snapshot(Emotion.HAPPY, 0.4, MoodState.UNCERTAIN, music=Emotion.SAD))
    )
    assert header.name.text() == "Uncertain" and header.badge.text() == "UNCERTAIN"
    assert header.detail.text() == "Music stays with sad"
    header.show_view(describe(happy, capturing=False))
    assert (
        header.name.text() == "Camera off" and "Nothing is being captured" in header.detail.text()
    )
    assert header.badge.text() == "PRIVATE"


def _snapshot(mood, confidence, state, music=None, leader=None, music_in=None):
    from emotune.mood import MoodSnapshot

    probs = [(1.0 - confidence) / (NUM_CLASSES - 1)] * NUM_CLASSES
    if mood is not None:
        probs[(leader or mood).value] = confidence
    return MoodSnapshot(0.0, mood, music, state, confidence, tuple(probs), leader or mood, music_in)


def test_about_box_shows_the_model_cards_numbers(tmp_path):
    metrics = {
        "model": {"version": "v1", "arch": "compact_vgg", "quantization": "dynamic"},
        "size_bytes": 700000,
        "val": {
            "fer2013": {
                "n": 3589,
                "accuracy": 0.651,
                "balanced_accuracy": 0.6,
                "macro_f1": 0.61,
                "ece": 0.03,
            }
        },
        "latency": {"predict_ms_median_batch1": 1.4, "backend": "litert"},
    }
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps(metrics))
    text = about_html(load_metrics(path))
    assert "65.1%" in text and "compact_vgg" in text and "1.4 ms" in text and "3589" in text
    assert "No model metrics" in about_html(None)
    shipped = load_metrics()
    if shipped is not None:  # the real models/metrics.json renders too
        assert "%" in about_html(shipped)


def test_frame_to_qimage_copies_and_scales():
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[:, :, 2] = 255  # red in BGR
    image, scale = frame_to_qimage(frame, 320)
    del frame
    assert (image.width(), image.height()) == (320, 240) and scale == 0.5
    assert image.pixelColor(10, 10).name() == "#ff0000"
    small, scale = frame_to_qimage(np.zeros((100, 200), np.uint8), 800)
    assert (small.width(), small.height(), scale) == (200, 100, 1.0)


def test_emotion_icons_and_time_format(qtbot):
    for emotion in EMOTIONS:
        pixmap = emotion_pixmap(emotion, 24)
        assert not pixmap.isNull() and pixmap.width() == 24
    assert isinstance(has_emoji_font(), bool)
    assert (
        format_time(0) == "0:00" and format_time(75.9) == "1:15" and format_time(3725) == "1:02:05"
    )
    assert format_time(None) == "--:--"


def test_qt_reference_workaround_keeps_none_and_true_alive(qtbot):
    # Thousands of void calls and emits must not free None/True (PySide6 6.12 on CPython 3.11).
    chart = ProbabilityChart()
    qtbot.addWidget(chart)
    bar = EmojiBar()
    qtbot.addWidget(bar)
    for _ in range(20000):
        chart.setToolTip("x")
        bar.mood_chosen.emit(None)
    assert sys.getrefcount(None) > 1000 and sys.getrefcount(True) > 1000
    if qt_compat.applied:
        assert sys.getrefcount(None) > qt_compat.RESERVE // 2


def test_primary_face_label_comes_from_the_view_other_faces_keep_their_own(qtbot):
    """The primary face's label is the header's description of the snapshot, not this frame's
    flickering reading; other faces keep their own reading."""
    view = VideoView()
    qtbot.addWidget(view)
    view.resize(400, 300)
    image, _ = frame_to_qimage(np.zeros((120, 160, 3), np.uint8), 160)
    frame_says_surprise = tuple(0.9 if e is Emotion.SURPRISE else 0.1 / 6 for e in EMOTIONS)
    primary = FaceBox(10, 10, 50, 50, frame_says_surprise, is_primary=True)
    other = FaceBox(80, 10, 40, 40, frame_says_surprise)
    view.show_frame(FrameUpdate(image, (primary, other)))
    assert view.primary_label() == (Emotion.SURPRISE, "Surprise 90%")  # no view yet: its own
    view.show_view(describe(_snapshot(Emotion.HAPPY, 0.8, MoodState.TRACKING)))
    assert view.primary_label() == (Emotion.HAPPY, "Happy 80%")
    assert view._label_of(other) == (Emotion.SURPRISE, "Surprise 90%")
    view.show_view(
        describe(_snapshot(Emotion.HAPPY, 0.45, MoodState.UNCERTAIN, leader=Emotion.SAD))
    )
    assert view.primary_label() == (None, "Uncertain")
    view.grab()  # paints both kinds of label
