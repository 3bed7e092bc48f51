"""Wires the window to the camera worker, the mood, the player and the library.

Everything here runs on the GUI thread, and nothing here waits for anything. Work that can
block lives elsewhere: capture and inference in :class:`VisionWorker`'s thread, scanning in
:class:`~emotune.ui.library_control.LibraryControl`'s scan thread, every DJ command on the
player thread of :class:`~emotune.ui.player_control.PlayerControl`. This module owns the camera
side (sources, on/off, privacy, calibration), the mood shown (camera or pinned by hand), the
timeline, start-up ordering and shutdown.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QObject, QThread, QTimer, Signal
from PySide6.QtWidgets import QFileDialog

from emotune.emotions import Emotion
from emotune.mood import MoodConfig, MoodEvent, MoodEventKind, MoodSnapshot, MoodState
from emotune.settings import Setting, Settings
from emotune.ui.frames import FrameUpdate
from emotune.ui.library_control import LibraryControl
from emotune.ui.main_window import MainWindow
from emotune.ui.mood_view import MoodView, describe
from emotune.ui.player_control import PlayerControl, dismiss_later
from emotune.ui.preferences import PreferencesControl
from emotune.ui.tag_control import TagControl
from emotune.ui.timeline_export import TimelineExporter
from emotune.ui.workers.vision_worker import SourceInfo, VisionWorker

log = logging.getLogger(__name__)

# Threads still running when their window closed (a scan stuck on a slow disk, say). Qt aborts if
# a running QThread is destroyed, so they are kept referenced here until they finish on their own.
_ORPHANED_THREADS: list[QThread] = []

VIDEO_FILTER = "Videos (*.mp4 *.avi *.mkv *.mov *.webm *.m4v *.mpg *.mpeg);;All files (*)"
IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.bmp *.webp *.tif *.tiff);;All files (*)"


@dataclass
class StartupTimes:
    """Start-up milestones in seconds since the process started (see :mod:`emotune.devtools.startup_probe`)."""

    window_shown: float | None = None
    first_frame: float | None = None
    first_frame_cpu: float | None = None  # CPU seconds (all threads) used by then: load-independent
    model_loaded: float | None = None
    library_loaded: float | None = None
    mood_changes: list[tuple[float, str, float]] = field(default_factory=list)  # (t, mood, confidence)


class AppController(QObject):
    """Owns the workers and the DJ for one window."""

    # Emitted once: the first camera picture is on screen, or the camera could not give one
    # (off, failed, or slower than FIRST_FRAME_GRACE_MS). Background start-up work that would
    # compete with it for the CPU (library scan, audio) waits for this.
    startup_settled = Signal()
    FIRST_FRAME_GRACE_MS = 1500

    def __init__(
        self,
        window: MainWindow,
        dj: Any | None,
        settings: Settings,
        *,
        vision: VisionWorker | None,
        source_spec: str | None,
        library_folders: list[Path] | None = None,
        scanner: Callable[..., Any] | None = None,
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
        self.vision = vision
        self.source_spec = source_spec
        self.player = PlayerControl(window, settings, self)
        self.library = LibraryControl(window, settings, library_folders, scanner, self)
        self.library.loaded.connect(self._on_library_loaded)
        self.tagging = TagControl(window, self._playing_track, self.library.rescan, parent=self)
        self.exporter = TimelineExporter(window, self)
        self._connect_library_view()
        self.preferences = PreferencesControl(self, self)
        self.preferences.music_hold_changed.connect(self._set_music_hold)
        self._clock = clock
        self._process_start = process_start if process_start is not None else clock()
        self.times = StartupTimes()
        self.tracks: list[Any] = []
        self.mood: MoodSnapshot | None = None  # the latest snapshot of the mood filter
        self.view: MoodView = describe(None)  # what the window shows of it right now
        self.pinned: Emotion | None = None
        self.capturing = False
        self._last_probs: tuple[float, ...] | None = None
        self._last_faces = 0
        self._latest_frame: FrameUpdate | None = None
        self._stats_due = 0.0
        self._vision_thread: QThread | None = None
        self._closed = False
        self._settled = False
        self._autoplay_pending = True  # start the music on the first mood (camera or button)
        self._connect_window()
        if vision is not None:
            self._connect_vision(vision)

        self._timeline_timer = QTimer(self)
        self._timeline_timer.setInterval(500)  # 2 samples/s: 600 samples cover the 5-minute view
        self._timeline_timer.timeout.connect(self._sample_timeline)
        self.window.close_handler = self.shutdown
        if dj is not None:
            self.attach_dj(dj, audio_note)
        self._refresh_header()

    @property
    def dj(self) -> Any | None:
        """The MoodDJ, once the audio backend has started."""
        return self.player.dj

    @property
    def bridge(self) -> Any | None:
        """The player thread's bridge, once the audio backend has started."""
        return self.player.bridge

    def attach_dj(self, dj: Any, audio_note: str | None = None) -> None:
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
            self.player.pin(self.pinned)
            self._maybe_autoplay(force=True)
        elif self.music_mood is not None:
            self._maybe_autoplay()

    @property
    def music_mood(self) -> Emotion | None:
        """The camera mood the music follows (slower than the shown mood)."""
        return self.mood.music_mood if self.mood is not None else None

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
        w.camera_on_action.toggled.connect(self.set_camera_on)
        w.open_video_action.triggered.connect(lambda: self._open_file_source("Open a video", VIDEO_FILTER))
        w.open_image_action.triggered.connect(lambda: self._open_file_source("Open an image", IMAGE_FILTER))
        w.open_folder_source_action.triggered.connect(self._open_folder_source)
        w.devices_menu.aboutToShow.connect(self._fill_devices_menu)
        w.calibrate_action.triggered.connect(self.calibrate)
        w.reset_calibration_action.triggered.connect(lambda: self.vision and self.vision.reset_calibration())
        w.about_action.triggered.connect(self.show_about)
        w.quit_action.triggered.connect(w.close)

    def _connect_vision(self, vision: VisionWorker) -> None:
        vision.frame_ready.connect(self._on_frame)
        vision.mood_update.connect(self._on_mood_update)
        vision.source_opened.connect(self._on_source_opened)
        vision.source_problem.connect(self._on_source_problem)
        vision.capture_stopped.connect(self._on_capture_stopped)
        vision.model_status.connect(self._on_model_status)
        # Cross-thread signals go to bound methods of this (GUI-thread) object, never to lambdas:
        # a lambda has no thread of its own, and would run on the worker thread.
        vision.calibration_progress.connect(self._on_calibration_progress)
        vision.calibration_finished.connect(self._on_calibration_finished)
        self.window.video.first_frame_painted.connect(self._on_first_frame_painted)

    # -- start / stop ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the camera thread at once; the library scan once the first frame is shown."""
        self.times.window_shown = self.elapsed()
        self._timeline_timer.start()
        self.startup_settled.connect(self.library.rescan)
        QTimer.singleShot(self.FIRST_FRAME_GRACE_MS, self._settle)
        if self.vision is not None:
            thread = QThread(self)
            thread.setObjectName("emotune-vision")
            self.vision.moveToThread(thread)
            thread.started.connect(self.vision.run)
            self.vision.finished.connect(thread.quit)
            self._vision_thread = thread
            thread.start()
            if self.source_spec is not None:
                self.open_source(self.source_spec)
            else:
                self._on_capture_stopped()
        else:
            self._on_capture_stopped()

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
        self._timeline_timer.stop()
        try:
            geometry = self.window.saveGeometry().toBase64().data().decode("ascii")
            self.settings.set(Setting.WINDOW_GEOMETRY, geometry)
        except Exception:  # settings must never block closing
            log.exception("saving the window geometry failed")
        if self.vision is not None:
            self.vision.request_quit()
        self.library.cancel()
        for thread in (self._vision_thread, self.library.thread):
            if thread is None:
                continue
            thread.quit()
            if not thread.wait(3000):
                log.warning("%s did not stop in time; leaving it to finish", thread.objectName())
                thread.setParent(None)
                _ORPHANED_THREADS.append(thread)
        self.tagging.close()  # a tag write in progress finishes (it is atomic either way)
        self.player.close()  # closes the DJ and its backend on the player thread

    def elapsed(self) -> float:
        """Seconds since the process started."""
        return self._clock() - self._process_start

    def restore_geometry(self) -> bool:
        """Put the window where it was last time; False when nothing usable was saved."""
        saved = self.settings.get(Setting.WINDOW_GEOMETRY)
        if not isinstance(saved, str) or not saved:
            return False
        try:
            return bool(self.window.restoreGeometry(QByteArray.fromBase64(saved.encode("ascii"))))
        except (UnicodeEncodeError, ValueError):
            return False

    # -- camera ----------------------------------------------------------------------------------

    def open_source(self, spec: str) -> None:
        """Capture from ``spec`` (camera index, video, image or folder)."""
        if self.vision is None:
            return
        self.source_spec = str(spec)
        self.window.video.set_message(f"Opening {spec}…")
        self.vision.open_source(str(spec))

    def set_camera_on(self, on: bool) -> None:
        """Camera on/off. Off releases the device at once: nothing is captured."""
        if self.vision is None:
            return
        if on:
            spec = self.source_spec or str(self.settings.get(Setting.LAST_SOURCE) or self.settings.get(Setting.CAMERA_INDEX))
            self.open_source(spec)
        else:
            self.vision.stop_capture()

    def _open_file_source(self, title: str, filters: str) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, title, str(Path.home()), filters)
        if path:
            self.open_source(path)

    def _open_folder_source(self) -> None:
        path = QFileDialog.getExistingDirectory(self.window, "Open a folder of images", str(Path.home()))
        if path:
            self.open_source(path)

    def _fill_devices_menu(self) -> None:
        """List cameras when the menu opens (cheap: reads /dev names, opens nothing)."""
        from emotune.vision.sources import list_cameras

        menu = self.window.devices_menu
        menu.clear()
        cameras = list_cameras()
        if not cameras:
            action = menu.addAction("No camera found")
            action.setEnabled(False)
            return
        for camera in cameras:
            action = menu.addAction(f"{camera.index}: {camera.name}")
            action.setCheckable(True)
            action.setChecked(self.capturing and self.source_spec == str(camera.index))
            action.triggered.connect(lambda _=False, index=camera.index: self._choose_camera(index))

    def _choose_camera(self, index: int) -> None:
        self.settings.set(Setting.CAMERA_INDEX, int(index))
        self.open_source(str(index))

    def calibrate(self) -> None:
        """Record a few seconds of the user's neutral face (runs in the vision worker)."""
        if self.vision is None or not self.capturing:
            self.window.banners.show_banner("calibration", "Calibration needs the camera: switch it on (Camera ▸ Camera on) and try again.", "info")
            return
        self.window.banners.show_banner("calibration", "Calibrating: look at the camera with a relaxed, neutral face for 4 seconds…", "info")
        self.vision.calibrate_neutral(4.0)

    def _on_calibration_progress(self, fraction: float) -> None:
        self.window.show_progress("Calibrating", int(fraction * 100), 100)

    def _on_calibration_finished(self, ok: bool, message: str) -> None:
        self.window.hide_progress()
        self.window.banners.show_banner("calibration", message, "info" if ok else "warning")
        if ok:
            dismiss_later(self.window, "calibration", 6000)

    def _on_source_opened(self, info: SourceInfo) -> None:
        self.capturing = True
        self.mood = None  # the worker restarts the mood filter for a new source
        label = f"camera {info.spec}" if info.is_camera else Path(info.description).name
        self.window.set_privacy(True, label)
        self.window.banners.dismiss("camera")
        self.settings.set(Setting.LAST_SOURCE, info.spec)
        self._refresh_header()

    def _on_capture_stopped(self) -> None:
        QTimer.singleShot(0, self._settle)  # no picture is coming: nothing to wait for
        self.capturing = False
        self.window.set_privacy(False)
        self.window.video.set_message("Camera off: nothing is being captured.\nCamera ▸ Camera on (Ctrl+K) to start it; the emoji buttons pick music without it.")
        self.window.chart.set_probabilities(None)
        self._last_probs = None
        self.window.set_stats(0.0, 0.0, 0)
        self._refresh_header()

    def _on_source_problem(self, kind: str, message: str) -> None:
        banners = self.window.banners
        if kind == "open_failed":
            sentence = message if message.endswith((".", "!", "?")) else f"{message}."  # SourceError texts have no full stop
            banners.show_banner(
                "camera",
                f"{sentence[:1].upper()}{sentence[1:]} Music still plays: pick a mood with the emoji buttons, or open a video or image from the Camera menu.",
                "warning",
                ("Open video…", lambda: self._open_file_source("Open a video", VIDEO_FILTER)),
            )
        elif kind == "camera_lost":
            banners.show_banner("camera", message, "warning")
        elif kind == "reconnected":
            banners.dismiss("camera")
        elif kind == "ended":
            banners.show_banner("camera", message, "info", ("Play again", lambda: self.open_source(self.source_spec or "")))
        elif kind == "restarted":  # a looping video started again: worth a word, not a banner
            self.window.statusBar().showMessage(message or "Video restarted", 4000)
        else:
            banners.show_banner("camera", message, "error")

    def _on_model_status(self, ok: bool, message: str) -> None:
        if ok:
            self.times.model_loaded = self.elapsed()
            self.window.banners.dismiss("model")
        else:
            self.window.banners.show_banner("model", message, "error")

    # -- frames and moods ------------------------------------------------------------------------

    def _on_frame(self, update: FrameUpdate) -> None:
        """Show a processed frame (GUI thread); cheap: store, describe once, paint from that."""
        if self.vision is not None:
            self.vision.frame_consumed()
        if not self.capturing:
            return  # a frame that was in flight when the camera went off: drop it
        self._latest_frame = update
        if update.mood is not None:
            self.mood = update.mood
        self.window.video.show_frame(update)
        self._refresh_header()  # header, chart and this frame's face label from one snapshot
        self._last_faces = len(update.faces)
        now = self._clock()
        if now >= self._stats_due:  # 4 Hz is plenty for numbers people read
            self._stats_due = now + 0.25
            self.window.set_stats(update.fps, update.inference_ms, len(update.faces))

    def _on_first_frame_painted(self) -> None:
        if self.times.first_frame is None:
            self.times.first_frame = self.elapsed()
            self.times.first_frame_cpu = time.process_time()
            self._settle()

    def _set_music_hold(self, seconds: float) -> None:
        """Preferences: how long the shown mood must hold before the music follows (live)."""
        if self.vision is not None:
            self.vision.set_mood_config(mood_config(self.settings))

    def _on_mood_update(self, event: MoodEvent) -> None:
        """Filter events (they are never dropped, unlike frames): the music mood goes to the DJ."""
        self.mood = event.snapshot
        if event.kind is MoodEventKind.MOOD_CHANGED and event.new is not None:
            self.times.mood_changes.append((round(self.elapsed(), 2), event.new.key, round(event.confidence, 3)))
        elif event.kind is MoodEventKind.MUSIC_MOOD_CHANGED and event.new is not None:
            self.player.follow_camera(event.new)
            self._maybe_autoplay()
        self._refresh_header()

    def _refresh_header(self) -> None:
        """Describe the latest snapshot once; header and chart paint that description."""
        self.view = describe(self.mood, pinned=self.pinned, capturing=self.capturing, frames_seen=self._latest_frame is not None)
        self.window.mood_header.show_view(self.view)
        self.window.video.show_view(self.view)
        bars = self.view.bars if self.capturing else None
        if bars != self._last_probs:
            self._last_probs = bars
            self.window.chart.set_probabilities(bars)
        self.window.emoji_bar.set_selected(self.pinned)

    def _sample_timeline(self) -> None:
        view = self.view
        if self.pinned is not None:
            mood = self.pinned
        else:
            mood = self.mood.mood if (self.mood is not None and self.capturing) else None
        faded = view.state in (MoodState.UNCERTAIN, MoodState.NO_FACE, MoodState.CAMERA_LOST)
        music = self.music_mood if self.capturing else None
        state = self.mood.state if (self.mood is not None and self.capturing) else None
        self.window.timeline.add_sample(self._last_probs, mood, music_mood=music, state=state, pinned=view.pinned, faded=faded)

    # -- mood buttons and transport --------------------------------------------------------------

    def choose_mood(self, emotion: Emotion | None) -> None:
        """Pin ``emotion`` (emoji button / keys 1-7) or go back to the camera (Auto / key 0)."""
        self.pinned = emotion
        self.player.pin(emotion)
        if emotion is not None:
            self._maybe_autoplay(force=True)
        self._refresh_header()

    def _maybe_autoplay(self, force: bool = False) -> None:
        """Start the music on the first mood, once there are a library and a player."""
        if not (self._autoplay_pending or force) or not self.tracks or not self.player.ready:
            return
        self._autoplay_pending = False
        self.player.play_if_idle()

    def _cancel_autoplay(self) -> None:
        self._autoplay_pending = False

    # -- library ----------------------------------------------------------------------------------

    def _on_library_loaded(self, report: Any) -> None:
        self.tracks = list(report.tracks)
        self.times.library_loaded = self.elapsed()
        self.player.set_tracks(self.tracks)
        if self.tracks and (self.music_mood is not None or self.pinned is not None):
            self._maybe_autoplay()

    def _connect_library_view(self) -> None:
        """Library tab: shows every scan; plays, queues and tags what the user picks there."""
        view = self.window.library_view
        self.library.loaded.connect(lambda report: view.set_tracks(list(report.tracks)))
        view.play_now_requested.connect(self._play_from_library)
        view.enqueue_requested.connect(self._enqueue_from_library)
        view.tag_requested.connect(self.tagging.tag_tracks)

    def _play_from_library(self, track: Any) -> None:
        self._cancel_autoplay()
        self.player.play_track_now(track)

    def _enqueue_from_library(self, tracks: list[Any], play_next: bool) -> None:
        self.player.enqueue(tracks, play_next)
        where = "next" if play_next else "in the queue"
        self.window.statusBar().showMessage(f"{len(tracks)} track{'s' if len(tracks) != 1 else ''} {where}", 3000)

    def _playing_track(self) -> Any:
        """The track of the latest player snapshot, or None."""
        current = getattr(self.player.state, "current", None)
        return current.track if current is not None else None

    # -- about -------------------------------------------------------------------------------------

    def show_about(self) -> None:
        """The About box with the model card's numbers."""
        from emotune.ui.about import show_about

        show_about(self.window)


def mood_config(settings: Settings) -> MoodConfig:
    """The mood filter's settings from the user's (the schema has already checked them)."""
    return MoodConfig(music_hold_s=settings.get(Setting.MUSIC_HOLD_S))
