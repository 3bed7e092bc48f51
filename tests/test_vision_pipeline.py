"""FramePipeline: batched classification, primary face, step/run, failures, privacy."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest
from vision_fakes import BrightnessClassifier, FailingClassifier, FakeCapture, real_model_available

from emotune.devtools.synthetic import blank_frame, jittered_frames, make_scene
from emotune.emotions import Emotion
from emotune.mood import MoodEventKind, MoodState, MoodTracker
from emotune.vision.pipeline import FramePipeline
from emotune.vision.sources import CameraSource, MemorySource, SourceStatus

REPO = Path(__file__).resolve().parent.parent


def two_faces() -> tuple[np.ndarray, tuple, tuple]:
    small = make_scene(
        640, 480, face_fraction=0.18, center=(0.22, 0.4), face_gain=0.55
    )  # dark: "sad"
    both = make_scene(640, 480, face_fraction=0.3, center=(0.68, 0.45), background=small.image)
    return both.image, both.face_box, small.face_box


def test_process_returns_faces_with_probabilities_in_one_batched_call():
    classifier = BrightnessClassifier()
    pipeline = FramePipeline(classifier)
    image, big_box, small_box = two_faces()
    faces = pipeline.process(image)
    assert classifier.calls == [2]  # both faces in one call
    assert len(faces) == 2
    primary, other = faces
    assert primary.is_primary and not other.is_primary
    assert primary.box.area > other.box.area  # the largest face drives the mood
    assert primary.face.shape == (48, 48) and primary.face.dtype == np.uint8
    assert primary.emotion is Emotion.HAPPY and other.emotion is Emotion.SAD  # each its own
    assert primary.probabilities.shape == (7,) and primary.probabilities.sum() == pytest.approx(
        1.0, abs=1e-5
    )
    timings = pipeline.last_timings
    assert timings.faces == 2 and timings.detect_ms > 0 and timings.classify_ms > 0
    assert timings.total_ms >= timings.detect_ms + timings.classify_ms
    summary = pipeline.stats.summary()
    assert summary["frames"] == 1 and "total_ms_median" in summary
    assert json.dumps([f.as_dict() for f in faces])  # JSON-friendly, no pixels


def test_center_policy_and_custom_policy_pick_other_faces():
    image, big_box, small_box = two_faces()
    # The small face is left of centre, the big one right of centre but closer to it.
    centre = FramePipeline(BrightnessClassifier(), primary="center").process(image)
    assert centre[0].is_primary and centre[0].box.area > centre[1].box.area
    pick_smallest = FramePipeline(
        BrightnessClassifier(), primary=lambda boxes, shape: int(np.argmin([b.area for b in boxes]))
    )
    faces = pick_smallest.process(image)
    assert faces[0].is_primary and faces[0].emotion is Emotion.SAD


def test_no_face_gives_no_classifier_call():
    classifier = BrightnessClassifier()
    pipeline = FramePipeline(classifier)
    assert pipeline.process(blank_frame()) == []
    assert classifier.calls == []


def test_logit_bias_shifts_probabilities_and_keeps_raw():
    bias = np.zeros(7, np.float32)
    bias[Emotion.NEUTRAL.value] = 3.0
    pipeline = FramePipeline(BrightnessClassifier(), logit_bias=bias)
    face = pipeline.process(make_scene().image)[0]
    assert face.emotion is Emotion.NEUTRAL
    assert int(np.argmax(face.raw_probabilities)) == Emotion.HAPPY.value
    pipeline.set_logit_bias(None)
    assert pipeline.process(make_scene().image)[0].emotion is Emotion.HAPPY


def test_step_and_run_drive_the_tracker_until_the_stream_ends():
    frames = list(jittered_frames(40, 320, 240, seed=2))
    classifier = BrightnessClassifier()
    tracker = MoodTracker(class_prior=classifier.class_prior)
    pipeline = FramePipeline(classifier, tracker=tracker)
    source = MemorySource(frames, fps=10.0)
    results = []
    with source:
        first = pipeline.step(source)
        assert first is not None and first.primary is not None and first.mood is not None
        pipeline.run(source, on_result=results.append)
        assert source.status is SourceStatus.ENDED
    assert len(results) == 39
    assert tracker.mood is Emotion.HAPPY
    assert results[-1].mood.state is MoodState.TRACKING
    assert all(r.latency_ms >= r.timings.total_ms for r in results)


def test_run_stops_on_request_from_another_thread():
    frames = jittered_frames(10_000, 320, 240)
    stop = threading.Event()
    pipeline = FramePipeline(BrightnessClassifier())
    seen = []

    def on_result(result):
        seen.append(result.frame.index)
        if len(seen) == 5:
            stop.set()

    with MemorySource(frames) as source:
        worker = threading.Thread(target=pipeline.run, args=(source, on_result, stop))
        worker.start()
        worker.join(timeout=30)
    assert not worker.is_alive() and seen == [0, 1, 2, 3, 4]


def test_run_survives_a_failing_model_and_a_failing_callback():
    with MemorySource(list(jittered_frames(5, 320, 240))) as source:
        FramePipeline(FailingClassifier()).run(source)  # logs, does not raise
        assert source.status is SourceStatus.ENDED

    def broken(result):
        raise RuntimeError("GUI bug")

    with MemorySource(list(jittered_frames(5, 320, 240))) as source:
        FramePipeline(BrightnessClassifier()).run(source, on_result=broken)
        assert source.status is SourceStatus.ENDED


def test_camera_failing_mid_run_becomes_a_camera_lost_event():
    scene = make_scene(320, 240).image

    class SceneCapture(FakeCapture):
        def read(self):
            self.reads += 1
            return (True, scene.copy()) if self.reads <= self.good else (False, None)

    clock_now = [0.0]

    def clock():
        clock_now[0] += 0.1
        return clock_now[0]

    captures = [SceneCapture(good=20)]
    source = CameraSource(
        0,
        capture_factory=lambda i: captures.pop(0) if captures else None,
        max_failures=3,
        clock=clock,
        sleep=lambda s: None,
    )
    classifier = BrightnessClassifier()
    tracker = MoodTracker(class_prior=classifier.class_prior)
    events = []
    tracker.subscribe(events.append)
    pipeline = FramePipeline(classifier, tracker=tracker, clock=clock)
    steps = 0
    with source:
        for _ in range(60):  # drive step() by hand: 20 good frames, then a dead camera
            steps += pipeline.step(source) is not None
    assert steps == 20
    assert source.status is SourceStatus.CLOSED
    kinds = [e.kind for e in events]
    assert kinds == [
        MoodEventKind.MOOD_CHANGED,
        MoodEventKind.MUSIC_MOOD_CHANGED,
        MoodEventKind.CAMERA_LOST,
    ]
    assert tracker.mood is Emotion.HAPPY  # the mood survives the lost camera
    assert tracker.state is MoodState.CAMERA_LOST


PRIVACY_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    import cv2
    writes = []

    def hook(event, args):
        if event == "open":
            path, mode, flags = args
            wants_write = (mode is not None and any(c in str(mode) for c in "wax+")) or (
                mode is None and isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND)
            )
            if wants_write:
                writes.append(str(path))

    def forbidden(*a, **k):
        writes.append("cv2 writer")
        raise AssertionError("frames must not be written")

    cv2.imwrite = forbidden
    cv2.VideoWriter = forbidden
    sys.path.insert(0, sys.argv[1])
    from vision_fakes import BrightnessClassifier
    from emotune.mood import MoodTracker
    from emotune.vision.pipeline import FramePipeline
    from emotune.vision.sources import MemorySource
    from emotune.devtools.synthetic import jittered_frames

    from vision_fakes import real_model_available
    if real_model_available():  # the real LiteRT model when exported, so its runtime is watched too
        from emotune.vision.classifier import EmotionClassifier
        classifier, kind = EmotionClassifier.load(), "real"
    else:
        classifier, kind = BrightnessClassifier(), "fake"
    frames = list(jittered_frames(30, 320, 240))
    pipeline = FramePipeline(classifier, tracker=MoodTracker())
    sys.addaudithook(hook)   # from here on, every open() is watched
    with MemorySource(frames) as source:
        pipeline.run(source)
    processed = pipeline.stats.frames
    during = list(writes)
    with open(os.path.join(sys.argv[2], "canary.txt"), "w") as handle:  # proves the hook sees writes
        handle.write("x")
    print(json.dumps({"processed": processed, "classifier": kind, "writes_during": during, "writes_after": writes[len(during):]}))
    """
)


def test_pipeline_opens_nothing_for_writing(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", PRIVACY_SCRIPT, str(Path(__file__).parent), str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["processed"] == 30
    assert report["classifier"] == ("real" if real_model_available() else "fake")
    assert report["writes_during"] == []
    assert report["writes_after"] and report["writes_after"][0].endswith("canary.txt")


def test_runtime_modules_import_no_heavy_or_gui_packages():
    code = textwrap.dedent(
        """
        import sys
        import emotune.mood, emotune.vision.sources, emotune.vision.detector, emotune.vision.pipeline
        import emotune.vision.calibration, emotune.devtools.synthetic, emotune.devtools.vision_benchmark
        import emotune.cli.detect, emotune.cli.bench
        bad = [m for m in ("tensorflow", "keras", "PySide6", "skimage", "emotune.training") if m in sys.modules]
        print(",".join(bad))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


STRACE_SCRIPT = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, sys.argv[1])
    from vision_fakes import BrightnessClassifier, real_model_available
    from emotune.mood import MoodTracker
    from emotune.vision.pipeline import FramePipeline
    from emotune.vision.sources import MemorySource
    from emotune.devtools.synthetic import jittered_frames

    if real_model_available():
        from emotune.vision.classifier import EmotionClassifier
        classifier = EmotionClassifier.load()
    else:
        classifier = BrightnessClassifier()
    frames = list(jittered_frames(30, 320, 240))
    pipeline = FramePipeline(classifier, tracker=MoodTracker())
    os.path.exists("/emotune-privacy-marker-start")  # shows in the trace as a failed stat/open
    with MemorySource(frames) as source:
        pipeline.run(source)
    os.path.exists("/emotune-privacy-marker-end")
    with open(os.path.join(sys.argv[2], "canary.txt"), "w") as handle:  # proves writes are seen
        handle.write("x")
    print(pipeline.stats.frames)
    """
)


def test_no_native_code_opens_files_for_writing_either(tmp_path):
    """The audit hook only sees Python-level opens; strace also sees OpenCV's and LiteRT's."""
    import shutil

    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace not installed")
    log = tmp_path / "trace.txt"
    result = subprocess.run(
        [
            strace,
            "-f",
            "-qq",
            "-e",
            "trace=open,openat,openat2,creat,stat,newfstatat,statx",
            "-o",
            str(log),
            sys.executable,
            "-c",
            STRACE_SCRIPT,
            str(Path(__file__).parent),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=180,
    )
    if result.returncode != 0 and "ptrace" in result.stderr.lower():
        pytest.skip("ptrace not permitted here")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "30"
    lines = log.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if "emotune-privacy-marker-start" in line)
    end = next(i for i, line in enumerate(lines) if "emotune-privacy-marker-end" in line)
    during = lines[start:end]

    def is_write(line: str) -> bool:
        return any(flag in line for flag in ("O_WRONLY", "O_RDWR", "O_CREAT", "O_APPEND", "creat("))

    assert len(during) > 1  # the window really spans the run
    assert [line for line in during if is_write(line)] == []
    assert any(is_write(line) and "canary.txt" in line for line in lines[end:])
