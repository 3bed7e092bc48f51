"""The camera side of the window: sources, on/off, privacy, calibration, the vision thread.

Capture and inference run in :class:`VisionWorker`'s own thread; this object (on the GUI
thread) starts and stops that thread, sends it commands and shows what it reports: the privacy
indicator, the Camera menu, and banners for sources that fail, get lost or end. Frames and moods
are shown by :class:`~emotune.ui.mood_display.MoodDisplay`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal
from PySide6.QtWidgets import QFileDialog

from emotune.mood import MoodConfig
from emotune.settings import Setting, Settings
from emotune.ui.main_window import MainWindow
from emotune.ui.player_control import dismiss_later
from emotune.ui.widgets.banner import BannerLevel
from emotune.ui.workers.vision_worker import SourceInfo, SourceProblem, VisionWorker

log = logging.getLogger(__name__)

# Threads still running when their window closed (a camera driver stuck in a read, say). Qt
# aborts if a running QThread is destroyed, so they are kept referenced here until they finish.
_ORPHANED_THREADS: list[QThread] = []

VIDEO_FILTER = "Videos (*.mp4 *.avi *.mkv *.mov *.webm *.m4v *.mpg *.mpeg);;All files (*)"
IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.bmp *.webp *.tif *.tiff);;All files (*)"
CAMERA_OFF_MESSAGE = (
    "Camera off: nothing is being captured.\nCamera ▸ Camera on (Ctrl+K) to start it; "
    "the emoji buttons pick music without it."
)


def mood_config(settings: Settings) -> MoodConfig:
    """The mood filter's settings from the user's (the schema has already checked them)."""
    return MoodConfig(music_hold_s=settings.get(Setting.MUSIC_HOLD_S))


class CameraControl(QObject):
    """Owns the vision worker's thread and the camera's menus, banners and privacy indicator."""

    capture_changed = Signal(bool)  # capturing now? (after the window shows it)
    model_loaded = Signal()  # the emotion model is ready

    def __init__(
        self,
        window: MainWindow,
        settings: Settings,
        vision: VisionWorker | None,
        source_spec: str | None,
        parent: QObject | None = None,
    ) -> None:
        """Connect the Camera menu and ``vision``'s signals; :meth:`start` runs the thread."""
        super().__init__(parent)
        self.window = window
        self.settings = settings
        self.vision = vision
        self.source_spec = source_spec
        self.capturing = False
        self._vision_thread: QThread | None = None
        w = window
        w.camera_on_action.toggled.connect(self.set_camera_on)
        w.open_video_action.triggered.connect(
            lambda: self._open_file_source("Open a video", VIDEO_FILTER)
        )
        w.open_image_action.triggered.connect(
            lambda: self._open_file_source("Open an image", IMAGE_FILTER)
        )
        w.open_folder_source_action.triggered.connect(self._open_folder_source)
        w.devices_menu.aboutToShow.connect(self._fill_devices_menu)
        w.calibrate_action.triggered.connect(self.calibrate)
        w.reset_calibration_action.triggered.connect(
            lambda: self.vision and self.vision.reset_calibration()
        )
        if vision is not None:
            # Cross-thread signals go to bound methods of this (GUI-thread) object, never to
            # lambdas: a lambda has no thread of its own, and would run on the worker thread.
            vision.source_opened.connect(self._on_source_opened)
            vision.source_problem.connect(self._on_source_problem)
            vision.capture_stopped.connect(self._on_capture_stopped)
            vision.model_status.connect(self._on_model_status)
            vision.calibration_progress.connect(self._on_calibration_progress)
            vision.calibration_finished.connect(self._on_calibration_finished)

    # -- start / stop ------------------------------------------------------------------------

    def start(self) -> None:
        """Start the vision thread and open the first source (or show the camera as off)."""
        if self.vision is None:
            self._on_capture_stopped()
            return
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

    def request_stop(self) -> None:
        """Ask the worker to release the camera and finish (returns at once)."""
        if self.vision is not None:
            self.vision.request_quit()

    def wait_stopped(self, timeout_ms: int = 3000) -> None:
        """Wait up to ``timeout_ms`` for the vision thread; a stuck one is left to finish."""
        thread = self._vision_thread
        if thread is None:
            return
        thread.quit()
        if not thread.wait(timeout_ms):
            log.warning("%s did not stop in time; leaving it to finish", thread.objectName())
            thread.setParent(None)
            _ORPHANED_THREADS.append(thread)

    def set_mood_config(self, config: MoodConfig) -> None:
        """New mood-filter settings, applied by the worker from its next frame."""
        if self.vision is not None:
            self.vision.set_mood_config(config)

    # -- sources -----------------------------------------------------------------------------

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
            spec = self.source_spec or str(
                self.settings.get(Setting.LAST_SOURCE) or self.settings.get(Setting.CAMERA_INDEX)
            )
            self.open_source(spec)
        else:
            self.vision.stop_capture()

    def use_camera(self, index: int) -> None:
        """Use camera ``index`` from now on (remembered); switch to it now if capturing."""
        self.settings.set(Setting.CAMERA_INDEX, int(index))
        if self.capturing:
            self.open_source(str(index))
        else:
            self.source_spec = str(index)

    def _open_file_source(self, title: str, filters: str) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, title, str(Path.home()), filters)
        if path:
            self.open_source(path)

    def _open_folder_source(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self.window, "Open a folder of images", str(Path.home())
        )
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

    # -- calibration -------------------------------------------------------------------------

    def calibrate(self) -> None:
        """Record a few seconds of the user's neutral face (runs in the vision worker)."""
        banners = self.window.banners
        if self.vision is None or not self.capturing:
            banners.show_banner(
                "calibration",
                "Calibration needs the camera: switch it on (Camera ▸ Camera on) and try again.",
                BannerLevel.INFO,
            )
            return
        banners.show_banner(
            "calibration",
            "Calibrating: look at the camera with a relaxed, neutral face for 4 seconds…",
            BannerLevel.INFO,
        )
        self.vision.calibrate_neutral(4.0)

    def _on_calibration_progress(self, fraction: float) -> None:
        self.window.show_progress("Calibrating", int(fraction * 100), 100)

    def _on_calibration_finished(self, ok: bool, message: str) -> None:
        self.window.hide_progress()
        level = BannerLevel.INFO if ok else BannerLevel.WARNING
        self.window.banners.show_banner("calibration", message, level)
        if ok:
            dismiss_later(self.window, "calibration", 6000)

    # -- news from the worker ----------------------------------------------------------------

    def _on_source_opened(self, info: SourceInfo) -> None:
        self.capturing = True
        label = f"camera {info.spec}" if info.is_camera else Path(info.description).name
        self.window.set_privacy(True, label)
        self.window.banners.dismiss("camera")
        self.settings.set(Setting.LAST_SOURCE, info.spec)
        self.capture_changed.emit(True)

    def _on_capture_stopped(self) -> None:
        self.capturing = False
        self.window.set_privacy(False)
        self.window.video.set_message(CAMERA_OFF_MESSAGE)
        self.window.set_stats(0.0, 0.0, 0)
        self.capture_changed.emit(False)

    def _on_source_problem(self, kind: SourceProblem, message: str) -> None:
        banners = self.window.banners
        if kind is SourceProblem.OPEN_FAILED:
            # SourceError texts have no full stop
            sentence = message if message.endswith((".", "!", "?")) else f"{message}."
            banners.show_banner(
                "camera",
                f"{sentence[:1].upper()}{sentence[1:]} Music still plays: pick a mood with the "
                "emoji buttons, or open a video or image from the Camera menu.",
                BannerLevel.WARNING,
                ("Open video…", lambda: self._open_file_source("Open a video", VIDEO_FILTER)),
            )
        elif kind is SourceProblem.CAMERA_LOST:
            banners.show_banner("camera", message, BannerLevel.WARNING)
        elif kind is SourceProblem.RECONNECTED:
            banners.dismiss("camera")
        elif kind is SourceProblem.ENDED:
            banners.show_banner(
                "camera",
                message,
                BannerLevel.INFO,
                ("Play again", lambda: self.open_source(self.source_spec or "")),
            )
        elif kind is SourceProblem.RESTARTED:  # a looping video started again: a word, no banner
            self.window.statusBar().showMessage(message or "Video restarted", 4000)
        else:
            banners.show_banner("camera", message, BannerLevel.ERROR)

    def _on_model_status(self, ok: bool, message: str) -> None:
        if ok:
            self.window.banners.dismiss("model")
            self.model_loaded.emit()
        else:
            self.window.banners.show_banner("model", message, BannerLevel.ERROR)
