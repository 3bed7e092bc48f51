"""Composes the window's parts and orders start-up and shutdown.

Everything here runs on the GUI thread, and nothing here waits for anything. Each job has its
own small module, composed here:

* :class:`~emotune.ui.camera_control.CameraControl` - sources, on/off, privacy, calibration and
  the vision worker's thread (capture and inference run there);
* :class:`~emotune.ui.mood_display.MoodDisplay` - frames, the mood header, the chart and the
  timeline;
* :class:`~emotune.ui.player_control.PlayerControl` - the player panel, the queue and the pin,
  every DJ command on the player thread;
* :class:`~emotune.ui.library_control.LibraryControl` - the background library scan;
* :class:`~emotune.ui.tag_control.TagControl`, :class:`~emotune.ui.timeline_export.TimelineExporter`
  and :class:`~emotune.ui.preferences.PreferencesControl`.

This class connects them (a mood the music should follow goes to the player; the first mood
starts the music), holds the start-up milestones and closes everything in order.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from emotune.emotions import Emotion
from emotune.mood import MoodSnapshot
from emotune.settings import Settings
from emotune.ui.camera_control import CameraControl, mood_config
from emotune.ui.library_control import LibraryControl
from emotune.ui.main_window import MainWindow
from emotune.ui.mood_display import MoodDisplay
from emotune.ui.player_control import PlayerControl
from emotune.ui.preferences import PreferencesControl
from emotune.ui.startup import StartupTimes, restore_geometry, save_geometry
from emotune.ui.tag_control import TagControl
from emotune.ui.timeline_export import TimelineExporter
from emotune.ui.workers.scan_worker import Scanner
from emotune.ui.workers.vision_worker import VisionWorker

if TYPE_CHECKING:
    from emotune.music.choose.dj import MoodDJ
    from emotune.music.library.scanner import ScanReport
    from emotune.music.library.track import Track
    from emotune.ui.player_bridge import PlayerBridge

log = logging.getLogger(__name__)


class AppController(QObject):
    """Owns the parts of one window and the DJ."""

    # Emitted once: the first camera picture is on screen, or the camera could not give one
    # (off, failed, or slower than FIRST_FRAME_GRACE_MS). Background start-up work that would
    # compete with it for the CPU (library scan, audio) waits for this.
    startup_settled = Signal()
    FIRST_FRAME_GRACE_MS = 1500

    def __init__(
        self,
        window: MainWindow,
        dj: MoodDJ | None,
        settings: Settings,
        *,
        vision: VisionWorker | None,
        source_spec: str | None,
        library_folders: list[Path] | None = None,
        scanner: Scanner | None = None,
        audio_note: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        process_start: float | None = None,
    ) -> None:
        """Connect everything; call :meth:`start` once the window is shown.

        ``dj`` may be ``None`` at first: the audio backend (libvlc takes most of a second to
        start) is built in the background and handed over with :meth:`attach_dj`.
        """
        super().__init__(window)
        self.window = window
        self.settings = settings
        self._clock = clock
        self._process_start = process_start if process_start is not None else clock()
        self.times = StartupTimes()
        self.tracks: list[Track] = []
        self._closed = False
        self._settled = False
        self._autoplay_pending = True  # start the music on the first mood (camera or button)

        self.player = PlayerControl(window, settings, self)
        self.camera = CameraControl(window, settings, vision, source_spec, self)
        self.display = MoodDisplay(
            window,
            vision,
            pinned=lambda: self.player.pinned,
            capturing=lambda: self.camera.capturing,
            clock=clock,
            parent=self,
        )
        self.library = LibraryControl(window, settings, library_folders, scanner, self)
        self.tagging = TagControl(window, self._playing_track, self.library.rescan, parent=self)
        self.exporter = TimelineExporter(window, self)
        self.preferences = PreferencesControl(self, self)

        self.camera.capture_changed.connect(self._on_capture_changed)
        self.camera.model_loaded.connect(self._on_model_loaded)
        self.display.mood_changed.connect(self._on_mood_changed)
        self.display.music_mood_changed.connect(self._on_music_mood_changed)
        self.display.first_frame_painted.connect(self._on_first_frame_painted)
        self.library.loaded.connect(self._on_library_loaded)
        self.preferences.music_hold_changed.connect(self._set_music_hold)
        self._connect_window()
        self._connect_library_view()
        self.window.close_handler = self.shutdown
        if dj is not None:
            self.attach_dj(dj, audio_note)
        self.display.refresh()

    # -- what the parts know -------------------------------------------------------------------

    @property
    def dj(self) -> MoodDJ | None:
        """The MoodDJ, once the audio backend has started."""
        return self.player.dj

    @property
    def bridge(self) -> PlayerBridge | None:
        """The player thread's bridge, once the audio backend has started."""
        return self.player.bridge

    @property
    def pinned(self) -> Emotion | None:
        """The mood pinned by hand, or ``None`` (owned by :attr:`PlayerControl.pinned`)."""
        return self.player.pinned

    @property
    def mood(self) -> MoodSnapshot | None:
        """The latest snapshot of the mood filter (:attr:`MoodDisplay.mood`)."""
        return self.display.mood

    @property
    def music_mood(self) -> Emotion | None:
        """The camera mood the music follows (slower than the shown mood)."""
        return self.display.music_mood

    @property
    def capturing(self) -> bool:
        """Whether a source is open (:attr:`CameraControl.capturing`)."""
        return self.camera.capturing

    def attach_dj(self, dj: MoodDJ, audio_note: str | None = None) -> None:
        """Start using ``dj`` (and its backend); applies moods and tracks from before it was ready."""
        if self._closed:  # the window closed while the audio backend was still starting
            dj.close()
            return
        self.player.attach(dj, audio_note)
        if self.tracks:
            self.player.set_tracks(self.tracks)
        if self.music_mood is not None:
            self.player.follow_camera(self.music_mood)
        if self.pinned is not None:
            self.player.pin(self.pinned)  # sent again, now that there is a DJ to tell
            self._maybe_autoplay(force=True)
        elif self.music_mood is not None:
            self._maybe_autoplay()

    # -- wiring --------------------------------------------------------------------------------

    def _connect_window(self) -> None:
        w = self.window
        w.emoji_bar.mood_chosen.connect(self.choose_mood)
        w.auto_action.triggered.connect(lambda: self.choose_mood(None))
        for action in w.mood_actions:
            emotion = action.data()
            action.triggered.connect(lambda _=False, e=emotion: self.choose_mood(e))
        # Any way of starting the music by hand ends the wait for a first mood.
        w.player.play_pause_clicked.connect(self._cancel_autoplay)
        w.play_action.triggered.connect(self._cancel_autoplay)
        w.about_action.triggered.connect(self.show_about)
        w.quit_action.triggered.connect(w.close)

    def _connect_library_view(self) -> None:
        """Library tab: shows every scan; plays, queues and tags what the user picks there."""
        view = self.window.library_view
        self.library.loaded.connect(lambda report: view.set_tracks(list(report.tracks)))
        view.play_now_requested.connect(self._play_from_library)
        view.enqueue_requested.connect(self._enqueue_from_library)
        view.tag_requested.connect(self.tagging.tag_tracks)

    # -- start / stop ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the camera thread at once; the library scan once the first frame is shown."""
        self.times.window_shown = self.elapsed()
        self.display.start_timeline()
        self.startup_settled.connect(self.library.rescan)
        QTimer.singleShot(self.FIRST_FRAME_GRACE_MS, self._settle)
        self.camera.start()

    def _settle(self) -> None:
        """Start-up is over for the camera: let the deferred work begin (once)."""
        if not self._settled and not self._closed:
            self._settled = True
            self.startup_settled.emit()

    def shutdown(self) -> None:
        """Save settings, stop the camera and the scan, stop the music (window closing)."""
        if self._closed:
            return
        self._closed = True
        self.display.stop_timeline()
        try:
            save_geometry(self.window, self.settings)
        except Exception:  # settings must never block closing
            log.exception("saving the window geometry failed")
        self.camera.request_stop()
        self.library.cancel()
        self.camera.wait_stopped(3000)
        self.library.close()
        self.tagging.close()  # a tag write in progress finishes (it is atomic either way)
        self.player.close()  # closes the DJ and its backend on the player thread

    def elapsed(self) -> float:
        """Seconds since the process started."""
        return self._clock() - self._process_start

    def restore_geometry(self) -> bool:
        """Put the window where it was last time; False when nothing usable was saved."""
        return restore_geometry(self.window, self.settings)

    def open_source(self, spec: str) -> None:
        """Capture from ``spec`` (camera index, video, image or folder)."""
        self.camera.open_source(spec)

    # -- news from the parts -------------------------------------------------------------------

    def _on_capture_changed(self, capturing: bool) -> None:
        if not capturing:
            QTimer.singleShot(0, self._settle)  # no picture is coming: nothing to wait for
        self.display.on_capture_changed(capturing)

    def _on_model_loaded(self) -> None:
        self.times.model_loaded = self.elapsed()

    def _on_first_frame_painted(self) -> None:
        if self.times.first_frame is None:
            self.times.first_frame = self.elapsed()
            self.times.first_frame_cpu = time.process_time()
            self._settle()

    def _on_mood_changed(self, emotion: Emotion, confidence: float) -> None:
        self.times.mood_changes.append(
            (round(self.elapsed(), 2), emotion.key, round(confidence, 3))
        )

    def _on_music_mood_changed(self, emotion: Emotion) -> None:
        self.player.follow_camera(emotion)
        self._maybe_autoplay()

    def _set_music_hold(self, seconds: float) -> None:
        """Preferences: how long the shown mood must hold before the music follows (live)."""
        self.camera.set_mood_config(mood_config(self.settings))

    # -- mood buttons and transport --------------------------------------------------------------

    def choose_mood(self, emotion: Emotion | None) -> None:
        """Pin ``emotion`` (emoji button / keys 1-7) or go back to the camera (Auto / key 0)."""
        self.player.pin(emotion)
        if emotion is not None:
            self._maybe_autoplay(force=True)
        self.display.refresh()

    def _maybe_autoplay(self, force: bool = False) -> None:
        """Start the music on the first mood, once there are a library and a player."""
        if not (self._autoplay_pending or force) or not self.tracks or not self.player.ready:
            return
        self._autoplay_pending = False
        self.player.play_if_idle()

    def _cancel_autoplay(self) -> None:
        self._autoplay_pending = False

    # -- library ----------------------------------------------------------------------------------

    def _on_library_loaded(self, report: ScanReport) -> None:
        self.tracks = list(report.tracks)
        if self.times.library_loaded is None:  # the first delivery; analysis may refine it later
            self.times.library_loaded = self.elapsed()
        self.player.set_tracks(self.tracks)
        if self.tracks and (self.music_mood is not None or self.pinned is not None):
            self._maybe_autoplay()

    def _play_from_library(self, track: Track) -> None:
        self._cancel_autoplay()
        self.player.play_track_now(track)

    def _enqueue_from_library(self, tracks: list[Track], play_next: bool) -> None:
        self.player.enqueue(tracks, play_next)
        where = "next" if play_next else "in the queue"
        plural = "s" if len(tracks) != 1 else ""
        self.window.statusBar().showMessage(f"{len(tracks)} track{plural} {where}", 3000)

    def _playing_track(self) -> Track | None:
        """The track of the latest player snapshot, or None."""
        current = self.player.state.current if self.player.state is not None else None
        return current.track if current is not None else None

    # -- about -------------------------------------------------------------------------------------

    def show_about(self) -> None:
        """The About box with the model card's numbers."""
        from emotune.ui.about import show_about

        show_about(self.window)
