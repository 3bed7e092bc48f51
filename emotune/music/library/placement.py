"""Put every track on the mood map: a (valence, arousal) point, an emotion, a source, a confidence.

Evidence is used in a fixed order of trust - the same order as ``emotune.music.library.track.SOURCES``:

1. ``tag``      - a mood tag in the file whose text we recognise (the user or a tagger said so);
2. ``folder``   - the track sits in a folder named after a mood (``happy/``, ``Sad Songs/``);
3. ``analysis`` - tempo, mode and energy measured from the audio;
4. ``default``  - nothing known: neutral, at the centre, confidence 0.

From analysis (README, "How EmoTune hears a mood", gives the reasoning and the literature): mode
carries valence, tempo carries arousal (and a little valence), loudness a little arousal:

* mode term   m = +-(0.45 + 0.25 x mode_strength)  (major +, minor -)
* tempo term  t = (BPM - 120) / 80, clipped to -1..+1  (40 BPM -> -1, 200 BPM -> +1)
* energy term e = (energy - 0.6) / 0.4, clipped to -1..+1  (0.6 = -19 dBFS RMS, a usual level)
* valence = m + 0.1 t;  arousal = 0.5 t + 0.08 e
* emotion = the nearest of the emotions music conveys reliably (:data:`MUSIC_EMOTIONS`: happy,
  neutral, sad, angry, fear). Disgust and surprise are left to tags and folders: listeners do not
  agree on them from tempo and mode alone.

With a clear mode and average loudness this gives (:func:`implied_emotion`): major below ~98 BPM
neutral (calm), major from ~98 BPM happy; minor below ~147 BPM sad, minor from ~147 BPM angry.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from emotune.emotions import Emotion
from emotune.music.library.analysis import AnalysisResult
from emotune.music.library.moodwords import MoodMatch, folder_mood, parse_mood
from emotune.music.library.tags import TagInfo
from emotune.music.library.track import Track

TAG_CONFIDENCE = 0.9
FOLDER_CONFIDENCE = 0.6
# Analysis never claims more than a folder name does: 0.2 (ambiguous mode) .. 0.5 (clear mode).
ANALYSIS_MIN_CONFIDENCE, ANALYSIS_MAX_CONFIDENCE = 0.2, 0.5

_SLOW_BPM, _FAST_BPM = 40.0, 200.0
_USUAL_ENERGY = 0.6  # energy_from_db(-18.8 dBFS): loudness that neither adds nor takes arousal

MUSIC_EMOTIONS: tuple[Emotion, ...] = (
    Emotion.HAPPY,
    Emotion.NEUTRAL,
    Emotion.SAD,
    Emotion.ANGRY,
    Emotion.FEAR,
)
"""Emotions analysis may place a track on: those tempo and mode convey reliably (Juslin &
Laukka 2003 list happiness, sadness, anger, fear and tenderness; tenderness/calm maps to neutral)."""


@dataclass(frozen=True)
class Placement:
    """Where a track sits on the mood map and why."""

    emotion: Emotion
    valence: float
    arousal: float
    source: str  # "tag", "folder", "analysis" or "default"
    confidence: float  # 0..1


def _clip(value: float, low: float = -1.0, high: float = 1.0) -> float:
    return max(low, min(high, value))


def tempo_term(bpm: float) -> float:
    """-1 at 40 BPM or slower, 0 at 120 BPM, +1 at 200 BPM or faster, linear in between."""
    middle = (_SLOW_BPM + _FAST_BPM) / 2
    return _clip((bpm - middle) / ((_FAST_BPM - _SLOW_BPM) / 2))


def music_va(bpm: float, mode: str, mode_strength: float, energy: float) -> tuple[float, float]:
    """(valence, arousal) from tempo, mode, mode confidence and energy (the module docstring)."""
    sign = 1.0 if mode == "major" else -1.0
    tempo = tempo_term(bpm)
    valence = _clip(sign * (0.45 + 0.25 * mode_strength) + 0.1 * tempo)
    arousal = _clip(0.5 * tempo + 0.08 * _clip((energy - _USUAL_ENERGY) / 0.4))
    return valence, arousal


def nearest_music_emotion(valence: float, arousal: float) -> Emotion:
    """The nearest of :data:`MUSIC_EMOTIONS` to (valence, arousal)."""
    return min(MUSIC_EMOTIONS, key=lambda e: math.hypot(e.valence - valence, e.arousal - arousal))


def implied_emotion(tempo: float, mode: str) -> Emotion:
    """The emotion a piece's true tempo and mode imply under this mapping (clear mode, average
    loudness): the label the music benchmark checks placement against."""
    return nearest_music_emotion(*music_va(tempo, mode, 1.0, _USUAL_ENERGY))


def from_analysis(result: AnalysisResult) -> Placement:
    """Place a track from its measured tempo, mode and energy (see the module docstring)."""
    valence, arousal = music_va(result.tempo, result.mode, result.mode_strength, result.energy)
    # Confidence follows the weaker of the two measurements that decide the emotion.
    sureness = min(result.mode_strength, max(result.tempo_confidence, 0.5))
    confidence = (
        ANALYSIS_MIN_CONFIDENCE + (ANALYSIS_MAX_CONFIDENCE - ANALYSIS_MIN_CONFIDENCE) * sureness
    )
    return Placement(
        nearest_music_emotion(valence, arousal),
        round(valence, 3),
        round(arousal, 3),
        "analysis",
        round(confidence, 3),
    )


def _from_match(match: MoodMatch, source: str, confidence: float) -> Placement:
    return Placement(match.emotion, match.valence, match.arousal, source, confidence)


def place(
    mood_tag: str | None,
    folder_names: Sequence[str] = (),
    analysis: AnalysisResult | None = None,
) -> Placement:
    """Best placement from the evidence available: tag > folder > analysis > default.

    ``folder_names`` are the track's enclosing folder names, nearest first.
    """
    match = parse_mood(mood_tag)
    if match is not None:
        return _from_match(match, "tag", TAG_CONFIDENCE)
    for name in folder_names:
        match = folder_mood(name)
        if match is not None:
            return _from_match(match, "folder", FOLDER_CONFIDENCE)
    if analysis is not None:
        return from_analysis(analysis)
    return _DEFAULT_PLACEMENT


_DEFAULT_PLACEMENT = Placement(
    Emotion.NEUTRAL, Emotion.NEUTRAL.valence, Emotion.NEUTRAL.arousal, "default", 0.0
)
"""Nothing known: neutral, at the centre (one shared instance; Placement is frozen)."""


_KEY_RE = re.compile(
    r"^\s*([A-Ga-g])\s*([#b\u266f\u266d]?)\s*(m|min|minor|maj|major|dur|moll)?\s*$", re.IGNORECASE
)
_CAMELOT_RE = re.compile(r"^\s*(\d{1,2})\s*([AB])\s*$", re.IGNORECASE)
_OPENKEY_RE = re.compile(r"^\s*(\d{1,2})\s*([dm])\s*$", re.IGNORECASE)


def mode_from_key(text: str | None) -> str | None:
    """``"major"``/``"minor"`` from a key tag: ``"Am"``, ``"F# minor"``, ``"Cmaj"``, Camelot
    ``"8A"`` or Open Key ``"1m"``; None if unrecognised (e.g. ``"o"`` for off-key)."""
    if not text:
        return None
    if m := _CAMELOT_RE.match(text):
        return "minor" if m.group(2).upper() == "A" else "major"
    if m := _OPENKEY_RE.match(text):
        return "minor" if m.group(2).lower() == "m" else "major"
    if m := _KEY_RE.match(text):
        quality = (m.group(3) or "").lower()
        if quality in ("m", "min", "minor", "moll"):
            # a lone "m" after the note is minor; "M" (upper) conventionally means major
            return "major" if m.group(3) == "M" else "minor"
        return "major"
    return None


def folder_names(path: Path, root: Path | None) -> list[str]:
    """Names of the folders between ``path`` and ``root`` (inclusive), nearest first."""
    names: list[str] = []
    parent = path.parent
    while True:
        names.append(parent.name)
        if root is None or parent == root or parent.parent == parent:
            break
        parent = parent.parent
    return [n for n in names if n]


def display_name(path: Path) -> str:
    """A printable title from a file name (undecodable bytes become U+FFFD)."""
    name = path.name  # parsed already; Path.stem and os.path calls cost a second at 100k
    dot = name.rfind(".")
    stem = name[:dot] if dot > 0 else name
    if not stem.isascii():  # undecodable bytes arrive as surrogates: show U+FFFD instead
        stem = stem.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return stem.replace("_", " ").strip() or name


def build_track(
    path: Path,
    tags: TagInfo,
    root: Path | None = None,
    analysis: AnalysisResult | None = None,
    *,
    folders: Sequence[str] | None = None,
) -> Track:
    """The shared :class:`Track` for one file, placed on the mood map.

    ``folders`` are :func:`folder_names` of ``path`` when the caller has them already.
    """
    placement = place(
        tags.mood, folders if folders is not None else folder_names(path, root), analysis
    )
    tempo = tags.bpm if tags.bpm else (analysis.tempo if analysis else None)
    mode = mode_from_key(tags.key) or (analysis.mode if analysis else None)
    key = tags.key or (analysis.key if analysis else None)
    return Track(
        path=path,
        title=tags.title or display_name(path),
        artist=tags.artist or "",
        album=tags.album or "",
        duration=tags.duration,
        emotion=placement.emotion,
        valence=placement.valence,
        arousal=placement.arousal,
        source=placement.source,
        confidence=placement.confidence,
        tempo=round(tempo, 1) if tempo else None,
        mode=mode,
        key=key,
        energy=analysis.energy if analysis else None,
        has_cover=tags.has_cover,
        mood_tag=tags.mood,
        format=tags.format,
    )
