"""The mood timeline CSV: written and read back unchanged; bad files get a clear message."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from emotune.emotions import EMOTIONS, Emotion
from emotune.mood import MoodState
from emotune.timeline_csv import (
    HEADER,
    TimelineCsvError,
    read_timeline_csv,
    write_timeline_csv,
)


@dataclass(frozen=True)
class Row:
    """What MoodSnapshot will offer (with ``music_mood``), for the writer."""

    timestamp: float
    mood: Emotion | None
    music_mood: Emotion | None
    state: MoodState
    probabilities: tuple[float, ...]


def _random_rows(count: int, seed: int = 5) -> list[Row]:
    rng = random.Random(seed)
    moods = [None, *EMOTIONS]
    rows = []
    for i in range(count):
        raw = [rng.random() for _ in EMOTIONS]
        total = sum(raw)
        rows.append(
            Row(
                timestamp=i / 30 + rng.random() * 1e-3,
                mood=rng.choice(moods),
                music_mood=rng.choice(moods),
                state=rng.choice(list(MoodState)),
                probabilities=tuple(p / total for p in raw),
            )
        )
    return rows


def test_round_trip_gives_back_exactly_the_rows(tmp_path):
    rows = _random_rows(200)
    path = tmp_path / "out" / "timeline.csv"
    assert write_timeline_csv(rows, path) == 200
    back = read_timeline_csv(path)
    assert len(back) == len(rows)
    for original, read in zip(rows, back, strict=True):
        assert read.timestamp == original.timestamp
        assert read.mood is original.mood
        assert read.music_mood is original.music_mood
        assert read.state is original.state
        assert read.probabilities == original.probabilities


def test_header_names_every_emotion_in_canonical_order(tmp_path):
    path = tmp_path / "t.csv"
    write_timeline_csv(_random_rows(1), path)
    first = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert first[:4] == ["time_s", "shown_mood", "music_mood", "state"]
    assert first[4:] == [f"p_{e.key}" for e in EMOTIONS]
    assert tuple(first) == HEADER


def test_no_reading_and_gui_modes_round_trip(tmp_path):
    @dataclass(frozen=True)
    class GuiRow:
        timestamp: float
        mood: Emotion | None
        music_mood: Emotion | None
        state: str
        probabilities: tuple[float, ...] | None

    path = tmp_path / "gui.csv"
    write_timeline_csv([GuiRow(1.5, None, Emotion.SAD, "manual", None)], path)
    (row,) = read_timeline_csv(path)
    assert row.state == "manual" and row.probabilities == () and row.music_mood is Emotion.SAD


def test_wrong_probability_count_is_refused_and_nothing_is_left_behind(tmp_path):
    bad = Row(0.0, None, None, MoodState.STARTING, (0.5, 0.5))
    path = tmp_path / "bad.csv"
    with pytest.raises(ValueError, match="expected 7 probabilities"):
        write_timeline_csv([bad], path)
    assert list(tmp_path.iterdir()) == []  # no partial file, no temp file


def test_a_file_that_is_not_a_timeline_gets_a_clear_error(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(TimelineCsvError, match="not an EmoTune timeline"):
        read_timeline_csv(path)
    write_timeline_csv([Row(0.0, Emotion.HAPPY, None, MoodState.TRACKING, (1 / 7,) * 7)], path)
    path.write_text(path.read_text(encoding="utf-8").replace(",happy,", ",elated,"), "utf-8")
    with pytest.raises(TimelineCsvError, match="line 2: unknown mood 'elated'"):
        read_timeline_csv(path)
