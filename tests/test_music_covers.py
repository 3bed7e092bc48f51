"""Covers are a field of the tag table: written and read back through it in every format."""

from __future__ import annotations

import pytest
from music_helpers import FORMAT_RATES, make_audio

from emotune.music.library.formats import FORMATS
from emotune.music.library.tags import read_cover, write_fields

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
EXTENSIONS = tuple(FORMAT_RATES)  # one file of every format in the table


def test_the_files_cover_every_row_of_the_table():
    covered = {spec.name for spec in FORMATS.values() if set(spec.extensions) & set(EXTENSIONS)}
    assert covered == {spec.name for spec in FORMATS.values()}


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_a_written_cover_reads_back_byte_for_byte(tmp_path, ext):
    path = make_audio(tmp_path / f"song{ext}", seconds=0.3)
    assert read_cover(path) is None
    write_fields(path, {"title": "x"}, cover=(PNG, "image/png"))
    assert read_cover(path) == PNG


def test_no_cover_for_what_is_not_audio(tmp_path):
    text = tmp_path / "notes.mp3"
    text.write_text("not audio")
    assert read_cover(text) is None
    assert read_cover(tmp_path / "missing.flac") is None
