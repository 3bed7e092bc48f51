"""The mood timeline as CSV: one row per reading, the same columns from the GUI and the CLI.

Columns: ``time_s``, ``shown_mood``, ``music_mood``, ``state`` and one ``p_<emotion>`` per
emotion in canonical order. Moods are emotion keys (empty when there is none), ``state`` is a
:class:`~emotune.mood.MoodState` value or a :class:`TimelineMode` value (the GUI's own modes,
``manual`` and ``off``), probabilities are empty cells when nothing was read (camera off). Numbers are
written with ``repr`` so a file read back gives exactly the rows that were written.

No Qt here: ``emotune detect VIDEO --csv FILE`` writes the same file as File ▸ Export.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from emotune.emotions import EMOTIONS, Emotion
from emotune.mood import MoodState

HEADER: tuple[str, ...] = (
    "time_s",
    "shown_mood",
    "music_mood",
    "state",
    *(f"p_{emotion.key}" for emotion in EMOTIONS),
)
"""The CSV's first line."""


class TimelineMode(Enum):
    """The GUI's timeline states beyond :class:`MoodState`."""

    MANUAL = "manual"  # a mood pinned by hand
    OFF = "off"  # the camera is off


class TimelineRowLike(Protocol):
    """What :func:`write_timeline_csv` reads from each row (MoodSnapshot has all of it)."""

    timestamp: float
    mood: Emotion | None
    music_mood: Emotion | None
    state: Any  # MoodState or TimelineMode (a plain string is written as is)
    probabilities: tuple[float, ...] | None


@dataclass(frozen=True)
class TimelineRow:
    """One row read back from a timeline CSV."""

    timestamp: float
    mood: Emotion | None
    music_mood: Emotion | None
    state: MoodState | str  # a MoodState when the value is one, else the GUI's mode text
    probabilities: tuple[float, ...]  # empty when nothing was read


class TimelineCsvError(ValueError):
    """The file is not a timeline CSV this version can read (the message says why)."""


def _mood_text(mood: Emotion | None) -> str:
    return "" if mood is None else mood.key


def _state_text(state: Any) -> str:
    return str(getattr(state, "value", state))


def format_row(row: TimelineRowLike) -> list[str]:
    """The CSV cells of one row."""
    probabilities = tuple(getattr(row, "probabilities", None) or ())
    if probabilities and len(probabilities) != len(EMOTIONS):
        raise ValueError(f"expected {len(EMOTIONS)} probabilities, got {len(probabilities)}")
    cells = [repr(float(p)) for p in probabilities] or [""] * len(EMOTIONS)
    music = getattr(row, "music_mood", None)
    return [
        repr(float(row.timestamp)),
        _mood_text(row.mood),
        _mood_text(music),
        _state_text(row.state),
        *cells,
    ]


def write_timeline_csv(rows: Iterable[TimelineRowLike], path: Path | str) -> int:
    """Write ``rows`` to ``path`` (atomically: a crash never leaves half a file); returns the count."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}-", suffix=".tmp", dir=target.parent)
    count = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            for row in rows:
                writer.writerow(format_row(row))
                count += 1
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


def _parse_mood(text: str, line: int) -> Emotion | None:
    if not text:
        return None
    try:
        return Emotion.parse(text)
    except (KeyError, ValueError) as error:
        raise TimelineCsvError(f"line {line}: unknown mood {text!r}") from error


def _parse_state(text: str) -> MoodState | str:
    try:
        return MoodState(text)
    except ValueError:
        return text


def read_timeline_csv(path: Path | str) -> list[TimelineRow]:
    """Read a file written by :func:`write_timeline_csv`."""
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or tuple(header) != HEADER:
            raise TimelineCsvError(f"{path}: not an EmoTune timeline (first line {header!r})")
        rows = []
        for line, cells in enumerate(reader, start=2):
            if len(cells) != len(HEADER):
                raise TimelineCsvError(f"line {line}: {len(cells)} cells, expected {len(HEADER)}")
            try:
                timestamp = float(cells[0])
                probabilities = tuple(float(c) for c in cells[4:]) if any(cells[4:]) else ()
            except ValueError as error:
                raise TimelineCsvError(f"line {line}: {error}") from error
            rows.append(
                TimelineRow(
                    timestamp,
                    _parse_mood(cells[1], line),
                    _parse_mood(cells[2], line),
                    _parse_state(cells[3]),
                    probabilities,
                )
            )
    return rows
