"""The one emotion vocabulary shared by the model, the music library, the mood tracker and the UI.

The enum order is the canonical order everywhere, including the model's output order.
Valence/arousal coordinates place each emotion on Russell's circumplex (both axes in [-1, 1]).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class EmotionInfo:
    """Presentation and placement data for one emotion."""

    label: str
    emoji: str
    colour: str  # hex RGB, used by the bar chart and chips
    valence: float
    arousal: float


class Emotion(Enum):
    """The seven FER emotions, in the model's output order."""

    ANGRY = 0
    DISGUST = 1
    FEAR = 2
    HAPPY = 3
    NEUTRAL = 4
    SAD = 5
    SURPRISE = 6

    @property
    def info(self) -> EmotionInfo:
        """Label, emoji, colour and circumplex position."""
        return _INFO[self]

    @property
    def label(self) -> str:
        """Human label, e.g. ``"Happy"``."""
        return _INFO[self].label

    @property
    def key(self) -> str:
        """Lower-case machine name, e.g. ``"happy"``; used in tags, JSON and the CLI."""
        return self.name.lower()

    @property
    def emoji(self) -> str:
        """A single emoji for buttons and chips."""
        return _INFO[self].emoji

    @property
    def colour(self) -> str:
        """Hex colour ``#rrggbb``."""
        return _INFO[self].colour

    @property
    def valence(self) -> float:
        """Pleasantness, -1 (unpleasant) to +1 (pleasant)."""
        return _INFO[self].valence

    @property
    def arousal(self) -> float:
        """Activation, -1 (calm) to +1 (excited)."""
        return _INFO[self].arousal

    @property
    def va(self) -> tuple[float, float]:
        """(valence, arousal) pair."""
        return (_INFO[self].valence, _INFO[self].arousal)

    @classmethod
    def parse(cls, name: str | Emotion) -> Emotion:
        """Parse ``"happy"``, ``"HAPPY"``, ``"Happy"`` or an index string; raise ValueError otherwise."""
        if isinstance(name, Emotion):
            return name
        text = str(name).strip().lower()
        for emotion in cls:
            if text == emotion.key:
                return emotion
        if text.isdigit() and int(text) < len(cls):
            return cls(int(text))
        valid = ", ".join(e.key for e in cls)
        raise ValueError(f"unknown emotion {name!r}; expected one of: {valid}")


_INFO: dict[Emotion, EmotionInfo] = {
    Emotion.ANGRY: EmotionInfo("Angry", "\U0001f620", "#e5484d", -0.52, 0.58),
    Emotion.DISGUST: EmotionInfo("Disgust", "\U0001f922", "#6e9a3a", -0.60, 0.30),
    Emotion.FEAR: EmotionInfo("Fear", "\U0001f628", "#8e4ec6", -0.34, 0.64),
    Emotion.HAPPY: EmotionInfo("Happy", "\U0001f604", "#f5b100", 0.83, 0.53),
    Emotion.NEUTRAL: EmotionInfo("Neutral", "\U0001f610", "#8b8d98", 0.00, 0.00),
    Emotion.SAD: EmotionInfo("Sad", "\U0001f622", "#3e63dd", -0.65, -0.27),
    Emotion.SURPRISE: EmotionInfo("Surprise", "\U0001f632", "#f76b15", 0.16, 0.89),
}

EMOTIONS: tuple[Emotion, ...] = tuple(Emotion)
"""All emotions in canonical (model output) order."""

CLASS_NAMES: tuple[str, ...] = tuple(e.key for e in Emotion)
"""Lower-case names in canonical order: angry, disgust, fear, happy, neutral, sad, surprise."""

NUM_CLASSES = len(EMOTIONS)


def nearest_emotion(valence: float, arousal: float) -> Emotion:
    """The emotion whose circumplex point is closest to (valence, arousal)."""
    return min(EMOTIONS, key=lambda e: math.hypot(e.valence - valence, e.arousal - arousal))


def expected_va(probabilities: list[float] | tuple[float, ...]) -> tuple[float, float]:
    """Probability-weighted (valence, arousal) for a 7-way distribution in canonical order."""
    if len(probabilities) != NUM_CLASSES:
        raise ValueError(f"expected {NUM_CLASSES} probabilities, got {len(probabilities)}")
    total = float(sum(probabilities)) or 1.0
    valence = sum(p * e.valence for p, e in zip(probabilities, EMOTIONS, strict=True)) / total
    arousal = sum(p * e.arousal for p, e in zip(probabilities, EMOTIONS, strict=True)) / total
    return valence, arousal
