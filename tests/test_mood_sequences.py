"""The mood-filter sequence benchmark: its measures on hand-built timelines with known answers,
session replay on made-up faces with a stub classifier, caching, and the CLI hooks."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
from vision_fakes import BrightnessClassifier

from emotune.devtools import mood_sessions
from emotune.devtools.mood_benchmark import format_report, make_tracker, run_filter, score_filter
from emotune.devtools.mood_scoring import (
    NO_MOOD,
    compare_timelines,
    declarations,
    longest_stretch,
    neutral_summary,
    score_timeline,
    summarize,
    talking_summary,
)
from emotune.devtools.mood_sessions import Session, build_sessions
from emotune.devtools.mood_timelines import FacePool, Segment, load_tuning_faces, truth_at
from emotune.emotions import EMOTIONS, Emotion

ANGRY, FEAR, HAPPY, NEUTRAL, SAD = (
    e.value for e in (Emotion.ANGRY, Emotion.FEAR, Emotion.HAPPY, Emotion.NEUTRAL, Emotion.SAD)
)
FPS = 30


def timeline(*runs: tuple[int, float], fps: int = FPS) -> tuple[np.ndarray, np.ndarray]:
    """(times, classes) for consecutive ``(class, seconds)`` runs."""
    labels = np.concatenate([np.full(int(round(seconds * fps)), cls) for cls, seconds in runs])
    return np.arange(len(labels)) / fps, labels


def lagged(labels: np.ndarray, seconds: float, fps: int = FPS) -> np.ndarray:
    """``labels`` shown ``seconds`` late (the first value held at the start)."""
    shift = int(round(seconds * fps))
    return np.concatenate([np.full(shift, labels[0]), labels[: len(labels) - shift]])


# -- measures ----------------------------------------------------------------------------------


def test_a_filter_lagging_one_second_has_one_second_onsets_and_no_spurious_switches():
    times, truth = timeline((NEUTRAL, 5), (HAPPY, 5), (NEUTRAL, 5), (SAD, 5))
    result = summarize([score_timeline(times, truth, lagged(truth, 1.0))])
    assert result["onset_median_s"] == pytest.approx(1.0) and result[
        "onset_p90_s"
    ] == pytest.approx(1.0)
    assert result["reach_rate"] == 1.0 and result["segments"] == 2
    # Each of the three true changes costs one second of 20.
    assert result["time_right"] == pytest.approx(17 / 20, abs=1e-3)
    # Only happy held over into neutral is a wrong mood; neutral held into sad is not.
    assert result["wrong_mood_time"] == pytest.approx(1 / 20, abs=1e-3)
    # Switches come 1 s after each change: none on the steady stretches (3 s of each 5 s run).
    assert result["spurious_switches"] == 0
    assert result["steady_min"] == pytest.approx(12 / 60, abs=0.01)
    assert result["per_class"]["happy"]["time_right"] == pytest.approx(0.8, abs=1e-3)
    assert result["per_class"]["sad"]["onset_median_s"] == pytest.approx(1.0)
    # The one neutral segment after an expression is also reached 1 s late.
    assert result["neutral_return_median_s"] == pytest.approx(1.0)
    assert result["neutral_return_rate"] == 1.0


def test_a_blip_on_a_steady_stretch_is_two_spurious_switches_one_to_a_wrong_mood():
    times, truth = timeline((NEUTRAL, 60))
    shown = truth.copy()
    shown[(times >= 30) & (times < 30.5)] = FEAR
    result = summarize([score_timeline(times, truth, shown)])
    assert result["spurious_switches"] == 2
    assert result["spurious_per_min"] == pytest.approx(2 / (58 / 60), rel=1e-2)
    assert result["spurious_wrong_per_min"] == pytest.approx(1 / (58 / 60), rel=1e-2)
    assert result["wrong_mood_time"] == pytest.approx(0.5 / 60, abs=1e-3)
    assert result["segments"] == 0 and result["onset_median_s"] is None


def test_a_late_right_switch_counts_as_spurious_but_not_as_wrong():
    times, truth = timeline((NEUTRAL, 10), (ANGRY, 10))
    result = summarize([score_timeline(times, truth, lagged(truth, 2.5))])
    assert result["onset_median_s"] == pytest.approx(2.5)
    assert result["spurious_switches"] == 1 and result["spurious_wrong_per_min"] == 0


def test_no_mood_counts_as_wrong_and_an_unreached_segment_lowers_the_reach_rate():
    times, truth = timeline((NEUTRAL, 4), (HAPPY, 4), (NEUTRAL, 4), (FEAR, 4))
    shown = np.where(truth == FEAR, NEUTRAL, truth)  # fear is never shown
    shown[times < 1.0] = NO_MOOD  # nothing shown for the first second
    result = summarize([score_timeline(times, truth, shown)])
    assert result["time_right"] == pytest.approx((16 - 1 - 4) / 16, abs=1e-3)
    assert result["wrong_mood_time"] == 0  # showing neutral or nothing is not a wrong mood
    assert result["reach_rate"] == 0.5 and result["onset_median_s"] == 0.0
    assert result["neutral_return_rate"] == 1.0 and result["neutral_return_median_s"] == 0.0
    assert (
        result["per_class"]["fear"]["reach_rate"] == 0.0
        and result["per_class"]["happy"]["reach_rate"] == 1.0
    )


def test_pooling_weights_sessions_by_their_time():
    times_a, truth_a = timeline((NEUTRAL, 10))
    times_b, truth_b = timeline((HAPPY, 30))
    right_a = score_timeline(times_a, truth_a, truth_a)
    wrong_b = score_timeline(times_b, truth_b, np.full(len(truth_b), SAD))
    assert summarize([right_a, wrong_b])["time_right"] == pytest.approx(10 / 40, abs=1e-3)


def test_talking_summary_finds_the_longest_negative_stretch():
    times, truth = timeline((NEUTRAL, 3), (HAPPY, 1), (NEUTRAL, 3))
    shown = truth.copy()
    shown[(times >= 4.0) & (times < 4.5)] = FEAR
    shown[(times >= 4.5) & (times < 5.7)] = SAD  # fear then sad: one negative stretch of 1.7 s
    shown[(times >= 6.0) & (times < 6.4)] = ANGRY
    result = talking_summary([(times, truth, shown)])
    assert result["longest_negative_s"] == pytest.approx(1.7, abs=1e-6)
    assert result["negative_share"] == pytest.approx(2.1 / 7, abs=1e-3)
    assert longest_stretch(times, np.zeros(len(times), dtype=bool)) == 0.0


def test_neutral_summary_counts_declarations_and_non_neutral_time():
    times, _ = timeline((NEUTRAL, 10))
    shown = np.full(len(times), NEUTRAL)
    shown[times < 1] = NO_MOOD
    shown[(times >= 5) & (times < 7)] = SAD
    result = neutral_summary([(times, shown)])
    assert result == {
        "non_neutral_share": pytest.approx(0.2),
        "no_mood_share": pytest.approx(0.1),
        "declarations": 3,
    }
    assert declarations(np.array([NO_MOOD, NO_MOOD])) == 0


def test_compare_timelines_measures_how_long_two_frame_rates_disagree():
    fast_t, fast = timeline((NEUTRAL, 5), (HAPPY, 5), fps=60)
    slow_t, slow = fast_t[::6], lagged(fast, 0.1, fps=60)[::6]  # 10 fps, switching 0.1 s later
    result = compare_timelines(fast_t, fast, slow_t, slow)
    assert result["longest_disagreement_s"] == pytest.approx(0.1, abs=1e-6)
    assert compare_timelines(fast_t, fast, slow_t, fast[::6]) == {
        "disagree_share": 0.0,
        "longest_disagreement_s": 0.0,
    }


# -- sessions ----------------------------------------------------------------------------------


def test_a_session_at_a_lower_rate_is_a_subsample_of_the_same_frames():
    segments = (
        Segment(Emotion.NEUTRAL, 0.0, 2.0, ((0, 1.0),)),
        Segment(Emotion.HAPPY, 2.0, 3.0, ((1, 1.0),)),
    )
    session = Session(
        "s",
        "chain",
        segments,
        60,
        probabilities=np.random.default_rng(0).random((180, 7)).astype(np.float32),
    )
    times, probs = session.view(10)
    assert len(times) == 30 and np.array_equal(probs, session.probabilities[::6])
    assert np.array_equal(session.truth(10), truth_at(segments, times))
    assert session.truth(10)[19] == NEUTRAL and session.truth(10)[20] == HAPPY
    with pytest.raises(ValueError, match="not available"):
        session.view(25)


def test_plans_balance_the_expressions_and_never_reuse_a_face_while_others_are_left():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(7), 40)
    pool = FacePool(rng.integers(0, 256, (len(labels), 48, 48)).astype(np.uint8), labels)
    sessions = mood_sessions.plan_sessions(pool, seed=3, chains=6)
    chains = [s for s in sessions if s.kind == "chain"]
    counts = np.bincount(
        [
            seg.emotion.value
            for s in chains
            for seg in s.segments
            if seg.emotion is not Emotion.NEUTRAL
        ],
        minlength=7,
    )
    expressions = counts[[e.value for e in EMOTIONS if e is not Emotion.NEUTRAL]]
    assert expressions.min() >= 1 and expressions.max() - expressions.min() <= 1
    for session in chains:
        kinds = [seg.emotion for seg in session.segments]
        assert kinds[0] is Emotion.NEUTRAL and all(
            (a is Emotion.NEUTRAL) != (b is Emotion.NEUTRAL)
            for a, b in zip(kinds[:-1], kinds[1:], strict=True)
        )
        assert all(
            3.0 - 1e-3 <= seg.end_s - seg.start_s <= 6.0 + 1e-3 for seg in session.segments[:-1]
        )
        assert session.duration_s >= 60.0
    happy_faces = [
        seg.mix[0][0] for s in chains for seg in s.segments if seg.emotion is Emotion.HAPPY
    ]
    assert len(set(happy_faces)) == len(happy_faces)
    assert [s.kind for s in sessions[-2:]] == ["neutral", "talking"]
    talking = sessions[-1]
    bursts = [seg for seg in talking.segments if seg.emotion is Emotion.HAPPY]
    assert bursts and all(0.5 <= seg.end_s - seg.start_s <= 2.0 for seg in bursts)


def _tiny_dataset(path, rng):
    """An npz shaped like the real one: happy faces bright, all others dark; a few non-faces
    and a few faces without a strict FER+ majority."""
    per_class = 6
    columns = [
        "neutral",
        "happiness",
        "surprise",
        "sadness",
        "anger",
        "disgust",
        "fear",
        "contempt",
        "unknown",
        "NF",
    ]
    ours = {
        Emotion.NEUTRAL: 0,
        Emotion.HAPPY: 1,
        Emotion.SURPRISE: 2,
        Emotion.SAD: 3,
        Emotion.ANGRY: 4,
        Emotion.DISGUST: 5,
        Emotion.FEAR: 6,
    }
    faces, votes = [], []
    for emotion, column in ours.items():
        for _ in range(per_class):
            level = 200 if emotion is Emotion.HAPPY else 40
            faces.append(np.clip(rng.normal(level, 10, (48, 48)), 0, 255))
            row = np.zeros(10)
            row[column], row[8] = 8, 2
            votes.append(row)
    for _ in range(4):  # split votes: never used
        faces.append(rng.integers(0, 256, (48, 48)))
        votes.append(np.array([5, 5, 0, 0, 0, 0, 0, 0, 0, 0]))
    n = len(faces)
    nf = np.zeros(n + 2, dtype=bool)
    nf[[3, 10]] = True  # non-faces are dropped before the tuning index applies
    x = np.insert(np.array(faces, dtype=np.uint8), [3, 9], 0, axis=0)
    v = np.insert(np.array(votes, dtype=np.uint8), [3, 9], 0, axis=0)
    np.savez(
        path, x_train=x, nf_train=nf, ferplus_votes_train=v, ferplus_vote_columns=np.array(columns)
    )
    return np.arange(n)


@pytest.fixture
def tiny_sessions(tmp_path):
    rng = np.random.default_rng(1)
    data = tmp_path / "tiny.npz"
    index = tmp_path / "tune_index.npy"
    np.save(index, _tiny_dataset(data, rng))
    stub = BrightnessClassifier()
    kwargs = {"chains": 2, "seconds": 12.0, "invariance_chains": 1, "tune_index": index}
    return data, stub, kwargs


def test_sessions_from_made_up_faces_follow_their_timeline_through_the_camera(tiny_sessions):
    data, stub, kwargs = tiny_sessions
    sessions = build_sessions(data, classifier=stub, **kwargs)
    assert [s.kind for s in sessions.sessions] == ["chain", "chain", "neutral", "talking"]
    assert [s.base_fps for s in sessions.sessions] == [60, 30, 60, 60]
    assert sessions.info["pool_faces_per_class"] == {e.key: 6 for e in EMOTIONS}
    frames = sum(s.frame_count for s in sessions.sessions)
    assert sum(stub.calls) >= 2 * frames and set(stub.calls) == {64}  # face + mirror, fixed batches
    for session in sessions.sessions[:3]:  # talking mixes faces into mid-grey smiles
        times, probs = session.view(30)
        truth = session.truth(30)
        starts = np.array([seg.start_s for seg in session.segments])
        settled = (
            np.min(np.abs(times[:, None] - starts[None, 1:]), axis=1) > 0.35
            if len(starts) > 1
            else np.ones(len(times), bool)
        )
        # Bright (happy) faces read happy and dark ones sad through every camera change, so away
        # from the cross-fades the stub's top class says exactly whether the truth is happy.
        read_happy = np.argmax(probs, axis=1) == HAPPY
        assert np.array_equal(read_happy[settled], (truth == HAPPY)[settled]), session.name
        assert probs.dtype == np.float32 and np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_sessions_are_cached_in_memory_and_on_disk(tiny_sessions, monkeypatch):
    data, stub, kwargs = tiny_sessions
    first = build_sessions(data, classifier=stub, **kwargs)
    calls = len(stub.calls)
    assert build_sessions(data, classifier=stub, **kwargs) is first and len(stub.calls) == calls
    monkeypatch.setattr(mood_sessions, "_MEMORY", {})
    again = build_sessions(data, classifier=stub, **kwargs)
    assert again.info["cache"] == "disk" and len(stub.calls) == calls
    assert list(mood_sessions.cache_dir().glob("*.npz"))
    for a, b in zip(first.sessions, again.sessions, strict=True):
        assert a.segments == b.segments and np.array_equal(a.probabilities, b.probabilities)
    other = build_sessions(data, classifier=stub, **(kwargs | {"seed": 7}))
    assert len(stub.calls) > calls and other.sessions[0].segments != first.sessions[0].segments


def test_score_filter_replays_the_tracker_and_checks_frame_rates(tiny_sessions):
    data, stub, kwargs = tiny_sessions
    sessions = build_sessions(data, classifier=stub, **kwargs)
    report = score_filter(sessions, {}, invariance=((10, 60),))
    assert report["sessions"] == {"chain": 2, "neutral": 1, "talking": 1}
    assert 0.0 <= report["shown"]["time_right"] <= 1.0 and report["shown"]["segments"] > 0
    assert report["invariance"]["10_vs_60"]["sessions"] == 3
    # The stub reads every non-happy face as sad, so the neutral session shows sad, not neutral.
    assert report["neutral_session"]["shown"]["non_neutral_share"] > 0.5
    assert json.loads(json.dumps(report)) == report
    text = format_report(report)
    assert "talking session (shown)" in text and "10 vs 60 fps" in text
    with pytest.raises(ValueError, match="no session"):
        score_filter(sessions, {}, fps=7)


def test_run_filter_reads_the_shown_and_the_music_mood():
    class Lagging:
        """Shows each frame's top class, music stays on the first; no mood on the first frame."""

        def __init__(self):
            self.first = None

        def update(self, p, t):
            mood = EMOTIONS[int(np.argmax(p))] if t > 0 else None
            self.first = self.first or mood
            return SimpleNamespace(mood=mood, music_mood=self.first)

    probs = np.eye(7, dtype=np.float32)[[HAPPY, HAPPY, SAD, SAD]]
    shown, music = run_filter(np.arange(4) / 30, probs, Lagging())
    assert shown.tolist() == [NO_MOOD, HAPPY, SAD, SAD] and music.tolist() == [
        NO_MOOD,
        HAPPY,
        HAPPY,
        HAPPY,
    ]
    # A snapshot without a music mood counts the shown mood as the music mood.
    plain = SimpleNamespace(update=lambda p, t: SimpleNamespace(mood=Emotion.FEAR))
    assert run_filter(np.arange(2) / 30, probs[:2], plain)[1].tolist() == [FEAR, FEAR]


def test_make_tracker_takes_config_overrides_and_rejects_unknown_ones():
    from emotune.mood import MoodConfig

    field = next(iter(MoodConfig.__dataclass_fields__))
    tracker, _ = make_tracker({field: getattr(MoodConfig(), field)}, class_prior=[1 / 7] * 7)
    clear_happy = np.full(7, 0.1 / 6)
    clear_happy[HAPPY] = 0.9
    shown, _ = run_filter(np.arange(150) / 30, np.tile(clear_happy, (150, 1)), tracker)
    assert shown[-1] == HAPPY  # five seconds of a clear smile win under any sane setting
    with pytest.raises(TypeError):
        make_tracker({"no_such_knob": 1.0})


# -- CLI hooks ---------------------------------------------------------------------------------


def test_bench_section_is_skipped_clearly_without_data(tmp_path, monkeypatch, capsys):
    from emotune.cli import main
    from emotune.vision import classifier as classifier_module

    monkeypatch.delenv("EMOTUNE_DATA", raising=False)
    fake = BrightnessClassifier()
    monkeypatch.setattr(
        classifier_module.EmotionClassifier,
        "load",
        classmethod(lambda cls, path=None, num_threads=1: fake),
    )
    assert (
        main(["bench", "--json", "--sections", "mood_sequences", "--data", "/nonexistent.npz"]) == 0
    )
    section = json.loads(capsys.readouterr().out)["mood_sequences"]
    assert "skipped" in section and "--data" in section["skipped"]
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, something=np.zeros(3))
    assert main(["bench", "--json", "--sections", "mood_sequences", "--data", str(wrong)]) == 0
    assert "not a FER2013" in json.loads(capsys.readouterr().out)["mood_sequences"]["error"]


def test_a_file_that_is_not_the_data_set_gets_a_one_line_error(tmp_path, capsys):
    from emotune.cli import main

    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, something=np.zeros(3))
    with pytest.raises(ValueError, match="not a FER2013"):
        load_tuning_faces(wrong, np.arange(2))
    assert main(["evaluate", "--sequences", "--data", str(wrong)]) == 1
    err = capsys.readouterr().err
    assert "not a FER2013" in err and "Traceback" not in err


def test_evaluate_sequences_prints_the_benchmark_for_the_model(tmp_path, monkeypatch, capsys):
    from emotune.cli import main
    from emotune.devtools import mood_benchmark

    assert main(["evaluate", "--sequences", "--data", str(tmp_path / "missing.npz")]) == 1
    assert "not found" in capsys.readouterr().err
    data = tmp_path / "data.npz"
    data.write_bytes(b"")
    seen = {}

    def fake_report(data_path, **kwargs):
        seen.update(kwargs, data=data_path)
        return {"shown": {"time_right": 0.5}}

    monkeypatch.setattr(mood_benchmark, "benchmark_report", fake_report)
    assert main(["evaluate", "--sequences", "--data", str(data), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"shown": {"time_right": 0.5}}
    assert seen["data"] == str(data) and str(seen["model"]).endswith("emotion.tflite")
