"""Encoding for the demo library and fixtures: Ogg Vorbis files VLC can seek in."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from emotune.devtools.encode import (
    clear_vorbis_nominal_bitrate,
    ogg_page_crc,
    vorbis_nominal_bitrate,
    write_audio,
)

soundfile = pytest.importorskip("soundfile")


def _first_page(data: bytes) -> bytes:
    size = 27 + data[26] + sum(data[27 : 27 + data[26]])
    return data[:size]


def test_written_ogg_declares_no_nominal_bitrate_and_stays_valid(tmp_path):
    path = tmp_path / "tone.ogg"
    t = np.arange(22050 * 6) / 22050
    write_audio(path, 0.3 * np.sin(2 * np.pi * 440 * t), 22050)
    assert vorbis_nominal_bitrate(path) == 0
    page = bytearray(_first_page(path.read_bytes()))
    stored = struct.unpack_from("<I", page, 22)[0]
    struct.pack_into("<I", page, 22, 0)
    assert ogg_page_crc(bytes(page)) == stored  # the patched page's checksum is right
    info = soundfile.info(str(path))
    assert abs(info.duration - 6.0) < 0.01
    samples, _ = soundfile.read(str(path))
    assert np.max(np.abs(samples)) > 0.2  # audio untouched


def test_clearing_is_a_no_op_on_other_files(tmp_path):
    path = tmp_path / "tone.flac"
    write_audio(path, np.zeros(22050), 22050)
    before = path.read_bytes()
    clear_vorbis_nominal_bitrate(path)
    assert path.read_bytes() == before
    assert vorbis_nominal_bitrate(path) is None


def test_crc_matches_a_page_libsndfile_wrote(tmp_path):
    path = tmp_path / "raw.ogg"
    soundfile.write(
        str(path), np.zeros(22050, dtype=np.float32), 22050, format="OGG", subtype="VORBIS"
    )
    page = bytearray(_first_page(path.read_bytes()))
    stored = struct.unpack_from("<I", page, 22)[0]
    struct.pack_into("<I", page, 22, 0)
    assert ogg_page_crc(bytes(page)) == stored
    assert vorbis_nominal_bitrate(path) > 0  # libsndfile's own header still declares one
