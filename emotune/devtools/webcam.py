"""Webcam-like variation for replayed 48x48 faces: what a real camera and face detector add.

A :class:`CameraTrack` is drawn once per session on a fixed frame grid: slow drifts (the person
shifts, tilts, the light changes; Ornstein-Uhlenbeck processes with time constants of seconds)
plus per-frame jitter (the Haar box moves a few pixels from frame to frame, sensor noise, JPEG
quality). :func:`render` turns one face into the crop the detector would hand to
:func:`emotune.vision.preprocess.preprocess`. Subsampling a track (every 2nd or 6th frame) gives
the same session at a lower frame rate on the same timeline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class CameraTrack:
    """Per-frame camera parameters for one session (arrays of one value per frame)."""

    crop_px: int
    """Side of the face crop (the detector's box) in pixels."""
    shift: np.ndarray
    """(n, 2) box offset as a fraction of the crop side (x, y)."""
    scale: np.ndarray
    """(n,) box size jitter (1 = the face fills the box as in FER2013)."""
    angle_deg: np.ndarray
    gain: np.ndarray
    offset: np.ndarray
    gamma: np.ndarray
    blur_px: np.ndarray
    """Gaussian blur sigma in crop pixels (0 = sharp)."""
    noise: np.ndarray
    """Sensor noise standard deviation in grey levels (constant within a session)."""
    jpeg_quality: np.ndarray

    def __len__(self) -> int:
        return len(self.scale)


def _ou(n: int, fps: float, tau_s: float, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """A stationary Ornstein-Uhlenbeck path (mean 0, std ``sigma``, time constant ``tau_s``)."""
    a = math.exp(-1.0 / (fps * tau_s))
    steps = rng.normal(0.0, sigma * math.sqrt(1.0 - a * a), n)
    steps[0] = rng.normal(0.0, sigma)
    out = np.empty(n)
    value = 0.0
    for k in range(n):  # a few thousand steps per track: cheap next to rendering
        value = a * value + steps[k]
        out[k] = value
    return out


def camera_track(n: int, fps: float, rng: np.random.Generator) -> CameraTrack:
    """Draw a session's camera: base settings for the session, slow drift, per-frame jitter.

    Ranges: crop 96-160 px; box shift drift 3% of the face plus 1.5% per-frame jitter; box size
    +/-4% drift and 2% jitter; rotation within +/-5 degrees; gain 0.75-1.25 and gamma 0.8-1.25
    with slow drift; blur sigma 0-1.5 px; sensor noise 2-7 grey levels; JPEG quality 60-90.
    """
    crop = int(rng.integers(96, 161))
    shift = np.stack(
        [_ou(n, fps, 2.0, 0.03, rng) + rng.normal(0.0, 0.015, n) for _ in range(2)], axis=1
    )
    scale = 1.0 + _ou(n, fps, 3.0, 0.04, rng) + rng.normal(0.0, 0.02, n)
    angle = np.clip(_ou(n, fps, 3.0, 2.5, rng) + rng.normal(0.0, 0.3, n), -5.0, 5.0)
    gain = np.clip(rng.uniform(0.8, 1.2) + _ou(n, fps, 5.0, 0.05, rng), 0.75, 1.25)
    offset = rng.uniform(-12.0, 12.0) + _ou(n, fps, 5.0, 4.0, rng)
    gamma = np.clip(rng.uniform(0.85, 1.15) + _ou(n, fps, 5.0, 0.05, rng), 0.8, 1.25)
    blur = np.clip(rng.uniform(0.2, 1.1) + _ou(n, fps, 4.0, 0.25, rng), 0.0, 1.5)
    noise = np.full(n, rng.uniform(2.0, 7.0))
    quality = np.clip(rng.uniform(65, 85) + rng.normal(0.0, 4.0, n), 60, 90).round()
    return CameraTrack(crop, shift, scale, angle, gain, offset, gamma, blur, noise, quality)


def subsample(track: CameraTrack, step: int) -> CameraTrack:
    """Every ``step``-th frame of ``track``: the same camera at a lower frame rate."""
    return CameraTrack(
        track.crop_px,
        *(getattr(track, name)[::step] for name in _ARRAYS),
    )


_ARRAYS = (
    "shift",
    "scale",
    "angle_deg",
    "gain",
    "offset",
    "gamma",
    "blur_px",
    "noise",
    "jpeg_quality",
)


NOISE_MARGIN = 32
"""Extra pixels on each noise field, so random offsets give different noise per frame."""


def noise_bank(track: CameraTrack, rng: np.random.Generator, fields: int = 8) -> np.ndarray:
    """Sensor-noise fields (int16) for one session; :func:`render` cuts each frame's noise from
    a random field at a random offset (drawing fresh Gaussian noise per frame costs 20x more)."""
    side = track.crop_px + NOISE_MARGIN
    sigma = float(np.median(track.noise))
    return np.round(rng.standard_normal((fields, side, side), dtype=np.float32) * sigma).astype(
        np.int16
    )


def _noise(bank: np.ndarray, side: int, rng: np.random.Generator) -> np.ndarray:
    field, dy, dx = rng.integers(0, (len(bank), NOISE_MARGIN, NOISE_MARGIN))
    return bank[field, dy : dy + side, dx : dx + side]


def render(
    face: np.ndarray,
    track: CameraTrack,
    k: int,
    rng: np.random.Generator,
    noise_fields: np.ndarray,
) -> np.ndarray:
    """The uint8 grey crop a detector box would hold in frame ``k`` showing ``face`` (uint8
    48x48); ``noise_fields`` from :func:`noise_bank` for the same track."""
    side = track.crop_px
    size = face.shape[0]
    zoom = side / size * float(track.scale[k])
    matrix = cv2.getRotationMatrix2D((size / 2.0, size / 2.0), float(track.angle_deg[k]), zoom)
    # Move the face centre to the crop centre, then off it by the box shift.
    matrix[0, 2] += side / 2.0 - size / 2.0 + float(track.shift[k, 0]) * side
    matrix[1, 2] += side / 2.0 - size / 2.0 + float(track.shift[k, 1]) * side
    crop = cv2.warpAffine(
        face, matrix, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101
    )
    levels = np.arange(256, dtype=np.float32) / 255.0
    lut = levels ** float(track.gamma[k]) * 255.0 * float(track.gain[k]) + float(track.offset[k])
    crop = cv2.LUT(crop, np.clip(lut, 0, 255).astype(np.uint8))
    if track.blur_px[k] > 0.2:
        crop = cv2.GaussianBlur(crop, (0, 0), float(track.blur_px[k]))
    crop = np.clip(crop + _noise(noise_fields, side, rng), 0, 255).astype(np.uint8)
    ok, encoded = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, int(track.jpeg_quality[k])])
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 image
        raise RuntimeError("JPEG encoding failed")
    return cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE)
