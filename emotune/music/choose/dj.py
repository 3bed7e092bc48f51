"""The mood-to-music policy: the :class:`MoodDJ` turns moods into a playing queue, gently.

Rules it keeps:

* A new mood re-plans only the *upcoming* tracks; the track that is playing is never cut
  (the mood tracker can change its mind ten times a song - the listener should not hear it).
  Tiny wobbles of a (valence, arousal) mood below ``replan_threshold`` re-plan nothing.
* A manual override (the emoji buttons) pins a mood until released or for a set time;
  camera moods keep arriving meanwhile and take over again when the pin ends.
* The strategy and volume are remembered between runs in :class:`emotune.settings.Settings`.
* The queue always holds ``lookahead`` upcoming tracks, topped up at each track boundary,
  continuing the strategy's path (``lift`` moves one step per track).

Events (``dj.connect(name, fn)``) - those of :class:`~emotune.music.playback.queue_player.QueuePlayer`
(``now_playing(entry)``, ``track_ended(entry)``, ``skipped(skip)``, ``queue_changed()``,
``finished()``, ``position(seconds, duration)``, ``player_error(message)``) plus:

``mood_changed(mood, pinned)``  the mood the queue follows changed (a :class:`Mood`)
``strategy_changed(name)``
``volume_changed(volume)``
``notice(note)``                something the listener should know (a recommender :class:`Note`,
                                whose ``kind`` says e.g. that a mood has no tracks at all)

Threading: every public method is safe to call from any thread (the GUI thread) while the
backend's events arrive on its own thread. One re-entrant guard serialises all state; events
are emitted after it is released, on the thread whose action caused them (the backend's
event thread for track changes, the caller's thread for mood/strategy/volume changes).
Nothing here touches Qt: the GUI re-emits these as queued Qt signals.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from emotune.emotions import Emotion
from emotune.music.choose.recommender import Mood, Note, Recommender, check_strategy
from emotune.music.library.track import Track
from emotune.music.playback.backends.base import PlayerBackend, PlayerState
from emotune.music.playback.events import Emitter, EventGuard
from emotune.music.playback.queue import PlayQueue, QueueEntry, RepeatMode
from emotune.music.playback.queue_player import EVENTS as PLAYER_EVENTS
from emotune.music.playback.queue_player import QueuePlayer
from emotune.settings import Setting, Settings

DJ_EVENTS: tuple[str, ...] = ("mood_changed", "strategy_changed", "volume_changed", "notice")
EVENTS: tuple[str, ...] = PLAYER_EVENTS + DJ_EVENTS
"""Every event name :meth:`MoodDJ.connect` accepts."""


class DJEvent(str, Enum):
    """The names in :data:`EVENTS` as an enum, for callers outside ``music`` (the GUI's bridge).

    A ``str`` enum, so a member is accepted wherever the event name is (``dj.connect``).
    """

    NOW_PLAYING = "now_playing"
    TRACK_ENDED = "track_ended"
    SKIPPED = "skipped"
    QUEUE_CHANGED = "queue_changed"
    FINISHED = "finished"
    POSITION = "position"
    PLAYER_ERROR = "player_error"
    MOOD_CHANGED = "mood_changed"
    STRATEGY_CHANGED = "strategy_changed"
    VOLUME_CHANGED = "volume_changed"
    NOTICE = "notice"


USER_REASON = "added by you"
"""The reason shown for a track the listener queued by hand."""

DEFAULT_MOOD = Mood.of(Emotion.NEUTRAL)
"""What the DJ plays for before any mood has been seen."""

MoodLike = Mood | Emotion | str | tuple[float, float]


@dataclass(frozen=True)
class DJState:
    """A consistent snapshot for the UI (taken under the DJ's lock)."""

    mood: Mood | None
    pinned: bool
    pin_remaining: float | None  # seconds until the pin ends; None if pinned until released
    strategy: str
    volume: int
    player_state: PlayerState
    current: QueueEntry | None
    upcoming: list[QueueEntry]
    history: list[QueueEntry]  # most recent last
    skipped: list[tuple[Path, str]]
    notes: list[Note] = field(default_factory=list)
    position: float = 0.0
    duration: float | None = None


class MoodDJ:
    """Owns the backend, the queue and the recommender, and follows the listener's mood.

    ``strategy`` given here applies to this session only; setting :attr:`strategy` later
    saves it. ``settings=None`` uses the user's settings file; pass ``persist=False`` to
    read it but never write (scripts, tests).
    """

    def __init__(
        self,
        backend: PlayerBackend,
        tracks: Iterable[Track] = (),
        *,
        settings: Settings | None = None,
        strategy: str | None = None,
        seed: int | None = None,
        lookahead: int = 5,
        no_repeat: int = 10,
        replan_threshold: float = 0.15,
        persist: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.guard = EventGuard()
        self.events = Emitter(DJ_EVENTS)
        self.settings = settings if settings is not None else Settings()
        self.persist = persist
        self.lookahead = max(1, lookahead)
        self.replan_threshold = replan_threshold
        self._clock = clock
        self.recommender = Recommender(tracks, seed=seed, no_repeat=no_repeat)
        self.queue = PlayQueue(seed=seed)
        self.player = QueuePlayer(backend, self.queue, refill=self._top_up, guard=self.guard)
        self.backend = backend
        # The schema checks saved values (a hand-edited file falls back to the defaults).
        saved = self.settings.get(Setting.STRATEGY)
        self._strategy = check_strategy(strategy) if strategy else saved
        backend.volume = self.settings.get(Setting.VOLUME)
        self._camera_mood: Mood | None = None
        self._pin: Mood | None = None
        self._pin_until: float | None = None
        self._plan_mood: Mood | None = None  # the mood the upcoming tracks were chosen for
        self._next_step = 1  # path step of the next track to plan
        self._notes: list[Note] = []

    @classmethod
    def create(
        cls,
        tracks: Iterable[Track] = (),
        *,
        backend: str = "auto",
        backend_options: dict | None = None,
        **options: object,
    ) -> MoodDJ:
        """Build the backend (``"auto"``, ``"vlc"`` or ``"null"``) and a DJ around it.

        ``MoodDJ.create(tracks)`` is what the GUI wants: VLC when libvlc is installed, else a
        silent real-time stand-in. ``options`` are the constructor's keyword arguments.
        """
        from emotune.music.playback.backends import create_backend

        return cls(create_backend(backend, **(backend_options or {})), tracks, **options)  # type: ignore[arg-type]

    # -- events ---------------------------------------------------------------------------

    def connect(self, event: str, listener: Callable[..., object]) -> Callable[[], None]:
        """Subscribe to any event in :data:`EVENTS`; returns a disconnect function."""
        if event in PLAYER_EVENTS:
            return self.player.connect(event, listener)
        return self.events.connect(event, listener)

    def _defer(self, name: str, *args: object) -> None:
        self.guard.defer(self.events, name, *args)

    # -- mood -----------------------------------------------------------------------------

    def set_mood(self, mood: MoodLike) -> None:
        """The latest detected mood (from the camera/mood tracker). Never cuts the playing track."""
        with self.guard:
            self._camera_mood = Mood.of(mood)
            self._follow()

    def pin_mood(self, mood: MoodLike, seconds: float | None = None) -> None:
        """Manual override: follow ``mood`` for ``seconds`` (or until :meth:`release_pin`)."""
        with self.guard:
            self._pin = Mood.of(mood)
            self._pin_until = None if seconds is None else self._clock() + max(0.0, seconds)
            self._follow()

    def release_pin(self) -> None:
        """End a manual override; the camera's latest mood takes over (if there is one)."""
        with self.guard:
            self._pin, self._pin_until = None, None
            self._follow()

    def tick(self) -> None:
        """Expire a timed pin now. Optional: expiry is also checked on every mood and track change."""
        with self.guard:
            self._follow()

    @property
    def mood(self) -> Mood | None:
        """The mood the DJ follows now (the pin if any, else the camera's)."""
        with self.guard:
            self._expire_pin()
            return self._pin or self._camera_mood

    @property
    def pinned(self) -> bool:
        """True while a manual override is in force."""
        with self.guard:
            self._expire_pin()
            return self._pin is not None

    def _expire_pin(self) -> None:
        if (
            self._pin is not None
            and self._pin_until is not None
            and self._clock() >= self._pin_until
        ):
            self._pin, self._pin_until = None, None

    def _follow(self) -> None:
        """Re-plan the upcoming tracks if the effective mood really moved. Guard held."""
        self._expire_pin()
        mood = self._pin or self._camera_mood
        if mood is None or not self._moved(mood):
            return
        self._replan(mood)
        self._defer("mood_changed", mood, self._pin is not None)

    def _moved(self, mood: Mood) -> bool:
        old = self._plan_mood
        if old is None or old.label != mood.label:
            return True
        return (
            math.hypot(old.valence - mood.valence, old.arousal - mood.arousal)
            > self.replan_threshold
        )

    # -- planning (guard held) ------------------------------------------------------------

    def _replan(self, mood: Mood) -> None:
        """Plan the upcoming tracks afresh; the current track and every track the listener
        placed stay where they are, and the new picks fill the slots around them."""
        self._plan_mood = mood
        self._next_step = 1
        self._notes = []
        kept = [entry.track.path for entry in self.queue.upcoming if entry.user]
        entries = self._plan(max(0, self.lookahead - len(kept)), upcoming=kept)
        self.queue.replace_planned(entries)
        self.player.changed()

    def _top_up(self) -> None:
        """QueuePlayer's refill hook: keep ``lookahead`` tracks queued, following the path."""
        self._follow()  # a pin may have run out at this track boundary
        if self._plan_mood is None:
            self._plan_mood = self._pin or self._camera_mood or DEFAULT_MOOD
        missing = self.lookahead - len(self.queue)
        if missing > 0:
            self._extend(missing)

    def _extend(self, count: int) -> None:
        self.queue.extend(self._plan(count, upcoming=[e.track.path for e in self.queue.upcoming]))
        self.player.changed()

    def _plan(self, count: int, *, upcoming: list[Path]) -> list[QueueEntry]:
        """``count`` picks for the plan's mood, avoiding recent plays and ``upcoming`` paths."""
        assert self._plan_mood is not None
        window = self.recommender.repeat_window()
        recent = self.queue.recent_paths(window) + upcoming
        plan = self.recommender.plan(
            self._plan_mood,
            self._strategy,
            count,
            start_step=self._next_step,
            recent=recent,
            exclude=self.queue.broken,
        )
        self._next_step += len(plan.picks)
        for note in plan.notes:
            if note not in self._notes:  # say each thing once per mood, not once per top-up
                self._notes.append(note)
                self._defer("notice", note)
        return plan.entries()

    # -- queue edits (the listener's) ---------------------------------------------------------

    def enqueue(self, tracks: Iterable[Track], *, play_next: bool = False) -> list[QueueEntry]:
        """Queue ``tracks`` as the listener's own: first with ``play_next``, else after the other
        tracks the listener queued (before the DJ's picks). Returns the new entries."""
        entries = [QueueEntry(track, USER_REASON, user=True) for track in tracks]
        with self.guard:
            index = 0 if play_next else self.queue.last_user_index()
            self.queue.insert(index, entries)
            self.player.changed()
        return entries

    def play_now(self, track: Track) -> None:
        """Play ``track`` at once (the current track goes to the history)."""
        with self.guard:
            entry = QueueEntry(track, USER_REASON, user=True)
            self.queue.insert(0, [entry])
            self.player.jump_to(entry.id)

    def remove(self, entry_id: int) -> bool:
        """Take an upcoming entry out of the queue (the DJ tops up at the next track change)."""
        with self.guard:
            removed = self.queue.remove(entry_id) is not None
            if removed:
                self.player.changed()
            return removed

    def move(self, entry_id: int, to_index: int) -> bool:
        """Move an upcoming entry to ``to_index`` (0 = next); it becomes the listener's."""
        with self.guard:
            moved = self.queue.move(entry_id, to_index)
            if moved:
                self.player.changed()
            return moved

    def play_next(self, entry_id: int) -> bool:
        """Move an upcoming entry to the front; it becomes the listener's."""
        return self.move(entry_id, 0)

    def clear_upcoming(self) -> None:
        """Forget every upcoming entry, the listener's too; the DJ plans afresh."""
        with self.guard:
            self.queue.set_upcoming([])
            if self._plan_mood is not None:
                self._next_step = 1
                self._extend(self.lookahead)
            else:
                self.player.changed()

    # -- strategy, volume, library ---------------------------------------------------------

    @property
    def strategy(self) -> str:
        """``match``, ``lift`` or ``calm``. Setting it saves it and re-plans the upcoming tracks."""
        with self.guard:
            return self._strategy

    @strategy.setter
    def strategy(self, name: str) -> None:
        check_strategy(name)
        with self.guard:
            if self.persist:
                self.settings.set(Setting.STRATEGY, name)
            if name == self._strategy:
                return
            self._strategy = name
            if self._plan_mood is not None:
                self._replan(self._plan_mood)
            self._defer("strategy_changed", name)

    @property
    def volume(self) -> int:
        """Playback volume 0-100 (saved when set)."""
        return self.backend.volume

    @volume.setter
    def volume(self, value: int) -> None:
        with self.guard:
            before = self.backend.volume
            self.backend.volume = value
            if self.backend.volume == before:
                return
            # Saved on every change; a slider drag writes a few small files, which is fine.
            if self.persist:
                self.settings.set(Setting.VOLUME, self.backend.volume)
            self._defer("volume_changed", self.backend.volume)

    def set_tracks(self, tracks: Iterable[Track]) -> None:
        """Swap in a (re)scanned library and re-plan the upcoming tracks."""
        with self.guard:
            self.recommender.set_tracks(tracks)
            if self._plan_mood is not None:
                self._replan(self._plan_mood)

    def plan_preview(self, count: int | None = None) -> list[QueueEntry]:
        """Make sure the queue is planned (without playing) and return the upcoming entries."""
        with self.guard:
            self._top_up()
            if count is not None and count > len(self.queue):
                self._extend(count - len(self.queue))
            return self.queue.upcoming

    @property
    def notes(self) -> list[Note]:
        """Notes about the plan for the current mood (e.g. empty regions of the mood map)."""
        with self.guard:
            return list(self._notes)

    # -- transport ------------------------------------------------------------------------

    def play(self) -> None:
        """Start (planning for the current mood, or neutral if none yet) or resume."""
        self.player.play()

    def pause(self) -> None:
        """Pause the current track."""
        self.player.pause()

    def toggle(self) -> None:
        """Play/pause."""
        self.player.toggle()

    def stop(self) -> None:
        """Stop playback (the queue is kept)."""
        self.player.stop()

    def next(self) -> None:
        """Skip to the next track now (a deliberate cut, so it is allowed)."""
        self.player.next()

    def previous(self) -> None:
        """Restart the track, or go back one if it has only just started."""
        self.player.previous()

    def seek(self, seconds: float) -> None:
        """Jump within the current track."""
        self.player.seek(seconds)

    def jump_to(self, entry_id: int) -> bool:
        """Play the upcoming entry with this id now."""
        return self.player.jump_to(entry_id)

    @property
    def shuffle(self) -> bool:
        """Shuffle the upcoming tracks (breaks a lift/calm path's order - off by default)."""
        with self.guard:
            return self.queue.shuffle

    @shuffle.setter
    def shuffle(self, value: bool) -> None:
        with self.guard:
            self.queue.shuffle = value
            self.player.changed()

    @property
    def repeat(self) -> RepeatMode:
        """Repeat mode of the queue."""
        with self.guard:
            return self.queue.repeat

    @repeat.setter
    def repeat(self, mode: RepeatMode | str) -> None:
        with self.guard:
            self.queue.repeat = RepeatMode(mode)

    # -- reading --------------------------------------------------------------------------

    def snapshot(self, history: int = 20) -> DJState:
        """Everything the UI shows, read consistently."""
        with self.guard:
            self._expire_pin()
            remaining = None
            if self._pin is not None and self._pin_until is not None:
                remaining = max(0.0, self._pin_until - self._clock())
            return DJState(
                mood=self._pin or self._camera_mood,
                pinned=self._pin is not None,
                pin_remaining=remaining,
                strategy=self._strategy,
                volume=self.backend.volume,
                player_state=self.backend.state,
                current=self.queue.current,
                upcoming=self.queue.upcoming,
                history=self.queue.history[-history:] if history else [],
                skipped=[(s.track.path, s.reason) for s in self.queue.skipped],
                notes=list(self._notes),
                position=self.backend.position,
                duration=self.backend.duration,
            )

    def close(self) -> None:
        """Stop, detach from the backend and close it."""
        with self.guard:
            self.player.stop()
            self.player.close()
        self.backend.close()
