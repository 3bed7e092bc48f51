"""Reads embedded cover art off the GUI thread (mutagen parsing can take tens of ms on big files)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage

from emotune.ui.workers.background import BackgroundTasks

MAX_SIDE = 256  # covers are shown at ~92 px; keeping a 3000 px scan in memory is pointless


def read_cover(path: Path) -> QImage | None:
    """The cover as a QImage no larger than :data:`MAX_SIDE` (safe off the GUI thread).

    The bytes come from the tag table's picture field (:func:`emotune.music.library.tags.read_cover`),
    like every other tag.
    """
    from emotune.music.library.tags import read_cover as read_cover_bytes

    data = read_cover_bytes(path)
    if not data:
        return None
    image = QImage.fromData(data)
    if image.isNull():
        return None
    if max(image.width(), image.height()) > MAX_SIDE:
        image = image.scaled(
            MAX_SIDE,
            MAX_SIDE,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    return image


class CoverLoader(QObject):
    """Loads covers on two background threads; :attr:`loaded` arrives on the GUI thread."""

    loaded = Signal(str, object)  # path, QImage | None

    def __init__(self, parent: QObject | None = None) -> None:
        """Covers load two at a time: the queue view may ask for several at once."""
        super().__init__(parent)
        self._tasks = BackgroundTasks("emotune-covers", workers=2, parent=self)

    def request(self, path: Path) -> None:
        """Start reading the cover of ``path``."""
        path = Path(path)

        def done(image: QImage | None, _error: Exception | None) -> None:
            self.loaded.emit(str(path), image)  # an unreadable cover is no cover

        self._tasks.run(lambda: read_cover(path), done)
