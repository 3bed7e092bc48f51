"""The DJ's mood-to-music policy: never cut the playing track, pins, memory, variety, threads."""

from __future__ import annotations

import itertools
import random
import threading
import time

import pytest
from player_support import Harness, Recorder, spread_library, track, write_tone

from emotune.emotions import Emotion
from emotune.music.choose.dj import EVENTS, MoodDJ
from emotune.music.choose.recommender import EMPTY_MOOD
from emotune.music.playback.backends import NullBackend, PlayerState
from emotune.settings import Settings

ALL = tuple(EVENTS)


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(tmp_path / "settings.json")


def _dj(tracks=None, *, settings=None, backend=None, **kw) -> MoodDJ:
    backend = backend or NullBackend(check_files=False)
    return MoodDJ(
        backend, tracks if tracks is not None else spread_library(36), settings=settings, **kw
    )


def test_ten_mood_changes_during_one_track_never_cut_it(settings):
    dj = _dj(settings=settings, seed=1)
    backend = dj.backend
    rec = Recorder(lambda: backend.now).attach(dj, ALL)
    dj.set_mood(Emotion.SAD)
    dj.play()
    backend.advance(1.0)
    first = dj.snapshot().current
    moods = itertools.islice(itertools.cycle([e for e in Emotion if e is not Emotion.SAD]), 10)
    for mood in moods:
        dj.set_mood(mood)
        backend.advance(15.0)  # 10 x 15 s = 150 s of a 200 s track
        assert dj.snapshot().current is first
        assert backend.current == first.track.path and backend.is_playing
    assert len(rec.of("mood_changed")) == 11  # sad + 10 changes, every one re-planned ...
    assert [a[0] for _, a in rec.of("now_playing")] == [first]  # ... none of them cut in
    assert rec.of("track_ended") == []
    upcoming = dj.snapshot().upcoming[0]
    backend.advance(backend.time_left())
    ((t_end, (ended,)),) = rec.of("track_ended")
    t_start = rec.of("now_playing")[0][0]
    assert ended is first and t_end - t_start == pytest.approx(first.track.duration)
    assert backend.position == pytest.approx(0.0)  # the next track just started
    assert dj.snapshot().current is upcoming  # planned for the latest mood
    assert upcoming.reason.startswith(f"{mood.key} → match")
    dj.close()


def test_ten_mood_changes_during_one_track_on_vlc(tmp_path, settings):
    harness = Harness("vlc")  # skips when libvlc is absent
    long = write_tone(tmp_path / "long.ogg", seconds=2.5)
    others = [write_tone(tmp_path / f"n{i}.wav", seconds=1.0, freq=300 + 50 * i) for i in range(12)]
    tracks = [track(long, emotion=Emotion.SAD)] + [
        track(p, emotion=e)
        for p, e in zip(
            others, itertools.cycle([e for e in Emotion if e is not Emotion.SAD]), strict=False
        )
    ]
    dj = MoodDJ(harness.backend, tracks, settings=settings, seed=0, lookahead=2)
    rec = Recorder(time.monotonic).attach(dj, ALL)
    dj.pin_mood(Emotion.SAD)  # the only sad track comes first
    dj.play()
    assert harness.wait_for(lambda: rec.of("now_playing"))
    first = rec.of("now_playing")[0][1][0]
    assert first.track.path == long
    dj.release_pin()
    for mood in itertools.islice(itertools.cycle(Emotion), 10):
        dj.set_mood(mood)
        time.sleep(0.1)
    assert [a[0] for _, a in rec.of("now_playing")] == [first]  # 1 s in, still the same track
    assert harness.wait_for(lambda: rec.of("track_ended"), timeout=10)
    assert rec.of("track_ended")[0][1][0] is first
    assert harness.wait_for(lambda: len(rec.of("now_playing")) >= 2, timeout=5)
    started_at, ended_at = rec.of("now_playing")[0][0], rec.of("track_ended")[0][0]
    assert ended_at - started_at > 2.0  # it played (almost) all of its 2.5 s
    dj.close()


def test_pin_overrides_camera_until_it_expires(settings):
    clock = FakeClock()
    dj = _dj(settings=settings, clock=clock, seed=2)
    rec = Recorder(clock).attach(dj, ("mood_changed",))
    dj.set_mood(Emotion.SAD)
    dj.pin_mood(Emotion.HAPPY, seconds=60)
    assert dj.mood.label == "happy" and dj.pinned
    dj.set_mood(Emotion.ANGRY)  # camera keeps talking; ignored while pinned
    assert dj.mood.label == "happy"
    assert all(e.reason.startswith("happy → ") for e in dj.snapshot().upcoming)
    assert dj.snapshot().pin_remaining == pytest.approx(60)
    clock.t += 61
    dj.tick()
    assert dj.mood.label == "angry" and not dj.pinned
    assert all(e.reason.startswith("angry → ") for e in dj.snapshot().upcoming)
    assert [(a[0].label, a[1]) for _, a in rec.of("mood_changed")] == [
        ("sad", False),
        ("happy", True),
        ("angry", False),
    ]


def test_pin_until_released(settings):
    dj = _dj(settings=settings)
    dj.set_mood(Emotion.NEUTRAL)
    dj.pin_mood("fear")
    dj.set_mood(Emotion.HAPPY)
    assert dj.mood.label == "fear" and dj.snapshot().pin_remaining is None
    dj.release_pin()
    assert dj.mood.label == "happy"


def test_pin_expiry_is_noticed_at_a_track_boundary(settings):
    clock = FakeClock()
    dj = _dj(spread_library(36, seconds=30), settings=settings, clock=clock, seed=4)
    dj.set_mood(Emotion.SAD)
    dj.pin_mood(Emotion.HAPPY, seconds=10)
    dj.play()
    clock.t += 11
    dj.backend.advance(30)  # no tick(): the track boundary checks the pin
    assert dj.snapshot().current.reason.startswith("sad → ")


def test_strategy_and_volume_are_remembered(settings):
    dj = _dj(settings=settings)
    assert dj.strategy == "match" and dj.volume == 80  # defaults
    dj.strategy = "lift"
    dj.volume = 42
    dj.close()
    again = _dj(settings=Settings(settings.path))
    assert again.strategy == "lift" and again.backend.volume == 42
    once = _dj(settings=Settings(settings.path), strategy="calm")  # a one-off, not saved
    assert once.strategy == "calm"
    assert Settings(settings.path).get("strategy") == "lift"
    with pytest.raises(ValueError):
        again.strategy = "random"


def test_strategy_change_replans_upcoming_only(settings):
    dj = _dj(settings=settings, seed=5)
    dj.set_mood(Emotion.SAD)
    dj.play()
    dj.backend.advance(1)
    current = dj.snapshot().current
    dj.strategy = "lift"
    snap = dj.snapshot()
    assert snap.current is current
    assert [e.reason.split(":")[0] for e in snap.upcoming[:4]] == [
        f"sad → lift, step {i}/4" for i in range(1, 5)
    ]


def test_lift_walks_one_step_per_played_track(settings):
    dj = _dj(spread_library(49, seconds=60), settings=settings, strategy="lift", seed=6)
    rec = Recorder(lambda: dj.backend.now).attach(dj, ("now_playing",))
    dj.set_mood(Emotion.SAD)
    dj.play()
    dj.backend.advance(6 * 60 - 1)
    reasons = [a[0].reason.split(":")[0] for _, a in rec.of("now_playing")]
    assert reasons == [f"sad → lift, step {i}/4" for i in range(1, 5)] + ["sad → lift, at goal"] * 2
    valences = [a[0].track.valence for _, a in rec.of("now_playing")]
    assert valences[3] > valences[0]


def test_no_repeat_within_last_10_plays(settings):
    dj = _dj(spread_library(30, seconds=20), settings=settings, seed=8)
    rec = Recorder(lambda: dj.backend.now).attach(dj, ("now_playing",))
    moods = itertools.cycle([Emotion.HAPPY, Emotion.SAD, Emotion.ANGRY, Emotion.NEUTRAL])
    dj.set_mood(next(moods))
    dj.play()
    for i in range(60):
        if i % 3 == 0:
            dj.set_mood(next(moods))
        dj.backend.advance(20)
    plays = [a[0].track.path for _, a in rec.of("now_playing")]
    assert len(plays) >= 60
    for i in range(len(plays)):
        window = plays[max(0, i - 10) : i + 1]
        assert len(set(window)) == len(window), f"repeat within the last 10 plays at {i}"


def test_broken_track_is_skipped_and_reported(settings):
    tracks = spread_library(16, seconds=10)
    broken = {t.path: "no audio stream" for t in tracks[:8]}
    backend = NullBackend(check_files=False, errors=broken)
    dj = _dj(tracks, settings=settings, backend=backend, seed=9)
    rec = Recorder(lambda: backend.now).attach(dj, ALL)
    dj.set_mood(Emotion.NEUTRAL)
    dj.play()
    backend.advance(80)
    assert {a[0].track.path for _, a in rec.of("skipped")} <= set(broken)
    assert all(a[0].reason == "no audio stream" for _, a in rec.of("skipped"))
    assert len(rec.of("track_ended")) == 8  # kept playing the good ones
    assert not ({a[0].track.path for _, a in rec.of("now_playing")} & set(broken))
    assert {p for p, _ in dj.snapshot().skipped} <= set(broken)


def test_empty_category_is_noticed_not_fatal(settings):
    tracks = [
        track(f"/m/calm{i}.ogg", valence=0.5, arousal=-0.5 + i / 50, duration=5) for i in range(6)
    ]
    dj = _dj(tracks, settings=settings)
    rec = Recorder(time.monotonic).attach(dj, ("notice",))
    dj.set_mood(Emotion.ANGRY)
    dj.play()
    dj.backend.advance(1)
    assert dj.snapshot().current is not None
    notices = [a[0] for _, a in rec.of("notice")]
    assert any(
        "No tracks tagged 'angry'" in note.text and note.kind == EMPTY_MOOD for note in notices
    )
    assert dj.notes


def test_small_wobbles_do_not_replan(settings):
    dj = _dj(settings=settings, seed=3)
    dj.set_mood((0.50, 0.50))
    ids = [e.id for e in dj.snapshot().upcoming]
    dj.set_mood((0.55, 0.47))
    assert [e.id for e in dj.snapshot().upcoming] == ids
    dj.set_mood((0.1, -0.6))
    assert [e.id for e in dj.snapshot().upcoming] != ids


def test_plays_with_no_mood_yet_and_with_an_empty_library(settings):
    dj = _dj(settings=settings)
    dj.play()
    dj.backend.advance(1)
    assert dj.snapshot().current.reason.startswith("neutral → ")
    empty = _dj([], settings=settings)
    rec = Recorder(time.monotonic).attach(empty, ALL)
    empty.set_mood(Emotion.SAD)
    empty.play()
    empty.backend.pump()
    assert "finished" in rec.names() and empty.snapshot().current is None


def test_gui_thread_and_player_thread_do_not_deadlock(settings):
    """Hammer the DJ from a 'GUI' thread while a real-time backend changes tracks."""
    backend = NullBackend(realtime=True, speed=200.0, check_files=False, position_interval=0.01)
    dj = _dj(spread_library(25, seconds=1.0), settings=settings, backend=backend, seed=11)
    rec = Recorder(time.monotonic).attach(dj, ALL)
    errors: list[BaseException] = []
    stop = threading.Event()

    def gui() -> None:
        rng = random.Random(0)
        try:
            while not stop.is_set():
                action = rng.random()
                if action < 0.6:
                    dj.set_mood(rng.choice(list(Emotion)))
                elif action < 0.7:
                    dj.pin_mood(rng.choice(list(Emotion)), seconds=0.01)
                elif action < 0.8:
                    dj.strategy = rng.choice(["match", "lift", "calm"])
                elif action < 0.85:
                    dj.volume = rng.randint(0, 100)
                else:
                    dj.snapshot()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    # A listener that calls back into the DJ, as a GUI slot might.
    dj.connect("now_playing", lambda entry: dj.snapshot())
    thread = threading.Thread(target=gui)
    dj.play()
    thread.start()
    deadline = time.monotonic() + 15
    while len(rec.of("track_ended")) < 40 and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    thread.join(5)
    assert not thread.is_alive(), "GUI thread stuck: deadlock"
    assert not errors, errors
    assert len(rec.of("track_ended")) >= 40
    dj.close()
    assert backend.state is PlayerState.EMPTY or not backend.is_playing
