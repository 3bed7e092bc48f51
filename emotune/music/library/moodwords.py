"""Mood words (as found in tags and folder names) mapped onto the seven emotions.

Taggers, streaming exports and people use a wide vocabulary ("Upbeat", "melancholic", "chill").
Each word maps to one of the seven emotions and, for words that mean a region of the circumplex
rather than the emotion's own point, to a more precise (valence, arousal) position - e.g. "calm"
is *neutral* but sits at low arousal and slightly positive valence, so it stays distinguishable
from plain "neutral" on the mood map.

Matching is case-insensitive and forgiving about separators: ``"Dark; Brooding"``,
``"happy/upbeat"`` and ``"Feel-good"`` all work. Folder names are matched more strictly (the whole
name must be a mood), because folders named after albums ("Dark Side of the Moon") are common.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from emotune.emotions import Emotion


@dataclass(frozen=True)
class MoodMatch:
    """A recognised mood word and where it puts a track."""

    word: str  # the normalised word that matched
    emotion: Emotion
    valence: float
    arousal: float


# fmt: off
# Words that share their emotion's circumplex point.
_WORDS: dict[Emotion, tuple[str, ...]] = {
    Emotion.HAPPY: (
        "happy", "happiness", "joy", "joyful", "joyous", "upbeat", "cheerful", "cheery", "glad",
        "bright", "sunny", "uplifting", "feel good", "feelgood", "positive", "fun", "playful",
        "party", "celebratory", "festive", "jolly", "merry", "euphoric", "elated", "carefree",
        "bouncy", "lighthearted", "light hearted", "optimistic", "triumphant", "good mood",
        "delighted", "content", "romantic", "love", "warm", "hopeful", "summery",
    ),
    Emotion.SAD: (
        "sad", "sadness", "melancholy", "melancholic", "gloomy", "sorrow", "sorrowful",
        "mournful", "unhappy", "depressed", "depressing", "down", "blue", "blues", "heartbroken",
        "heartbreak", "tearful", "lonely", "longing", "wistful", "somber", "sombre", "grief",
        "grieving", "bittersweet", "nostalgic", "regretful", "lament", "downbeat", "forlorn",
        "desolate", "sentimental", "crying",
    ),
    Emotion.NEUTRAL: ("neutral", "ambient", "background", "instrumental", "focus", "study",
                      "easy listening", "mellow", "smooth", "balanced"),
    Emotion.ANGRY: (
        "angry", "anger", "aggressive", "aggression", "furious", "fury", "rage", "raging",
        "hostile", "hateful", "hate", "violent", "mad", "fierce", "intense", "rebellious",
        "defiant", "frustrated", "irritated", "brutal", "savage", "confrontational", "heavy",
        "mosh", "outraged",
    ),
    Emotion.FEAR: (
        "fear", "fearful", "afraid", "scared", "scary", "tense", "tension", "dark", "anxious",
        "anxiety", "nervous", "creepy", "eerie", "spooky", "ominous", "menacing", "sinister",
        "suspense", "suspenseful", "horror", "haunting", "haunted", "dread", "terrifying",
        "frightening", "panic", "paranoid", "unsettling", "nightmare", "brooding",
    ),
    Emotion.SURPRISE: (
        "surprise", "surprised", "surprising", "energetic", "exciting", "excited", "thrilling",
        "amazed", "astonished", "astonishing", "shocking", "unexpected", "wild", "frantic",
        "hyper", "dramatic", "epic", "adventurous", "quirky", "whimsical", "manic",
    ),
    Emotion.DISGUST: (
        "disgust", "disgusted", "disgusting", "gross", "repulsive", "revolting", "nauseating",
        "nauseous", "sickening", "sick", "vile", "grotesque", "filthy", "sleazy", "sludgy",
        "queasy", "putrid", "bitter", "cynical", "contempt", "sour",
    ),
}
# fmt: on

# Words that mean a region rather than the emotion's exact point: (emotion, valence, arousal).
_REGIONS: dict[str, tuple[Emotion, float, float]] = {
    # calm, positive, low arousal: neutral by nearest emotion, but clearly "calm" on the map
    "calm": (Emotion.NEUTRAL, 0.35, -0.45),
    "relaxed": (Emotion.NEUTRAL, 0.40, -0.45),
    "relaxing": (Emotion.NEUTRAL, 0.40, -0.45),
    "chill": (Emotion.NEUTRAL, 0.35, -0.35),
    "chillout": (Emotion.NEUTRAL, 0.35, -0.35),
    "chilled": (Emotion.NEUTRAL, 0.35, -0.35),
    "peaceful": (Emotion.NEUTRAL, 0.40, -0.50),
    "serene": (Emotion.NEUTRAL, 0.40, -0.55),
    "tranquil": (Emotion.NEUTRAL, 0.40, -0.55),
    "soothing": (Emotion.NEUTRAL, 0.35, -0.50),
    "gentle": (Emotion.NEUTRAL, 0.30, -0.40),
    "dreamy": (Emotion.NEUTRAL, 0.25, -0.35),
    "meditative": (Emotion.NEUTRAL, 0.20, -0.60),
    "sleepy": (Emotion.NEUTRAL, 0.10, -0.70),
    "lazy": (Emotion.NEUTRAL, 0.15, -0.50),
    # high-arousal positive: between happy and surprise; nearest emotion is surprise
    "energetic": (Emotion.SURPRISE, 0.45, 0.80),
    "exciting": (Emotion.SURPRISE, 0.40, 0.85),
    "excited": (Emotion.SURPRISE, 0.40, 0.85),
    "thrilling": (Emotion.SURPRISE, 0.30, 0.90),
    # low-arousal negative that is weary rather than tearful
    "tired": (Emotion.SAD, -0.40, -0.50),
    "bored": (Emotion.NEUTRAL, -0.20, -0.30),
}

MOOD_WORDS: dict[str, MoodMatch] = {}
"""Every known word (lower case, single spaces) -> its match."""

for _emotion, _words in _WORDS.items():
    for _word in _words:
        MOOD_WORDS[_word] = MoodMatch(_word, _emotion, _emotion.valence, _emotion.arousal)
for _word, (_emotion, _v, _a) in _REGIONS.items():
    MOOD_WORDS[_word] = MoodMatch(_word, _emotion, _v, _a)

_SEPARATORS = re.compile(r"[;,/|+&]+|\band\b")
_NON_WORD = re.compile(r"[^\w\s]+|_")
_SPACES = re.compile(r"\s+")
# fmt: off
# Generic words people add to folder names: "Happy Songs", "sad music", "Mood - Calm".
_FOLDER_FILLER = {"music", "songs", "song", "tracks", "track", "mood", "moods", "playlist",
                  "mix", "vibes", "tunes", "the", "my", "for", "of"}
# fmt: on


def _normalise(text: str) -> str:
    text = _NON_WORD.sub(" ", text.casefold())
    return _SPACES.sub(" ", text).strip()


def lookup(word: str) -> MoodMatch | None:
    """Exact (case-insensitive) lookup of one word or short phrase."""
    return MOOD_WORDS.get(_normalise(word))


def parse_mood(text: str | None) -> MoodMatch | None:
    """Interpret a mood tag value: the whole text, then each part, then each word.

    ``"Happy"`` -> happy, ``"Dark; Brooding"`` -> fear, ``"feel-good summer"`` -> happy.
    The first recognised part wins, because taggers list the dominant mood first. Also accepts
    the emotion's index (``"3"``), as some tools store class numbers. None if nothing matches.
    """
    if not text or not text.strip():
        return None
    whole = _normalise(text)
    if whole in MOOD_WORDS:
        return MOOD_WORDS[whole]
    if whole.isdigit():
        try:
            emotion = Emotion.parse(whole)
        except ValueError:
            return None
        return MoodMatch(emotion.key, emotion, emotion.valence, emotion.arousal)
    for part in _SEPARATORS.split(text):
        part_norm = _normalise(part)
        if part_norm in MOOD_WORDS:
            return MOOD_WORDS[part_norm]
        words = part_norm.split()
        # two-word phrases first ("feel good"), then single words
        for first, second in zip(words, words[1:], strict=False):
            if f"{first} {second}" in MOOD_WORDS:
                return MOOD_WORDS[f"{first} {second}"]
        for word in words:
            if word in MOOD_WORDS:
                return MOOD_WORDS[word]
    return None


@functools.lru_cache(maxsize=4096)  # a library repeats the same few folder names endlessly
def folder_mood(name: str) -> MoodMatch | None:
    """The mood a folder name stands for, or None.

    Strict on purpose: after dropping numbering ("01 - ") and filler words ("songs", "music"),
    what is left must be exactly one mood word or phrase. So ``"Happy Songs"`` and ``"2_sad"``
    count, ``"Dark Side of the Moon"`` does not.
    """
    words = [w for w in _normalise(name).split() if not w.isdigit() and w not in _FOLDER_FILLER]
    if not words:
        return None
    return MOOD_WORDS.get(" ".join(words))
