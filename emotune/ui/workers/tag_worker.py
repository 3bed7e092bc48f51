"""Writing mood tags in a background thread.

Tag writing copies the whole file (it is written to a temporary copy and swapped in atomically),
which takes a noticeable moment for a large FLAC; done here, the window keeps painting. Results
cross back as signals, and the GUI never touches the file itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from emotune.emotions import Emotion
from emotune.ui.workers.background import BackgroundTasks

log = logging.getLogger(__name__)

MoodWriter = Callable[[str, Emotion | None], object]
"""``writer(path, emotion)``: sets (``None``: clears) one file's mood tag, or raises."""


class TagWriter(QObject):
    """Writes one mood tag at a time, in order, on its own thread (``emotune-tags``)."""

    written = Signal(str, object)  # path, Emotion or None (cleared)
    failed = Signal(str, str)  # path, a message for the user

    def __init__(self, writer: MoodWriter | None = None, parent: QObject | None = None) -> None:
        """``writer(path, emotion)`` defaults to :func:`emotune.music.library.tags.write_mood`."""
        super().__init__(parent)
        self._writer = writer
        self._tasks = BackgroundTasks("emotune-tags", parent=self)

    def write(self, path: Path | str, emotion: Emotion | None) -> None:
        """Queue setting ``path``'s mood tag to ``emotion`` (None clears it); returns at once."""
        path = str(path)

        def done(_result: object, error: Exception | None) -> None:
            if error is not None:  # TagError, OSError, ...: report it, the file is untouched
                log.warning("tagging %s failed: %s", path, error)
                self.failed.emit(path, str(error))
            else:
                self.written.emit(path, emotion)

        self._tasks.run(lambda: self._write(path, emotion), done)

    def _write(self, path: str, emotion: Emotion | None) -> None:
        writer = self._writer
        if writer is None:
            from emotune.music.library.tags import write_mood as writer
        writer(path, emotion)

    def close(self) -> None:
        """Finish the writes already queued (each is atomic), then stop the thread."""
        self._tasks.close(wait=True)
