"""FaceDetector: finds the synthetic face, tracks it cheaply between full scans, handles several."""

from __future__ import annotations

import numpy as np
import pytest

from emotune.vision.detector import Box, DetectorConfig, FaceDetector
from emotune.vision.synthetic import blank_frame, jittered_frames, make_scene


def close_to(box: Box, truth: tuple[int, int, int, int], tol: float = 0.25) -> bool:
    """Centre within ``tol`` of the true size, and size within ``tol`` of it."""
    x, y, w, h = truth
    cx, cy = box.center
    return abs(cx - (x + w / 2)) < tol * w and abs(cy - (y + h / 2)) < tol * h and abs(box.w - w) < tol * w


@pytest.mark.parametrize("size", [(640, 480), (1280, 720)])
def test_finds_the_face_in_full_frame_coordinates(size):
    scene = make_scene(*size)
    boxes = FaceDetector().detect(scene.image)
    assert len(boxes) == 1
    assert close_to(boxes[0], scene.face_box)


def test_tracks_between_full_scans_and_keeps_the_face():
    detector = FaceDetector(DetectorConfig(full_scan_every=10))
    frames = list(jittered_frames(40, 640, 480, jitter_px=4, seed=5))
    kinds, found = [], 0
    for frame in frames:
        boxes = detector.detect(frame)
        found += len(boxes) == 1
        kinds.append(detector.last_was_full_scan)
    assert found == len(frames)
    # Full scans only on the schedule (frames 0, 10, 20, 30): tracking did the rest.
    assert [i for i, full in enumerate(kinds) if full] == [0, 10, 20, 30]


def test_moving_face_is_followed():
    detector = FaceDetector()
    for step in range(30):
        scene = make_scene(640, 480, shift=(step * 4, step * 2))  # ~120 px/s at 30 fps
        boxes = detector.detect(scene.image)
        assert boxes and close_to(boxes[0], scene.face_box), step
    assert detector.full_scans == 1


def test_empty_frame_and_lost_face():
    detector = FaceDetector()
    assert detector.detect(blank_frame()) == []
    assert detector.detect(np.zeros((0, 0, 3), np.uint8)) == []
    assert detector.detect(make_scene().image)
    # The face leaves: the same frame falls back to a full scan, which finds nothing.
    assert detector.detect(blank_frame()) == []
    assert detector.last_was_full_scan


def test_several_faces_largest_first():
    small = make_scene(640, 480, face_fraction=0.18, center=(0.22, 0.4))
    both = make_scene(640, 480, face_fraction=0.3, center=(0.68, 0.45), background=small.image)
    detector = FaceDetector()
    for _ in range(3):  # full scan, then two tracking frames: both faces stay
        boxes = detector.detect(both.image)
        assert len(boxes) == 2
        assert close_to(boxes[0], both.face_box) and close_to(boxes[1], small.face_box)
        assert boxes[0].area > boxes[1].area


def test_grayscale_input_and_min_face_size():
    scene = make_scene(640, 480, face_fraction=0.3)
    gray = scene.image.mean(axis=2).astype(np.uint8)
    assert len(FaceDetector().detect(gray)) == 1
    # A face smaller than min_face_fraction of the frame is ignored by design.
    tiny = make_scene(640, 480, face_fraction=0.08)
    assert FaceDetector(DetectorConfig(min_face_fraction=0.15)).detect(tiny.image) == []


def test_box_helpers():
    a, b = Box(0, 0, 10, 10), Box(5, 0, 10, 10)
    assert a.iou(b) == pytest.approx(50 / 150)
    assert a.iou(Box(50, 50, 5, 5)) == 0.0
    assert a.center == (5.0, 5.0) and a.as_tuple() == (0, 0, 10, 10)
