"""Small persistent settings (strategy, volume, window geometry, last source, library folders).

Stored as JSON in the user's config folder. Writes are atomic (temp file + replace) so a crash
never leaves a half-written file; an unreadable file is treated as empty, never fatal.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from emotune.paths import user_config_dir

DEFAULTS: dict[str, Any] = {
    "strategy": "match",
    "volume": 80,
    "last_source": None,
    "camera_index": 0,
    "library_folders": [],
    "window_geometry": None,
    "music_hold_s": 4.0,  # seconds a new mood must hold before the music follows it
    "start_camera_off": False,  # open the window with the camera off (nothing captured)
    "audio_device": None,  # libVLC output device id; None = the system default
}


class Settings:
    """A JSON-backed key/value store with defaults. Thread-safe."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or user_config_dir() / "settings.json"
        self._lock = threading.Lock()
        self._values: dict[str, Any] = {}
        self._load()

    def _load(self) -> None:
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            self._values = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            self._values = {}

    def get(self, key: str, default: Any = None) -> Any:
        """The stored value, else the built-in default, else ``default``."""
        with self._lock:
            if key in self._values:
                return self._values[key]
        return DEFAULTS.get(key, default)

    def set(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable value and save at once."""
        with self._lock:
            self._values[key] = value
            self._save_locked()

    def _save_locked(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".json", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self._values, handle, indent=2, ensure_ascii=False)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
