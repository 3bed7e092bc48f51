"""Tag table and mood writing: round trip in every format, nothing else touched, atomic on failure."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from music_helpers import FORMAT_RATES, audio_digest, make_audio, tag_lines

from emotune.emotions import Emotion
from emotune.music.library import tags as tags_module
from emotune.music.library.formats import AUDIO_EXTENSIONS, FORMATS, TEXT_FIELDS, ID3ByVersion
from emotune.music.library.tags import (
    CorruptFile,
    TagWriteError,
    UnsupportedFormat,
    read_tags,
    write_fields,
    write_mood,
)

ALL_EXTENSIONS = tuple(FORMAT_RATES)  # mp3 flac ogg opus m4a wav aiff
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if "emotune-tmp" in p.name]


def test_every_row_of_the_table_maps_every_field():
    names = {spec.name for spec in FORMATS.values()}
    assert {"mp3", "flac", "ogg", "opus", "m4a", "wav"} <= names
    for spec in FORMATS.values():
        assert set(spec.fields) == set(TEXT_FIELDS), spec.name
        assert spec.cover is not None
    assert {".mp3", ".flac", ".ogg", ".opus", ".m4a", ".wav"} <= AUDIO_EXTENSIONS


def test_mood_field_names_follow_the_conventions(tmp_path):
    expected = {
        ".mp3": "TMOO",
        ".wav": "TMOO",
        ".aiff": "TMOO",
        ".flac": "MOOD",
        ".ogg": "MOOD",
        ".opus": "MOOD",
        ".m4a": "----:com.apple.iTunes:MOOD",
    }
    for ext, field_name in expected.items():
        path = make_audio(tmp_path / f"x{ext}", seconds=0.3)
        assert write_mood(path, Emotion.HAPPY).mood_field == field_name


@pytest.mark.parametrize("ext", ALL_EXTENSIONS)
def test_mood_round_trip_keeps_other_tags_and_audio(tmp_path, ext):
    path = make_audio(tmp_path / f"song{ext}", seconds=1.5)
    write_fields(
        path,
        {
            "title": "Café del Mar ☕",
            "artist": "Ärtist",
            "album": "Älbum",
            "bpm": "128",
            "key": "F#m",
        },
        cover=(PNG, "image/png"),
    )
    before_tags = read_tags(path)
    before_lines = tag_lines(path)
    before_digest, before_samples = audio_digest(path)
    mode_before = os.stat(path).st_mode

    info = write_mood(path, "sad")
    assert info.mood == "Sad"
    after = read_tags(path)
    assert after.mood == "Sad"
    # every other field is exactly as before
    for name in ("title", "artist", "album", "bpm", "key", "has_cover", "format"):
        assert getattr(after, name) == getattr(before_tags, name), name
    assert after.duration == pytest.approx(before_tags.duration, abs=0.05)
    # the raw tags differ only by the mood entry
    added = tag_lines(path) - before_lines
    assert len(added) == 1, added
    (line,) = added
    assert "MOO" in line.upper() and "Sad" in line  # TMOO=Sad, MOOD=Sad, ...:MOOD=...'Sad'...
    assert before_lines <= tag_lines(path)
    # the encoded audio packets and the decoded samples are identical
    after_digest, after_samples = audio_digest(path)
    assert after_digest == before_digest
    assert np.array_equal(after_samples, before_samples)
    assert os.stat(path).st_mode == mode_before
    assert _leftovers(tmp_path) == []

    # change it, then clear it: back to the original tag set, audio still untouched
    assert write_mood(path, Emotion.ANGRY).mood == "Angry"
    cleared = write_mood(path, None)
    assert cleared.mood is None and read_tags(path).mood is None
    assert tag_lines(path) == before_lines
    assert audio_digest(path)[0] == before_digest


def test_id3v23_file_stays_v23_and_uses_txxx(tmp_path):
    from mutagen.id3 import TYER
    from mutagen.mp3 import MP3

    path = make_audio(tmp_path / "old.mp3", seconds=1.0)
    audio = MP3(path)
    audio.add_tags()
    audio.tags.add(TYER(encoding=1, text=["1999"]))
    audio.save(v2_version=3)
    write_fields(path, {"title": "Old School"})

    info = write_mood(path, "fear")
    assert info.mood_field == "TXXX:MOOD"
    audio = MP3(path)
    assert audio.tags.version[:2] == (2, 3)
    assert "TMOO" not in audio.tags
    assert [f.text for f in audio.tags.getall("TXXX")] == [["Fear"]]
    from mutagen.id3 import ID3

    raw = ID3(path, translate=False)  # the frames as stored, not mutagen's v2.4 view
    assert str(raw["TYER"]) == "1999" and "TDRC" not in raw  # year not upgraded to TDRC
    assert read_tags(path).mood == "Fear"


def test_v24_write_removes_a_stale_txxx_mood(tmp_path):
    from mutagen.id3 import TXXX
    from mutagen.mp3 import MP3

    path = make_audio(tmp_path / "both.mp3", seconds=0.5)
    audio = MP3(path)
    audio.add_tags()
    audio.tags.add(TXXX(encoding=3, desc="mood", text=["Gloomy"]))  # lower-case desc, as some tools
    audio.save()
    assert read_tags(path).mood == "Gloomy"  # read case-insensitively
    write_mood(path, "happy")
    audio = MP3(path)
    assert audio.tags.getall("TXXX") == []
    assert str(audio.tags["TMOO"]) == "Happy"
    assert isinstance(FORMATS[MP3].fields["mood"], ID3ByVersion)


def test_unknown_emotion_is_rejected_before_touching_the_file(tmp_path):
    path = make_audio(tmp_path / "a.flac", seconds=0.3)
    before = path.read_bytes()
    with pytest.raises(ValueError, match="unknown emotion"):
        write_mood(path, "hangry")
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("text.mp3", b"this is not audio, just text renamed to .mp3\n" * 20, CorruptFile),
        ("empty.flac", b"", CorruptFile),
        ("noise.ogg", os.urandom(4096), (CorruptFile, UnsupportedFormat)),
    ],
)
def test_corrupt_files_fail_clearly_and_stay_untouched(tmp_path, name, content, error):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(error) as excinfo:
        write_mood(path, "happy")
    assert str(excinfo.value)  # a message for the user
    assert path.read_bytes() == content
    assert _leftovers(tmp_path) == []


def test_failed_replace_leaves_original_and_no_temp_file(tmp_path, monkeypatch):
    path = make_audio(tmp_path / "keep.opus", seconds=0.5)
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tags_module.os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_mood(path, "happy")
    assert path.read_bytes() == before
    assert _leftovers(tmp_path) == []


def test_failed_save_becomes_a_tag_write_error(tmp_path, monkeypatch):
    path = make_audio(tmp_path / "keep.m4a", seconds=0.5)
    before = path.read_bytes()
    from mutagen.mp4 import MP4

    def broken_save(self, *args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(MP4, "save", broken_save)
    with pytest.raises(TagWriteError, match="disk on fire"):
        write_mood(path, "happy")
    assert path.read_bytes() == before
    assert _leftovers(tmp_path) == []


def test_symlink_is_followed_and_kept(tmp_path):
    real = make_audio(tmp_path / "real.wav", seconds=0.3)
    link = tmp_path / "link.wav"
    link.symlink_to(real)
    write_mood(link, "neutral")
    assert link.is_symlink()
    assert read_tags(real).mood == "Neutral"


def test_bpm_and_key_tags_are_read(tmp_path):
    path = make_audio(tmp_path / "k.m4a", seconds=0.5)
    write_fields(path, {"bpm": "127.6", "key": "Dm"})
    info = read_tags(path)
    assert info.bpm == 128  # MP4 stores whole BPM
    assert info.key == "Dm"
    junk = make_audio(tmp_path / "j.flac", seconds=0.3)
    write_fields(junk, {"bpm": "0"})
    assert read_tags(junk).bpm is None  # a 0 BPM tag is junk, not a tempo


def test_read_only_file_is_refused(tmp_path, monkeypatch):
    path = make_audio(tmp_path / "ro.ogg", seconds=0.3)
    before = path.read_bytes()
    real_access = os.access
    # (tests run as root, for whom os.access always says "writable"; ask as a user would)
    monkeypatch.setattr(
        tags_module.os,
        "access",
        lambda p, mode: False if Path(p) == path and mode == os.W_OK else real_access(p, mode),
    )
    with pytest.raises(TagWriteError, match="read-only"):
        write_mood(path, "sad")
    assert path.read_bytes() == before
