"""The main window: layout, menus, keyboard shortcuts and the status bar. No app logic.

The controller (:mod:`emotune.ui.controller`) connects these widgets and actions to the vision
worker, the DJ and the settings; this module only arranges them so they stay readable from
1024x640 up.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from emotune.emotions import EMOTIONS
from emotune.ui.widgets.banner import BannerArea
from emotune.ui.widgets.emoji_bar import EmojiBar
from emotune.ui.widgets.library_view import LibraryView
from emotune.ui.widgets.mood_header import MoodHeader
from emotune.ui.widgets.player_panel import PlayerPanel
from emotune.ui.widgets.prob_chart import ProbabilityChart
from emotune.ui.widgets.queue_view import QueueView
from emotune.ui.widgets.timeline import MoodTimeline
from emotune.ui.widgets.video_view import VideoView

MIN_SIZE = QSize(1024, 640)
DEFAULT_SIZE = QSize(1280, 800)


def _panel(parent: QWidget | None = None) -> QFrame:
    frame = QFrame(parent)
    frame.setObjectName("panel")
    return frame


class MainWindow(QMainWindow):
    """EmoTune's single window."""

    def __init__(self, parent: QWidget | None = None) -> None:
        """Build every widget, menu and shortcut (nothing is connected to the app yet)."""
        super().__init__(parent)
        self.setWindowTitle("EmoTune")
        self.setMinimumSize(MIN_SIZE)
        self.resize(DEFAULT_SIZE)
        self.close_handler = None  # set by the controller: called once when the window closes
        self._build_widgets()
        self._build_menus()
        self._build_status_bar()
        self._build_shortcuts()

    # -- layout ----------------------------------------------------------------------------

    def _build_widgets(self) -> None:
        central = QWidget(self)
        root = QVBoxLayout(central)
        root.setContentsMargins(8, 6, 8, 4)
        root.setSpacing(6)

        self.banners = BannerArea(central)
        root.addWidget(self.banners)

        self.video = VideoView()
        self.mood_header = MoodHeader()
        self.chart = ProbabilityChart()
        mood_panel = _panel()
        mood_layout = QVBoxLayout(mood_panel)
        mood_layout.setContentsMargins(10, 8, 10, 8)
        mood_layout.setSpacing(4)
        mood_layout.addWidget(self.mood_header)
        mood_layout.addWidget(self.chart, 1)
        self.top_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.top_splitter.setChildrenCollapsible(False)
        self.top_splitter.addWidget(self.video)
        self.top_splitter.addWidget(mood_panel)
        self.top_splitter.setStretchFactor(0, 5)
        self.top_splitter.setStretchFactor(1, 4)
        # Camera and mood above, player and lists below; the user can drag the split (the
        # library tab asks for more room below when it opens).
        self.main_splitter = QSplitter(Qt.Orientation.Vertical)
        self.main_splitter.setChildrenCollapsible(False)
        self.main_splitter.addWidget(self.top_splitter)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.setSpacing(6)
        root.addWidget(self.main_splitter, 1)

        self.emoji_bar = EmojiBar()
        lower_layout.addWidget(self.emoji_bar)

        self.player = PlayerPanel()
        player_panel = _panel()
        player_layout = QVBoxLayout(player_panel)
        player_layout.setContentsMargins(0, 0, 0, 0)
        player_layout.addWidget(self.player)
        player_layout.addStretch(1)  # keep the player at the top when the queue is taller
        self.queue = QueueView()
        queue_page = QWidget()
        queue_layout = QVBoxLayout(queue_page)
        queue_layout.setContentsMargins(0, 4, 0, 0)
        queue_layout.setSpacing(4)
        self.queue_note = (
            QLabel()
        )  # the DJ's soft notes, e.g. "nearest available" (tooltip: full text)
        self.queue_note.setObjectName("dim")
        self.queue_note.hide()
        queue_header = QHBoxLayout()
        queue_header.addStretch(1)
        queue_header.addWidget(self.queue_note)
        queue_layout.addLayout(queue_header)
        queue_layout.addWidget(self.queue, 1)
        self.library_view = LibraryView()
        library_page = QWidget()
        library_layout = QVBoxLayout(library_page)
        library_layout.setContentsMargins(0, 4, 0, 0)
        library_layout.addWidget(self.library_view)
        # The library sits beside the queue: both are lists of tracks the player panel plays.
        self.queue_tabs = QTabWidget()
        self.queue_tabs.setDocumentMode(True)
        self.queue_tabs.addTab(queue_page, "Up next")
        self.queue_tabs.addTab(library_page, "Library")
        queue_panel = _panel()
        panel_layout = QVBoxLayout(queue_panel)
        panel_layout.setContentsMargins(8, 6, 8, 8)
        panel_layout.addWidget(self.queue_tabs, 1)
        bottom = QHBoxLayout()
        bottom.setSpacing(6)
        bottom.addWidget(player_panel, 3)
        bottom.addWidget(queue_panel, 2)
        # The library's columns need the width more than the player's empty space does.
        self.queue_tabs.currentChanged.connect(
            lambda index: bottom.setStretch(0, 2 if index == 1 else 3)
        )
        self.queue_tabs.currentChanged.connect(
            lambda index: bottom.setStretch(1, 3 if index == 1 else 2)
        )
        lower_layout.addLayout(bottom, 1)  # a taller window shows more of the queue, too
        self.main_splitter.addWidget(lower)
        self.main_splitter.setStretchFactor(0, 3)
        self.main_splitter.setStretchFactor(1, 2)

        self.timeline = MoodTimeline()
        self.timeline.setMinimumHeight(56)
        self.timeline.setMaximumHeight(90)
        root.addWidget(self.timeline)
        self.setCentralWidget(central)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.export_timeline_action = file_menu.addAction("&Export mood timeline…")
        self.export_timeline_action.setShortcut(QKeySequence("Ctrl+E"))
        self.export_timeline_action.setToolTip(
            "Save the mood timeline as CSV, with a PNG of the chart"
        )
        self.preferences_action = file_menu.addAction("&Preferences…")
        self.preferences_action.setShortcut(QKeySequence("Ctrl+,"))
        self.preferences_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        file_menu.addSeparator()
        camera = bar.addMenu("&Camera")
        self.camera_on_action = QAction("Camera &on", self, checkable=True)
        self.camera_on_action.setShortcut(QKeySequence("Ctrl+K"))
        self.camera_on_action.setToolTip("Off releases the device: nothing is captured")
        camera.addAction(self.camera_on_action)
        self.devices_menu = camera.addMenu("Choose &device")
        camera.addSeparator()
        self.open_video_action = camera.addAction("Open &video file…")
        self.open_image_action = camera.addAction("Open &image…")
        self.open_folder_source_action = camera.addAction("Open image &folder…")
        camera.addSeparator()
        self.calibrate_action = camera.addAction("&Calibrate neutral face…")
        self.reset_calibration_action = camera.addAction("&Forget calibration")

        library = bar.addMenu("&Library")
        self.choose_folder_action = library.addAction("&Choose music folder…")
        self.rescan_action = library.addAction("&Rescan")
        self.rescan_action.setShortcut(QKeySequence("F5"))
        self.show_library_action = library.addAction("Show &library")
        self.show_library_action.setShortcut(QKeySequence("Ctrl+L"))
        self.show_library_action.triggered.connect(self.show_library)
        library.addSeparator()
        # The one command that writes into a user's file: explicit, per track, atomic.
        tag_menu = library.addMenu("&Tag playing track as")
        self.tag_actions: list[QAction] = []
        for emotion in EMOTIONS:
            action = tag_menu.addAction(f"{emotion.emoji} {emotion.label}")
            action.setData(emotion.key)
            self.tag_actions.append(action)
        tag_menu.addSeparator()
        clear = tag_menu.addAction("No mood (clear the tag)")
        clear.setData("")
        self.tag_actions.append(clear)

        playback = bar.addMenu("&Playback")
        self.play_action = playback.addAction("Play / &pause")
        self.play_action.setShortcut(QKeySequence(Qt.Key.Key_Space))
        self.next_action = playback.addAction("&Next track")
        self.next_action.setShortcut(QKeySequence("Ctrl+Right"))
        self.previous_action = playback.addAction("Pre&vious track")
        self.previous_action.setShortcut(QKeySequence("Ctrl+Left"))
        playback.addSeparator()
        self.volume_up_action = playback.addAction("Volume &up")
        self.volume_up_action.setShortcut(QKeySequence("Ctrl+Up"))
        self.volume_down_action = playback.addAction("Volume &down")
        self.volume_down_action.setShortcut(QKeySequence("Ctrl+Down"))
        self.mute_action = playback.addAction("&Mute")
        self.mute_action.setCheckable(True)
        self.mute_action.setShortcut(QKeySequence("Ctrl+M"))
        playback.addSeparator()
        self.mood_actions = []
        auto = playback.addAction("&Auto (camera)")
        auto.setShortcut(QKeySequence(Qt.Key.Key_0))
        self.auto_action = auto
        for number, emotion in enumerate(EMOTIONS, start=1):
            action = playback.addAction(f"{emotion.label}")
            action.setShortcut(QKeySequence(str(number)))
            action.setData(emotion)
            self.mood_actions.append(action)
        volume_actions = (self.volume_up_action, self.volume_down_action, self.mute_action)
        for action in (
            self.play_action,
            self.next_action,
            self.previous_action,
            *volume_actions,
            auto,
            *self.mood_actions,
        ):
            # Window-wide, so they work wherever the focus is (no widget takes Space).
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.addAction(action)

        help_menu = bar.addMenu("&Help")
        self.about_action = help_menu.addAction("&About EmoTune…")
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        file_menu.addAction(self.quit_action)

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        status.setSizeGripEnabled(False)
        self.privacy_label = QLabel()
        self.privacy_label.setToolTip(
            "Whether the camera is capturing. Camera ▸ Camera on toggles it (Ctrl+K)."
        )
        self.fps_label = QLabel("— fps")
        self.inference_label = QLabel("— ms inference")
        self.inference_label.setToolTip("Face detection + emotion model time per frame")
        self.faces_label = QLabel("0 faces")
        self.library_label = QLabel("")
        self.audio_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.progress_cancel = QToolButton()
        self.progress_cancel.setText("✕")
        self.progress_cancel.setToolTip("Cancel")
        self.progress_cancel.setAutoRaise(True)
        self.progress_cancel.hide()
        status.addWidget(self.privacy_label)
        status.addWidget(self.progress)
        status.addWidget(self.progress_cancel)
        for label in (
            self.library_label,
            self.audio_label,
            self.faces_label,
            self.inference_label,
            self.fps_label,
        ):
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
            label.setContentsMargins(4, 0, 6, 0)
            status.addPermanentWidget(label)
        self.set_privacy(False)

    def _build_shortcuts(self) -> None:
        self.media_shortcuts: dict[str, list[QShortcut]] = {
            "toggle": [],
            "next": [],
            "previous": [],
            "pause": [],
        }
        keys = {
            "toggle": (Qt.Key.Key_MediaPlay, Qt.Key.Key_MediaTogglePlayPause),
            "pause": (Qt.Key.Key_MediaPause, Qt.Key.Key_MediaStop),
            "next": (Qt.Key.Key_MediaNext,),
            "previous": (Qt.Key.Key_MediaPrevious,),
        }
        for name, key_list in keys.items():
            for key in key_list:
                shortcut = QShortcut(QKeySequence(key), self)
                shortcut.setContext(Qt.ShortcutContext.ApplicationShortcut)
                self.media_shortcuts[name].append(shortcut)

    # -- small state helpers used by the controller -------------------------------------------

    def set_privacy(self, capturing: bool, source: str = "") -> None:
        """Status-bar privacy indicator, in step with the picture's own indicator."""
        if capturing:
            self.privacy_label.setText(f"<span style='color:#e5484d'>●</span> Capturing: {source}")
        else:
            self.privacy_label.setText(
                "<span style='color:#3dd68c'>●</span> Camera off: nothing is captured"
            )
        self.video.set_capturing(capturing, source)
        self.camera_on_action.blockSignals(True)
        self.camera_on_action.setChecked(capturing)
        self.camera_on_action.blockSignals(False)

    def show_library(self) -> None:
        """Switch the queue panel to the library and put the cursor in its search box."""
        self.queue_tabs.setCurrentIndex(1)
        self.library_view.search.setFocus()
        total = sum(self.main_splitter.sizes())
        if total > 0 and self.main_splitter.sizes()[1] < total * 0.55:
            self.main_splitter.setSizes([int(total * 0.42), total - int(total * 0.42)])

    def set_queue_note(self, note: str) -> None:
        """Show (or with "" hide) a short hint about the queue; the full note is the tooltip."""
        self.queue_note.setVisible(bool(note))
        self.queue_note.setText("ℹ few close matches" if note else "")
        self.queue_note.setToolTip(note)

    def set_stats(self, fps: float, inference_ms: float, faces: int) -> None:
        """Status bar numbers: frames per second, model time per frame, faces in view."""
        self.fps_label.setText(f"{fps:.1f} fps" if fps > 0 else "— fps")
        self.inference_label.setText(
            f"{inference_ms:.1f} ms inference" if inference_ms > 0 else "— ms inference"
        )
        self.faces_label.setText(f"{faces} face{'s' if faces != 1 else ''}")

    def show_progress(self, text: str, done: int, total: int) -> None:
        """Show a determinate (or busy, when ``total`` is 0) progress bar in the status bar."""
        self.progress.setMaximum(max(0, total))
        self.progress.setValue(min(done, total) if total else 0)
        self.progress.setFormat(f"{text} %p%" if total else text)
        self.progress.show()
        self.progress_cancel.show()

    def hide_progress(self) -> None:
        """Hide the status-bar progress bar."""
        self.progress.hide()
        self.progress_cancel.hide()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt API)
        """Let the controller save settings and stop workers before the window goes."""
        handler, self.close_handler = self.close_handler, None
        if handler is not None:
            handler()
        super().closeEvent(event)
