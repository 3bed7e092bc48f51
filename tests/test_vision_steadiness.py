"""End-to-end steadiness on synthetic videos: a steady face keeps its mood; one change, one switch.

The videos are built here from scikit-image's astronaut picture (jitter, brightness flicker,
noise), written as MJPG files in a temp folder and read back through ``open_source`` like a
user's file. The "expression change" is synthetic: the face gets darker at the change, and
:class:`BrightnessClassifier` reads bright faces as happy and dark ones as sad, with logit noise
so per-frame winners flicker like a real model's. The real-model test (steady face only) runs
when ``models/emotion.tflite`` exists.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from vision_fakes import BrightnessClassifier, real_model_available

from emotune.devtools.synthetic import jittered_frames
from emotune.emotions import Emotion
from emotune.mood import MoodEventKind, MoodTracker
from emotune.vision.driver import VisionOptions, build_pipeline
from emotune.vision.sources import VideoFileSource, open_source

FPS = 10.0
SIZE = (320, 240)
STEADY_S = 30.0
CHANGE_AT_S = 10.0
CHANGE_TOTAL_S = 20.0


def write_video(path: Path, segments: list[tuple[int, float, int]]) -> Path:
    """Write (frame count, face gain, seed) segments of jittered astronaut frames as MJPG."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, SIZE)
    assert writer.isOpened()
    for count, gain, seed in segments:
        for frame in jittered_frames(
            count,
            *SIZE,
            seed=seed,
            face_gain=gain,
            jitter_px=3,
            noise_std=3.0,
            brightness_jitter=0.05,
        ):
            writer.write(frame)
    writer.release()
    return path


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("videos")
    steady_frames = int(STEADY_S * FPS)
    before = int(CHANGE_AT_S * FPS)
    after = int((CHANGE_TOTAL_S - CHANGE_AT_S) * FPS)
    return {
        "steady": write_video(folder / "steady.avi", [(steady_frames, 1.0, 1)]),
        "change": write_video(folder / "change.avi", [(before, 1.0, 2), (after, 0.55, 3)]),
    }


def play(path: Path, classifier) -> tuple[MoodTracker, list]:
    """Run the whole pipeline over a video file; returns the tracker and per-frame results."""
    pipeline = build_pipeline(VisionOptions(use_calibration=False), classifier=classifier)
    tracker = pipeline.tracker
    results = []
    source = open_source(str(path))
    assert isinstance(source, VideoFileSource)
    with source:
        pipeline.run(source, on_result=results.append)
    return tracker, results


def mood_changes(tracker: MoodTracker):
    return [e for e in tracker.events if e.kind is MoodEventKind.MOOD_CHANGED]


def test_steady_face_for_30_seconds_keeps_one_mood(videos):
    classifier = BrightnessClassifier(noise=0.9, seed=11)
    tracker, results = play(videos["steady"], classifier)
    assert len(results) == int(STEADY_S * FPS)
    assert results[-1].frame.timestamp == pytest.approx(STEADY_S - 1 / FPS)
    found = sum(r.primary is not None for r in results)
    assert found >= 0.98 * len(results)
    flips = sum(r.primary is not None and r.primary.emotion is not Emotion.HAPPY for r in results)
    assert flips > 0.15 * len(results)  # the per-frame reading really does flicker
    assert tracker.mood is Emotion.HAPPY
    assert tracker.switches <= 1
    assert tracker.switches == 0  # in practice: not a single switch


def test_one_expression_change_gives_exactly_one_switch_within_4_seconds(videos):
    classifier = BrightnessClassifier(noise=0.9, seed=12)
    tracker, results = play(videos["change"], classifier)
    assert len(results) == int(CHANGE_TOTAL_S * FPS)
    assert tracker.switches == 1
    switch = [e for e in mood_changes(tracker) if e.old is not None]
    assert len(switch) == 1
    assert (switch[0].old, switch[0].new) == (Emotion.HAPPY, Emotion.SAD)
    delay = switch[0].timestamp - CHANGE_AT_S
    assert 0.0 < delay <= 4.0, delay  # a weak, noisy reading (p about 0.5): clear ones take ~1 s
    # And the first mood was declared early, from the happy part.
    first = mood_changes(tracker)[0]
    assert first.old is None and first.new is Emotion.HAPPY and first.timestamp < 2.0


@pytest.mark.skipif(not real_model_available(), reason="models/emotion.tflite not exported yet")
def test_steady_face_with_the_real_model(videos):
    from emotune.vision.classifier import EmotionClassifier

    tracker, results = play(videos["steady"], EmotionClassifier.load())
    readings = [r.primary.emotion for r in results if r.primary is not None]
    assert len(readings) >= 0.98 * len(results)
    assert tracker.mood is not None
    assert tracker.switches <= 1
    # The declared mood is what the model says most of the time.
    counts = np.bincount([e.value for e in readings], minlength=7)
    assert tracker.mood.value == int(np.argmax(counts))
