"""The play queue (pure data) and the queue player (queue + backend) on the null backend."""

from __future__ import annotations

import pytest
from player_support import Recorder, track

from emotune.music.playback.backends import NullBackend, PlayerState
from emotune.music.playback.queue import PlayQueue, QueueEntry, RepeatMode
from emotune.music.playback.queue_player import QueuePlayer

QP_EVENTS = ("now_playing", "track_ended", "skipped", "queue_changed", "finished")


def _tracks(n: int, seconds: float = 10.0) -> list:
    return [track(f"/m/{i}.ogg", duration=seconds) for i in range(n)]


def _names(entries) -> list[str]:
    return [e.track.path.stem for e in entries]


# -- PlayQueue ----------------------------------------------------------------------------


def test_next_previous_and_history():
    q = PlayQueue(_tracks(3))
    assert q.current is None and _names(q.upcoming) == ["0", "1", "2"]
    assert q.next().track.path.stem == "0"
    assert q.next().track.path.stem == "1"
    assert _names(q.history) == ["0"]
    assert q.previous().track.path.stem == "0"
    assert _names(q.upcoming) == ["1", "2"] and q.history == []
    q.next(), q.next(), q.next()
    assert q.current is None and _names(q.history) == ["0", "1", "2"]
    assert [p.stem for p in q.recent_paths(2)] == ["1", "2"]


def test_repeat_one_and_all():
    q = PlayQueue(_tracks(2))
    q.repeat = RepeatMode.ONE
    first = q.next()
    assert q.advance() is first  # natural end replays it
    assert q.next().track.path.stem == "1"  # a manual skip still moves on
    q.repeat = RepeatMode.ALL
    assert q.advance().track.path.stem == "0"  # wrapped round
    assert q.advance().track.path.stem == "1"
    q.repeat = RepeatMode.OFF
    assert q.advance() is None


def test_shuffle_is_seeded_and_keeps_every_entry():
    a, b = PlayQueue(_tracks(10), seed=5), PlayQueue(_tracks(10), seed=5)
    a.shuffle = b.shuffle = True
    assert _names(a.upcoming) == _names(b.upcoming)
    assert sorted(_names(a.upcoming), key=int) == [str(i) for i in range(10)]
    assert _names(a.upcoming) != [str(i) for i in range(10)]


def test_skip_broken_records_reason_and_carries_on():
    tracks = _tracks(3)
    q = PlayQueue([tracks[0], tracks[1], tracks[0], tracks[2]])
    q.next()
    skip, nxt = q.skip_broken("no audio stream")
    assert skip.track is tracks[0] and skip.reason == "no audio stream"
    assert nxt.track is tracks[1]
    assert _names(q.upcoming) == ["2"]  # the other copy of the broken file is gone too
    assert q.history == []  # it never played
    q.extend([tracks[0]])
    assert _names(q.upcoming) == ["2"]  # and it is not queued again
    q.repeat = RepeatMode.ALL
    q.next(), q.next()
    assert "0" not in _names([q.current])


def test_jump_to_and_entries_keep_reasons():
    entries = [QueueEntry(t, f"because {i}") for i, t in enumerate(_tracks(4))]
    q = PlayQueue(entries)
    q.next()
    assert q.jump_to(entries[2].id) is entries[2]
    assert _names(q.upcoming) == ["3"] and _names(q.history) == ["0"]
    assert q.current.reason == "because 2"
    assert q.jump_to(12345) is None


# -- QueuePlayer --------------------------------------------------------------------------


@pytest.fixture
def backend():
    b = NullBackend(check_files=False)
    yield b
    b.close()


def test_queue_player_plays_everything_then_finishes(backend):
    player = QueuePlayer(backend, PlayQueue(_tracks(3, seconds=10)))
    rec = Recorder(lambda: backend.now).attach(player, QP_EVENTS)
    player.play()
    backend.advance(29.9)
    assert [a[0].track.path.stem for _, a in rec.of("now_playing")] == ["0", "1", "2"]
    assert "finished" not in rec.names()
    backend.advance(0.2)
    assert [t for t, _ in rec.of("track_ended")] == pytest.approx([10.0, 20.0, 30.0])
    assert rec.names()[-1] == "finished"
    assert backend.state is PlayerState.STOPPED
    assert not player.active


def test_manual_next_cuts_and_previous_restarts_or_goes_back(backend):
    player = QueuePlayer(backend, PlayQueue(_tracks(3)))
    player.play()
    backend.advance(4)
    player.next()
    backend.pump()
    assert player.current.track.path.stem == "1" and backend.position == 0
    backend.advance(5)
    player.previous()  # 5 s in: restart this one
    assert player.current.track.path.stem == "1" and backend.position == 0
    backend.advance(1)
    player.previous()  # 1 s in: go back
    backend.pump()
    assert player.current.track.path.stem == "0" and backend.is_playing


def test_pause_resume_stop(backend):
    player = QueuePlayer(backend, PlayQueue(_tracks(2)))
    rec = Recorder(lambda: backend.now).attach(player, QP_EVENTS)
    player.play()
    backend.advance(3)
    player.toggle()
    assert player.paused
    backend.advance(100)
    assert backend.position == pytest.approx(3)
    player.toggle()
    backend.advance(1)
    assert backend.position == pytest.approx(4)
    player.stop()
    assert not player.active
    player.play()  # starts the current track again from the top
    backend.pump()
    assert backend.position == 0 and player.current.track.path.stem == "0"
    assert [a[0].track.path.stem for _, a in rec.of("now_playing")] == ["0", "0"]


def test_broken_files_are_skipped_with_reasons(backend):
    tracks = _tracks(4)
    bad = {tracks[1].path: "corrupt header", tracks[2].path: "no audio stream"}
    b = NullBackend(check_files=False, errors=bad)
    player = QueuePlayer(b, PlayQueue(tracks))
    rec = Recorder(lambda: b.now).attach(player, QP_EVENTS)
    player.play()
    b.advance(25)
    skipped = [(a[0].track.path, a[0].reason) for _, a in rec.of("skipped")]
    assert skipped == [(tracks[1].path, "corrupt header"), (tracks[2].path, "no audio stream")]
    assert [a[0].track.path.stem for _, a in rec.of("track_ended")] == ["0", "3"]
    assert rec.names()[-1] == "finished"


def test_a_queue_of_only_broken_files_finishes(backend):
    tracks = _tracks(200)
    b = NullBackend(check_files=False, errors={t.path: "bad" for t in tracks})
    player = QueuePlayer(b, PlayQueue(tracks))
    rec = Recorder(lambda: b.now).attach(player, QP_EVENTS)
    player.play()
    b.pump()  # 200 errors in a row: handled iteratively, no recursion blow-up
    assert len(rec.of("skipped")) == 200 and rec.names()[-1] == "finished"


def test_jump_to_plays_that_entry(backend):
    player = QueuePlayer(backend, PlayQueue(_tracks(4)))
    player.play()
    target = player.queue.upcoming[1]
    assert player.jump_to(target.id)
    backend.pump()
    assert player.current is target and backend.current == target.track.path


def test_backend_level_error_stops_instead_of_skipping_everything(backend):
    player = QueuePlayer(backend, PlayQueue(_tracks(5)))
    rec = Recorder(lambda: backend.now).attach(player, (*QP_EVENTS, "player_error"))
    player.play()
    backend.advance(1)
    current = player.current
    backend._emit("error", None, "no sound output")  # what VLC reports for a dead device
    backend.pump()
    assert rec.of("player_error") == [(1.0, ("no sound output",))]
    assert rec.of("skipped") == [] and not player.active
    assert player.current is current  # play() retries the same track
