"""Fast frontal-face detection with OpenCV's Haar cascade.

A full-frame Haar scan at 640x480 costs about 17 ms on one core, twice the whole per-frame
budget, so the detector never runs it in one frame once a stream is going:

* **Tracking scan** every frame: for each face found last frame, search only a window around it
  (``roi_margin`` of the face size on each side), shrunk so the face is about ``roi_face_px``
  pixels, and only over sizes close to the last one. That costs one to two milliseconds. A face
  that slips out of its window is looked for once more in a wider window (``lost_margin``).
* **Full search**, spread over frames: the cascade's pyramid levels (face sizes) on a grayscale
  copy shrunk to ``detect_width`` are split into ``search_slices`` parts of about equal cost,
  and each frame runs one part. The raw cascade hits of the last round's frames are grouped
  together (as ``detectMultiScale`` groups its own), so a face counts as found as soon as enough
  hits agree, usually in the part that covers its size, and is checked in the current frame
  before it is reported. The search runs every frame while nothing is tracked, and one round of
  parts every ``full_scan_every`` frames while tracking, to pick up new faces. (A background
  thread was the other way: on the one core the pipeline gets it only moves the same 17 ms
  around, and what it finds would depend on thread timing.)
* The **first frame** of a stream (after construction, :meth:`FaceDetector.reset` or a change
  of frame size) runs the whole search at once (``complete_first_search``), so a still image or
  the first camera frame gets every face immediately; so does a frame that looks like a new
  scene (``scene_cut_correlation``: the next picture of a folder, a cut in a video) when no
  tracked face is found in it. Those frames cost the full search (about 17 ms at 640x480).

Boxes come back in full-frame pixel coordinates, largest first.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

HAAR_MIN_WINDOW = 24
"""The frontal-face cascade's training window; it cannot find faces smaller than this."""

GROUP_EPS = 0.2
"""Rectangle similarity ``detectMultiScale`` groups its raw hits with (OpenCV's GROUP_EPS)."""

_LEVEL_OVERHEAD_WINDOWS = 300
"""Per-level fixed cost (image shrink, integral image), in window evaluations; measured."""

_FLAT_STD = 4.0
"""A frame whose sampled pixels vary less than this (standard deviation, 0-255) is flat."""

_Geometry = tuple[float, tuple[int, int], int, list[tuple[int, int]]]
"""What a full search of one frame size needs: see :meth:`FaceDetector._geometry`."""


@dataclass(frozen=True)
class Box:
    """An axis-aligned face box in full-frame pixels."""

    x: int
    y: int
    w: int
    h: int

    @property
    def area(self) -> int:
        """Width times height in pixels."""
        return self.w * self.h

    @property
    def center(self) -> tuple[float, float]:
        """(x, y) of the box centre."""
        return (self.x + self.w / 2.0, self.y + self.h / 2.0)

    def iou(self, other: Box) -> float:
        """Intersection over union with ``other`` (0 when disjoint)."""
        ix = max(0, min(self.x + self.w, other.x + other.w) - max(self.x, other.x))
        iy = max(0, min(self.y + self.h, other.y + other.h) - max(self.y, other.y))
        inter = ix * iy
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def as_tuple(self) -> tuple[int, int, int, int]:
        """``(x, y, w, h)``."""
        return (self.x, self.y, self.w, self.h)


@dataclass
class DetectorConfig:
    """Speed/recall knobs for :class:`FaceDetector`; defaults measured on 640x480 and 1280x720."""

    detect_width: int = 320
    """The full search runs on the frame shrunk to this width (never enlarged)."""
    scale_factor: float = 1.15
    """Pyramid step of the full search; smaller finds more faces, slower."""
    min_neighbors: int = 4
    """Overlapping hits needed to accept a face; higher means fewer false faces."""
    min_face_fraction: float = 0.12
    """Smallest face for the full search, as a fraction of the frame's shorter side."""
    full_scan_every: int = 30
    """While tracking, start a round of the full search this often (frames; 1 s at 30 fps) to
    find new faces."""
    search_slices: int = 6
    """The full search is split into this many parts of about equal cost, one part per frame:
    at 640x480 on one core the whole search costs about 17 ms, each part 2.5 to 4.5 ms (a
    part cannot be smaller than its costliest pyramid level, about 3 ms). More parts lower the
    worst frame a little; fewer find a new face sooner (a round takes this many frames)."""
    complete_first_search: bool = True
    """Run the whole search in the first frame after construction or :meth:`FaceDetector.reset`,
    so a still image or a stream's first frame gets every face at once (that one frame costs the
    full ~17 ms at 640x480), and in a new scene where no tracked face is found (see
    ``scene_cut_correlation``); every other search is spread. False: always spread."""
    roi_margin: float = 0.3
    """Tracking window: the last box grown by this fraction of its size on each side."""
    roi_face_px: int = 26
    """Tracking window is shrunk so the last face is about this many pixels wide: just above the
    cascade's 24-pixel window, because the scan's cost grows with the face's pixel count."""
    roi_min_neighbors: int = 3
    """Hits needed inside a tracking window: fewer than a full scan needs, since the window sits
    on a face found before and the tiny scan yields fewer overlapping hits (4 missed ~5% of
    frames on jittered test video, 3 about 0.3%)."""
    roi_scale_factor: float = 1.08
    """Pyramid step inside the tracking window (fine: few scales are searched there)."""
    roi_size_range: tuple[float, float] = (0.7, 1.45)
    """Face sizes searched in the tracking window, relative to the last face."""
    scene_cut_correlation: float = 0.5
    """A frame whose sparse pixel samples correlate less than this with the last frame's is a
    new scene (the next still of a folder, a cut in a video, a camera's first real picture after
    black frames): if no tracked face was found in it, the whole frame is searched at once, as
    on a stream's first frame. On the synthetic scenes, jittered webcam-like video correlates
    above 0.84 from frame to frame, a person moving a tenth of the frame in one frame about 0.5,
    a picture of another room under 0.3. 0 turns the check off."""
    lost_margin: float = 1.0
    """A face the tracking window lost is looked for once more in a window grown by this
    fraction of its size on each side (a fast head movement), before only the spread search
    can find it again."""
    max_faces: int = 8
    """At most this many faces are returned (largest first)."""
    cascade_path: str = field(
        default_factory=lambda: str(
            Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"
        )
    )


class FaceDetector:
    """Haar-cascade face detector that tracks faces and spreads the full search over frames.

    Not thread-safe: one detector per stream.
    """

    def __init__(self, config: DetectorConfig | None = None) -> None:
        """Load the cascade; raises RuntimeError if the XML file is missing or broken."""
        self.config = config or DetectorConfig()
        if self.config.search_slices < 1:
            raise ValueError("search_slices must be at least 1")
        self._cascade = cv2.CascadeClassifier(self.config.cascade_path)
        if self._cascade.empty():
            raise RuntimeError(f"cannot load Haar cascade {self.config.cascade_path}")
        self._tracked: list[Box] = []
        # Raw cascade hits (full-frame pixels) of the recent search parts, tagged with the frame
        # that produced them: grouped together, they are one full search spread over frames.
        self._hits: deque[tuple[int, list[tuple[int, int, int, int]]]] = deque()
        self._frame_shape: tuple[int, ...] = ()
        self._next_slice = 0
        self._round_left = 0
        self._since_round = 0
        self._fresh = True
        self._samples: np.ndarray | None = None
        self.last_was_full_scan = False
        """Whether the last :meth:`detect` ran the full search or a part of it."""
        self.full_scans = 0
        """Complete passes of the full search (whole, or the last part of a spread round)."""
        self.search_frames = 0
        """Frames that ran the full search or a part of it."""
        self.frames = 0

    def reset(self) -> None:
        """Forget tracked faces and search hits; the next frame searches the whole frame at once
        (if ``complete_first_search``). Call after a source switch."""
        self._tracked = []
        self._hits.clear()
        self._next_slice = 0
        self._round_left = 0
        self._since_round = 0
        self._fresh = True
        self._samples = None

    def detect(self, frame: np.ndarray) -> list[Box]:
        """Faces in a BGR or grayscale frame, largest first, in full-frame coordinates."""
        if frame is None or frame.size == 0:
            return []
        self.frames += 1
        if frame.shape != self._frame_shape:
            # Another frame size is another source: start as on a first frame.
            if self._frame_shape:
                self.reset()
            self._frame_shape = frame.shape
        cfg = self.config
        cut = self._scene_cut(frame)
        found: list[Box] = []
        for box in self._tracked:
            hit = self._track(frame, box, cfg.roi_margin)
            if hit is None:
                hit = self._track(frame, box, cfg.lost_margin)
            if hit is not None and not _overlaps(hit, found):
                found.append(hit)
        geometry = self._geometry(frame)
        plan = geometry[3]
        every = cfg.full_scan_every
        whole = bool(plan) and (self._fresh or (cut and not found)) and cfg.complete_first_search
        if whole:
            self._round_left = 1  # supersedes a spread round in progress
            self._since_round = 0
        elif self._round_left == 0 and plan and (not found or self._since_round >= every):
            self._round_left = len(plan)
            self._since_round = 0
        searched = self._round_left > 0
        if searched:
            self._search(frame, geometry, whole=whole)
            self._round_left -= 1
            self.search_frames += 1
            for box in self._grouped_hits(frame.shape[1], frame.shape[0]):
                if _overlaps(box, found):
                    continue  # a face already tracked
                if not whole:
                    # The group may rest on hits of earlier frames: keep it only if the face is
                    # still there now (and where it is now), or a face that just left would
                    # linger as a ghost until its hits age out.
                    box = self._track(frame, box, cfg.roi_margin)
                if box is not None and not _overlaps(box, found):
                    found.append(box)
        self._fresh = False
        self._since_round += 1
        self.last_was_full_scan = searched
        found.sort(key=lambda b: b.area, reverse=True)
        found = found[: cfg.max_faces]
        self._tracked = found
        return list(found)

    def _scene_cut(self, frame: np.ndarray) -> bool:
        """Whether ``frame`` looks like a new scene next to the last frame (see
        ``scene_cut_correlation``), judged on a 32x24 grid of pixels (a few microseconds)."""
        height, width = frame.shape[:2]
        step_y, step_x = max(1, height // 24), max(1, width // 32)
        samples = frame[step_y // 2 :: step_y, step_x // 2 :: step_x].astype(np.float32).ravel()
        samples -= samples.mean()
        previous, self._samples = self._samples, samples
        threshold = self.config.scene_cut_correlation
        if threshold <= 0 or previous is None or previous.shape != samples.shape:
            return False
        spread_now, spread_before = float(np.linalg.norm(samples)), float(np.linalg.norm(previous))
        flat = _FLAT_STD * np.sqrt(samples.size)
        if spread_now < flat:
            return False  # nothing to find in a flat frame (dark, covered lens)
        if spread_before < flat:
            return True  # the first picture after flat frames
        correlation = float(samples @ previous) / (spread_now * spread_before)
        return correlation < threshold

    # -- the full search ---------------------------------------------------------------------

    def _geometry(self, frame: np.ndarray) -> _Geometry:
        """Shrink factor to the search image, its (width, height), its smallest face side, and
        the search plan for it."""
        cfg = self.config
        height, width = frame.shape[:2]
        scale = min(1.0, cfg.detect_width / float(width))
        small = (max(1, round(width * scale)), max(1, round(height * scale)))
        min_side = max(HAAR_MIN_WINDOW, round(cfg.min_face_fraction * min(height, width) * scale))
        plan = search_plan(small[0], small[1], min_side, cfg.scale_factor, cfg.search_slices)
        return scale, small, min_side, plan

    def _search(self, frame: np.ndarray, geometry: _Geometry, *, whole: bool) -> None:
        """Run the whole search or its next part on ``frame``; the raw hits go to ``_hits``."""
        cfg = self.config
        scale, small_size, min_side, plan = geometry
        height, width = frame.shape[:2]
        if frame.ndim == 3:
            # Shrink the colour frame first, then convert: fewer pixels to convert.
            small = (
                cv2.resize(frame, small_size, interpolation=cv2.INTER_AREA)
                if scale < 1.0
                else frame
            )
            gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        else:
            gray = (
                cv2.resize(frame, small_size, interpolation=cv2.INTER_AREA)
                if scale < 1.0
                else frame
            )
        if whole:
            self._hits.clear()
            low, high = min_side, min(small_size)
            self.full_scans += 1
        else:
            low, high = plan[self._next_slice % len(plan)]
            self._next_slice = (self._next_slice + 1) % len(plan)
            self.full_scans += self._next_slice == 0
        # Keep only the hits of the last round: older ones may no longer be where a face is.
        while self._hits and self._hits[0][0] <= self.frames - len(plan):
            self._hits.popleft()
        # minNeighbors=0: the raw hits, ungrouped, so the parts of several frames group together.
        hits = self._cascade.detectMultiScale(
            gray,
            scaleFactor=cfg.scale_factor,
            minNeighbors=0,
            minSize=(low, low),
            maxSize=(high, high),
        )
        rows = [_scaled_box(h, 1.0 / scale, width, height).as_tuple() for h in _as_rows(hits)]
        self._hits.append((self.frames, rows))

    def _grouped_hits(self, width: int, height: int) -> list[Box]:
        rects = [list(row) for _, rows in self._hits for row in rows]
        if not rects:
            return []
        grouped, _ = cv2.groupRectangles(rects, self.config.min_neighbors, GROUP_EPS)
        rows = [(int(x), int(y), int(w), int(h)) for x, y, w, h in grouped]
        return [_scaled_box(row, 1.0, width, height) for row in rows]

    # -- tracking ----------------------------------------------------------------------------

    def _track(self, frame: np.ndarray, last: Box, margin: float) -> Box | None:
        cfg = self.config
        height, width = frame.shape[:2]
        margin_x = round(last.w * margin)
        margin_y = round(last.h * margin)
        x0, y0 = max(0, last.x - margin_x), max(0, last.y - margin_y)
        x1, y1 = min(width, last.x + last.w + margin_x), min(height, last.y + last.h + margin_y)
        if x1 - x0 < HAAR_MIN_WINDOW or y1 - y0 < HAAR_MIN_WINDOW:
            return None
        roi = frame[y0:y1, x0:x1]
        scale = min(1.0, cfg.roi_face_px / float(last.w))
        if scale < 1.0:
            roi = cv2.resize(
                roi,
                (max(1, round(roi.shape[1] * scale)), max(1, round(roi.shape[0] * scale))),
                interpolation=cv2.INTER_AREA,
            )
        gray = cv2.cvtColor(roi, cv2.COLOR_BGR2GRAY) if roi.ndim == 3 else roi
        face_px = last.w * scale
        low, high = cfg.roi_size_range
        min_side = max(HAAR_MIN_WINDOW, int(face_px * low))
        max_side = min(min(gray.shape[:2]), int(np.ceil(face_px * high)))
        if max_side < min_side:
            return None
        hits = _as_rows(
            self._cascade.detectMultiScale(
                gray,
                scaleFactor=cfg.roi_scale_factor,
                minNeighbors=cfg.roi_min_neighbors,
                minSize=(min_side, min_side),
                maxSize=(max_side, max_side),
            )
        )
        if not hits:
            return None
        # Several hits in one window: keep the one nearest the last centre (same person).
        boxes = [_scaled_box(h, 1.0 / scale, width, height, offset=(x0, y0)) for h in hits]
        cx, cy = last.center
        return min(boxes, key=lambda b: (b.center[0] - cx) ** 2 + (b.center[1] - cy) ** 2)


def search_plan(
    width: int, height: int, min_side: int, scale_factor: float, parts: int
) -> list[tuple[int, int]]:
    """The full search of a ``width`` x ``height`` gray image split into at most ``parts``
    face-size ranges ``(min_side, max_side)`` of about equal cost, largest faces first.

    The ranges follow the cascade's own pyramid (window ``24 * scale_factor**k``), so together
    they search exactly the sizes one ``detectMultiScale`` call from ``min_side`` up would.
    """
    return list(_search_plan(width, height, min_side, scale_factor, parts))


@lru_cache(maxsize=32)
def _search_plan(
    width: int, height: int, min_side: int, scale_factor: float, parts: int
) -> tuple[tuple[int, int], ...]:
    levels = _pyramid_levels(width, height, min_side, scale_factor)
    if not levels:
        return ()
    sides = [side for side, _ in levels]
    groups = _balanced_split([cost for _, cost in levels], parts)
    # The last range is open-ended up to the image, as a single detectMultiScale call would be.
    ranges = [(sides[start], sides[end - 1]) for start, end in groups]
    ranges[-1] = (ranges[-1][0], min(width, height))
    ranges[0] = (min_side, ranges[0][1])
    # Largest faces first: the cheapest part, and the likeliest place for a webcam user.
    return tuple(reversed(ranges))


def _pyramid_levels(
    width: int, height: int, min_side: int, scale_factor: float
) -> list[tuple[int, float]]:
    """(window side, estimated cost) of each pyramid level ``detectMultiScale`` would scan."""
    levels: dict[int, float] = {}
    factor = 1.0
    while True:
        side = round(HAAR_MIN_WINDOW * factor)
        scaled_w, scaled_h = round(width / factor), round(height / factor)
        if side > min(width, height) or scaled_w < HAAR_MIN_WINDOW or scaled_h < HAAR_MIN_WINDOW:
            break
        if side >= min_side:
            # OpenCV moves the window 2 pixels at a time below scale 2 and 1 pixel from 2 on,
            # so the level just past 2 costs about as much as the finest one.
            step = 1 if factor >= 2.0 else 2
            cols = (scaled_w - HAAR_MIN_WINDOW) // step + 1
            windows = cols * ((scaled_h - HAAR_MIN_WINDOW) // step + 1)
            # Sizes that round to the same window are one level as far as min/max size go.
            levels[side] = levels.get(side, 0.0) + windows + _LEVEL_OVERHEAD_WINDOWS
        factor *= scale_factor
    return sorted(levels.items())


def _balanced_split(costs: Sequence[float], parts: int) -> list[tuple[int, int]]:
    """Split ``costs`` into at most ``parts`` contiguous ``[start, end)`` runs whose largest sum
    is as small as possible (dynamic programming; a pyramid has a few dozen levels at most)."""
    n = len(costs)
    parts = max(1, min(parts, n))
    prefix = np.concatenate([[0.0], np.cumsum(costs)])
    inf = float("inf")
    # best[k][i]: the smallest possible largest run when the first i levels form k runs.
    best = [[inf] * (n + 1) for _ in range(parts + 1)]
    cut = [[0] * (n + 1) for _ in range(parts + 1)]
    best[0][0] = 0.0
    for k in range(1, parts + 1):
        for i in range(1, n + 1):
            for j in range(k - 1, i):
                value = max(best[k - 1][j], prefix[i] - prefix[j])
                if value < best[k][i]:
                    best[k][i], cut[k][i] = value, j
    runs, end = [], n
    for k in range(parts, 0, -1):
        start = cut[k][end]
        runs.append((start, end))
        end = start
    return [run for run in reversed(runs) if run[0] < run[1]]


def _overlaps(box: Box, boxes: Sequence[Box]) -> bool:
    """Whether ``box`` is the same face as one of ``boxes`` (IoU above 0.3)."""
    return any(box.iou(other) > 0.3 for other in boxes)


def _as_rows(hits: np.ndarray | tuple) -> list[tuple[int, int, int, int]]:
    # detectMultiScale returns an empty tuple when nothing is found, an (N, 4) array otherwise.
    if hits is None or len(hits) == 0:
        return []
    return [tuple(int(v) for v in row) for row in np.asarray(hits).reshape(-1, 4)]  # type: ignore[misc]


def _scaled_box(
    hit: tuple[int, int, int, int],
    factor: float,
    width: int,
    height: int,
    offset: tuple[int, int] = (0, 0),
) -> Box:
    x, y, w, h = hit
    bx = int(round(x * factor)) + offset[0]
    by = int(round(y * factor)) + offset[1]
    bw = int(round(w * factor))
    bh = int(round(h * factor))
    # Clip to the frame so crops are always valid.
    bx, by = max(0, min(bx, width - 1)), max(0, min(by, height - 1))
    bw, bh = max(1, min(bw, width - bx)), max(1, min(bh, height - by))
    return Box(bx, by, bw, bh)
