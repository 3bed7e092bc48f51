"""One vision driver: the same video through `emotune detect` and through the window's worker gives
identical per-frame readings and identical mood timelines."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

pytest.importorskip("PySide6")
cv2 = pytest.importorskip("cv2")
pytest.importorskip("skimage")

from test_ui_vision import _write_demo_video  # noqa: E402
from vision_fakes import real_model_available  # noqa: E402

from emotune.cli import main as cli_main  # noqa: E402

pytestmark = pytest.mark.skipif(not real_model_available(), reason="needs the shipped model")


def _detect(video: Path, capsys) -> dict:
    assert cli_main(["detect", str(video), "--json", "--no-calibration"]) == 0
    return json.loads(capsys.readouterr().out)


def _through_the_worker(qtbot, video: Path) -> tuple[list, list]:
    from emotune.ui.workers.vision_worker import VisionWorker
    from emotune.vision.driver import VisionOptions
    from emotune.vision.sources import VideoFileSource

    # The file as fast as it decodes and without looping, like `detect` reads it.
    worker = VisionWorker(
        VisionOptions(use_calibration=False),
        source_factory=lambda spec: VideoFileSource(spec),
        max_fps=0,
    )
    worker.max_in_flight = 10**9  # keep every frame: this test compares all of them
    frames, events, done = [], [], threading.Event()

    def on_frame(update) -> None:
        frames.append(update)
        worker.frame_consumed()

    worker.frame_ready.connect(on_frame)
    worker.mood_update.connect(events.append)
    worker.capture_stopped.connect(done.set)
    worker.model_status.connect(lambda ok, message: worker.open_source(str(video)) if ok else None)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    # The model loads after the first picture; once it is loaded the video is opened again, so
    # the worker's filter starts from the first frame just as detect's does.
    worker.open_source(str(video))
    try:
        qtbot.waitUntil(done.is_set, timeout=120000)
    finally:
        worker.request_quit()
        thread.join(10)
    start = max(i for i, f in enumerate(frames) if f.index == 0)
    return frames[start:], events


def test_detect_and_the_window_read_the_same_video_identically(qtbot, tmp_path, capsys):
    video = _write_demo_video(tmp_path / "demo.mp4", seconds=14.0)
    report = _detect(video, capsys)
    frames, events = _through_the_worker(qtbot, video)
    records = report["frames"]
    assert len(records) == len(frames) > 150
    moods = set()
    for record, update in zip(records, frames, strict=True):
        primary = next((face for face in update.faces if face.is_primary), None)
        assert (record["primary"] is None) == (primary is None)
        if primary is not None:
            detected = next(face for face in record["faces"] if face["primary"])
            assert detected["box"] == [
                primary.x,
                primary.y,
                primary.w,
                primary.h,
            ]  # 640 wide: shown unscaled
            assert detected["probabilities"] == {
                k: round(p, 4)
                for k, p in zip(detected["probabilities"], primary.probabilities, strict=True)
            }
        snapshot = update.mood
        assert record["mood"] == (snapshot.mood.key if snapshot.mood else None)
        assert record["music_mood"] == (snapshot.music_mood.key if snapshot.music_mood else None)
        assert record["state"] == snapshot.state.value
        moods.add(record["mood"])
    assert {"happy", "surprise"} <= moods  # the video's scenes really moved the mood
    # And the mood timelines: every change detect reports, the worker announced at the same time.
    from emotune.mood import MoodEventKind

    for kind, key in (
        (MoodEventKind.MOOD_CHANGED, "mood_timeline"),
        (MoodEventKind.MUSIC_MOOD_CHANGED, "music_mood_timeline"),
    ):
        replay_start = frames[0].mood.timestamp if frames[0].mood else 0.0
        announced = [
            (round(e.timestamp, 3), e.new.key)
            for e in events
            if e.kind is kind and e.timestamp >= replay_start
        ]
        assert announced[-len(report[key]) :] == [(c["t"], c["to"]) for c in report[key]]
