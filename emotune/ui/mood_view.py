"""What the window says about the mood, worked out in one place from one snapshot.

The header, the primary face's label and the highlighted bar all come from :func:`describe`,
which reads a single :class:`~emotune.mood.MoodSnapshot`. So they can never name three different
emotions, and the highlighted bar is always the one with the largest percentage. Plain Python
(no Qt), so the wording is tested without a window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from emotune.emotions import EMOTIONS, Emotion
from emotune.mood import MoodSnapshot, MoodState


def percent(probability: float) -> int:
    """A probability as the whole percentage the window prints (everything quoting one uses this)."""
    return round(probability * 100)


class Badge(Enum):
    """A pill beside the mood's title; the value is (text, colour)."""

    UNCERTAIN = ("UNCERTAIN", "#8b8d98")
    PINNED = ("PINNED", "#5b8def")
    PRIVATE = ("PRIVATE", "#3dd68c")

    @property
    def text(self) -> str:
        """What the pill says."""
        return self.value[0]

    @property
    def colour(self) -> str:
        """The pill's background."""
        return self.value[1]


@dataclass(frozen=True)
class MoodView:
    """Everything the window shows about the mood for one snapshot."""

    title: str
    """The header's big text: an emotion's name, or "Uncertain", "No face", "Camera off"…"""
    emotion: Emotion | None
    """Whose emoji the header shows (None: no emoji)."""
    detail: str
    """The header's second line: how sure, and what the music does."""
    badge: Badge | None
    """A pill beside the title, if any."""
    dim: bool
    """Grey emoji: the mood is kept, not being read right now."""
    bars: tuple[float, ...] | None
    """The chart's values (the filter's belief), or None when nobody is in view."""
    face_label: str | None
    """The primary face's label (None: label it with nothing)."""
    face_emotion: Emotion | None
    """Whose emoji the face label shows."""
    state: MoodState | None
    """The filter's state (None: camera off or no snapshot yet)."""
    pinned: bool
    capturing: bool

    @property
    def highlighted(self) -> Emotion | None:
        """The bar drawn highlighted: always the largest one shown."""
        if self.bars is None:
            return None
        return EMOTIONS[max(range(len(self.bars)), key=self.bars.__getitem__)]


def _music_detail(snapshot: MoodSnapshot) -> str:
    if snapshot.music_mood is None:
        return "the music starts with the first clear mood"
    if snapshot.music_in_s is not None and snapshot.mood is not snapshot.music_mood:
        return f"the music follows in {max(1, math.ceil(snapshot.music_in_s))} s"
    return f"music for {snapshot.music_mood.label.lower()}"


def _stays(snapshot: MoodSnapshot) -> str:
    music = snapshot.music_mood or snapshot.mood
    return f"music stays with {music.label.lower()}" if music else "no music mood yet"


def describe(
    snapshot: MoodSnapshot | None,
    *,
    pinned: Emotion | None = None,
    capturing: bool = True,
    frames_seen: bool = False,
) -> MoodView:
    """The window's words for ``snapshot`` (None before the model has read a frame)."""
    state = snapshot.state if snapshot is not None else None
    in_view = (
        snapshot is not None and state is not MoodState.NO_FACE and any(snapshot.probabilities)
    )
    bars = snapshot.probabilities if (capturing and in_view and snapshot is not None) else None
    face_label, face_emotion = None, None
    if capturing and snapshot is not None and in_view:
        if state is MoodState.TRACKING and snapshot.mood is not None:
            face_emotion = snapshot.mood
            face_label = f"{snapshot.mood.label} {percent(snapshot.confidence)}%"
        elif state is MoodState.UNCERTAIN:
            face_label = "Uncertain"
        else:
            face_label = "Reading…"

    def view(
        title: str,
        emotion: Emotion | None,
        detail: str,
        badge: Badge | None = None,
        dim: bool = False,
    ) -> MoodView:
        return MoodView(
            title,
            emotion,
            detail,
            badge,
            dim,
            bars,
            face_label,
            face_emotion,
            state,
            pinned is not None,
            capturing,
        )

    if pinned is not None:
        return view(pinned.label, pinned, "Picked by you · press 0 for Auto", Badge.PINNED)
    if not capturing:
        music = snapshot.music_mood if snapshot is not None else None
        detail = "Nothing is being captured"
        if music is not None:
            detail += f" · music stays with {music.label.lower()}"
        return view("Camera off", None, detail, Badge.PRIVATE)
    if snapshot is None or snapshot.mood is None:
        if state is MoodState.NO_FACE:
            return view("No face", None, "Nobody in view yet")
        if state is MoodState.CAMERA_LOST:
            return view("Camera lost", None, "Reconnecting…")
        return view(
            "Starting…",
            None,
            "Reading your face…" if frames_seen else "Waiting for the first frame",
        )
    mood = snapshot.mood
    if state is MoodState.CAMERA_LOST:
        return view(mood.label, mood, f"Camera lost: reconnecting · {_stays(snapshot)}", dim=True)
    if state is MoodState.NO_FACE:
        return view("No face", mood, f"Nobody in view · {_stays(snapshot)}", dim=True)
    if state is MoodState.UNCERTAIN:
        return view("Uncertain", None, _stays(snapshot).capitalize(), Badge.UNCERTAIN)
    return view(
        mood.label, mood, f"{percent(snapshot.confidence)}% sure · {_music_detail(snapshot)}"
    )
