"""Library ▸ Tag playing track as…: the explicit command that writes a mood tag into a file.

This is the only place the app changes a user's audio file, and only on the user's request.
The write runs in a :class:`TagWriter` thread; on success the library is rescanned (the scan
cache re-reads just the changed file) so the queue and the emoji counts follow the new tag.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from emotune.emotions import Emotion
from emotune.ui.main_window import MainWindow
from emotune.ui.widgets.banner import BannerLevel
from emotune.ui.workers.tag_worker import MoodWriter, TagWriter

if TYPE_CHECKING:
    from emotune.music.library.track import Track


@dataclass
class _Batch:
    """A multi-track tag from the library view: one report when every file is done."""

    emotion: Emotion | None
    left: int = 0
    done: int = 0
    failed: list[str] = field(default_factory=list)


class TagControl(QObject):
    """Connects the window's tag actions to a :class:`TagWriter`."""

    def __init__(
        self,
        window: MainWindow,
        current_track: Callable[[], Track | None],
        on_written: Callable[[], None],
        writer: MoodWriter | None = None,
        parent: QObject | None = None,
    ) -> None:
        """``current_track()`` returns the playing Track or None; ``on_written()`` runs after a
        successful write (the controller rescans the library)."""
        super().__init__(parent)
        self.window = window
        self._current_track = current_track
        self._on_written_callback = on_written
        self._batch: _Batch | None = None
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
            self.window.banners.show_banner(
                "tag", "Nothing is playing: start a track, then tag it.", BannerLevel.INFO
            )
            return
        emotion = Emotion.parse(emotion_key) if emotion_key else None
        self.window.statusBar().showMessage(
            f"Writing the mood tag of {Path(track.path).name}…", 3000
        )
        self.worker.write(track.path, emotion)

    def tag_tracks(self, tracks: list[Track], emotion: Emotion | None) -> None:
        """Write ``emotion`` (None clears) into every track's file, in the background; one
        report and one rescan when all are done."""
        paths = [str(track.path) for track in tracks]
        if not paths:
            return
        if len(paths) == 1 and self._batch is None:
            self.window.statusBar().showMessage(
                f"Writing the mood tag of {Path(paths[0]).name}…", 3000
            )
            self.worker.write(paths[0], emotion)
            return
        if self._batch is None:
            self._batch = _Batch(emotion)
        self._batch.left += len(paths)
        self.window.show_progress("Writing mood tags", 0, self._batch.left)
        for path in paths:
            self.worker.write(path, emotion)

    def _batch_step(self, path: str, error: str | None) -> bool:
        """Count one result of a batch; True when it belonged to one (no per-file report)."""
        batch = self._batch
        if batch is None:
            return False
        batch.left -= 1
        if error is None:
            batch.done += 1
        else:
            batch.failed.append(f"{Path(path).name}: {error}")
        self.window.show_progress(
            "Writing mood tags",
            batch.done + len(batch.failed),
            batch.done + len(batch.failed) + batch.left,
        )
        if batch.left > 0:
            return True
        self._batch = None
        self.window.hide_progress()
        emotion = batch.emotion
        what = (
            f"tagged {emotion.emoji} {emotion.label}" if emotion is not None else "mood tag cleared"
        )
        failed = batch.failed
        if failed:
            more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
            self.window.banners.show_banner(
                "tag",
                f"{batch.done} files {what}; {len(failed)} could not be changed and were left as they were: {failed[0]}{more}.",
                BannerLevel.WARNING,
            )
        else:
            self.window.banners.show_banner("tag", f"{batch.done} files {what}.", BannerLevel.INFO)
        if batch.done:
            self._on_written_callback()
        return True

    def _on_written(self, path: str, emotion: Emotion | None) -> None:
        if self._batch_step(path, None):
            return
        what = (
            f"tagged {emotion.emoji} {emotion.label}" if emotion is not None else "mood tag cleared"
        )
        self.window.banners.show_banner("tag", f"{Path(path).name}: {what}.", BannerLevel.INFO)
        self._on_written_callback()

    def _on_failed(self, path: str, message: str) -> None:
        if self._batch_step(path, message):
            return
        self.window.banners.show_banner(
            "tag",
            f"Could not tag {Path(path).name}: {message}. The file was not changed.",
            BannerLevel.ERROR,
        )

    def close(self) -> None:
        """Let a write in progress finish (it is atomic either way)."""
        self.worker.close()
