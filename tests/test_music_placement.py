"""Mood words, folder names, key tags and the tag > folder > analysis > default placement."""

from __future__ import annotations

from pathlib import Path

import pytest

from emotune.emotions import Emotion
from emotune.music.library.analysis import AnalysisResult, estimate_key
from emotune.music.library.moodwords import MOOD_WORDS, folder_mood, parse_mood
from emotune.music.library.placement import (
    build_track,
    from_analysis,
    implied_emotion,
    mode_from_key,
    place,
)
from emotune.music.library.tags import TagInfo
from emotune.music.library.track import SOURCES


@pytest.mark.parametrize(
    ("text", "emotion"),
    [
        ("joyful", Emotion.HAPPY),
        ("Happy", Emotion.HAPPY),
        ("UPBEAT", Emotion.HAPPY),
        ("cheerful", Emotion.HAPPY),
        ("Feel-Good", Emotion.HAPPY),
        ("melancholy", Emotion.SAD),
        ("Sad", Emotion.SAD),
        ("gloomy", Emotion.SAD),
        ("calm", Emotion.NEUTRAL),
        ("Relaxed", Emotion.NEUTRAL),
        ("chill", Emotion.NEUTRAL),
        ("peaceful", Emotion.NEUTRAL),
        ("aggressive", Emotion.ANGRY),
        ("Angry", Emotion.ANGRY),
        ("furious", Emotion.ANGRY),
        ("tense", Emotion.FEAR),
        ("scary", Emotion.FEAR),
        ("dark", Emotion.FEAR),
        ("anxious", Emotion.FEAR),
        ("surprising", Emotion.SURPRISE),
        ("energetic", Emotion.SURPRISE),
        ("exciting", Emotion.SURPRISE),
        ("disgust", Emotion.DISGUST),
        ("gross", Emotion.DISGUST),
        ("Dark; Brooding", Emotion.FEAR),
        ("happy/upbeat", Emotion.HAPPY),
        ("very melancholic piano", Emotion.SAD),
        ("3", Emotion.HAPPY),  # class index, as some tools store it
    ],
)
def test_mood_words(text, emotion):
    match = parse_mood(text)
    assert match is not None and match.emotion is emotion


def test_unknown_or_empty_mood_text():
    for text in (None, "", "   ", "xylophone", "42"):
        assert parse_mood(text) is None


def test_every_emotion_has_words_and_every_position_is_on_the_map():
    assert {m.emotion for m in MOOD_WORDS.values()} == set(Emotion)
    for match in MOOD_WORDS.values():
        assert -1 <= match.valence <= 1 and -1 <= match.arousal <= 1


def test_calm_is_neutral_but_placed_low_arousal():
    calm = parse_mood("calm")
    assert calm.emotion is Emotion.NEUTRAL and calm.arousal < -0.3 and calm.valence > 0


@pytest.mark.parametrize(
    ("name", "emotion"),
    [
        ("happy", Emotion.HAPPY),
        ("Sad Songs", Emotion.SAD),
        ("01 - angry", Emotion.ANGRY),
        ("chill_music", Emotion.NEUTRAL),
        ("Dark Side of the Moon", None),
        ("Happy Mondays Live", None),
        ("music_library", None),
        ("2019", None),
    ],
)
def test_folder_names_are_matched_strictly(name, emotion):
    match = folder_mood(name)
    assert (match.emotion if match else None) is emotion


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("Am", "minor"),
        ("A minor", "minor"),
        ("F#m", "minor"),
        ("Bbmin", "minor"),
        ("C", "major"),
        ("Cmaj", "major"),
        ("Eb major", "major"),
        ("8A", "minor"),
        ("8B", "major"),
        ("1m", "minor"),
        ("1d", "major"),
        ("o", None),
        ("", None),
        (None, None),
    ],
)
def test_mode_from_key_tag(text, mode):
    assert mode_from_key(text) == mode


MODES = ("major", "minor")


def _result(tempo, mode, strength=1.0, energy=0.6):
    return AnalysisResult(
        tempo=tempo,
        tonic="C",
        mode=mode,
        mode_strength=strength,
        key_correlation=0.8,
        energy=energy,
        rms_db=-15.0,
        seconds=30.0,
    )


def test_analysis_placement_follows_tempo_and_mode():
    happy = from_analysis(_result(140, "major", energy=0.8))
    sad = from_analysis(_result(65, "minor", energy=0.4))
    angry = from_analysis(_result(150, "minor", energy=0.9))
    assert happy.emotion is Emotion.HAPPY and happy.valence > 0.5 and happy.arousal > 0.1
    assert sad.emotion is Emotion.SAD and sad.valence < -0.5 and sad.arousal < 0
    assert angry.valence < 0 < angry.arousal
    assert angry.emotion in (Emotion.ANGRY, Emotion.FEAR)
    # faster is more aroused, major is more pleasant, louder is more aroused
    assert (
        from_analysis(_result(150, "major")).arousal > from_analysis(_result(90, "major")).arousal
    )
    assert (
        from_analysis(_result(110, "major")).valence > from_analysis(_result(110, "minor")).valence
    )
    assert (
        from_analysis(_result(110, "major", energy=0.9)).arousal
        > from_analysis(_result(110, "major", energy=0.2)).arousal
    )
    # a clear mode earns more confidence, but never as much as a folder or a tag
    weak = from_analysis(_result(110, "major", strength=0.0))
    assert weak.confidence < happy.confidence <= 0.5


def test_ordinary_minor_music_is_sad_never_disgust():
    """Minor at a moderate tempo (the issue: 110-130 BPM pieces were placed as disgust)."""
    for bpm in range(60, 131, 5):
        for energy in (0.3, 0.6, 0.9):
            for strength in (0.3, 1.0):
                placed = from_analysis(_result(bpm, "minor", energy=energy, strength=strength))
                assert placed.emotion in (Emotion.SAD, Emotion.NEUTRAL), (bpm, energy, placed)
    emotions = {from_analysis(_result(b, m)).emotion for b in range(40, 240, 3) for m in MODES}
    assert Emotion.DISGUST not in emotions and Emotion.SURPRISE not in emotions


def test_implied_emotion_bands_match_the_documented_mapping():
    """The README's table: major calm below ~98 BPM and happy above; minor sad below ~147."""
    assert implied_emotion(80, "major") is Emotion.NEUTRAL
    assert implied_emotion(110, "major") is Emotion.HAPPY
    assert implied_emotion(120, "minor") is Emotion.SAD
    assert implied_emotion(165, "minor") is Emotion.ANGRY
    # analysis with a clear mode at the usual loudness agrees with the implied emotion
    for bpm in range(50, 200, 7):
        for mode in MODES:
            assert from_analysis(_result(bpm, mode, energy=0.6)).emotion is implied_emotion(
                bpm, mode
            )


def test_evidence_order_tag_folder_analysis_default():
    analysis = _result(65, "minor")
    assert place("Happy", ["sad"], analysis).source == "tag"
    assert place("xylophone", ["sad"], analysis).source == "folder"  # unknown tag: fall through
    assert place(None, ["sad"], analysis).emotion is Emotion.SAD
    assert place(None, ["Albums"], analysis).source == "analysis"
    default = place(None, [], None)
    assert (default.source, default.emotion, default.confidence) == ("default", Emotion.NEUTRAL, 0)
    assert {
        p.source for p in (place("Happy"), place(None, ["sad"]), place(None, [], analysis), default)
    } == set(SOURCES)
    confidences = [
        place("Happy").confidence,
        place(None, ["sad"]).confidence,
        place(None, [], analysis).confidence,
        default.confidence,
    ]
    assert confidences == sorted(confidences, reverse=True)


def test_folder_evidence_stops_at_the_library_root(tmp_path):
    root = tmp_path / "happy" / "library"  # a mood word *above* the root must not count
    track = build_track(root / "Artist" / "x.mp3", TagInfo(format="mp3", duration=1.0), root)
    assert track.source == "default"
    track = build_track(
        root / "sad" / "Artist" / "x.mp3", TagInfo(format="mp3", duration=1.0), root
    )
    assert (track.source, track.emotion) == ("folder", Emotion.SAD)


def test_track_prefers_tag_tempo_and_key_over_analysis():
    tags = TagInfo(format="flac", duration=30.0, title=None, bpm=99.0, key="Dm")
    track = build_track(Path("/m/Some_Song.flac"), tags, Path("/m"), _result(140, "major"))
    assert track.title == "Some Song"  # from the file name when untitled
    assert (track.tempo, track.mode, track.key) == (99.0, "minor", "Dm")
    assert track.source == "analysis" and track.energy == 0.6
    assert track.to_dict()["format"] == "flac"


def test_key_finder_on_ideal_profiles():
    import numpy as np

    from emotune.music.library.analysis import MAJOR_PROFILE, MINOR_PROFILE

    tonic, mode, corr, strength = estimate_key(np.roll(MAJOR_PROFILE, 7))  # G major
    assert (tonic, mode) == (7, "major") and corr == pytest.approx(1.0) and strength > 0.5
    tonic, mode, _, _ = estimate_key(np.roll(MINOR_PROFILE, 9))  # A minor
    assert (tonic, mode) == (9, "minor")
