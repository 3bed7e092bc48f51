"""Mood → music: choose tracks on the valence/arousal plane.

Every track sits at a point (valence, arousal) on Russell's circumplex, like the emotions in
:mod:`emotune.emotions`. A strategy turns the listener's mood into a target point per queued
track, and the recommender picks a track near each target:

``match``
    mirror the mood: every target is the mood's own point (the seed app's behaviour).
``lift``
    the iso principle from music therapy: meet the listener where they are, then lead. The
    first track is a short step from the mood, and each following track moves the target one
    more step along a straight path to a pleasant, calm goal (+0.6, -0.2); once there it stays.
    Steps are at most ``max_step`` long, so sad → goal takes 4 tracks.
``calm``
    the same gradual path, towards a low-arousal goal (+0.3, -0.6).

Neither path ever lowers valence: from a mood already more pleasant than the goal, the goal
keeps the mood's valence. Tracks on the target's side of both axes (its quadrant) are
preferred when there are any. Picks are varied: the nearest few candidates are drawn with weights
that fall off with distance (seedable), and no track repeats within the last ``no_repeat``
plays when the library is big enough. A target with no track nearby is served by the nearest
tracks available, and the plan says so in ``notes``.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from emotune.emotions import Emotion, nearest_emotion
from emotune.music.library.track import Track
from emotune.music.playback.queue import QueueEntry

STRATEGIES: tuple[str, ...] = ("match", "lift", "calm")
"""Strategy names, in the order the UI shows them."""

GOALS: dict[str, tuple[float, float]] = {"lift": (0.6, -0.2), "calm": (0.3, -0.6)}
"""Where each gradual strategy leads (valence, arousal)."""

MAX_STEP = 0.35
"""Longest move of the target between consecutive tracks on the plane (axes span -1..1)."""

REGION_RADIUS = 0.35
"""A target with no track closer than this is an "empty region"; the nearest tracks are used."""

NEUTRAL_BAND = 0.1
"""A target axis value closer to 0 than this does not constrain which side a track is on."""

STRATEGY_HELP: dict[str, str] = {
    "match": "mirror your mood",
    "lift": "start where you are, then step by step towards pleasant and calm",
    "calm": "start where you are, then step by step towards calm",
}


@dataclass(frozen=True)
class Mood:
    """A point on the plane with a label for messages (an emotion's key, or the nearest one's)."""

    valence: float
    arousal: float
    label: str

    @property
    def point(self) -> tuple[float, float]:
        """(valence, arousal)."""
        return (self.valence, self.arousal)

    @classmethod
    def of(cls, mood: Mood | Emotion | str | tuple[float, float]) -> Mood:
        """Coerce an :class:`Emotion`, an emotion name, or a (valence, arousal) pair."""
        if isinstance(mood, Mood):
            return mood
        if isinstance(mood, (Emotion, str)):
            emotion = Emotion.parse(mood)
            return cls(emotion.valence, emotion.arousal, emotion.key)
        valence, arousal = (float(x) for x in mood)
        return cls(valence, arousal, nearest_emotion(valence, arousal).key)

    @property
    def emotion(self) -> Emotion | None:
        """The emotion whose key is this mood's label, if any."""
        try:
            return Emotion.parse(self.label)
        except ValueError:
            return None


@dataclass(frozen=True)
class Pick:
    """One recommended track with the target it answered and a one-line reason."""

    track: Track
    reason: str
    target: tuple[float, float]
    distance: float  # from the track to the target on the plane
    step: int  # 1-based position along the strategy's path
    steps: int  # path length (0 for match, which has no path)
    fallback: bool = False  # the target's region was empty; this is merely the nearest

    def entry(self) -> QueueEntry:
        """This pick as a queue entry."""
        return QueueEntry(self.track, self.reason)


EMPTY_LIBRARY = "empty_library"
EMPTY_MOOD = "empty_mood"
FALLBACK = "fallback"


@dataclass(frozen=True)
class Note:
    """Something the listener should know about a plan. ``kind`` (``EMPTY_LIBRARY``,
    ``EMPTY_MOOD`` or ``FALLBACK``) lets a UI decide how loudly to say it without parsing text."""

    text: str
    kind: str = FALLBACK

    def __str__(self) -> str:
        return self.text


@dataclass
class Plan:
    """A run of picks for one mood and strategy, plus notes worth telling the listener."""

    mood: Mood
    strategy: str
    picks: list[Pick] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def entries(self) -> list[QueueEntry]:
        """The picks as queue entries."""
        return [pick.entry() for pick in self.picks]


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def _same_side(track: Track, target: tuple[float, float]) -> bool:
    """True if ``track`` is in the target's quadrant; axes near 0 (``NEUTRAL_BAND``) accept both."""
    for value, aim in ((track.valence, target[0]), (track.arousal, target[1])):
        if abs(aim) >= NEUTRAL_BAND and value * aim <= 0:
            return False
    return True


def strategy_path(
    mood: Mood | Emotion | tuple[float, float], strategy: str, *, max_step: float = MAX_STEP
) -> list[tuple[float, float]]:
    """The targets, one per track, that ``strategy`` walks from ``mood`` (the last one repeats).

    ``match`` is a single target, the mood itself.
    """
    mood = Mood.of(mood)
    check_strategy(strategy)
    if strategy == "match":
        return [mood.point]
    goal_v, goal_a = GOALS[strategy]
    goal = (max(goal_v, mood.valence), goal_a)  # never lead towards something less pleasant
    distance = _distance(mood.point, goal)
    steps = max(1, math.ceil(distance / max_step - 1e-9))
    return [
        (
            mood.valence + (goal[0] - mood.valence) * i / steps,
            mood.arousal + (goal[1] - mood.arousal) * i / steps,
        )
        for i in range(1, steps + 1)
    ]


def check_strategy(strategy: str) -> str:
    """Return ``strategy`` if known, else raise ValueError listing the choices."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; expected one of: {', '.join(STRATEGIES)}")
    return strategy


def describe(track: Track) -> str:
    """The musical facts behind a pick, e.g. ``"78 bpm, major"``."""
    parts = []
    if track.tempo:
        parts.append(f"{track.tempo:.0f} bpm")
    if track.mode:
        parts.append(track.mode)
    if not parts:
        parts.append(f"{track.emotion.key} ({track.source})")
    return ", ".join(parts)


_HOW_PLACED = {"tag": "tagged", "folder": "in a folder named", "analysis": "that sound"}
"""How a track came by its emotion (``Track.source``), as the words before the emotion's name."""


def _placed_as(key: str, tracks: Iterable[Track]) -> str:
    """Words for "tracks with emotion ``key``" that name only how this library places tracks.

    ``"tagged 'sad'"`` in a tagged library; ``"tagged 'sad', in a folder named 'sad' or that
    sound 'sad'"`` when folders and analysis place tracks too, so the note never blames tags
    for what analysis or folders decided.
    """
    sources = [s for s in _HOW_PLACED if any(t.source == s for t in tracks)]
    if not sources:
        return f"placed as '{key}' (no track has a mood tag, a mood folder or an analysis yet)"
    words = [f"{_HOW_PLACED[s]} '{key}'" for s in sources]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


class Recommender:
    """Picks tracks for a mood and strategy. Not thread-safe: the DJ calls it under its lock.

    ``seed`` makes the weighted-random choices repeatable. ``candidates`` nearest tracks are
    considered per target; ``spread`` (plane units) sets how fast a candidate's weight falls
    with its extra distance over the nearest one.
    """

    def __init__(
        self,
        tracks: Iterable[Track] = (),
        *,
        seed: int | None = None,
        no_repeat: int = 10,
        candidates: int = 5,
        spread: float = 0.12,
        region_radius: float = REGION_RADIUS,
        max_step: float = MAX_STEP,
    ) -> None:
        self.tracks: list[Track] = []
        self.rng = random.Random(seed)
        self.no_repeat = no_repeat
        self.candidates = candidates
        self.spread = spread
        self.region_radius = region_radius
        self.max_step = max_step
        self.set_tracks(tracks)

    def set_tracks(self, tracks: Iterable[Track]) -> None:
        """Replace the library (duplicates by path are dropped)."""
        seen: set[Path] = set()
        self.tracks = []
        for track in tracks:
            if track.path not in seen:
                seen.add(track.path)
                self.tracks.append(track)

    def repeat_window(self, available: int | None = None) -> int:
        """How many recent plays to avoid: ``no_repeat``, or fewer when the library is small."""
        available = len(self.tracks) if available is None else available
        return max(0, min(self.no_repeat, available - 1))

    def plan(
        self,
        mood: Mood | Emotion | str | tuple[float, float],
        strategy: str,
        count: int,
        *,
        start_step: int = 1,
        recent: Sequence[Path] = (),
        exclude: Iterable[Path] = (),
    ) -> Plan:
        """Choose ``count`` tracks for ``mood`` under ``strategy``.

        ``start_step`` continues a path already under way (step 1 is the first track after
        the mood was set). ``recent`` lists recently played paths, oldest first, to avoid
        repeating; ``exclude`` (e.g. broken files) is never picked.
        """
        mood = Mood.of(mood)
        check_strategy(strategy)
        plan = Plan(mood, strategy)
        excluded = set(exclude)
        pool = [t for t in self.tracks if t.path not in excluded]
        if not pool:
            plan.notes.append(Note("The music library is empty: nothing to play.", EMPTY_LIBRARY))
            return plan
        self._note_empty_category(plan, pool)
        path = strategy_path(mood, strategy, max_step=self.max_step)
        window = self.repeat_window(len(pool))
        history = list(recent)
        for offset in range(count):
            step = start_step + offset
            target = path[min(step, len(path)) - 1]
            blocked = set(history[-window:]) if window else set()
            fresh = [t for t in pool if t.path not in blocked] or pool
            # Stay on the target's side of each axis when the library allows it: "happy"
            # means pleasant *and* energetic, so a near-ish calm track is not a match.
            candidates = [t for t in fresh if _same_side(t, target)] or fresh
            track, distance = self._choose(target, candidates)
            fallback = distance > self.region_radius
            if fallback and not any(p.fallback for p in plan.picks):
                # Said once per plan: later empty targets on the same path add nothing new.
                self._note(
                    plan,
                    f"No tracks near the {mood.label} → {strategy} target "
                    f"({target[0]:+.2f}, {target[1]:+.2f}); the nearest is {distance:.2f} away, "
                    "using the nearest available.",
                )
            steps = 0 if strategy == "match" else len(path)
            plan.picks.append(
                Pick(
                    track=track,
                    reason=self._reason(mood, strategy, step, steps, track, fallback),
                    target=target,
                    distance=distance,
                    step=step,
                    steps=steps,
                    fallback=fallback,
                )
            )
            history.append(track.path)
        return plan

    # -- internals ------------------------------------------------------------------------

    def _choose(self, target: tuple[float, float], candidates: list[Track]) -> tuple[Track, float]:
        # The nearest few only: a full sort per pick starved the window at 100,000 tracks.
        scored = heapq.nsmallest(
            max(1, self.candidates),
            ((_distance((t.valence, t.arousal), target), t) for t in candidates),
            key=lambda pair: pair[0],
        )
        nearest = scored[0][0]
        # Weight by closeness relative to the nearest candidate (so a sparse region still
        # varies), nudged by how sure the library is about each track's placement.
        weights = [
            math.exp(-(d - nearest) / self.spread) * (0.5 + 0.5 * max(0.0, min(1.0, t.confidence)))
            for d, t in scored
        ]
        distance, track = self.rng.choices(scored, weights=weights, k=1)[0]
        return track, distance

    def _note_empty_category(self, plan: Plan, pool: list[Track]) -> None:
        emotion = plan.mood.emotion
        if emotion is None or any(t.emotion is emotion for t in pool):
            return
        self._note(
            plan,
            f"No tracks {_placed_as(emotion.key, pool)} in the library; "
            "using the nearest tracks on the mood map instead.",
            EMPTY_MOOD,
        )

    @staticmethod
    def _note(plan: Plan, message: str, kind: str = FALLBACK) -> None:
        note = Note(message, kind)
        if note not in plan.notes:
            plan.notes.append(note)

    @staticmethod
    def _reason(
        mood: Mood, strategy: str, step: int, steps: int, track: Track, fallback: bool
    ) -> str:
        head = f"{mood.label} → {strategy}"
        if steps:
            head += f", step {step}/{steps}" if step <= steps else ", at goal"
        tail = " (nearest available)" if fallback else ""
        return f"{head}: {describe(track)}{tail}"
