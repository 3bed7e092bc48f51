"""What the window shows of the camera and the mood: pictures, header, chart, timeline.

Frames and mood events arrive from the vision worker (queued to the GUI thread). Each frame is
painted at once; the latest mood snapshot is described once (:func:`describe`) and the header,
the chart, the face label and the emoji bar all paint that description, so the window never
contradicts itself. The timeline takes a sample twice a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from emotune.emotions import Emotion
from emotune.mood import MoodEvent, MoodEventKind, MoodSnapshot, MoodState
from emotune.ui.frames import FrameUpdate
from emotune.ui.main_window import MainWindow
from emotune.ui.mood_view import MoodView, describe
from emotune.ui.workers.vision_worker import VisionWorker

TIMELINE_INTERVAL_MS = 500  # 2 samples/s: 600 samples cover the 5-minute view
STATS_INTERVAL_S = 0.25  # 4 Hz is plenty for numbers people read


class MoodDisplay(QObject):
    """Paints frames and the mood; keeps the latest snapshot for the rest of the window."""

    music_mood_changed = Signal(object)  # Emotion: the camera mood the music should follow
    mood_changed = Signal(object, float)  # Emotion, confidence: the shown mood moved
    first_frame_painted = Signal()  # the first camera picture is on screen

    def __init__(
        self,
        window: MainWindow,
        vision: VisionWorker | None,
        pinned: Callable[[], Emotion | None],
        capturing: Callable[[], bool],
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        """``pinned()`` and ``capturing()`` read the pin's and the camera's owners."""
        super().__init__(parent)
        self.window = window
        self.vision = vision
        self._pinned = pinned
        self._capturing = capturing
        self._clock = clock
        self.mood: MoodSnapshot | None = None  # the latest snapshot of the mood filter
        self.view: MoodView = describe(None)  # what the window shows of it right now
        self._last_probs: tuple[float, ...] | None = None
        self._latest_frame: FrameUpdate | None = None
        self._stats_due = 0.0
        if vision is not None:
            # Bound methods of this GUI-thread object: the slots run on the GUI thread.
            vision.frame_ready.connect(self._on_frame)
            vision.mood_update.connect(self._on_mood_update)
            window.video.first_frame_painted.connect(self.first_frame_painted)
        self._timeline_timer = QTimer(self)
        self._timeline_timer.setInterval(TIMELINE_INTERVAL_MS)
        self._timeline_timer.timeout.connect(self._sample_timeline)

    @property
    def music_mood(self) -> Emotion | None:
        """The camera mood the music follows (slower than the shown mood)."""
        return self.mood.music_mood if self.mood is not None else None

    def start_timeline(self) -> None:
        """Start sampling the timeline."""
        self._timeline_timer.start()

    def stop_timeline(self) -> None:
        """Stop sampling (window closing)."""
        self._timeline_timer.stop()

    def on_capture_changed(self, capturing: bool) -> None:
        """A new source starts afresh; a stopped one leaves nothing to show."""
        if capturing:
            self.mood = None  # the worker restarts the mood filter for a new source
        else:
            self.window.chart.set_probabilities(None)
            self._last_probs = None
        self.refresh()

    def refresh(self) -> None:
        """Describe the latest snapshot once; header and chart paint that description."""
        capturing = self._capturing()
        pinned = self._pinned()
        self.view = describe(
            self.mood,
            pinned=pinned,
            capturing=capturing,
            frames_seen=self._latest_frame is not None,
        )
        self.window.mood_header.show_view(self.view)
        self.window.video.show_view(self.view)
        bars = self.view.bars if capturing else None
        if bars != self._last_probs:
            self._last_probs = bars
            self.window.chart.set_probabilities(bars)
        self.window.emoji_bar.set_selected(pinned)

    def _on_frame(self, update: FrameUpdate) -> None:
        """Show a processed frame (GUI thread); cheap: store, describe once, paint from that."""
        if self.vision is not None:
            self.vision.frame_consumed()
        if not self._capturing():
            return  # a frame that was in flight when the camera went off: drop it
        self._latest_frame = update
        if update.mood is not None:
            self.mood = update.mood
        self.window.video.show_frame(update)
        self.refresh()  # header, chart and this frame's face label from one snapshot
        now = self._clock()
        if now >= self._stats_due:
            self._stats_due = now + STATS_INTERVAL_S
            self.window.set_stats(update.fps, update.inference_ms, len(update.faces))

    def _on_mood_update(self, event: MoodEvent) -> None:
        """Filter events (they are never dropped, unlike frames): the music mood goes out."""
        self.mood = event.snapshot
        if event.kind is MoodEventKind.MOOD_CHANGED and event.new is not None:
            self.mood_changed.emit(event.new, float(event.confidence))
        elif event.kind is MoodEventKind.MUSIC_MOOD_CHANGED and event.new is not None:
            self.music_mood_changed.emit(event.new)
        self.refresh()

    def _sample_timeline(self) -> None:
        capturing = self._capturing()
        pinned = self._pinned()
        if pinned is not None:
            mood = pinned
        else:
            mood = self.mood.mood if (self.mood is not None and capturing) else None
        faded = self.view.state in (MoodState.UNCERTAIN, MoodState.NO_FACE, MoodState.CAMERA_LOST)
        music = self.music_mood if capturing else None
        state = self.mood.state if (self.mood is not None and capturing) else None
        self.window.timeline.add_sample(
            self._last_probs,
            mood,
            music_mood=music,
            state=state,
            pinned=self.view.pinned,
            faded=faded,
        )
