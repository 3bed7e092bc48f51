"""Synthetic webcam-like scenes for the benchmark and the tests (no camera, no datasets).

A head-and-shoulders crop of scikit-image's ``astronaut`` picture is blended onto a blurred
``coffee`` picture (an out-of-focus room), sized so the face is a typical webcam fraction of the
frame. Frames are built in memory only. scikit-image is a dev dependency, imported lazily.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

ASTRONAUT_FACE = (177, 66, 95, 95)
"""(x, y, w, h) of the face in the 512x512 astronaut image, as the Haar cascade finds it."""


def astronaut_bgr() -> np.ndarray:
    """The 512x512 astronaut photo as contiguous BGR uint8 (scikit-image, a dev extra)."""
    from skimage import data  # dev dependency; only the bench, the demo video and tests need it

    return np.ascontiguousarray(data.astronaut()[:, :, ::-1])


@lru_cache(maxsize=1)
def _head_crop() -> tuple[np.ndarray, tuple[int, int, int, int]]:
    image = astronaut_bgr()
    x, y, w, h = ASTRONAUT_FACE
    cx, cy = x + w // 2, y + h // 2
    side = int(3.2 * w)  # head and shoulders, like a laptop webcam framing
    x0, y0 = max(0, cx - side // 2), max(0, cy - side // 2)
    crop = image[y0 : y0 + side, x0 : x0 + side].copy()
    return crop, (x - x0, y - y0, w, h)


@lru_cache(maxsize=8)
def _background(width: int, height: int) -> np.ndarray:
    from skimage import data

    room = cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2BGR)
    room = cv2.resize(room, (width, height), interpolation=cv2.INTER_LINEAR)
    # Out of focus and a little darker, as a room behind a webcam user usually is.
    room = cv2.GaussianBlur(room, (0, 0), sigmaX=max(2.0, width / 320.0))
    return (room * 0.8).astype(np.uint8)


@dataclass(frozen=True)
class Scene:
    """A built frame and where its face is (full-frame pixels)."""

    image: np.ndarray
    face_box: tuple[int, int, int, int]


@lru_cache(maxsize=16)
def _person(face_px: int) -> tuple[np.ndarray, np.ndarray, float, float, tuple[int, int, int, int]]:
    """The head crop scaled so the face is ``face_px`` tall, its blend mask, and face geometry."""
    crop, (fx, fy, fw, fh) = _head_crop()
    scale = face_px / fw
    person = cv2.resize(
        crop,
        None,
        fx=scale,
        fy=scale,
        interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
    )
    mask = _soft_ellipse(person.shape[1], person.shape[0])
    face_cx, face_cy = (fx + fw / 2.0) * scale, (fy + fh / 2.0) * scale
    box = (
        int(round(fx * scale)),
        int(round(fy * scale)),
        int(round(fw * scale)),
        int(round(fh * scale)),
    )
    return person.astype(np.float32), mask, face_cx, face_cy, box


def make_scene(
    width: int = 640,
    height: int = 480,
    *,
    face_fraction: float = 0.3,
    center: tuple[float, float] = (0.5, 0.45),
    shift: tuple[int, int] = (0, 0),
    brightness: float = 1.0,
    noise_std: float = 0.0,
    face_gain: float = 1.0,
    rng: np.random.Generator | None = None,
    background: np.ndarray | None = None,
) -> Scene:
    """One frame with the astronaut's face ``face_fraction`` of the frame height tall.

    ``center`` places the face (fractions of width/height), ``shift`` nudges it in pixels,
    ``brightness`` scales the whole frame, ``face_gain`` only the pasted person, and
    ``noise_std`` adds Gaussian sensor noise. ``background`` (BGR, frame-sized) replaces the room,
    e.g. a frame that already holds another person.
    """
    person, mask, face_cx, face_cy, (bx, by, bw, bh) = _person(
        max(8, int(round(face_fraction * height)))
    )
    room = _background(width, height) if background is None else background
    frame = room.astype(np.float32)
    # Top-left of the pasted person so the face centre lands on `center` (+ shift).
    px = int(round(center[0] * width - face_cx)) + shift[0]
    py = int(round(center[1] * height - face_cy)) + shift[1]
    _paste(frame, person * face_gain if face_gain != 1.0 else person, mask, px, py)
    if brightness != 1.0:
        frame *= brightness
    if noise_std > 0:
        rng = rng or np.random.default_rng(0)
        bank = _noise_bank(frame.shape)
        frame += bank[int(rng.integers(len(bank)))] * np.float32(noise_std / _NOISE_UNIT)
    image = np.clip(frame, 0, 255).astype(np.uint8)
    return Scene(image, (px + bx, py + by, bw, bh))


def jittered_frames(
    count: int,
    width: int = 640,
    height: int = 480,
    *,
    seed: int = 0,
    jitter_px: int = 3,
    noise_std: float = 2.0,
    brightness_jitter: float = 0.04,
    face_fraction: float = 0.3,
    face_gain: float = 1.0,
) -> Iterator[np.ndarray]:
    """``count`` frames of a steady face with small head motion, brightness flicker and noise."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        shift = (
            int(rng.integers(-jitter_px, jitter_px + 1)),
            int(rng.integers(-jitter_px, jitter_px + 1)),
        )
        yield make_scene(
            width,
            height,
            face_fraction=face_fraction,
            shift=shift,
            brightness=1.0 + float(rng.uniform(-brightness_jitter, brightness_jitter)),
            noise_std=noise_std,
            face_gain=face_gain,
            rng=rng,
        ).image


def blank_frame(width: int = 640, height: int = 480) -> np.ndarray:
    """The background alone: a frame with nobody in it."""
    return _background(width, height).copy()


_NOISE_UNIT = 16.0


@lru_cache(maxsize=3)
def _noise_bank(shape: tuple[int, ...], size: int = 8) -> np.ndarray:
    # Fresh Gaussian noise per frame costs more than the rest of the scene; a fixed bank of
    # fields picked at random is indistinguishable for a detector or classifier. Stored as int8
    # (unit = _NOISE_UNIT) to keep a 1280x720 bank at 22 MB.
    noise = (
        np.random.default_rng(1234).standard_normal((size, *shape), dtype=np.float32) * _NOISE_UNIT
    )
    return np.clip(np.round(noise), -127, 127).astype(np.int8)


def _soft_ellipse(width: int, height: int) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    dx = (xx - width / 2.0) / (width / 2.0)
    dy = (yy - height / 2.0) / (height / 2.0)
    r = np.sqrt(dx * dx + dy * dy)
    # Fully opaque inside 0.85 of the radius, fading to transparent at the crop edge.
    return np.clip((1.0 - r) / 0.15, 0.0, 1.0)[..., None]


def _paste(frame: np.ndarray, person: np.ndarray, mask: np.ndarray, x: int, y: int) -> None:
    h, w = person.shape[:2]
    fh, fw = frame.shape[:2]
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(fw, x + w), min(fh, y + h)
    if x1 <= x0 or y1 <= y0:
        return
    sub = person[y0 - y : y1 - y, x0 - x : x1 - x]
    alpha = mask[y0 - y : y1 - y, x0 - x : x1 - x]
    frame[y0:y1, x0:x1] = alpha * sub + (1.0 - alpha) * frame[y0:y1, x0:x1]
