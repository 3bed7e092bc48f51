"""FaceDetector: finds the synthetic face, tracks it cheaply between full scans, handles several."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from emotune.devtools.synthetic import blank_frame, jittered_frames, make_scene
from emotune.vision.detector import Box, DetectorConfig, FaceDetector, _pyramid_levels, search_plan


def close_to(box: Box, truth: tuple[int, int, int, int], tol: float = 0.25) -> bool:
    """Centre within ``tol`` of the true size, and size within ``tol`` of it."""
    x, y, w, h = truth
    cx, cy = box.center
    return (
        abs(cx - (x + w / 2)) < tol * w
        and abs(cy - (y + h / 2)) < tol * h
        and abs(box.w - w) < tol * w
    )


@pytest.mark.parametrize("size", [(640, 480), (1280, 720)])
def test_finds_the_face_in_full_frame_coordinates(size):
    scene = make_scene(*size)
    boxes = FaceDetector().detect(scene.image)
    assert len(boxes) == 1
    assert close_to(boxes[0], scene.face_box)


def test_tracks_between_full_scans_and_keeps_the_face():
    config = DetectorConfig(full_scan_every=10, search_slices=4)
    detector = FaceDetector(config)
    frames = list(jittered_frames(40, 640, 480, jitter_px=4, seed=5))
    kinds, found = [], 0
    for frame in frames:
        boxes = detector.detect(frame)
        found += len(boxes) == 1
        kinds.append(detector.last_was_full_scan)
    assert found == len(frames)
    # The whole search on frame 0, then a round of 4 one-part frames every 10 frames (from
    # frames 10, 20 and 30): tracking did the rest, and no round found a second face.
    rounds = [start + part for start in (10, 20, 30) for part in range(4)]
    assert [i for i, full in enumerate(kinds) if full] == [0, *rounds]
    assert detector.full_scans == 4 and detector.search_frames == 13


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


# -- the full search spread over frames -------------------------------------------------------


def raw_hits(cascade, gray, low, high):
    hits = cascade.detectMultiScale(
        gray, scaleFactor=1.15, minNeighbors=0, minSize=(low, low), maxSize=(high, high)
    )
    return sorted(tuple(int(v) for v in row) for row in np.asarray(hits).reshape(-1, 4))


@pytest.mark.parametrize("size", [(640, 480), (1280, 720)])
def test_search_parts_together_search_exactly_what_one_full_scan_does(size):
    config = DetectorConfig()
    cascade = cv2.CascadeClassifier(config.cascade_path)
    frame = make_scene(*size).image
    scale = config.detect_width / size[0]
    gray = cv2.cvtColor(
        cv2.resize(
            frame, (config.detect_width, round(size[1] * scale)), interpolation=cv2.INTER_AREA
        ),
        cv2.COLOR_BGR2GRAY,
    )
    min_side = max(24, round(config.min_face_fraction * size[1] * scale))
    plan = search_plan(
        gray.shape[1], gray.shape[0], min_side, config.scale_factor, config.search_slices
    )
    assert len(plan) == config.search_slices
    assert plan[0][1] == min(gray.shape) and plan[-1][0] == min_side  # largest faces first
    for (low, _), (_, high) in zip(plan, plan[1:], strict=False):
        assert high < low  # adjacent, no size searched twice
    whole = raw_hits(cascade, gray, min_side, min(gray.shape))
    parts = sorted(hit for low, high in plan for hit in raw_hits(cascade, gray, low, high))
    assert whole and parts == whole


def test_plan_balances_cost_and_handles_tiny_images():
    # A 320x240 search has ~15 pyramid levels; no part should hold much more than its share.
    levels = _pyramid_levels(320, 240, 29, 1.15)
    total = sum(cost for _, cost in levels)
    plan = search_plan(320, 240, 29, 1.15, 6)
    by_side = dict(levels)
    for low, high in plan:
        part = sum(cost for side, cost in by_side.items() if low <= side <= high)
        assert part < 0.3 * total
    assert search_plan(30, 20, 24, 1.15, 6) == []  # smaller than the cascade window
    tiny = _pyramid_levels(40, 40, 24, 1.15)
    assert [side for side, _ in tiny] == [24, 28, 32, 37]
    assert search_plan(40, 40, 24, 1.15, 6) == [(37, 40), (32, 32), (28, 28), (24, 24)]


def test_without_a_complete_first_search_the_face_is_found_within_one_round():
    config = DetectorConfig(complete_first_search=False)
    for size in [(640, 480), (1280, 720)]:
        detector = FaceDetector(config)
        scene = make_scene(*size)
        frames_until_found = None
        for number in range(config.search_slices):
            boxes = detector.detect(scene.image)
            assert detector.last_was_full_scan and detector.search_frames == number + 1
            if boxes:
                frames_until_found = number + 1
                break
        assert frames_until_found is not None, size
        assert len(boxes) == 1 and close_to(boxes[0], scene.face_box)  # full-frame pixels


@pytest.mark.parametrize("face_fraction", [0.2, 0.45])
def test_a_face_entering_an_empty_room_is_found_within_one_round(face_fraction):
    config = DetectorConfig(scene_cut_correlation=0)  # the spread search alone
    scene = make_scene(640, 480, face_fraction=face_fraction, center=(0.4, 0.5))
    # Whichever part of the round is next when the face appears, one round finds it.
    for phase in range(config.search_slices):
        detector = FaceDetector(config)
        for _ in range(1 + phase):  # a part of the search on every frame while nobody is there
            assert detector.detect(blank_frame()) == []
            assert detector.last_was_full_scan
        found_on = next(
            (n for n in range(config.search_slices) if detector.detect(scene.image)), None
        )
        assert found_on is not None, phase
        boxes = detector.detect(scene.image)
        assert boxes and close_to(boxes[0], scene.face_box)
    # The round runs to its end (a second person would be found in it too), then tracking only.
    for _ in range(config.search_slices):
        detector.detect(scene.image)
    assert detector.detect(scene.image) and not detector.last_was_full_scan


def test_hits_of_several_parts_group_into_one_face():
    config = DetectorConfig(scene_cut_correlation=0)
    scene = make_scene(1280, 720, face_fraction=0.2, center=(0.4, 0.5))
    # Precondition: no single part of the search has enough hits on this face to accept it.
    cascade = cv2.CascadeClassifier(config.cascade_path)
    gray = cv2.cvtColor(
        cv2.resize(scene.image, (320, 180), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY
    )
    min_side = round(config.min_face_fraction * 720 * 0.25)
    plan = search_plan(320, 180, min_side, config.scale_factor, config.search_slices)
    for low, high in plan:
        hits = [list(hit) for hit in raw_hits(cascade, gray, low, high)]
        assert not hits or len(cv2.groupRectangles(hits, config.min_neighbors, 0.2)[0]) == 0
    detector = FaceDetector(config)
    detector.detect(blank_frame(1280, 720))
    found_on = next((n for n in range(config.search_slices) if detector.detect(scene.image)), None)
    assert found_on is not None
    boxes = detector.detect(scene.image)
    assert len(boxes) == 1 and close_to(boxes[0], scene.face_box)


@pytest.mark.parametrize("size", [(640, 480), (1280, 720)])
def test_a_second_face_entering_is_found_within_about_a_second(size):
    config = DetectorConfig()
    detector = FaceDetector(config)
    first = make_scene(*size, face_fraction=0.3, center=(0.68, 0.45))
    for _ in range(5):
        assert len(detector.detect(first.image)) == 1
    both = make_scene(*size, face_fraction=0.18, center=(0.22, 0.4), background=first.image)
    found_after = None
    for number in range(config.full_scan_every + config.search_slices):
        boxes = detector.detect(both.image)
        assert boxes and close_to(boxes[0], first.face_box)  # the first face never drops out
        if len(boxes) == 2:
            found_after = number
            break
    assert found_after is not None
    assert close_to(boxes[1], both.face_box)


def test_reset_restarts_the_search_and_forgets_faces():
    detector = FaceDetector()
    scene = make_scene()
    detector.detect(scene.image)
    detector.detect(scene.image)
    assert not detector.last_was_full_scan  # tracking
    detector.reset()
    boxes = detector.detect(scene.image)
    assert detector.last_was_full_scan and detector.full_scans == 2  # the whole search again
    assert len(boxes) == 1 and close_to(boxes[0], scene.face_box)
    detector.reset()
    assert detector.detect(blank_frame()) == []  # nothing tracked survives a reset


def test_a_face_that_leaves_during_a_round_does_not_linger():
    config = DetectorConfig(full_scan_every=5, scene_cut_correlation=0)  # no whole search
    detector = FaceDetector(config)
    scene = make_scene()
    for _ in range(7):  # the round starts on frame 5: frames 5 and 6 ran parts of it
        assert detector.detect(scene.image)
    assert detector.last_was_full_scan
    # Hits from frames 5 and 6 are still in the round, but the face is gone now.
    for _ in range(config.search_slices):
        assert detector.detect(blank_frame()) == []


def test_a_fast_jump_is_caught_by_the_wider_window_without_a_search():
    detector = FaceDetector(DetectorConfig(full_scan_every=1000))
    assert detector.detect(make_scene().image)
    jumped = make_scene(shift=(75, 20))  # half a face width: outside the tracking window
    boxes = detector.detect(jumped.image)
    assert not detector.last_was_full_scan
    assert len(boxes) == 1 and close_to(boxes[0], jumped.face_box)


def another_room(seed: int, size=(640, 480)) -> np.ndarray:
    """A blurred random backdrop: a picture of somewhere else than the synthetic room."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 256, (size[1] // 8, size[0] // 8, 3), dtype=np.uint8)
    return cv2.GaussianBlur(cv2.resize(noise, size, interpolation=cv2.INTER_CUBIC), (0, 0), 4)


def test_unrelated_stills_each_get_the_whole_search():
    # A folder of stills: each image is a new scene, so each is searched whole at once instead
    # of one part of the search per picture.
    stills = [
        make_scene(640, 480, face_fraction=0.3, center=(0.3, 0.45)),
        make_scene(640, 480, face_fraction=0.2, center=(0.7, 0.55), background=another_room(1)),
        None,  # a picture with nobody in it
        make_scene(640, 480, face_fraction=0.15, center=(0.5, 0.4), background=another_room(3)),
        make_scene(640, 480, face_fraction=0.4, center=(0.45, 0.5)),
    ]
    detector = FaceDetector()
    for number, still in enumerate(stills):
        boxes = detector.detect(another_room(2) if still is None else still.image)
        if still is None:
            assert boxes == [], number
        else:
            assert len(boxes) == 1 and close_to(boxes[0], still.face_box), number
    assert detector.full_scans == len(stills)


def test_first_picture_after_black_frames_is_searched_whole():
    detector = FaceDetector()
    black = np.zeros((480, 640, 3), np.uint8)
    for _ in range(3):  # a camera's first frames
        assert detector.detect(black) == []
    scene = make_scene()
    boxes = detector.detect(scene.image)
    assert len(boxes) == 1 and close_to(boxes[0], scene.face_box)


def test_a_new_frame_size_starts_afresh():
    detector = FaceDetector()
    assert detector.detect(make_scene(640, 480).image)
    scene = make_scene(1280, 720, center=(0.3, 0.5))
    boxes = detector.detect(scene.image)
    assert detector.full_scans == 2 and len(boxes) == 1 and close_to(boxes[0], scene.face_box)
