"""Is there a webcam EmoTune can read frames from?"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from emotune.doctor.result import CheckResult

PROBE_TIMEOUT_S = 6.0
"""How long one device may take to deliver a first frame before we give up on it."""

MAX_DEVICES_PROBED = 8

NO_CAMERA_NOTE = (
    "EmoTune still works without a camera: pick a mood with the emoji buttons and it plays music "
    "to fit."
)

# Exit codes of the probe script, so the parent can tell "cannot open" from "opens, no frame".
_EXIT_NOT_OPENED = 3
_EXIT_NO_FRAME = 4

# Runs in a child process: a wedged driver can block VideoCapture forever, and a child, unlike a
# thread, can be killed when it does not answer in time.
_PROBE_SCRIPT = f"""
import os, sys
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
import cv2
index, backend = int(sys.argv[1]), getattr(cv2, "CAP_" + sys.argv[2])
capture = cv2.VideoCapture(index, backend)
try:
    if not capture.isOpened():
        sys.exit({_EXIT_NOT_OPENED})
    ok, frame = capture.read()
finally:
    capture.release()
if not ok or frame is None:
    sys.exit({_EXIT_NO_FRAME})
print(f"{{frame.shape[1]}}x{{frame.shape[0]}}")
"""

Probe = Callable[[int], tuple[bool, str]]
"""Reads one frame from a camera index; returns (ok, frame size or reason)."""


def video_devices() -> list[Path]:
    """Video4Linux capture nodes (``/dev/video0`` ...) sorted by index; empty off Linux."""
    if not sys.platform.startswith("linux"):
        return []
    nodes = [p for p in Path("/dev").glob("video*") if p.name[len("video") :].isdigit()]
    return sorted(nodes, key=lambda p: int(p.name[len("video") :]))


def probe_camera(index: int, timeout: float = PROBE_TIMEOUT_S) -> tuple[bool, str]:
    """Try to read one frame from camera ``index``; return (ok, frame size or the reason it failed)."""
    backend = "V4L2" if sys.platform.startswith("linux") else "ANY"
    command = [sys.executable, "-c", _PROBE_SCRIPT, str(index), backend]
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, f"no frame within {timeout:g} s"
    except OSError as error:
        return False, f"could not start the probe: {error}"
    if completed.returncode == 0:
        return True, f"{completed.stdout.strip()} frames"
    if completed.returncode == _EXIT_NOT_OPENED:
        return False, "could not be opened"
    if completed.returncode == _EXIT_NO_FRAME:
        return False, "opened but gave no frame"
    last_line = (completed.stderr.strip().splitlines() or ["unknown error"])[-1]
    return False, f"probe failed: {last_line}"


def check_camera(
    devices: list[Path] | None = None,
    probe: Probe = probe_camera,
) -> CheckResult:
    """Find camera devices and read one frame from the first that works. Never essential."""
    if devices is None:
        devices = video_devices()

    if not sys.platform.startswith("linux"):
        # No device nodes to list elsewhere; OpenCV's default camera is index 0.
        ok, detail = probe(0)
        if ok:
            return CheckResult("camera", "Camera", True, f"camera 0: {detail}", essential=False)
        return CheckResult(
            "camera",
            "Camera",
            False,
            f"camera 0 {detail}",
            hint=f"Connect a webcam and allow camera access for this terminal. {NO_CAMERA_NOTE}",
            essential=False,
        )

    if not devices:
        return CheckResult(
            "camera",
            "Camera",
            False,
            "no camera device found (no /dev/video*)",
            hint=f"Plug in a webcam (in a VM or container, pass the device through). {NO_CAMERA_NOTE}",
            essential=False,
        )

    failures: list[str] = []
    unreadable: list[str] = []
    for device in devices[:MAX_DEVICES_PROBED]:
        if not os.access(device, os.R_OK | os.W_OK):
            unreadable.append(str(device))
            failures.append(f"{device}: no permission")
            continue
        index = int(device.name[len("video") :])
        ok, detail = probe(index)
        if ok:
            return CheckResult(
                "camera", "Camera", True, f"camera {index} ({device}): {detail}", essential=False
            )
        failures.append(f"{device}: {detail}")

    hint = "Close other apps that use the camera, then try again. "
    if unreadable:
        hint = (
            f"Your user may not read {', '.join(unreadable)}: add it to the 'video' group "
            "(sudo usermod -aG video $USER, then log in again). "
        )
    return CheckResult(
        "camera", "Camera", False, "; ".join(failures), hint=hint + NO_CAMERA_NOTE, essential=False
    )
