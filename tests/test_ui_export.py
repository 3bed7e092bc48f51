"""File ▸ Export mood timeline…: the CSV reads back as the timeline's samples; the PNG is the chart."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtGui import QImage  # noqa: E402
from ui_support import build_app, one_hot  # noqa: E402

from emotune.emotions import Emotion  # noqa: E402
from emotune.mood import MoodState  # noqa: E402
from emotune.timeline_csv import read_timeline_csv  # noqa: E402


def test_export_writes_the_samples_as_csv_and_the_chart_as_png(qtbot, tmp_path):
    app = build_app(qtbot, tmp_path)
    try:
        timeline = app.window.timeline
        now = 1000.0
        timeline._clock = lambda: now + 10  # the samples below are "recent"
        timeline.add_sample(None, None, t=now)
        timeline.add_sample(
            tuple(one_hot(Emotion.SAD)),
            Emotion.SAD,
            music_mood=Emotion.SAD,
            state=MoodState.TRACKING,
            t=now + 0.5,
        )
        timeline.add_sample(
            tuple(one_hot(Emotion.HAPPY)),
            Emotion.SAD,
            pinned=True,
            state=MoodState.TRACKING,
            t=now + 1.0,
            music_mood=Emotion.HAPPY,
        )
        target = tmp_path / "export" / "mine.csv"
        job = app.controller.exporter.export(target)
        job.result(10)
        qtbot.waitUntil(lambda: "exported" in app.window.statusBar().currentMessage(), timeout=3000)
        rows = read_timeline_csv(target)
        samples = timeline.log()
        assert len(rows) == len(samples) >= 3
        last = rows[-1]
        assert last.timestamp == pytest.approx(samples[-1].t - samples[0].t)
        assert (
            last.mood is Emotion.SAD and last.music_mood is Emotion.HAPPY and last.state == "manual"
        )
        assert last.probabilities == pytest.approx(tuple(one_hot(Emotion.HAPPY)))
        assert rows[-3].probabilities == () and rows[-3].mood is None and rows[-3].state == "off"
        assert rows[-2].state is MoodState.TRACKING and rows[-2].music_mood is Emotion.SAD
        image = QImage(str(target.with_suffix(".png")))
        assert not image.isNull()
        assert image.width() >= timeline.width() and image.height() >= timeline.height()
    finally:
        app.close()


def test_an_unwritable_place_gets_a_banner_and_nothing_breaks(qtbot, tmp_path):
    app = build_app(qtbot, tmp_path)
    try:
        app.window.timeline.add_sample(None, None)
        blocker = tmp_path / "file"
        blocker.write_text("x")
        job = app.controller.exporter.export(blocker / "sub" / "t.csv")  # a file as a folder
        job.result(10)
        qtbot.waitUntil(lambda: app.window.banners.banner("export") is not None, timeout=3000)
        assert "Could not export" in app.window.banners.banner("export").text
    finally:
        app.close()
