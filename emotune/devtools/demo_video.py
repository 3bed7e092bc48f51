"""Make a demo "camera" video from scikit-image's public-domain astronaut photo.

``python -m emotune.devtools.demo_video /tmp/astronaut.mp4`` writes 45 s at 15 fps, 640x480, in scenes
chosen to move the mood: the original smile with a slow zoom (happy), the smile painted over with
a round open mouth and the eyes stretched wide (surprise), the face panning out of view (no
face), two faces (one mirrored and smaller: the larger stays primary) and the lower face blurred
away (no clear expression: uncertain). Used for
screenshots, the 60 s Xvfb run and the GUI responsiveness test; needs scikit-image (a dev extra).
No Qt here, so it can run anywhere.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from emotune.devtools.synthetic import ASTRONAUT_FACE, astronaut_bgr

WIDTH, HEIGHT, FPS = 640, 480, 15
FACE = ASTRONAUT_FACE  # Haar box of the astronaut's face in the 512x512 original
SCENES: tuple[tuple[str, float], ...] = (
    ("smile", 10.0),
    ("surprised", 12.0),
    ("away", 5.0),
    ("two", 8.0),
    ("masked", 10.0),
)


def _face_region(fx0: float, fy0: float, fx1: float, fy1: float) -> tuple[int, int, int, int]:
    """A box given as fractions of :data:`FACE`, as (x0, y0, x1, y1) pixels."""
    x, y, w, h = FACE
    return x + int(w * fx0), y + int(h * fy0), x + int(w * fx1), y + int(h * fy1)


def _cover(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """Paint over a region with skin blended from the rows just above and below it."""
    out = image.copy()
    x0, y0, x1, y1 = box
    top = out[y0 - 1, x0:x1].astype(np.float32)
    bottom = out[min(y1, out.shape[0] - 1), x0:x1].astype(np.float32)
    weights = np.linspace(0.0, 1.0, y1 - y0, dtype=np.float32)[:, None, None]
    out[y0:y1, x0:x1] = ((1 - weights) * top + weights * bottom).astype(np.uint8)
    out[y0:y1, x0:x1] = cv2.GaussianBlur(out[y0:y1, x0:x1], (9, 9), 0)
    return out


def _stretch(image: np.ndarray, box: tuple[int, int, int, int], factor: float) -> np.ndarray:
    """Stretch a region vertically about its centre (wider-open eyes)."""
    out = image.copy()
    x0, y0, x1, y1 = box
    tall = cv2.resize(
        image[y0:y1, x0:x1], (x1 - x0, int((y1 - y0) * factor)), interpolation=cv2.INTER_LINEAR
    )
    top = (y0 + y1) // 2 - tall.shape[0] // 2
    out[top : top + tall.shape[0], x0:x1] = tall
    return out


def surprised(image: np.ndarray) -> np.ndarray:
    """The smile painted over with a round open mouth, and the eyes stretched wide: reads as surprise."""
    x, y, w, h = FACE
    out = _cover(image, _face_region(0.22, 0.66, 0.78, 0.9))
    centre, axes = (x + int(w * 0.5), y + int(h * 0.8)), (int(w * 0.1), int(h * 0.09))
    cv2.ellipse(out, centre, axes, 0, 0, 360, (40, 30, 60), -1)
    cv2.ellipse(out, centre, axes, 0, 0, 360, (90, 80, 150), 2)
    return _stretch(out, _face_region(0.1, 0.22, 0.9, 0.48), 1.4)


def masked(image: np.ndarray) -> np.ndarray:
    """The lower face blurred away: no clear expression, so the mood becomes uncertain."""
    out = image.copy()
    x0, y0, x1, y1 = _face_region(0.05, 0.55, 0.95, 1.0)
    out[y0:y1, x0:x1] = cv2.GaussianBlur(out[y0:y1, x0:x1], (61, 61), 0)
    return out


def _place(canvas: np.ndarray, image: np.ndarray, scale: float, cx: float, cy: float) -> None:
    """Paste ``image`` scaled by ``scale`` with its face centre at (cx, cy) on ``canvas`` (clipped)."""
    fx, fy, fw, fh = FACE
    resized = cv2.resize(
        image,
        None,
        fx=scale,
        fy=scale,
        interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
    )
    ox = int(round(cx - (fx + fw / 2) * scale))
    oy = int(round(cy - (fy + fh / 2) * scale))
    x0, y0 = max(0, ox), max(0, oy)
    x1, y1 = (
        min(canvas.shape[1], ox + resized.shape[1]),
        min(canvas.shape[0], oy + resized.shape[0]),
    )
    if x1 > x0 and y1 > y0:
        canvas[y0:y1, x0:x1] = resized[y0 - oy : y1 - oy, x0 - ox : x1 - ox]


def frames() -> Iterator[np.ndarray]:
    """Yield every frame of the demo in order."""
    base = astronaut_bgr()
    variants = {"surprised": surprised(base), "masked": masked(base)}
    background = np.full((HEIGHT, WIDTH, 3), (40, 34, 30), np.uint8)
    for scene, seconds in SCENES:
        count = int(seconds * FPS)
        for i in range(count):
            t = i / max(1, count - 1)
            canvas = background.copy()
            if scene == "smile":
                _place(canvas, base, 1.2 + 0.5 * t, WIDTH / 2, HEIGHT * 0.42)
            elif scene == "surprised":
                _place(
                    canvas, variants["surprised"], 1.6, WIDTH / 2 + 6 * np.sin(t * 4), HEIGHT * 0.42
                )
            elif scene == "away":
                _place(canvas, base, 1.6, WIDTH / 2 + t * WIDTH * 1.1, HEIGHT * 0.42)
            elif scene == "two":
                _place(canvas, base, 1.5, WIDTH * 0.33, HEIGHT * 0.45)
                _place(canvas, cv2.flip(base, 1), 0.9, WIDTH * 0.78, HEIGHT * 0.5)
            else:
                _place(
                    canvas, variants["masked"], 1.6 + 0.1 * np.sin(t * 4), WIDTH / 2, HEIGHT * 0.42
                )
            yield canvas


def write_video(path: Path, seconds: float | None = None) -> int:
    """Write the demo (its first ``seconds``, default all) to ``path`` (MPEG-4 part 2 in
    .mp4/.avi); returns the frame count."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (WIDTH, HEIGHT))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write video to {path}")
    limit = None if seconds is None else round(seconds * FPS)
    count = 0
    try:
        for frame in frames():
            if limit is not None and count >= limit:
                break
            writer.write(frame)
            count += 1
    finally:
        writer.release()
    return count


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: write the demo video and say where it went."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, nargs="?", default=Path("/tmp/emotune-astronaut.mp4"))
    args = parser.parse_args(argv)
    count = write_video(args.output)
    print(f"wrote {count} frames ({count / FPS:.0f} s at {FPS} fps) to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
