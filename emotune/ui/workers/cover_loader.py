"""Reads embedded cover art off the GUI thread (mutagen parsing can take tens of ms on big files)."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QImage

log = logging.getLogger(__name__)

MAX_SIDE = 256  # covers are shown at ~92 px; keeping a 3000 px scan in memory is pointless


def read_cover_bytes(path: Path) -> bytes | None:
    """The first embedded picture of an audio file (ID3, FLAC, MP4, Vorbis/Opus), or ``None``."""
    import mutagen

    try:
        audio = mutagen.File(str(path))
    except Exception:  # mutagen raises many types for odd files; no cover is fine
        return None
    if audio is None:
        return None
    pictures = getattr(audio, "pictures", None)  # FLAC
    if pictures:
        return bytes(pictures[0].data)
    tags = getattr(audio, "tags", None)
    if tags is None:
        return None
    getall = getattr(tags, "getall", None)
    if callable(getall):  # ID3 (mp3, aiff, wav)
        frames = getall("APIC")
        if frames:
            return bytes(frames[0].data)
    try:
        covr = tags.get("covr")  # MP4
        if covr:
            return bytes(covr[0])
        blocks = tags.get("metadata_block_picture")  # Ogg Vorbis / Opus
        if blocks:
            from mutagen.flac import Picture

            return bytes(Picture(base64.b64decode(blocks[0])).data)
    except Exception:
        log.debug("no readable cover in %s", path, exc_info=True)
    return None


def read_cover(path: Path) -> QImage | None:
    """The cover as a QImage no larger than :data:`MAX_SIDE` (safe off the GUI thread)."""
    data = read_cover_bytes(path)
    if not data:
        return None
    image = QImage.fromData(data)
    if image.isNull():
        return None
    if max(image.width(), image.height()) > MAX_SIDE:
        from PySide6.QtCore import Qt

        image = image.scaled(MAX_SIDE, MAX_SIDE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    return image


class _CoverJob(QRunnable):
    def __init__(self, loader: CoverLoader, path: Path) -> None:
        super().__init__()
        self.loader = loader
        self.path = path

    def run(self) -> None:
        image = read_cover(self.path)
        self.loader.loaded.emit(str(self.path), image)  # queued to the loader's (GUI) thread


class CoverLoader(QObject):
    """Loads covers in the global thread pool; :attr:`loaded` arrives on the GUI thread."""

    loaded = Signal(str, object)  # path, QImage | None

    def request(self, path: Path) -> None:
        """Start reading the cover of ``path``."""
        QThreadPool.globalInstance().start(_CoverJob(self, Path(path)))
