"""Turns a noisy stream of per-frame emotion probabilities into a steady, declared mood.

:class:`MoodTracker` keeps a *time-based* exponential moving average of the probabilities (a
time constant in seconds, so the smoothing is the same at 10 or 30 fps), and declares a new mood
only after it has led the average, by a margin over the current mood, for ``dwell_s`` seconds
(blips shorter than ``dwell_grace_s`` do not restart the clock). Music should not change because
somebody blinked.

States (:class:`MoodState`): ``starting`` (no mood yet), ``tracking``, ``uncertain`` (the average
has no clear winner; the mood is kept), ``no_face`` (nobody in view for a while; the mood is
kept), ``camera_lost``. Observers get :class:`MoodEvent` callbacks (plain Python, no Qt) for
``mood_changed(old, new, confidence)`` and for entering ``uncertain``, ``no_face``,
``camera_lost`` and back to ``tracking``.

Every method takes an explicit timestamp (seconds, any monotonic origin), so tests and file
playback are deterministic. Not thread-safe: feed it from one thread (the vision worker);
callbacks run on that thread.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np

from emotune.emotions import EMOTIONS, NUM_CLASSES, Emotion, expected_va

log = logging.getLogger(__name__)


class MoodState(Enum):
    """What the tracker currently knows."""

    STARTING = "starting"
    TRACKING = "tracking"
    UNCERTAIN = "uncertain"
    NO_FACE = "no_face"
    CAMERA_LOST = "camera_lost"


class MoodEventKind(Enum):
    """Kinds of :class:`MoodEvent`. State kinds fire on entering that state, not every frame."""

    MOOD_CHANGED = "mood_changed"
    UNCERTAIN = "uncertain"
    NO_FACE = "no_face"
    CAMERA_LOST = "camera_lost"
    TRACKING = "tracking"  # a clear reading again after uncertain / no face / camera lost


@dataclass(frozen=True)
class MoodConfig:
    """Smoothing and decision knobs; the defaults keep a steady face steady and still follow a
    real change within about 3.5 s (0.3-0.5 s for the average to cross over, plus the dwell)."""

    time_constant_s: float = 0.5
    """EMA time constant: a step change is 63% through after this long."""
    dwell_s: float = 3.0
    """A challenger must lead this long (blips under ``dwell_grace_s`` forgiven) to become the mood."""
    dwell_grace_s: float = 0.5
    """A challenger may stop leading (or the reading turn unclear) this long without restarting
    its dwell clock; it is declared only on a frame where it leads."""
    initial_dwell_s: float = 1.0
    """Dwell for the very first mood, shorter so the app picks music soon after start."""
    min_confidence: float = 0.40
    """Smoothed top probability below this counts as unclear."""
    min_margin: float = 0.10
    """Smoothed lead of the top class over the second below this counts as unclear."""
    switch_margin: float = 0.10
    """Hysteresis: a challenger leads only while ahead of the *current mood* by this much."""
    switch_min_confidence: float = 0.30
    """A challenger needs at least this smoothed probability to lead."""
    uncertain_after_s: float = 1.0
    """Unclear for this long → ``uncertain`` (short dips do not flicker the state)."""
    no_face_after_s: float = 1.5
    """No face for this long → ``no_face`` (a few missed detections are ignored)."""
    max_step_s: float = 0.25
    """Longest time step fed into the average, so one frame after a gap cannot overwrite it."""


@dataclass(frozen=True)
class MoodSnapshot:
    """The tracker's state after an update."""

    timestamp: float
    mood: Emotion | None
    state: MoodState
    confidence: float
    """Smoothed probability of the declared mood (0 when none)."""
    probabilities: tuple[float, ...]
    """Smoothed probabilities in canonical order (all zero before the first face)."""
    leader: Emotion | None
    """Top class of the smoothed probabilities right now (may differ from ``mood``)."""
    challenger: Emotion | None
    challenger_for_s: float
    """How long ``challenger`` has been leading against the mood (0 when none)."""

    @property
    def valence_arousal(self) -> tuple[float, float]:
        """Probability-weighted (valence, arousal) of the smoothed distribution."""
        if not any(self.probabilities):
            return (0.0, 0.0)
        return expected_va(self.probabilities)

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly view (emotion keys as strings)."""
        return {
            "t": round(self.timestamp, 3),
            "mood": self.mood.key if self.mood else None,
            "state": self.state.value,
            "confidence": round(self.confidence, 4),
            "leader": self.leader.key if self.leader else None,
            "probabilities": {e.key: round(p, 4) for e, p in zip(EMOTIONS, self.probabilities, strict=True)},
        }


@dataclass(frozen=True)
class MoodEvent:
    """One notification. For ``MOOD_CHANGED``, ``old``/``new`` are the moods and ``confidence``
    the new mood's smoothed probability; for state kinds, ``old == new ==`` the kept mood."""

    kind: MoodEventKind
    timestamp: float
    old: Emotion | None
    new: Emotion | None
    confidence: float
    snapshot: MoodSnapshot


MoodListener = Callable[[MoodEvent], None]


class MoodTracker:
    """Smooths per-frame probabilities into a declared mood with dwell, hysteresis and states."""

    def __init__(self, config: MoodConfig | None = None) -> None:
        """Start with no mood, in the ``starting`` state."""
        self.config = config or MoodConfig()
        self._listeners: list[tuple[MoodListener, frozenset[MoodEventKind] | None]] = []
        self.reset()

    # -- observers ---------------------------------------------------------------------------

    def subscribe(self, listener: MoodListener, kinds: Iterable[MoodEventKind] | None = None) -> Callable[[], None]:
        """Call ``listener(event)`` for events of ``kinds`` (all when None); returns an unsubscribe function."""
        entry = (listener, frozenset(kinds) if kinds is not None else None)
        self._listeners.append(entry)

        def unsubscribe() -> None:
            if entry in self._listeners:
                self._listeners.remove(entry)

        return unsubscribe

    def _emit(self, kind: MoodEventKind, old: Emotion | None, new: Emotion | None, confidence: float, timestamp: float) -> None:
        event = MoodEvent(kind, timestamp, old, new, confidence, self.snapshot(timestamp))
        self.events.append(event)
        for listener, kinds in list(self._listeners):
            if kinds is not None and kind not in kinds:
                continue
            try:
                listener(event)
            except Exception:  # one broken observer must not stop mood tracking
                log.exception("mood listener failed on %s", kind.value)

    # -- state -------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything: no mood, no average, ``starting`` state, switch count 0."""
        self.mood: Emotion | None = None
        self.state = MoodState.STARTING
        self.switches = 0
        # Recent events for CLIs/tests; bounded so a long session cannot grow it without limit.
        self.events: deque[MoodEvent] = deque(maxlen=1000)
        self._smoothed: np.ndarray | None = None
        self._last_sample: float | None = None
        self._last_face: float | None = None
        self._first_seen: float | None = None
        self._candidate: Emotion | None = None
        self._candidate_since = 0.0
        self._candidate_seen = 0.0
        self._unclear_since: float | None = None
        self._now = 0.0

    @property
    def probabilities(self) -> np.ndarray:
        """The smoothed probabilities (zeros before the first face)."""
        return np.zeros(NUM_CLASSES) if self._smoothed is None else self._smoothed.copy()

    def snapshot(self, timestamp: float | None = None) -> MoodSnapshot:
        """The current state as an immutable :class:`MoodSnapshot`."""
        t = self._now if timestamp is None else timestamp
        probs = self.probabilities
        leader = EMOTIONS[int(np.argmax(probs))] if self._smoothed is not None else None
        confidence = float(probs[self.mood.value]) if self.mood is not None else 0.0
        held = t - self._candidate_since if self._candidate is not None else 0.0
        return MoodSnapshot(t, self.mood, self.state, confidence, tuple(float(p) for p in probs), leader, self._candidate, max(0.0, held))

    # -- inputs ------------------------------------------------------------------------------

    def update(self, probabilities: Sequence[float] | np.ndarray | None, timestamp: float) -> MoodSnapshot:
        """Feed one frame: the primary face's 7 probabilities, or ``None`` when no face was found."""
        self._now = timestamp
        if self._first_seen is None:
            self._first_seen = timestamp
        if probabilities is None:
            self._on_no_face(timestamp)
            return self.snapshot(timestamp)
        p = np.asarray(probabilities, dtype=np.float64).reshape(-1)
        if p.shape != (NUM_CLASSES,) or not np.all(np.isfinite(p)):
            raise ValueError(f"expected {NUM_CLASSES} finite probabilities, got {p!r}")
        p = np.clip(p, 0.0, None)
        total = p.sum()
        p = p / total if total > 0 else np.full(NUM_CLASSES, 1.0 / NUM_CLASSES)
        self._smooth(p, timestamp)
        self._last_face = timestamp
        self._decide(timestamp)
        return self.snapshot(timestamp)

    def camera_lost(self, timestamp: float) -> MoodSnapshot:
        """Report that the camera stopped delivering frames; the mood is kept."""
        self._now = timestamp
        self._candidate = None
        self._unclear_since = None
        self._set_state(MoodState.CAMERA_LOST, timestamp)
        return self.snapshot(timestamp)

    # -- internals ---------------------------------------------------------------------------

    def _smooth(self, p: np.ndarray, timestamp: float) -> None:
        if self._smoothed is None or self._last_sample is None:
            self._smoothed = p.copy()
        else:
            # Time-based EMA: weight of the new sample depends on elapsed time, not frame count.
            # Negative steps (clock jumps) count as zero; long gaps are capped (see max_step_s).
            dt = min(max(timestamp - self._last_sample, 0.0), self.config.max_step_s)
            alpha = 1.0 - math.exp(-dt / self.config.time_constant_s) if self.config.time_constant_s > 0 else 1.0
            self._smoothed += alpha * (p - self._smoothed)
        self._last_sample = timestamp

    def _decide(self, t: float) -> None:
        cfg = self.config
        probs = self._smoothed
        assert probs is not None
        order = np.argsort(probs)[::-1]
        top, second = float(probs[order[0]]), float(probs[order[1]])
        leader = EMOTIONS[int(order[0])]
        clear = top >= cfg.min_confidence and top - second >= cfg.min_margin

        # The challenger is the top class if it beats the current mood (before any mood: the
        # runner-up) by switch_margin with at least switch_min_confidence. Clarity of the top
        # two only drives the "uncertain" state: after a real change the new expression often
        # reads weaker than the old one, and it must still be able to win.
        rival = float(probs[self.mood.value]) if self.mood is not None else second
        challenger = (
            leader
            if leader is not self.mood and top >= cfg.switch_min_confidence and top - rival >= cfg.switch_margin
            else None
        )
        required = cfg.dwell_s if self.mood is not None else cfg.initial_dwell_s
        if challenger is not None and challenger is self._candidate:
            self._candidate_seen = t
        elif self._candidate is not None and t - self._candidate_seen <= cfg.dwell_grace_s:
            pass  # a blip (noise, another class for a frame or two): keep the dwell clock running
        else:
            self._candidate = challenger
            self._candidate_since = self._candidate_seen = t

        # "Normal" is tracking once a mood exists, starting before that.
        normal = MoodState.TRACKING if self.mood is not None else MoodState.STARTING
        if clear:
            self._unclear_since = None
            self._set_state(normal, t)
        else:
            if self._unclear_since is None:
                self._unclear_since = t
            if t - self._unclear_since >= cfg.uncertain_after_s:
                self._set_state(MoodState.UNCERTAIN, t)
            elif self.state in (MoodState.NO_FACE, MoodState.CAMERA_LOST):
                # The face is back; "uncertain" follows only if the reading stays unclear.
                self._set_state(normal, t)

        if challenger is not None and challenger is self._candidate and t - self._candidate_since >= required:
            old, new = self.mood, self._candidate
            self.mood = new
            self._candidate = None
            if old is not None:
                self.switches += 1
            if self.state is MoodState.STARTING:
                self.state = MoodState.TRACKING  # the mood_changed event says it all
            self._emit(MoodEventKind.MOOD_CHANGED, old, new, float(probs[new.value]), t)

    def _on_no_face(self, t: float) -> None:
        since = self._last_face if self._last_face is not None else self._first_seen
        assert since is not None
        if t - since >= self.config.no_face_after_s and self.state is not MoodState.NO_FACE:
            # A challenger must lead while a face is visible; an empty room resets the race.
            self._candidate = None
            self._unclear_since = None
            self._set_state(MoodState.NO_FACE, t)

    def _set_state(self, state: MoodState, t: float) -> None:
        if state is self.state:
            return
        self.state = state
        kind = {
            MoodState.UNCERTAIN: MoodEventKind.UNCERTAIN,
            MoodState.NO_FACE: MoodEventKind.NO_FACE,
            MoodState.CAMERA_LOST: MoodEventKind.CAMERA_LOST,
            MoodState.TRACKING: MoodEventKind.TRACKING,
        }.get(state)
        if kind is not None:
            confidence = float(self._smoothed[self.mood.value]) if self.mood is not None and self._smoothed is not None else 0.0
            self._emit(kind, self.mood, self.mood, confidence, t)
