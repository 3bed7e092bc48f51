"""The play queue: what is playing, what comes next, what has played.

A plain data structure with no threads and no lock of its own - its owner (the queue player,
or the DJ through it) guards it. Skipping a broken file records a :class:`Skip` with the
reason and moves on, so one bad file never stops the music; the owner reports it as an event.
"""

from __future__ import annotations

import itertools
import random
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path

from emotune.music.library.track import Track

_ids = itertools.count(1)


@dataclass(frozen=True)
class QueueEntry:
    """One queued play of a track, with the one-line reason it was chosen."""

    track: Track
    reason: str = ""
    id: int = field(default_factory=lambda: next(_ids))  # stable handle for UIs
    user: bool = False  # the listener put it there: the DJ's re-plans keep it in its place


@dataclass(frozen=True)
class Skip:
    """A queued file that could not be played, and why."""

    track: Track
    reason: str


class RepeatMode(str, Enum):
    """What happens at the end of a track or of the queue."""

    OFF = "off"
    ONE = "one"  # play the current track again
    ALL = "all"  # when the queue runs out, play what it played again


class PlayQueue:
    """Now playing, upcoming and history, with next/previous, shuffle and repeat.

    ``history`` keeps the most recent ``history_limit`` entries (oldest first). Paths that
    failed are remembered in ``broken`` and never come round again on repeat.
    """

    def __init__(
        self,
        entries: Iterable[QueueEntry | Track] = (),
        *,
        history_limit: int = 500,
        seed: int | None = None,
    ) -> None:
        self.current: QueueEntry | None = None
        self._upcoming: list[QueueEntry] = []
        self._history: deque[QueueEntry] = deque(maxlen=history_limit)
        # What played since the queue last wrapped, for repeat-all; bounded like history.
        self._cycle: deque[QueueEntry] = deque(maxlen=history_limit)
        self.skipped: list[Skip] = []
        self.broken: set[Path] = set()
        self.repeat = RepeatMode.OFF
        self._shuffle = False
        self._rng = random.Random(seed)
        self.extend(entries)

    # -- reading --------------------------------------------------------------------------

    @property
    def upcoming(self) -> list[QueueEntry]:
        """A copy of the entries still to play, next first."""
        return list(self._upcoming)

    @property
    def history(self) -> list[QueueEntry]:
        """A copy of the played entries, oldest first."""
        return list(self._history)

    def recent_paths(self, count: int) -> list[Path]:
        """Paths of the last ``count`` plays including the current one, most recent last."""
        if count <= 0:
            return []
        played = [entry.track.path for entry in self._history]
        if self.current is not None:
            played.append(self.current.track.path)
        return played[-count:]

    def __len__(self) -> int:
        return len(self._upcoming)

    # -- editing --------------------------------------------------------------------------

    @property
    def shuffle(self) -> bool:
        """Whether upcoming entries are played in random order."""
        return self._shuffle

    @shuffle.setter
    def shuffle(self, value: bool) -> None:
        self._shuffle = bool(value)
        if self._shuffle:
            self._rng.shuffle(self._upcoming)

    def extend(self, entries: Iterable[QueueEntry | Track]) -> None:
        """Add entries (or bare tracks) at the end; with shuffle on, they land at random places."""
        for item in entries:
            entry = item if isinstance(item, QueueEntry) else QueueEntry(item)
            if entry.track.path in self.broken:
                continue
            if self._shuffle and self._upcoming:
                self._upcoming.insert(self._rng.randint(0, len(self._upcoming)), entry)
            else:
                self._upcoming.append(entry)

    def set_upcoming(self, entries: Iterable[QueueEntry | Track]) -> None:
        """Replace everything after the current entry (the current one is untouched)."""
        self._upcoming.clear()
        self.extend(entries)

    def index_of(self, entry_id: int) -> int | None:
        """Where the upcoming entry ``entry_id`` is (0 = next), or ``None``."""
        for index, entry in enumerate(self._upcoming):
            if entry.id == entry_id:
                return index
        return None

    def insert(self, index: int, entries: Iterable[QueueEntry]) -> None:
        """Put ``entries`` at ``index`` of upcoming (clamped), in order; broken files are left out."""
        index = max(0, min(int(index), len(self._upcoming)))
        fresh = [entry for entry in entries if entry.track.path not in self.broken]
        self._upcoming[index:index] = fresh

    def remove(self, entry_id: int) -> QueueEntry | None:
        """Take the upcoming entry ``entry_id`` out; returns it (``None`` if absent)."""
        index = self.index_of(entry_id)
        return None if index is None else self._upcoming.pop(index)

    def move(self, entry_id: int, to_index: int) -> bool:
        """Move the upcoming entry ``entry_id`` to ``to_index`` (clamped); it becomes the user's."""
        entry = self.remove(entry_id)
        if entry is None:
            return False
        self.insert(to_index, [replace(entry, user=True)])
        return True

    def last_user_index(self) -> int:
        """One past the last user-placed upcoming entry (0 when there is none)."""
        for index in range(len(self._upcoming) - 1, -1, -1):
            if self._upcoming[index].user:
                return index + 1
        return 0

    def replace_planned(self, entries: Iterable[QueueEntry | Track]) -> None:
        """Swap the planned (not user-placed) upcoming entries for ``entries``; every user-placed
        entry keeps its place, and the new entries fill the slots around them."""
        kept = [(index, entry) for index, entry in enumerate(self._upcoming) if entry.user]
        self._upcoming.clear()
        self.extend(entries)
        for index, entry in kept:
            self._upcoming.insert(min(index, len(self._upcoming)), entry)

    def clear(self) -> None:
        """Forget the current and upcoming entries (history stays)."""
        self.current = None
        self._upcoming.clear()
        self._cycle.clear()

    # -- moving ---------------------------------------------------------------------------

    def advance(self) -> QueueEntry | None:
        """The current entry finished naturally: honour repeat and return the new current."""
        if self.repeat is RepeatMode.ONE and self.current is not None:
            return self.current
        return self.next()

    def next(self) -> QueueEntry | None:
        """Move on (user skip or end of track, ignoring repeat-one); ``None`` at the end."""
        self._retire_current()
        if not self._upcoming and self.repeat is RepeatMode.ALL and self._cycle:
            # Fresh entries (new ids) with the same reasons: the UI sees a new lap, not old rows.
            self.extend(
                QueueEntry(entry.track, entry.reason, user=entry.user) for entry in self._cycle
            )
            self._cycle.clear()
        self.current = self._upcoming.pop(0) if self._upcoming else None
        return self.current

    def previous(self) -> QueueEntry | None:
        """Go back one: the current entry returns to the front of upcoming."""
        if not self._history:
            return self.current
        if self.current is not None:
            self._upcoming.insert(0, self.current)
        self.current = self._history.pop()
        if self._cycle and self._cycle[-1] is self.current:
            self._cycle.pop()
        return self.current

    def jump_to(self, entry_id: int) -> QueueEntry | None:
        """Make the upcoming entry ``entry_id`` current, dropping those before it; ``None`` if absent."""
        for index, entry in enumerate(self._upcoming):
            if entry.id == entry_id:
                self._retire_current()
                del self._upcoming[: index + 1]
                self.current = entry
                return entry
        return None

    def skip_broken(self, reason: str) -> tuple[Skip | None, QueueEntry | None]:
        """The current file cannot be played: record why, drop its other copies, move on.

        Returns the :class:`Skip` record (``None`` if nothing was current) and the new current
        entry. The broken entry does not go into history (it never played).
        """
        entry = self.current
        if entry is None:
            return None, self.next()
        skip = Skip(entry.track, reason)
        self.skipped.append(skip)
        self.broken.add(entry.track.path)
        self._upcoming = [e for e in self._upcoming if e.track.path != entry.track.path]
        self.current = None
        return skip, self.next()

    def _retire_current(self) -> None:
        if self.current is not None:
            self._history.append(self.current)
            self._cycle.append(self.current)
            self.current = None
