"""Recommender: where each strategy aims, what it picks, and how it explains itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from player_support import spread_library, track

from emotune.emotions import Emotion
from emotune.music.choose.recommender import (
    EMPTY_LIBRARY,
    EMPTY_MOOD,
    FALLBACK,
    GOALS,
    STRATEGIES,
    Mood,
    Recommender,
    describe,
    strategy_path,
)


def _emotion_library() -> list:
    """Two tracks per emotion, placed at (or near) the emotion's point."""
    tracks = []
    for emotion in Emotion:
        for j, jitter in enumerate((-0.05, 0.05)):
            tracks.append(
                track(
                    f"/music/{emotion.key}{j}.ogg",
                    emotion=emotion,
                    valence=emotion.valence + jitter,
                    arousal=emotion.arousal - jitter,
                    tempo=120.0 if emotion.arousal > 0 else 72.0,
                    mode="major" if emotion.valence >= 0 else "minor",
                )
            )
    return tracks


def test_match_happy_picks_positive_valence_and_arousal():
    rec = Recommender(_emotion_library() + spread_library(25), seed=1)
    plan = rec.plan(Emotion.HAPPY, "match", 6)
    assert len(plan.picks) == 6
    for pick in plan.picks:
        assert pick.track.valence > 0 and pick.track.arousal > 0, pick
        assert pick.target == pytest.approx(Emotion.HAPPY.va)
    assert not plan.picks[0].fallback
    assert not any("tagged" in n.text for n in plan.notes)


def test_lift_from_sad_raises_target_valence_at_each_of_4_steps():
    path = strategy_path(Emotion.SAD, "lift")
    assert len(path) == 4
    valences = [Emotion.SAD.valence] + [v for v, _ in path]
    assert all(b > a for a, b in zip(valences, valences[1:], strict=False)), valences
    assert path[-1] == pytest.approx(GOALS["lift"])
    # Every step is short (iso principle: lead gently), the first one starts near the mood.
    assert Mood.of(Emotion.SAD).point != path[0]
    rec = Recommender(spread_library(49), seed=3)
    plan = rec.plan(Emotion.SAD, "lift", 6)
    assert [p.step for p in plan.picks] == [1, 2, 3, 4, 5, 6]
    assert [p.target for p in plan.picks[:4]] == path
    assert plan.picks[4].target == plan.picks[5].target == path[-1]  # holds at the goal
    assert plan.picks[1].reason.startswith("sad → lift, step 2/4: ")
    assert plan.picks[4].reason.startswith("sad → lift, at goal: ")
    picked_valence = [p.track.valence for p in plan.picks[:4]]
    assert picked_valence[-1] > picked_valence[0]


def test_lift_continues_a_path_from_start_step():
    rec = Recommender(spread_library(49), seed=3)
    plan = rec.plan(Emotion.SAD, "lift", 2, start_step=3)
    assert [p.step for p in plan.picks] == [3, 4]
    assert plan.picks[0].target == strategy_path(Emotion.SAD, "lift")[2]


def test_calm_lowers_arousal_step_by_step():
    path = strategy_path(Emotion.ANGRY, "calm")
    arousals = [Emotion.ANGRY.arousal] + [a for _, a in path]
    assert all(b < a for a, b in zip(arousals, arousals[1:], strict=False))
    assert path[-1] == pytest.approx(GOALS["calm"])


def test_paths_never_lower_valence():
    for strategy in ("lift", "calm"):
        path = strategy_path(Emotion.HAPPY, strategy)
        assert all(v >= Emotion.HAPPY.valence - 1e-9 for v, _ in path)


def test_match_has_a_single_target():
    assert strategy_path(Emotion.FEAR, "match") == [Emotion.FEAR.va]


def test_no_repeat_within_last_10_when_library_is_big_enough():
    tracks = spread_library(12)  # sparse on purpose: the nearest few would repeat
    rec = Recommender(tracks, seed=7)
    history: list[Path] = []
    for mood in [Emotion.HAPPY, Emotion.SAD, Emotion.NEUTRAL] * 4:
        plan = rec.plan(mood, "match", 5, recent=history)
        history += [p.track.path for p in plan.picks]
    assert len(history) == 60
    for i in range(len(history)):
        window = history[max(0, i - 10) : i + 1]
        assert len(set(window)) == len(window), f"repeat within 10 plays at {i}"


def test_small_library_still_avoids_immediate_repeats():
    rec = Recommender(spread_library(3), seed=2)
    plan = rec.plan(Emotion.HAPPY, "match", 9)
    paths = [p.track.path for p in plan.picks]
    assert all(a != b for a, b in zip(paths, paths[1:], strict=False))
    assert rec.repeat_window() == 2


def test_seed_makes_choices_repeatable_and_randomness_varies_them():
    tracks = spread_library(64)
    a = Recommender(tracks, seed=42).plan(Emotion.NEUTRAL, "match", 8)
    b = Recommender(tracks, seed=42).plan(Emotion.NEUTRAL, "match", 8)
    assert [p.track.path for p in a.picks] == [p.track.path for p in b.picks]
    firsts = {
        Recommender(tracks, seed=s).plan(Emotion.NEUTRAL, "match", 1).picks[0].track.path
        for s in range(30)
    }
    assert len(firsts) > 1  # weighted randomness, not always the single nearest


def test_empty_region_uses_nearest_and_says_so():
    # Only calm, pleasant tracks: nothing anywhere near angry.
    tracks = [track(f"/m/calm{i}.ogg", valence=0.5 + i / 100, arousal=-0.5) for i in range(5)]
    rec = Recommender(tracks, seed=0)
    plan = rec.plan(Emotion.ANGRY, "match", 3)
    assert len(plan.picks) == 3
    assert all(p.fallback for p in plan.picks)
    assert any("No tracks tagged 'angry'" in n.text and n.kind == EMPTY_MOOD for n in plan.notes)
    assert any("nearest available" in n.text and n.kind == FALLBACK for n in plan.notes)
    assert plan.picks[0].reason.endswith("(nearest available)")


def test_empty_library_gives_an_empty_plan_with_a_note():
    plan = Recommender([], seed=0).plan(Emotion.SAD, "lift", 3)
    assert (
        plan.picks == [] and "empty" in plan.notes[0].text and plan.notes[0].kind == EMPTY_LIBRARY
    )


def test_excluded_tracks_are_never_picked():
    tracks = spread_library(9)
    rec = Recommender(tracks, seed=0)
    banned = {t.path for t in tracks[:8]}
    plan = rec.plan(Emotion.HAPPY, "match", 4, exclude=banned)
    assert {p.track.path for p in plan.picks} == {tracks[8].path}


def test_reason_format_and_describe():
    t = track("/m/a.ogg", emotion=Emotion.SAD, tempo=78.4, mode="major")
    assert describe(t) == "78 bpm, major"
    assert describe(track("/m/b.ogg", emotion=Emotion.SAD)) == "sad (tag)"
    plan = Recommender([t], seed=0).plan(Emotion.SAD, "lift", 2)
    assert plan.picks[1].reason.startswith("sad → lift, step 2/4: 78 bpm, major")
    match = Recommender([t], seed=0).plan(Emotion.SAD, "match", 1)
    assert match.picks[0].reason == "sad → match: 78 bpm, major"


def test_mood_accepts_points_and_names():
    assert Mood.of("Happy").label == "happy"
    point = Mood.of((-0.6, -0.3))
    assert point.label == "sad" and point.point == (-0.6, -0.3)
    with pytest.raises(ValueError):
        Recommender([]).plan(Emotion.SAD, "bogus", 1)
    assert set(STRATEGIES) == {"match", "lift", "calm"}


def test_empty_mood_note_names_how_the_library_places_tracks():
    """A library placed by analysis and folders is not told about missing *tags*."""
    calm = [
        track(f"/m/a{i}.ogg", valence=0.5, arousal=-0.5, source="analysis") for i in range(3)
    ] + [track("/m/happy/f.ogg", emotion=Emotion.HAPPY, source="folder")]
    notes = Recommender(calm, seed=0).plan(Emotion.ANGRY, "match", 2).notes
    text = next(n.text for n in notes if n.kind == EMPTY_MOOD)
    assert "tagged" not in text
    assert "in a folder named 'angry'" in text and "that sound 'angry'" in text
    unplaced = [track(f"/m/u{i}.ogg", emotion=Emotion.NEUTRAL, source="default") for i in range(2)]
    notes = Recommender(unplaced, seed=0).plan(Emotion.SAD, "match", 1).notes
    assert any("no track has a mood tag" in n.text for n in notes)


def test_play_notes_keep_fallback_only_when_a_queued_pick_was_one():
    from emotune.cli.play import queued_notes, unplaced_hint
    from emotune.music.choose.recommender import Note

    notes = [Note("No tracks near x", FALLBACK), Note("No tracks tagged 'y'", EMPTY_MOOD)]
    near = [type("E", (), {"reason": "sad → match: 70 bpm, minor"})()]
    far = [*near, type("E", (), {"reason": "sad → match: 90 bpm (nearest available)"})()]
    assert [n.kind for n in queued_notes(notes, near)] == [EMPTY_MOOD]
    assert [n.kind for n in queued_notes(notes, far)] == [FALLBACK, EMPTY_MOOD]
    tracks = [track("/m/a.ogg", source="default"), track("/m/b.ogg", source="tag")]
    assert "scan --analyze" in unplaced_hint(tracks) and "1 of 2" in unplaced_hint(tracks)
    assert unplaced_hint(tracks[1:]) is None
