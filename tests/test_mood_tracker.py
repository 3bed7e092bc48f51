"""MoodTracker: time-based smoothing, dwell, hysteresis, uncertain / no-face / camera-lost states."""

from __future__ import annotations

import numpy as np
import pytest

from emotune.emotions import NUM_CLASSES, Emotion
from emotune.mood import MoodConfig, MoodEventKind, MoodState, MoodTracker


def dist(main: Emotion, p: float = 0.8, second: Emotion | None = None, q: float = 0.0) -> np.ndarray:
    """A distribution with ``p`` on ``main``, ``q`` on ``second`` and the rest spread evenly."""
    out = np.zeros(NUM_CLASSES)
    out[main.value] = p
    if second is not None:
        out[second.value] = q
    rest = [i for i in range(NUM_CLASSES) if out[i] == 0]
    out[rest] = (1.0 - out.sum()) / len(rest)
    return out


def feed(tracker: MoodTracker, probs, start: float, stop: float, fps: float = 10.0) -> float:
    """Feed ``probs`` (array or None) at ``fps`` from ``start`` up to ``stop``; returns the next time."""
    t = start
    while t < stop - 1e-9:
        tracker.update(probs, t)
        t = round(t + 1.0 / fps, 6)
    return t


def changes(tracker: MoodTracker) -> list[tuple[float, Emotion | None, Emotion | None]]:
    return [(e.timestamp, e.old, e.new) for e in tracker.events if e.kind is MoodEventKind.MOOD_CHANGED]


def test_first_mood_is_declared_after_the_initial_dwell():
    tracker = MoodTracker(MoodConfig(initial_dwell_s=1.0))
    feed(tracker, dist(Emotion.HAPPY), 0.0, 0.95)
    assert tracker.mood is None and tracker.state is MoodState.STARTING
    feed(tracker, dist(Emotion.HAPPY), 0.95, 1.2)
    assert tracker.mood is Emotion.HAPPY
    assert tracker.state is MoodState.TRACKING
    # Declared on the first frame at least 1 s after the first clear one (frames at 0.95, 1.05).
    assert changes(tracker) == [(pytest.approx(1.05), None, Emotion.HAPPY)]
    assert tracker.switches == 0  # declaring the first mood is not a switch


def test_a_new_mood_must_lead_for_the_dwell_time():
    tracker = MoodTracker(MoodConfig(dwell_s=3.0, time_constant_s=0.5))
    t = feed(tracker, dist(Emotion.HAPPY), 0.0, 5.0)
    change_at = t
    # Sad for 2.5 s: leads after ~0.5 s of smoothing, but not for 3 s yet.
    t = feed(tracker, dist(Emotion.SAD), t, change_at + 2.5)
    assert tracker.mood is Emotion.HAPPY
    t = feed(tracker, dist(Emotion.SAD), t, change_at + 6.0)
    assert tracker.mood is Emotion.SAD
    switch_time = changes(tracker)[-1][0]
    assert 3.0 <= switch_time - change_at <= 4.0
    assert tracker.switches == 1


def test_brief_expressions_do_not_switch_the_mood():
    tracker = MoodTracker()
    t = feed(tracker, dist(Emotion.NEUTRAL), 0.0, 5.0)
    for _ in range(5):  # 2-second bursts of surprise, separated by neutral
        t = feed(tracker, dist(Emotion.SURPRISE, 0.9), t, t + 2.0)
        t = feed(tracker, dist(Emotion.NEUTRAL), t, t + 1.0)
    assert tracker.mood is Emotion.NEUTRAL
    assert tracker.switches == 0


def test_smoothing_is_time_based_not_frame_based():
    def final(fps: float) -> np.ndarray:
        tracker = MoodTracker(MoodConfig(time_constant_s=1.0))
        t = feed(tracker, dist(Emotion.HAPPY), 0.0, 2.0, fps)
        feed(tracker, dist(Emotion.SAD), t, 2.6, fps)
        return tracker.probabilities

    # At 5 and at 25 fps the sad evidence spans 0.6 s (last happy frame to last sad frame).
    slow, fast = final(5.0), final(25.0)
    assert abs(slow[Emotion.SAD.value] - fast[Emotion.SAD.value]) < 1e-6
    start = dist(Emotion.HAPPY)[Emotion.SAD.value]
    expected = start + (1 - np.exp(-0.6)) * (0.8 - start)
    assert fast[Emotion.SAD.value] == pytest.approx(expected, abs=1e-6)
    # Counting frames instead of seconds would have given 25 fps five times the updates.
    per_frame = start + (1 - (1 - (1 - np.exp(-0.2))) ** 15) * (0.8 - start)
    assert abs(fast[Emotion.SAD.value] - per_frame) > 0.2


def test_hysteresis_needs_a_margin_over_the_current_mood():
    tracker = MoodTracker(MoodConfig(switch_margin=0.1, min_margin=0.0, min_confidence=0.3, dwell_s=1.0))
    t = feed(tracker, dist(Emotion.HAPPY), 0.0, 3.0)
    # Neutral edges ahead by 0.04 only: it leads, but not by the switch margin.
    t = feed(tracker, dist(Emotion.NEUTRAL, 0.47, Emotion.HAPPY, 0.43), t, t + 10.0)
    assert tracker.mood is Emotion.HAPPY
    feed(tracker, dist(Emotion.NEUTRAL, 0.6, Emotion.HAPPY, 0.3), t, t + 5.0)
    assert tracker.mood is Emotion.NEUTRAL


def test_unclear_readings_become_uncertain_and_keep_the_mood():
    tracker = MoodTracker(MoodConfig(uncertain_after_s=1.0))
    seen = []
    tracker.subscribe(seen.append, kinds=[MoodEventKind.UNCERTAIN, MoodEventKind.TRACKING])
    t = feed(tracker, dist(Emotion.HAPPY), 0.0, 3.0)
    flat = np.full(NUM_CLASSES, 1.0 / NUM_CLASSES)
    t = feed(tracker, flat, t, t + 4.0)
    assert tracker.state is MoodState.UNCERTAIN
    assert tracker.mood is Emotion.HAPPY
    feed(tracker, dist(Emotion.HAPPY), t, t + 3.0)
    assert tracker.state is MoodState.TRACKING
    assert [e.kind for e in seen] == [MoodEventKind.UNCERTAIN, MoodEventKind.TRACKING]
    assert seen[0].old is Emotion.HAPPY and seen[0].new is Emotion.HAPPY


def test_no_face_state_keeps_the_mood_and_resets_the_challenger():
    tracker = MoodTracker(MoodConfig(no_face_after_s=1.5, dwell_s=3.0))
    t = feed(tracker, dist(Emotion.HAPPY), 0.0, 3.0)
    t = feed(tracker, dist(Emotion.SAD), t, t + 2.0)  # sad leads, but not for 3 s yet
    t = feed(tracker, None, t, t + 1.0)
    assert tracker.state is MoodState.TRACKING  # a second of missed detections is ignored
    t = feed(tracker, None, t, t + 10.0)
    assert tracker.state is MoodState.NO_FACE
    assert tracker.mood is Emotion.HAPPY
    no_face_events = [e for e in tracker.events if e.kind is MoodEventKind.NO_FACE]
    assert len(no_face_events) == 1  # fired once on entering, not every frame
    # Sad again for 2 s: the race restarted, so still happy.
    feed(tracker, dist(Emotion.SAD), t, t + 2.0)
    assert tracker.mood is Emotion.HAPPY
    assert tracker.state is MoodState.TRACKING


def test_no_face_from_the_start():
    tracker = MoodTracker()
    feed(tracker, None, 0.0, 3.0)
    assert tracker.state is MoodState.NO_FACE and tracker.mood is None


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
    assert kinds == [MoodEventKind.MOOD_CHANGED, MoodEventKind.CAMERA_LOST, MoodEventKind.TRACKING]
    assert tracker.mood is Emotion.SAD


def test_listener_errors_do_not_break_tracking_and_unsubscribe_works():
    tracker = MoodTracker()

    def broken(event):
        raise RuntimeError("observer bug")

    good = []
    tracker.subscribe(broken)
    unsubscribe = tracker.subscribe(good.append)
    feed(tracker, dist(Emotion.HAPPY), 0.0, 2.0)
    assert len(good) == 1 and good[0].new is Emotion.HAPPY
    assert good[0].confidence == pytest.approx(0.8, abs=0.01)
    unsubscribe()
    tracker.reset()
    feed(tracker, dist(Emotion.HAPPY), 0.0, 2.0)
    assert len(good) == 1


def test_noisy_steady_stream_never_switches():
    rng = np.random.default_rng(3)
    tracker = MoodTracker()
    base = np.log(dist(Emotion.HAPPY, 0.5, Emotion.NEUTRAL, 0.3))
    flips = 0
    for i in range(30 * 15):  # 30 s at 15 fps
        p = np.exp(base + rng.normal(0, 0.6, NUM_CLASSES))
        p /= p.sum()
        flips += int(np.argmax(p)) != Emotion.HAPPY.value
        tracker.update(p, i / 15.0)
    assert flips > 50  # the raw stream really is jumpy
    assert tracker.mood is Emotion.HAPPY
    assert tracker.switches == 0


def test_bad_input_is_rejected_and_time_going_backwards_is_harmless():
    tracker = MoodTracker()
    with pytest.raises(ValueError):
        tracker.update([0.5, 0.5], 0.0)
    with pytest.raises(ValueError):
        tracker.update([np.nan] * NUM_CLASSES, 0.0)
    tracker.update(dist(Emotion.HAPPY), 5.0)
    before = tracker.probabilities
    tracker.update(dist(Emotion.SAD), 4.0)  # clock jumped back: zero-length step, no change
    assert np.allclose(tracker.probabilities, before)


def test_snapshot_is_json_friendly():
    tracker = MoodTracker()
    feed(tracker, dist(Emotion.HAPPY), 0.0, 2.0)
    snap = tracker.snapshot()
    data = snap.as_dict()
    assert data["mood"] == "happy" and data["state"] == "tracking"
    assert set(data["probabilities"]) == {e.key for e in Emotion}
    valence, arousal = snap.valence_arousal
    assert valence > 0.3
