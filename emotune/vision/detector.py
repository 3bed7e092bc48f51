"""Fast frontal-face detection with OpenCV's Haar cascade.

A full-frame Haar scan at 640x480 costs tens of milliseconds, several times the whole
per-frame budget, so the detector does the expensive thing rarely:

* **Full scan** on a grayscale copy shrunk to ``detect_width`` pixels wide, only for faces at
  least ``min_face_fraction`` of the frame's shorter side. Run when nothing is tracked, and every
  ``full_scan_every`` frames to pick up new faces.
* **Tracking scan** between full scans: for each face found last frame, search only a window
  around it (``roi_margin`` of the face size on each side), shrunk so the face is about
  ``roi_face_px`` pixels, and only over sizes close to the last one. That costs one to two
  milliseconds. If every tracked face slips out of its window, the same frame gets a full scan.

Boxes come back in full-frame pixel coordinates, largest first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

HAAR_MIN_WINDOW = 24
"""The frontal-face cascade's training window; it cannot find faces smaller than this."""


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
    """Full scans run on the frame shrunk to this width (never enlarged)."""
    scale_factor: float = 1.15
    """Pyramid step of the full scan; smaller finds more faces, slower."""
    min_neighbors: int = 4
    """Overlapping hits needed to accept a face; higher means fewer false faces."""
    min_face_fraction: float = 0.12
    """Smallest face for the full scan, as a fraction of the frame's shorter side."""
    full_scan_every: int = 30
    """Run a full scan at least this often (frames; 1 s at 30 fps) while tracking, to find new faces."""
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
    max_faces: int = 8
    """At most this many faces are returned (largest first)."""
    cascade_path: str = field(default_factory=lambda: str(Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"))


class FaceDetector:
    """Haar-cascade face detector that tracks faces between periodic full scans. Not thread-safe."""

    def __init__(self, config: DetectorConfig | None = None) -> None:
        """Load the cascade; raises RuntimeError if the XML file is missing or broken."""
        self.config = config or DetectorConfig()
        self._cascade = cv2.CascadeClassifier(self.config.cascade_path)
        if self._cascade.empty():
            raise RuntimeError(f"cannot load Haar cascade {self.config.cascade_path}")
        self._tracked: list[Box] = []
        self._since_full = 0
        self.last_was_full_scan = False
        self.full_scans = 0
        self.frames = 0

    def reset(self) -> None:
        """Forget tracked faces; the next frame gets a full scan (call after a source switch)."""
        self._tracked = []
        self._since_full = 0

    def detect(self, frame: np.ndarray) -> list[Box]:
        """Faces in a BGR or grayscale frame, largest first, in full-frame coordinates."""
        if frame is None or frame.size == 0:
            return []
        self.frames += 1
        need_full = not self._tracked or self._since_full >= self.config.full_scan_every - 1
        found: list[Box] = []
        if need_full:
            found = self._full_scan(frame)
            self.full_scans += 1
            self._since_full = 0
            # A face the full scan missed this once (turned head, motion blur) but that is
            # still found near where it was keeps being tracked instead of flickering off.
            pending = [box for box in self._tracked if not any(box.iou(f) > 0.3 for f in found)]
        else:
            self._since_full += 1
            pending = self._tracked
        for box in pending:
            hit = self._track(frame, box)
            if hit is not None and not any(hit.iou(f) > 0.3 for f in found):
                found.append(hit)
        if not found and not need_full:
            # Every tracked face slipped out of its window: scan the whole frame now rather
            # than report an empty frame and only find the face again on the next one.
            found = self._full_scan(frame)
            self.full_scans += 1
            self._since_full = 0
            need_full = True
        self.last_was_full_scan = need_full
        found.sort(key=lambda b: b.area, reverse=True)
        found = found[: self.config.max_faces]
        self._tracked = found
        return list(found)

    # -- scans -------------------------------------------------------------------------------

    def _full_scan(self, frame: np.ndarray) -> list[Box]:
        cfg = self.config
        height, width = frame.shape[:2]
        scale = min(1.0, cfg.detect_width / float(width))
        small_size = (max(1, round(width * scale)), max(1, round(height * scale)))
        if frame.ndim == 3:
            # Shrink the colour frame first, then convert: fewer pixels to convert.
            small = cv2.resize(frame, small_size, interpolation=cv2.INTER_AREA) if scale < 1.0 else frame
            gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        else:
            gray = cv2.resize(frame, small_size, interpolation=cv2.INTER_AREA) if scale < 1.0 else frame
        min_side = max(HAAR_MIN_WINDOW, round(cfg.min_face_fraction * min(height, width) * scale))
        if min_side > min(gray.shape[:2]):
            return []
        hits = self._cascade.detectMultiScale(
            gray,
            scaleFactor=cfg.scale_factor,
            minNeighbors=cfg.min_neighbors,
            minSize=(min_side, min_side),
        )
        return [_scaled_box(h, 1.0 / scale, width, height) for h in _as_rows(hits)]

    def _track(self, frame: np.ndarray, last: Box) -> Box | None:
        cfg = self.config
        height, width = frame.shape[:2]
        margin_x = round(last.w * cfg.roi_margin)
        margin_y = round(last.h * cfg.roi_margin)
        x0, y0 = max(0, last.x - margin_x), max(0, last.y - margin_y)
        x1, y1 = min(width, last.x + last.w + margin_x), min(height, last.y + last.h + margin_y)
        if x1 - x0 < HAAR_MIN_WINDOW or y1 - y0 < HAAR_MIN_WINDOW:
            return None
        roi = frame[y0:y1, x0:x1]
        scale = min(1.0, cfg.roi_face_px / float(last.w))
        if scale < 1.0:
            roi = cv2.resize(roi, (max(1, round(roi.shape[1] * scale)), max(1, round(roi.shape[0] * scale))), interpolation=cv2.INTER_AREA)
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
