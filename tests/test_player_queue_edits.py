"""Editing the queue by hand: remove, move, play next, clear; the DJ keeps the listener's tracks."""

from __future__ import annotations

import pytest
from player_support import spread_library, track

from emotune.emotions import Emotion
from emotune.music.choose.dj import USER_REASON, MoodDJ
from emotune.music.playback.backends import NullBackend
from emotune.music.playback.queue import PlayQueue, QueueEntry
from emotune.settings import Settings


def _names(entries) -> list[str]:
    return [e.track.path.stem for e in entries]


def _queue(n: int = 5) -> PlayQueue:
    return PlayQueue([track(f"/m/{i}.ogg") for i in range(n)])


@pytest.fixture
def dj(tmp_path) -> MoodDJ:
    settings = Settings(tmp_path / "settings.json")
    return MoodDJ(NullBackend(check_files=False), spread_library(49), settings=settings, seed=3)


# -- PlayQueue -------------------------------------------------------------------------------


def test_remove_takes_out_just_that_entry():
    queue = _queue()
    target = queue.upcoming[2]
    assert queue.remove(target.id) is target
    assert _names(queue.upcoming) == ["0", "1", "3", "4"]
    assert queue.remove(target.id) is None  # already gone


def test_move_reorders_and_marks_the_entry_as_the_users():
    queue = _queue()
    last = queue.upcoming[4]
    assert queue.move(last.id, 1)
    assert _names(queue.upcoming) == ["0", "4", "1", "2", "3"]
    moved = queue.upcoming[1]
    assert moved.id == last.id and moved.user
    assert queue.move(queue.upcoming[0].id, 99)  # clamped to the end
    assert _names(queue.upcoming) == ["4", "1", "2", "3", "0"]
    assert not queue.move(123456789, 0)


def test_replace_planned_keeps_user_entries_in_their_slots():
    queue = PlayQueue()
    planned = [QueueEntry(track(f"/m/p{i}.ogg")) for i in range(4)]
    mine = QueueEntry(track("/m/mine.ogg"), USER_REASON, user=True)
    queue.extend(planned)
    queue.insert(2, [mine])
    queue.replace_planned(track(f"/m/new{i}.ogg") for i in range(4))
    assert _names(queue.upcoming) == ["new0", "new1", "mine", "new2", "new3"]
    assert queue.upcoming[2] is mine


# -- the DJ ----------------------------------------------------------------------------------


def test_play_next_moves_a_planned_track_to_the_front(dj):
    dj.set_mood(Emotion.HAPPY)
    dj.play()
    upcoming = dj.snapshot().upcoming
    third = upcoming[2]
    assert dj.play_next(third.id)
    now = dj.snapshot().upcoming
    assert now[0].id == third.id and now[0].user
    dj.next()
    assert dj.snapshot().current.id == third.id


def test_remove_and_move_through_the_dj(dj):
    dj.set_mood(Emotion.SAD)
    before = dj.plan_preview()
    assert dj.remove(before[1].id)
    assert [e.id for e in dj.snapshot().upcoming] == [e.id for e in before if e.id != before[1].id]
    assert dj.move(before[0].id, 2)
    assert [e.id for e in dj.snapshot().upcoming][2] == before[0].id
    assert not dj.remove(before[1].id)


def test_user_tracks_stay_when_the_dj_replans(dj):
    dj.set_mood(Emotion.HAPPY)
    dj.play()
    mine = track("/elsewhere/my-song.mp3", emotion=Emotion.ANGRY)
    (entry,) = dj.enqueue([mine], play_next=True)
    planned = dj.snapshot().upcoming
    moved = planned[3]
    dj.move(moved.id, 2)  # a DJ pick the listener moved is the listener's now
    layout = [(e.id, e.user) for e in dj.snapshot().upcoming]
    dj.set_mood(Emotion.SAD)  # far away: a full re-plan
    after = dj.snapshot().upcoming
    assert after[0].id == entry.id and after[0].user and after[0].reason == USER_REASON
    assert after[2].id == moved.id and after[2].user
    # Every other slot holds a new pick for the new mood; the user's entries were not duplicated.
    others = [e for e in after if not e.user]
    old_planned = {i for i, user in layout if not user}
    assert others and not {e.id for e in others} & old_planned
    assert len(after) == dj.lookahead
    assert [e.id for e in after].count(entry.id) == 1
    dj.strategy = "lift"  # a strategy change re-plans too
    assert dj.snapshot().upcoming[0].id == entry.id


def test_enqueue_goes_after_the_users_tracks_and_before_the_djs(dj):
    dj.set_mood(Emotion.NEUTRAL)
    dj.plan_preview()
    a, b = track("/x/a.mp3"), track("/x/b.mp3")
    dj.enqueue([a])
    dj.enqueue([b])
    upcoming = dj.snapshot().upcoming
    assert _names(upcoming[:2]) == ["a", "b"]
    assert all(e.user for e in upcoming[:2]) and not any(e.user for e in upcoming[2:])
    c = track("/x/c.mp3")
    dj.enqueue([c], play_next=True)
    assert _names(dj.snapshot().upcoming[:3]) == ["c", "a", "b"]


def test_play_now_plays_the_track_at_once(dj):
    dj.set_mood(Emotion.NEUTRAL)
    dj.play()
    first = dj.snapshot().current
    mine = track("/x/now.mp3")
    dj.play_now(mine)
    snap = dj.snapshot()
    assert snap.current.track.path == mine.path and snap.current.user
    assert dj.backend.current == mine.path
    assert snap.history[-1].id == first.id


def test_clear_upcoming_forgets_everything_and_the_dj_plans_afresh(dj):
    dj.set_mood(Emotion.HAPPY)
    dj.play()
    dj.enqueue([track("/x/mine.mp3")])
    before = {e.id for e in dj.snapshot().upcoming}
    current = dj.snapshot().current
    dj.clear_upcoming()
    after = dj.snapshot().upcoming
    assert after and not {e.id for e in after} & before
    assert not any(e.user for e in after)
    assert dj.snapshot().current is current  # the playing track is never cut
