"""MoodTracker: the forward filter, its two speeds, and the uncertain / no-face / camera-lost states."""

from __future__ import annotations

import numpy as np
import pytest

from emotune.emotions import NUM_CLASSES, Emotion
from emotune.mood import (
    TRAINING_CLASS_PRIOR,
    MoodConfig,
    MoodEventKind,
    MoodState,
    MoodTracker,
    frame_evidence,
)

PRIOR = np.asarray(TRAINING_CLASS_PRIOR)


def dist(
    main: Emotion, p: float = 0.9, second: Emotion | None = None, q: float = 0.0
) -> np.ndarray:
    """``p`` on ``main``, ``q`` on ``second``, the rest spread as a trained network spreads it
    (in proportion to the training prior)."""
    out = np.zeros(NUM_CLASSES)
    out[main.value] = p
    if second is not None:
        out[second.value] = q
    rest = PRIOR.copy()
    rest[out > 0] = 0.0
    out += (1.0 - out.sum()) * rest / rest.sum()
    return out


def feed(tracker: MoodTracker, probs, start: float, stop: float, fps: float = 30.0) -> float:
    """Feed ``probs`` (array or None) at ``fps`` from ``start`` up to ``stop``; returns the next time."""
    n = round((stop - start) * fps)
    for i in range(n):
        tracker.update(probs, start + i / fps)
    return start + n / fps


def changes(
    tracker: MoodTracker, kind=MoodEventKind.MOOD_CHANGED
) -> list[tuple[float, Emotion | None, Emotion | None]]:
    return [(e.timestamp, e.old, e.new) for e in tracker.events if e.kind is kind]


def settled(
    emotion: Emotion = Emotion.NEUTRAL, seconds: float = 20.0, **config
) -> tuple[MoodTracker, float]:
    """A tracker that has watched a clear ``emotion`` face for ``seconds``."""
    tracker = MoodTracker(MoodConfig(**config))
    return tracker, feed(tracker, dist(emotion, 0.85), 0.0, seconds)


def test_a_clear_expression_wins_within_about_a_second_however_long_the_old_one_lasted():
    for before in (5.0, 60.0):
        tracker, t = settled(Emotion.NEUTRAL, before)
        assert tracker.mood is Emotion.NEUTRAL
        feed(tracker, dist(Emotion.HAPPY, 0.9), t, t + 3.0)
        (when, old, new), *_ = changes(tracker)[1:]
        assert (old, new) == (Emotion.NEUTRAL, Emotion.HAPPY)
        assert when - t <= 1.0


def test_the_first_mood_comes_quickly_and_the_music_starts_with_it():
    tracker = MoodTracker()
    feed(tracker, dist(Emotion.SAD, 0.9), 0.0, 2.0)
    ((when, old, new),) = changes(tracker)
    assert old is None and new is Emotion.SAD and when <= 1.0
    assert changes(tracker, MoodEventKind.MUSIC_MOOD_CHANGED) == [(when, None, Emotion.SAD)]


def test_an_ambiguous_stream_never_declares_and_never_moves_a_declared_mood():
    # Neutral 0.28 against fear 0.26: the network cannot tell; that must carry no evidence.
    ambiguous = dist(Emotion.NEUTRAL, 0.28, Emotion.FEAR, 0.26)
    tracker = MoodTracker()
    feed(tracker, ambiguous, 0.0, 120.0)
    assert tracker.mood is None and tracker.state is MoodState.STARTING
    tracker, t = settled(Emotion.NEUTRAL, 10.0)
    before = tracker.probabilities
    feed(tracker, ambiguous, t, t + 120.0)
    assert tracker.mood is Emotion.NEUTRAL and tracker.switches == 0
    # Without evidence the belief only relaxes towards the at-a-desk prior, never towards fear.
    prior_fear = MoodConfig().mood_prior[Emotion.FEAR.value]
    assert (
        before[Emotion.FEAR.value] < tracker.probabilities[Emotion.FEAR.value] <= prior_fear + 1e-6
    )
    assert tracker.snapshot().leader is Emotion.NEUTRAL


def test_the_same_session_at_10_and_60_fps_gives_the_same_timeline():
    script = [
        (Emotion.NEUTRAL, 0.8, 4.0),
        (Emotion.HAPPY, 0.9, 6.0),
        (Emotion.NEUTRAL, 0.7, 5.0),
        (Emotion.SAD, 0.6, 8.0),
        (Emotion.SURPRISE, 0.85, 3.0),
        (Emotion.NEUTRAL, 0.8, 6.0),
    ]

    def timeline(fps: float, kind: MoodEventKind) -> list[tuple[float, Emotion | None]]:
        tracker, t = MoodTracker(), 0.0
        for emotion, p, seconds in script:
            t = feed(tracker, dist(emotion, p), t, t + seconds, fps)
        return [(when, new) for when, _, new in changes(tracker, kind)]

    for kind in (MoodEventKind.MOOD_CHANGED, MoodEventKind.MUSIC_MOOD_CHANGED):
        slow, fast = timeline(10.0, kind), timeline(60.0, kind)
        assert [m for _, m in slow] == [m for _, m in fast] and len(slow) >= 4
        assert max(abs(a - b) for (a, _), (b, _) in zip(slow, fast, strict=True)) <= 0.2


def test_the_music_follows_only_after_the_shown_mood_held():
    tracker, t = settled(Emotion.SAD, 10.0, music_hold_s=3.0)
    assert tracker.music_mood is Emotion.SAD
    # A 2-second smile shows, but the music stays.
    t = feed(tracker, dist(Emotion.HAPPY, 0.9), t, t + 2.0)
    assert tracker.mood is Emotion.HAPPY and tracker.music_mood is Emotion.SAD
    assert 1.0 < tracker.snapshot().music_in_s <= 3.0
    t = feed(tracker, dist(Emotion.SAD, 0.9), t, t + 5.0)
    assert (
        tracker.music_mood is Emotion.SAD
        and changes(tracker, MoodEventKind.MUSIC_MOOD_CHANGED)[-1][2] is Emotion.SAD
    )
    # A smile that holds moves the music, hold seconds after it showed.
    start = t
    feed(tracker, dist(Emotion.HAPPY, 0.9), t, t + 6.0)
    shown = [when for when, _, new in changes(tracker) if new is Emotion.HAPPY and when >= start][0]
    followed = [
        when for when, _, new in changes(tracker, MoodEventKind.MUSIC_MOOD_CHANGED) if when >= start
    ]
    assert len(followed) == 1 and followed[0] - shown == pytest.approx(3.0, abs=0.05)
    assert tracker.snapshot().music_in_s is None


def test_the_prior_is_divided_out_so_a_class_said_often_is_not_favoured():
    # Happy is the most common training label: a frame at happy 0.30 / sad 0.30 favours sad.
    evidence = frame_evidence(
        dist(Emotion.HAPPY, 0.45, Emotion.SAD, 0.05), PRIOR, 0.2, MoodConfig()
    )
    assert evidence[Emotion.HAPPY.value] > evidence[Emotion.SAD.value]
    tied = dist(Emotion.HAPPY, 0.4, Emotion.SAD, 0.4)
    tied[Emotion.HAPPY.value] += 0.1
    tied[Emotion.SAD.value] -= 0.1  # happy ahead 0.5 / 0.3: clear enough to count
    evidence = frame_evidence(tied / tied.sum(), PRIOR, 0.2, MoodConfig())
    ratio = (0.5 / PRIOR[Emotion.HAPPY.value]) / (0.3 / PRIOR[Emotion.SAD.value])
    assert (evidence[Emotion.HAPPY.value] > evidence[Emotion.SAD.value]) == (ratio > 1)


def test_a_shipped_class_prior_is_used_and_checked():
    with pytest.raises(ValueError):
        MoodTracker(class_prior=[0.5, 0.5])
    with pytest.raises(ValueError):
        MoodTracker(class_prior=[0.0] * NUM_CLASSES)
    tracker = MoodTracker(class_prior=[2.0] * NUM_CLASSES)
    assert tracker.class_prior == pytest.approx(np.full(NUM_CLASSES, 1 / NUM_CLASSES))


def test_a_spread_belief_is_uncertain_and_keeps_both_moods():
    tracker, t = settled(Emotion.HAPPY, 10.0)
    got = []
    tracker.subscribe(got.append)
    # Sad creeping in on weak frames: the belief passes through a split before sad is sure, and
    # the state says "uncertain" while it is split.
    t = feed(tracker, dist(Emotion.SAD, 0.5, Emotion.HAPPY, 0.3), t, t + 30.0)
    kinds = [e.kind for e in got]
    assert MoodEventKind.UNCERTAIN in kinds and MoodEventKind.MOOD_CHANGED in kinds
    assert kinds.index(MoodEventKind.UNCERTAIN) < kinds.index(MoodEventKind.MOOD_CHANGED)
    assert tracker.mood is Emotion.SAD
    # Whenever the state said tracking, the leader was the shown mood.
    feed(tracker, dist(Emotion.SAD, 0.9), t, t + 3.0)
    assert tracker.mood is Emotion.SAD and tracker.state is MoodState.TRACKING
    for event in tracker.events:
        if event.snapshot.state is MoodState.TRACKING:
            assert event.snapshot.leader is event.snapshot.mood


def test_no_face_keeps_the_moods_and_a_long_absence_eases_back_to_the_prior():
    tracker, t = settled(Emotion.SAD, 10.0)
    got = []
    tracker.subscribe(got.append)
    t = feed(tracker, None, t, t + 1.0)
    assert tracker.state is MoodState.TRACKING  # a few missed detections are ignored
    t = feed(tracker, None, t, t + 60.0)
    assert tracker.state is MoodState.NO_FACE and [e.kind for e in got] == [MoodEventKind.NO_FACE]
    assert tracker.mood is Emotion.SAD and tracker.music_mood is Emotion.SAD
    # A minute later the belief has moved towards someone-at-a-desk, so a neutral face wins fast.
    assert tracker.snapshot().leader is Emotion.NEUTRAL
    feed(tracker, dist(Emotion.NEUTRAL, 0.85), t, t + 1.0)
    assert tracker.mood is Emotion.NEUTRAL


def test_no_face_from_the_start():
    tracker = MoodTracker()
    feed(tracker, None, 0.0, 2.0)
    assert tracker.state is MoodState.NO_FACE and tracker.mood is None
    assert not tracker.probabilities.any()


def test_camera_lost_event_then_recovery():
    tracker = MoodTracker()
    got = []
    tracker.subscribe(got.append)
    t = feed(tracker, dist(Emotion.SAD), 0.0, 2.0)
    tracker.camera_lost(t)
    tracker.camera_lost(t + 0.5)
    assert tracker.state is MoodState.CAMERA_LOST
    feed(tracker, dist(Emotion.SAD), t + 5.0, t + 6.0)
    kinds = [e.kind for e in got]
    assert kinds == [
        MoodEventKind.MOOD_CHANGED,
        MoodEventKind.MUSIC_MOOD_CHANGED,
        MoodEventKind.CAMERA_LOST,
        MoodEventKind.TRACKING,
    ]
    assert tracker.mood is Emotion.SAD


def test_listener_errors_do_not_break_tracking_and_unsubscribe_works():
    tracker = MoodTracker()

    def broken(event):
        raise RuntimeError("observer bug")

    good = []
    tracker.subscribe(broken)
    unsubscribe = tracker.subscribe(good.append, [MoodEventKind.MOOD_CHANGED])
    feed(tracker, dist(Emotion.HAPPY), 0.0, 2.0)
    assert len(good) == 1 and good[0].new is Emotion.HAPPY
    assert good[0].confidence >= MoodConfig().declare_at
    unsubscribe()
    tracker.reset()
    feed(tracker, dist(Emotion.HAPPY), 0.0, 2.0)
    assert len(good) == 1


def test_noisy_steady_stream_never_switches():
    rng = np.random.default_rng(3)
    tracker = MoodTracker()
    base = np.log(dist(Emotion.HAPPY, 0.5, Emotion.NEUTRAL, 0.3))
    flips = 0
    for i in range(30 * 60):  # 60 s at 30 fps
        p = np.exp(base + rng.normal(0, 0.6, NUM_CLASSES))
        p /= p.sum()
        flips += int(np.argmax(p)) != Emotion.HAPPY.value
        tracker.update(p, i / 30.0)
    assert flips > 300  # the raw stream really is jumpy
    # A faint smile may first read as the at-a-desk neutral; once happy is shown, it stays.
    moods = [new for _, _, new in changes(tracker)]
    assert moods[-1] is Emotion.HAPPY and moods.count(Emotion.HAPPY) == 1 and len(moods) <= 2
    assert changes(tracker)[-1][0] < 10.0


def test_bad_input_and_settings_are_rejected_and_time_going_backwards_is_harmless():
    tracker = MoodTracker()
    with pytest.raises(ValueError):
        tracker.update([0.5, 0.5], 0.0)
    with pytest.raises(ValueError):
        tracker.update([np.nan] * NUM_CLASSES, 0.0)
    for bad in (
        {"declare_at": 1.5},
        {"music_hold_s": -1.0},
        {"music_hold_s": float("nan")},
        {"evidence_time_s": 0.0},
    ):
        with pytest.raises(ValueError):
            MoodConfig(**bad)
    feed(tracker, dist(Emotion.HAPPY), 5.0, 6.0)
    before = tracker.probabilities
    tracker.update(dist(Emotion.SAD), 4.0)  # clock jumped back: zero-length step, no change
    assert np.allclose(tracker.probabilities, before)


def test_snapshot_is_json_friendly():
    tracker = MoodTracker()
    feed(tracker, dist(Emotion.HAPPY), 0.0, 2.0)
    snap = tracker.snapshot()
    data = snap.as_dict()
    assert data["mood"] == "happy" and data["music_mood"] == "happy" and data["state"] == "tracking"
    assert set(data["probabilities"]) == {e.key for e in Emotion}
    valence, arousal = snap.valence_arousal
    assert valence > 0.3
