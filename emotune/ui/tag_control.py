"""Library ▸ Tag playing track as…: the explicit command that writes a mood tag into a file.

This is the only place the app changes a user's audio file, and only on the user's request.
The write runs in a :class:`TagWriter` thread; on success the library is rescanned (the scan
cache re-reads just the changed file) so the queue and the emoji counts follow the new tag.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject

from emotune.emotions import Emotion
from emotune.ui.main_window import MainWindow
from emotune.ui.workers.tag_worker import TagWriter


class TagControl(QObject):
    """Connects the window's tag actions to a :class:`TagWriter`."""

    def __init__(
        self,
        window: MainWindow,
        current_track: Callable[[], Any],
        on_written: Callable[[], None],
        writer: Any = None,
        parent: QObject | None = None,
    ) -> None:
        """``current_track()`` returns the playing Track or None; ``on_written()`` runs after a
        successful write (the controller rescans the library)."""
        super().__init__(parent)
        self.window = window
        self._current_track = current_track
        self._on_written_callback = on_written
        self.worker = TagWriter(writer, self)
        # Bound methods of this GUI-thread object: the slots run on the GUI thread.
        self.worker.written.connect(self._on_written)
        self.worker.failed.connect(self._on_failed)
        for action in window.tag_actions:
            action.triggered.connect(lambda _checked=False, a=action: self.tag_playing(a.data()))

    def tag_playing(self, emotion_key: str) -> None:
        """Write ``emotion_key`` ("" clears) into the playing track's mood tag."""
        track = self._current_track()
        if track is None:
            self.window.banners.show_banner("tag", "Nothing is playing: start a track, then tag it.", "info")
            return
        emotion = Emotion.parse(emotion_key) if emotion_key else None
        self.window.statusBar().showMessage(f"Writing the mood tag of {Path(track.path).name}…", 3000)
        self.worker.write(track.path, emotion)

    def _on_written(self, path: str, emotion: Emotion | None) -> None:
        what = f"tagged {emotion.emoji} {emotion.label}" if emotion is not None else "mood tag cleared"
        self.window.banners.show_banner("tag", f"{Path(path).name}: {what}.", "info")
        self._on_written_callback()

    def _on_failed(self, path: str, message: str) -> None:
        self.window.banners.show_banner(
            "tag", f"Could not tag {Path(path).name}: {message}. The file was not changed.", "error"
        )

    def close(self) -> None:
        """Let a write in progress finish (it is atomic either way)."""
        self.worker.close()
