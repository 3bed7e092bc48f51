"""What the command line tells the desktop app (plain data, no Qt)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class GuiOptions:
    """Start-up choices for the GUI; ``None`` means "use the remembered setting / default"."""

    camera: str | None = None  # camera index, video file, image or folder (a source spec)
    no_audio: bool = False  # use the silent null backend instead of VLC
    library: Path | None = None  # music folder to use instead of the remembered ones
    model: Path | None = None  # emotion model instead of models/emotion.tflite
    quit_after: float | None = None  # seconds; for demos, benchmarks and CI runs
    screenshot: Path | None = None  # grab the window to this PNG just before quitting
    probe: bool = False  # print start-up timings (first frame shown, RSS) as JSON on exit
    music_hold: float | None = None  # seconds a mood must hold before the music follows (saved)
    strategy: str | None = None  # match / lift / calm (saved, as in Preferences)
    camera_off: bool = False  # start with the camera off this time
    audio_device: str | None = None  # libVLC output device id (saved)
    show: str | None = None  # open a view at start ("library", "preferences"): for screenshots
