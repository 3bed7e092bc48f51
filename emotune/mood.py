"""Turns a noisy stream of per-frame emotion probabilities into a steady mood, at two speeds.

:class:`MoodTracker` is a recursive Bayesian (hidden-Markov forward) filter over the seven moods:

* **Evidence.** Each frame's calibrated probabilities, divided by (a power of) the class prior the
  network learned (so a class it says often is not favoured for that alone), raised to a power that grows
  with the *time* the frame covers, not with the frame count: consecutive frames of one face are
  strongly correlated, and the filter must reach the same belief at 10, 30 or 60 fps. A frame
  whose top two classes are nearly tied (neutral 0.28 against fear 0.26) carries no evidence at
  all; the weight grows with the margin between them. That is what keeps a talking or faintly
  smiling face from drifting, frame by ambiguous frame, into fear or sadness.
* **Transitions.** Moods are sticky: over ``dt`` seconds a mood persists with probability
  ``exp(-dt / mood_duration_s)``; otherwise it is redrawn from a prior that reflects someone at a
  desk (mostly neutral). No mood's belief falls below ``belief_floor``, so a clear new expression
  always wins within about a second however long the old one lasted.
* **Shown mood.** The mood on screen changes when another mood's posterior reaches
  ``declare_at`` (0.9). ``uncertain`` means the posterior is spread: another mood leads the
  belief without being sure yet, or the shown mood's belief stayed under ``uncertain_below`` for
  ``uncertain_after_s``.
* **Music mood.** The music follows the shown mood only once it has held for ``music_hold_s``
  while tracking, so a brief expression re-plans nothing.

States (:class:`MoodState`): ``starting`` (no mood yet), ``tracking``, ``uncertain`` (the mood is
kept), ``no_face`` (nobody in view for a while; the mood is kept), ``camera_lost``. Observers get
:class:`MoodEvent` callbacks (plain Python, no Qt).

Every method takes an explicit timestamp (seconds, any monotonic origin), so tests and file
playback are deterministic. Not thread-safe: feed it from one thread (the vision driver);
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

TRAINING_CLASS_PRIOR: tuple[float, ...] = (0.139, 0.015, 0.143, 0.251, 0.173, 0.168, 0.110)
"""Label frequencies of the FER2013 training split (canonical order): what a network trained on
it says on average, used as the evidence prior when the model does not ship its own."""


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
    """The shown mood changed."""
    MUSIC_MOOD_CHANGED = "music_mood_changed"
    """The mood the music follows changed (the shown mood held for ``music_hold_s``)."""
    UNCERTAIN = "uncertain"
    NO_FACE = "no_face"
    CAMERA_LOST = "camera_lost"
    TRACKING = "tracking"  # a clear reading again after uncertain / no face / camera lost


@dataclass(frozen=True)
class MoodConfig:
    """Filter and decision knobs. Defaults tuned on the sequence benchmark
    (``emotune bench --sections mood_sequences``); see the README's "How the mood is read"."""

    evidence_time_s: float = 0.2
    """Seconds of frames that count as one full observation (the evidence exponent is dt / this)."""
    tie_margin: float = 0.04
    """A frame whose top-two margin is at most this carries no evidence."""
    full_margin: float = 0.4
    """A frame whose top-two margin is at least this carries full evidence (linear in between)."""
    mood_duration_s: float = 15.0
    """Mean time a mood lasts: the stickiness of the transition model."""
    neutral_prior: float = 0.75
    """Prior belief in neutral for someone at a desk; the rest is shared by the other six."""
    belief_floor: float = 2e-3
    """No mood's belief drops below this, so a clear change is never out of reach."""
    declare_at: float = 0.9
    """Posterior a mood needs to become the shown mood."""
    uncertain_below: float = 0.5
    """The shown mood's posterior under this (for ``uncertain_after_s``) means ``uncertain``."""
    uncertain_after_s: float = 0.7
    """How long the belief must stay spread before the state says ``uncertain``."""
    music_hold_s: float = 4.0
    """How long the shown mood must hold (while tracking) before the music follows it."""
    no_face_after_s: float = 1.5
    """No face for this long → ``no_face`` (a few missed detections are ignored)."""
    max_step_s: float = 0.25
    """Longest time one frame's evidence may cover, so one frame after a gap cannot decide alone."""
    prior_power: float = 0.45
    """How fully the class prior is divided out (1: Bayes; less damps rare classes such as
    disgust, whose small prior would otherwise magnify every stray percent)."""

    def __post_init__(self) -> None:
        checks = {
            "evidence_time_s": self.evidence_time_s > 0,
            "full_margin": self.full_margin > self.tie_margin >= 0,
            "mood_duration_s": self.mood_duration_s > 0,
            "neutral_prior": 0 < self.neutral_prior < 1,
            "belief_floor": 0 <= self.belief_floor < 1.0 / NUM_CLASSES,
            "declare_at": 0.5 < self.declare_at < 1,
            "uncertain_below": 0 < self.uncertain_below < self.declare_at,
            "music_hold_s": self.music_hold_s >= 0 and math.isfinite(self.music_hold_s),
            "uncertain_after_s": self.uncertain_after_s >= 0,
            "no_face_after_s": self.no_face_after_s >= 0,
            "max_step_s": self.max_step_s > 0,
            "prior_power": 0 <= self.prior_power <= 1,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"invalid mood settings: {', '.join(bad)}")

    @property
    def mood_prior(self) -> np.ndarray:
        """Where a mood goes when it changes: ``neutral_prior`` on neutral, the rest shared."""
        prior = np.full(NUM_CLASSES, (1.0 - self.neutral_prior) / (NUM_CLASSES - 1))
        prior[Emotion.NEUTRAL.value] = self.neutral_prior
        prior.flags.writeable = False
        return prior


@dataclass(frozen=True)
class MoodSnapshot:
    """The tracker's state after an update: everything the window shows for one frame."""

    timestamp: float
    mood: Emotion | None
    """The shown mood (header, face label, highlighted bar)."""
    music_mood: Emotion | None
    """The mood the music follows (changes only after the shown mood held ``music_hold_s``)."""
    state: MoodState
    confidence: float
    """Posterior of the shown mood (0 when none)."""
    probabilities: tuple[float, ...]
    """Posterior over the seven moods in canonical order (all zero before the first face)."""
    leader: Emotion | None
    """Mood with the highest posterior right now (equals ``mood`` while tracking)."""
    music_in_s: float | None
    """Seconds until the music follows the shown mood, if it will; None when nothing is pending."""

    @property
    def valence_arousal(self) -> tuple[float, float]:
        """Posterior-weighted (valence, arousal)."""
        if not any(self.probabilities):
            return (0.0, 0.0)
        return expected_va(self.probabilities)

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly view (emotion keys as strings)."""
        return {
            "t": round(self.timestamp, 3),
            "mood": self.mood.key if self.mood else None,
            "music_mood": self.music_mood.key if self.music_mood else None,
            "state": self.state.value,
            "confidence": round(self.confidence, 4),
            "leader": self.leader.key if self.leader else None,
            "probabilities": {
                e.key: round(p, 4) for e, p in zip(EMOTIONS, self.probabilities, strict=True)
            },
        }


@dataclass(frozen=True)
class MoodEvent:
    """One notification. For ``MOOD_CHANGED`` and ``MUSIC_MOOD_CHANGED``, ``old``/``new`` are
    the moods and ``confidence`` the new mood's posterior; for state kinds ``old == new ==`` the
    kept shown mood."""

    kind: MoodEventKind
    timestamp: float
    old: Emotion | None
    new: Emotion | None
    confidence: float
    snapshot: MoodSnapshot


MoodListener = Callable[[MoodEvent], None]

_STATE_EVENTS = {
    MoodState.UNCERTAIN: MoodEventKind.UNCERTAIN,
    MoodState.NO_FACE: MoodEventKind.NO_FACE,
    MoodState.CAMERA_LOST: MoodEventKind.CAMERA_LOST,
    MoodState.TRACKING: MoodEventKind.TRACKING,
}


def frame_evidence(
    probabilities: np.ndarray, class_prior: np.ndarray, weight_s: float, config: MoodConfig
) -> np.ndarray:
    """Log-likelihood of each mood given one frame covering ``weight_s`` seconds.

    ``probabilities / class_prior`` is the network's likelihood ratio; the exponent grows with the
    time the frame covers and with how clearly the frame separates its top two classes.
    """
    top2 = np.partition(probabilities, -2)[-2:]
    margin = float(top2[1] - top2[0])
    clarity = (margin - config.tie_margin) / (config.full_margin - config.tie_margin)
    clarity = min(1.0, max(0.0, clarity))
    if clarity == 0.0 or weight_s <= 0.0:
        return np.zeros(NUM_CLASSES)
    ratio = np.maximum(probabilities, 1e-4) / class_prior**config.prior_power
    return (weight_s / config.evidence_time_s) * clarity * np.log(ratio)


class MoodTracker:
    """Forward filter over the seven moods, with a shown mood and a slower music mood."""

    def __init__(
        self, config: MoodConfig | None = None, class_prior: Sequence[float] | None = None
    ) -> None:
        """Start with no mood, in the ``starting`` state.

        ``class_prior`` is the classifier's average output over its training data (canonical
        order); without it :data:`TRAINING_CLASS_PRIOR` is used.
        """
        self._config = config or MoodConfig()
        self._mood_prior = self._config.mood_prior
        prior = np.asarray(class_prior if class_prior is not None else TRAINING_CLASS_PRIOR, float)
        if prior.shape != (NUM_CLASSES,) or not np.all(prior > 0) or not np.isfinite(prior).all():
            raise ValueError(f"class_prior needs {NUM_CLASSES} positive numbers, got {prior!r}")
        self.class_prior = prior / prior.sum()
        self._listeners: list[tuple[MoodListener, frozenset[MoodEventKind] | None]] = []
        self.reset()

    @property
    def config(self) -> MoodConfig:
        """The filter's settings; assigning new ones keeps the belief (e.g. a new music hold)."""
        return self._config

    @config.setter
    def config(self, config: MoodConfig) -> None:
        self._config = config
        self._mood_prior = config.mood_prior

    # -- observers ---------------------------------------------------------------------------

    def subscribe(
        self, listener: MoodListener, kinds: Iterable[MoodEventKind] | None = None
    ) -> Callable[[], None]:
        """Call ``listener(event)`` for events of ``kinds`` (all when None); returns an unsubscribe."""
        entry = (listener, frozenset(kinds) if kinds is not None else None)
        self._listeners.append(entry)

        def unsubscribe() -> None:
            if entry in self._listeners:
                self._listeners.remove(entry)

        return unsubscribe

    def _emit(
        self, kind: MoodEventKind, old: Emotion | None, new: Emotion | None, t: float
    ) -> None:
        confidence = float(self._belief[new.value]) if new is not None else 0.0
        event = MoodEvent(kind, t, old, new, confidence, self.snapshot(t))
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
        """Forget everything: no mood, belief back to the prior, ``starting``, switch count 0."""
        self.mood: Emotion | None = None
        self.music_mood: Emotion | None = None
        self.state = MoodState.STARTING
        self.switches = 0
        # Recent events for CLIs/tests; bounded so a long session cannot grow it without limit.
        self.events: deque[MoodEvent] = deque(maxlen=1000)
        self._belief = self._mood_prior.copy()  # someone at a desk: neutral until shown otherwise
        self._seen_face = False
        self._last_time: float | None = None
        self._last_face: float | None = None
        self._first_seen: float | None = None
        self._mood_since = 0.0
        self._spread_since: float | None = None
        self._now = 0.0

    @property
    def probabilities(self) -> np.ndarray:
        """The posterior over moods (zeros before the first face)."""
        return self._belief.copy() if self._seen_face else np.zeros(NUM_CLASSES)

    def snapshot(self, timestamp: float | None = None) -> MoodSnapshot:
        """The current state as an immutable :class:`MoodSnapshot`."""
        t = self._now if timestamp is None else timestamp
        probs = self.probabilities
        leader = EMOTIONS[int(np.argmax(probs))] if self._seen_face else None
        confidence = float(probs[self.mood.value]) if self.mood is not None else 0.0
        return MoodSnapshot(
            t,
            self.mood,
            self.music_mood,
            self.state,
            confidence,
            tuple(float(p) for p in probs),
            leader,
            self._music_in(t),
        )

    def _music_in(self, t: float) -> float | None:
        if self.mood is None or self.mood is self.music_mood:
            return None
        return max(0.0, self.config.music_hold_s - (t - self._mood_since))

    # -- inputs ------------------------------------------------------------------------------

    def update(
        self, probabilities: Sequence[float] | np.ndarray | None, timestamp: float
    ) -> MoodSnapshot:
        """Feed one frame: the primary face's 7 probabilities, or ``None`` when no face was found."""
        if probabilities is not None:
            p = np.asarray(probabilities, dtype=np.float64).reshape(-1)
            if p.shape != (NUM_CLASSES,) or not np.all(np.isfinite(p)):
                raise ValueError(f"expected {NUM_CLASSES} finite probabilities, got {p!r}")
        self._now = timestamp
        if self._first_seen is None:
            self._first_seen = timestamp
        dt = 0.0 if self._last_time is None else max(0.0, timestamp - self._last_time)
        self._last_time = timestamp
        self._predict(dt)
        if probabilities is None:
            self._on_no_face(timestamp)
            return self.snapshot(timestamp)
        p = np.clip(p, 0.0, None)
        total = p.sum()
        p = p / total if total > 0 else np.full(NUM_CLASSES, 1.0 / NUM_CLASSES)
        # Evidence covers the time since the last frame *with a face*, capped: after a gap the
        # first frame is one short look, not seconds of proof.
        since_face = dt if self._last_face is None else timestamp - self._last_face
        weight = min(max(since_face, 0.0), self._config.max_step_s) if self._seen_face else 0.0
        self._correct(frame_evidence(p, self.class_prior, weight, self._config))
        self._seen_face = True
        self._last_face = timestamp
        self._decide(timestamp)
        return self.snapshot(timestamp)

    def camera_lost(self, timestamp: float) -> MoodSnapshot:
        """Report that the camera stopped delivering frames; the moods are kept."""
        self._now = timestamp
        self._spread_since = None
        self._set_state(MoodState.CAMERA_LOST, timestamp)
        return self.snapshot(timestamp)

    # -- the filter ----------------------------------------------------------------------------

    def _predict(self, dt: float) -> None:
        """Transition step: a mood persists over ``dt`` with probability exp(-dt / duration)."""
        if dt <= 0:
            return
        stay = math.exp(-dt / self._config.mood_duration_s)
        self._belief = stay * self._belief + (1.0 - stay) * self._mood_prior

    def _correct(self, log_evidence: np.ndarray) -> None:
        """Bayes' rule in log space, then the floor (renormalised)."""
        if not log_evidence.any():
            return
        log_post = np.log(self._belief) + log_evidence
        post = np.exp(log_post - log_post.max())
        post /= post.sum()
        floor = self.config.belief_floor
        if floor > 0:
            post = np.maximum(post, floor)
            post /= post.sum()
        self._belief = post

    # -- decisions -------------------------------------------------------------------------------

    def _decide(self, t: float) -> None:
        cfg = self.config
        leader = EMOTIONS[int(np.argmax(self._belief))]
        if leader is not self.mood and self._belief[leader.value] >= cfg.declare_at:
            old, self.mood = self.mood, leader
            self._mood_since = t
            self._spread_since = None
            if old is not None:
                self.switches += 1
            if self.state is not MoodState.TRACKING:
                # The mood_changed event says it all; no separate "tracking" event.
                self.state = MoodState.TRACKING
            self._emit(MoodEventKind.MOOD_CHANGED, old, leader, t)
            if self.music_mood is None:
                # The very first mood: start the music on it at once rather than after a hold.
                self.music_mood = leader
                self._emit(MoodEventKind.MUSIC_MOOD_CHANGED, None, leader, t)
            return

        spread = self.mood is None or self._belief[self.mood.value] < cfg.uncertain_below
        if not spread:
            self._spread_since = None
            if self.mood is not None:
                self._set_state(MoodState.TRACKING, t)
        else:
            if self._spread_since is None:
                self._spread_since = t
            # Another mood leading the belief without being sure yet is uncertain at once: the
            # window must not call the old mood "N% sure" beside a larger bar for the newcomer.
            overtaken = self.mood is not None and leader is not self.mood
            if self.mood is not None and (
                overtaken or t - self._spread_since >= cfg.uncertain_after_s
            ):
                self._set_state(MoodState.UNCERTAIN, t)
            elif self.state in (MoodState.NO_FACE, MoodState.CAMERA_LOST):
                # The face is back; "uncertain" follows only if the belief stays spread.
                self._set_state(MoodState.TRACKING if self.mood else MoodState.STARTING, t)

        if (
            self.mood is not None
            and self.mood is not self.music_mood
            and self.state is MoodState.TRACKING
            and t - self._mood_since >= cfg.music_hold_s
        ):
            old_music, self.music_mood = self.music_mood, self.mood
            self._emit(MoodEventKind.MUSIC_MOOD_CHANGED, old_music, self.mood, t)

    def _on_no_face(self, t: float) -> None:
        since = self._last_face if self._last_face is not None else self._first_seen
        assert since is not None
        if t - since >= self._config.no_face_after_s and self.state is not MoodState.NO_FACE:
            self._spread_since = None
            self._set_state(MoodState.NO_FACE, t)

    def _set_state(self, state: MoodState, t: float) -> None:
        if state is self.state:
            return
        self.state = state
        kind = _STATE_EVENTS.get(state)
        if kind is not None:
            self._emit(kind, self.mood, self.mood, t)
