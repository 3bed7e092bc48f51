"""Start-up of the desktop app: QApplication, theme, window, workers, audio; then the event loop.

Start-up order is chosen for time-to-first-frame: the window is built and shown first, the
vision thread starts at once (it imports OpenCV and opens the camera, shows the first picture,
and only then loads the model), and the audio backend (libvlc needs most of a second to start)
is built in the background (:class:`BackgroundTasks`) and handed to the controller when ready.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from emotune.desktop import APP_ID, app_icon_files
from emotune.settings import Setting, Settings
from emotune.ui.options import GuiOptions
from emotune.ui.widgets.banner import BannerLevel
from emotune.ui.workers.background import BackgroundTasks

if TYPE_CHECKING:
    from emotune.music.choose.dj import MoodDJ
    from emotune.music.playback.backends.base import PlayerBackend
    from emotune.ui.controller import AppController
    from emotune.ui.main_window import MainWindow

log = logging.getLogger(__name__)

NO_VLC_NOTE = "No sound: {reason}. EmoTune runs silently with the null player until then."
NO_SOUND_DEVICE_NOTE = (
    "No sound device found ({detail}), so EmoTune plays silently. "
    "Connect speakers or headphones (or start PulseAudio/PipeWire) and restart to hear the music."
)


def process_start_monotonic() -> float:
    """``time.monotonic()`` at the moment this process started (Linux); now elsewhere.

    Read from /proc so start-up timings include interpreter start-up and imports, not just the
    part after our code began to run.
    """
    try:
        with open("/proc/self/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])  # field 22 overall: starttime, in clock ticks since boot
        with open("/proc/uptime", encoding="ascii") as handle:
            uptime = float(handle.read().split()[0])
        age = uptime - start_ticks / os.sysconf("SC_CLK_TCK")
        return time.monotonic() - max(0.0, age)
    except (OSError, ValueError, IndexError):
        return time.monotonic()


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB (0 when unknown)."""
    current = peak = 0.0
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    current = int(line.split()[1]) / 1024.0
                elif line.startswith("VmHWM:"):
                    peak = int(line.split()[1]) / 1024.0
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return current, peak


def make_dj(settings: Settings, no_audio: bool) -> tuple[MoodDJ, str | None]:
    """The DJ with VLC, or with the silent null backend (and a note saying why) when needed."""
    from emotune.music.choose.dj import MoodDJ
    from emotune.music.playback.backends import NullBackend

    note = None
    if no_audio:
        backend: PlayerBackend = NullBackend(realtime=True)
    else:
        try:
            from emotune.music.playback.backends import create_backend, vlc_problem
            from emotune.music.playback.backends.sound_output import find_sound_output

            problem = vlc_problem()
            if problem is not None:
                raise RuntimeError(problem)
            output = find_sound_output()
            # With nowhere to send sound, VLC's ALSA output floods stderr; its dummy output
            # keeps the same real-time playback without that.
            backend = create_backend("vlc", dummy_audio=output.missing)
            if output.missing:
                note = NO_SOUND_DEVICE_NOTE.format(detail=output.detail)
        except Exception as error:  # missing libvlc, broken plugins: play silently instead
            log.warning("falling back to the null player: %s", error)
            backend = NullBackend(realtime=True)
            note = NO_VLC_NOTE.format(reason=error)
    return MoodDJ(backend, settings=settings), note


def _start_audio(controller: AppController, settings: Settings, no_audio: bool) -> None:
    """Build the DJ in the background and hand it to ``controller`` on the GUI thread."""

    def done(made: tuple[MoodDJ, str | None] | None, error: Exception | None) -> None:
        if error is not None or made is None:  # make_dj falls back to silence; this is a bug
            log.error("the audio backend could not start", exc_info=error)
            return
        controller.attach_dj(*made)

    tasks = BackgroundTasks("emotune-audio-start", parent=controller)
    tasks.run(lambda: make_dj(settings, no_audio), done)


def apply_option_settings(options: GuiOptions, settings: Settings) -> None:
    """Save what the command line chose (the same settings as File ▸ Preferences)."""
    if options.music_hold is not None:
        settings.set(Setting.MUSIC_HOLD_S, float(options.music_hold))
    if options.strategy is not None:
        settings.set(Setting.STRATEGY, options.strategy)
    if options.audio_device is not None:
        settings.set(Setting.AUDIO_DEVICE, options.audio_device or None)


def resolve_source(options: GuiOptions, settings: Settings) -> str | None:
    """The source to open: ``--camera``, else none when the camera starts off, else the last
    one used (if it still exists), else the camera."""
    if options.camera is not None:
        return str(options.camera)
    if options.camera_off or settings.get(Setting.START_CAMERA_OFF):
        return None
    last = settings.get(Setting.LAST_SOURCE)
    if (
        isinstance(last, str)
        and last
        and (last.isdigit() or last.startswith("/dev/video") or Path(last).exists())
    ):
        return last
    return str(settings.get(Setting.CAMERA_INDEX))


def _prewarm_imports() -> None:
    """Import OpenCV and NumPy on a helper thread while Qt builds the window.

    The vision thread needs them for the first picture; importing them here overlaps their
    load time (~0.3-0.5 s) with Qt's instead of adding to it.
    """

    def work() -> None:
        try:
            import cv2  # noqa: F401
            import numpy  # noqa: F401
        except ImportError:  # the vision thread reports a missing OpenCV properly
            pass

    BackgroundTasks("emotune-prewarm").run(work)


def _start_mpris(controller: AppController, window: MainWindow) -> None:
    """Desktop media controls over D-Bus; without a session bus the app runs as before."""
    from emotune.paths import UserDirError, user_data_dir
    from emotune.ui.mpris import start_mpris

    try:
        art_dir: Path | None = user_data_dir() / "mpris-art"
    except UserDirError:  # EMOTUNE_HOME unusable (the settings banner says so): no cover art
        art_dir = None
    service, problem = start_mpris(
        controller.player,
        raise_window=lambda: (window.showNormal(), window.raise_(), window.activateWindow()),
        quit_app=window.close,
        art_dir=art_dir,
        parent=controller,
    )
    if service is None:
        log.info("MPRIS off: %s", problem)
    else:  # the bus takes the name back when the process ends
        log.info("MPRIS on as %s", service.service_name)


GIL_SWITCH_INTERVAL_S = 0.0005
"""How soon a thread waiting for the interpreter lock (the GUI thread) asks for it."""


def run_app(options: GuiOptions) -> int:
    """Run the GUI until the window closes; returns the exit code."""
    process_start = process_start_monotonic()
    # Every return from Qt into Python takes the interpreter lock back; with the player or
    # scan thread busy in Python, each such handover waited up to the default 5 ms, and one
    # paint makes dozens of them (0.5-1.5 s GUI stalls measured with a 100,000-track library).
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    _prewarm_imports()
    logging.basicConfig(
        level=os.environ.get("EMOTUNE_LOG", "WARNING").upper(),
        format="%(levelname)s %(name)s: %(message)s",
    )
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("EmoTune")
    app.setApplicationDisplayName("EmoTune")
    app.setOrganizationName("EmoTune")
    app.setDesktopFileName(APP_ID)  # the launcher entry's id, so the desktop pairs them
    icon = QIcon()
    for path in app_icon_files():
        icon.addFile(str(path))
    app.setWindowIcon(icon)

    from emotune.ui.camera_control import mood_config
    from emotune.ui.controller import AppController
    from emotune.ui.main_window import MainWindow
    from emotune.ui.responsiveness import TimerLagProbe
    from emotune.ui.theme import apply_theme
    from emotune.ui.workers.vision_worker import VisionWorker
    from emotune.vision.driver import VisionOptions

    apply_theme(app)
    settings = Settings()
    apply_option_settings(options, settings)
    window = MainWindow()
    vision = VisionWorker(VisionOptions(model=options.model, mood=mood_config(settings)))
    controller = AppController(
        window,
        None,
        settings,
        vision=vision,
        source_spec=resolve_source(options, settings),
        library_folders=[options.library] if options.library else None,
        process_start=process_start,
    )
    controller.restore_geometry()
    if settings.problem:  # EMOTUNE_HOME is a file or read-only: run, but say nothing is saved
        window.banners.show_banner("settings", settings.problem, BannerLevel.WARNING)
    # libvlc takes most of a CPU-second to start: not before the first picture is on screen.
    controller.startup_settled.connect(lambda: _start_audio(controller, settings, options.no_audio))
    window.show()
    controller.start()
    # Media keys can wait for the first picture, like the other background start-up work.
    controller.startup_settled.connect(lambda: _start_mpris(controller, window))
    if options.show == "library":
        window.show_library()
    elif options.show == "preferences":
        QTimer.singleShot(500, controller.preferences.open)

    lag = TimerLagProbe(parent=controller) if options.probe else None
    if lag is not None:
        # Measure steady-state responsiveness, after the start-up imports have settled.
        QTimer.singleShot(3000, lag.start)

    if options.quit_after is not None:

        def finish() -> None:
            if options.screenshot is not None:
                options.screenshot.parent.mkdir(parents=True, exist_ok=True)
                dialog = controller.preferences.dialog if options.show == "preferences" else None
                (dialog or window).grab().save(str(options.screenshot))
            if options.probe:
                current, peak = rss_mb()
                report = {
                    "first_frame_s": controller.times.first_frame,
                    "first_frame_cpu_s": controller.times.first_frame_cpu,
                    "window_shown_s": controller.times.window_shown,
                    "model_loaded_s": controller.times.model_loaded,
                    "library_loaded_s": controller.times.library_loaded,
                    "rss_mb": round(current, 1),
                    "peak_rss_mb": round(peak, 1),
                    "tensorflow_imported": "tensorflow" in sys.modules,
                    "frames_shown": window.video.frames_shown,
                    "frames_processed": vision.frames_processed,
                    "frames_dropped": vision.frames_dropped,
                    "max_gui_timer_gap_ms": round(lag.max_gap_ms, 1) if lag else None,
                    "max_gui_timer_gap_excl_cpu_starvation_ms": round(lag.max_adjusted_gap_ms, 1)
                    if lag
                    else None,
                    "worst_gaps_ms": [(g, a) for g, a, _ in lag.worst] if lag else None,
                    "gui_timer_ticks": lag.ticks if lag else None,
                    "gui_gaps_over_ms": lag.gaps_over if lag else None,
                    "mood_changes": controller.times.mood_changes,
                    "banners": window.banners.keys(),
                    "audio": window.audio_label.text(),
                }
                print("EMOTUNE_PROBE " + json.dumps(report), flush=True)
            window.close()

        QTimer.singleShot(int(options.quit_after * 1000), finish)
    return int(app.exec())
