"""Mood timeline for the last few minutes, painted with QPainter.

Two layers share one time axis (now at the right edge):
* a stacked area of the smoothed emotion probabilities, so drifts are visible before they
  become a mood change;
* a band along the top with the mood the music followed (hatched when pinned by hand, grey when
  uncertain), with the emoji drawn where the mood changed.
Samples further apart than ``GAP_S`` (camera off, source ended) leave a gap instead of a ramp.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from emotune.emotions import EMOTIONS, NUM_CLASSES, Emotion
from emotune.mood import MoodState
from emotune.ui import theme
from emotune.ui.icons import emotion_pixmap

GAP_S = 3.0
LOG_LIMIT = (
    4 * 3600 * 2
)  # samples kept for File ▸ Export: four hours at the controller's 2 per second


@dataclass(frozen=True)
class TimelineSample:
    """The state at one instant."""

    t: float  # time.monotonic()
    probabilities: tuple[float, ...] | None
    mood: Emotion | None  # the mood shown then (None: none, or camera off)
    music_mood: Emotion | None = None  # the mood the music followed
    state: MoodState | None = None  # the filter's state (None: camera off)
    pinned: bool = False  # picked with the emoji buttons
    faded: bool = False  # kept, not read (uncertain, nobody in view)


class MoodTimeline(QWidget):
    """A scrolling view of the last ``window_s`` seconds of moods."""

    def __init__(self, window_s: float = 300.0, parent: QWidget | None = None) -> None:
        """Create an empty timeline covering ``window_s`` seconds."""
        super().__init__(parent)
        self.window_s = float(window_s)
        self._samples: deque[TimelineSample] = deque()
        self._log: deque[TimelineSample] = deque(
            maxlen=LOG_LIMIT
        )  # longer than the view, for export
        self._clock = time.monotonic
        self._scroll = QTimer(self)
        self._scroll.setInterval(1000)  # one pixel column per ~second is plenty for 5 minutes
        self._scroll.timeout.connect(self.update)
        self._scroll.start()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setAccessibleName("Mood timeline")
        self.setToolTip(
            f"Mood over the last {self.window_s / 60:.0f} minutes: how sure EmoTune was of each mood (area) and the mood it showed (top band)"
        )

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        """Enough height for the band, a thin area and the axis labels."""
        return QSize(200, 56)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        """A low wide strip."""
        return QSize(800, 80)

    def add_sample(
        self,
        probabilities: Sequence[float] | None,
        mood: Emotion | None,
        *,
        music_mood: Emotion | None = None,
        state: MoodState | None = None,
        pinned: bool = False,
        faded: bool = False,
        t: float | None = None,
    ) -> None:
        """Record the state at ``t`` (default: now) and drop samples older than the window.

        ``mood`` is the mood shown; ``music_mood`` the one the music follows.
        """
        now = self._clock() if t is None else t
        probs = None if probabilities is None else tuple(float(p) for p in probabilities)
        if probs is not None and len(probs) != NUM_CLASSES:
            raise ValueError(f"expected {NUM_CLASSES} probabilities")
        sample = TimelineSample(now, probs, mood, music_mood, state, pinned, faded)
        self._samples.append(sample)
        self._log.append(sample)
        horizon = now - self.window_s - GAP_S
        while self._samples and self._samples[0].t < horizon:
            self._samples.popleft()
        self.update()

    def samples(self) -> list[TimelineSample]:
        """The samples kept (oldest first)."""
        return list(self._samples)

    def log(self) -> list[TimelineSample]:
        """Every sample of the last :data:`LOG_LIMIT` (oldest first), for export."""
        return list(self._log)

    # -- painting --------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        """Draw axis, probability area and mood band."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), theme.PANEL)
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.8))
        painter.setFont(font)
        metrics = QFontMetrics(font)
        axis_h = metrics.height() + 2
        plot = QRectF(6, 4, self.width() - 12, self.height() - axis_h - 6)
        band_h = min(16.0, max(10.0, plot.height() * 0.28))
        band = QRectF(plot.left(), plot.top(), plot.width(), band_h)
        area = QRectF(
            plot.left(), band.bottom() + 3, plot.width(), plot.bottom() - band.bottom() - 3
        )
        now = self._clock()
        self._draw_axis(painter, plot, axis_h, now, metrics)
        samples = [s for s in self._samples if s.t >= now - self.window_s - GAP_S]
        if not samples:
            painter.setPen(theme.TEXT_DIM)
            painter.drawText(
                area,
                Qt.AlignmentFlag.AlignCenter,
                "The mood timeline fills in as the camera watches",
            )
            painter.end()
            return
        painter.save()
        painter.setClipRect(plot)
        self._draw_area(painter, area, samples, now)
        self._draw_band(painter, band, samples, now)
        painter.restore()
        painter.end()

    def _x(self, plot: QRectF, t: float, now: float) -> float:
        return plot.right() - (now - t) / self.window_s * plot.width()

    def _draw_axis(
        self, painter: QPainter, plot: QRectF, axis_h: float, now: float, metrics: QFontMetrics
    ) -> None:
        minutes = int(self.window_s // 60)
        step = 1 if minutes <= 6 else 2
        painter.setPen(QColor(255, 255, 255, 28))
        for m in range(0, minutes + 1, step):
            x = plot.right() - m * 60 / self.window_s * plot.width()
            painter.setPen(QColor(255, 255, 255, 28))
            painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
            label = "now" if m == 0 else f"−{m} min"
            width = metrics.horizontalAdvance(label)
            left = min(max(plot.left(), x - width / 2), plot.right() - width)
            painter.setPen(theme.TEXT_DIM)
            painter.drawText(
                QRectF(left, plot.bottom() + 2, width + 2, axis_h),
                Qt.AlignmentFlag.AlignLeft,
                label,
            )

    @staticmethod
    def _runs(samples: list[TimelineSample]) -> list[list[TimelineSample]]:
        """Split into runs of samples with probabilities and no gap longer than GAP_S."""
        runs: list[list[TimelineSample]] = []
        current: list[TimelineSample] = []
        for sample in samples:
            if sample.probabilities is None or (current and sample.t - current[-1].t > GAP_S):
                if len(current) > 1:
                    runs.append(current)
                current = [] if sample.probabilities is None else [sample]
            else:
                current.append(sample)
        if len(current) > 1:
            runs.append(current)
        return runs

    def _draw_area(
        self, painter: QPainter, area: QRectF, samples: list[TimelineSample], now: float
    ) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        for run in self._runs(samples):
            xs = [self._x(area, s.t, now) for s in run]
            lower = [0.0] * len(run)
            for k, emotion in enumerate(EMOTIONS):
                upper = [lo + s.probabilities[k] for lo, s in zip(lower, run, strict=True)]
                points = [
                    QPointF(x, area.bottom() - u * area.height())
                    for x, u in zip(xs, upper, strict=True)
                ]
                points += [
                    QPointF(x, area.bottom() - lo * area.height())
                    for x, lo in zip(reversed(xs), reversed(lower), strict=True)
                ]
                colour = QColor(emotion.colour)
                colour.setAlpha(190)
                painter.setBrush(colour)
                painter.drawPolygon(QPolygonF(points))
                lower = upper

    def _draw_band(
        self, painter: QPainter, band: QRectF, samples: list[TimelineSample], now: float
    ) -> None:
        previous: Emotion | None = None
        markers: list[tuple[float, Emotion]] = []
        for i, sample in enumerate(samples):
            end_t = samples[i + 1].t if i + 1 < len(samples) else now
            if end_t - sample.t > GAP_S:
                end_t = sample.t + 1.0  # a gap follows: draw a short stub, not a long bar
            if sample.mood is None:
                previous = None
                continue
            x0 = self._x(band, sample.t, now)
            x1 = self._x(band, end_t, now)
            rect = QRectF(x0, band.top(), max(1.0, x1 - x0), band.height())
            colour = QColor(sample.mood.colour)
            if sample.faded:
                colour.setAlpha(90)
            painter.fillRect(rect, colour)
            if sample.pinned:
                painter.fillRect(
                    rect, QBrush(QColor(255, 255, 255, 90), Qt.BrushStyle.BDiagPattern)
                )
            if sample.mood is not previous:
                markers.append((x0, sample.mood))
            previous = sample.mood
        icon = int(band.height())
        last_x = -1e9
        for x, emotion in markers:
            if x - last_x < icon + 2:
                continue  # too crowded: skip the emoji, the colour still shows the change
            painter.drawPixmap(
                int(max(band.left(), x)),
                int(band.top()),
                emotion_pixmap(emotion, icon, self.devicePixelRatioF()),
            )
            last_x = x
