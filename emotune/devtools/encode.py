"""Write synthesised samples to any of the library formats (demo library and test fixtures).

soundfile (libsndfile >= 1.1) encodes WAV, AIFF, FLAC, Ogg Vorbis, Opus and MP3; PyAV encodes
M4A/AAC. Both are imported lazily because the app itself never encodes audio.

Ogg Vorbis from libsndfile declares a nominal bitrate in its identification header that has
little to do with the real one (86 kb/s declared, 54 kb/s written at quality 0.6). VLC's Ogg
demuxer trusts that figure to guess where a time lies, so a seek to 10 s landed near 16 s and a
seek near the end ran off it. :func:`clear_vorbis_nominal_bitrate` sets the field to 0 ("unset" in
the Vorbis I specification), after which VLC finds the time from the pages' granule positions.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

# extension -> (soundfile format, subtype); M4A is handled by PyAV.
_SOUNDFILE_FORMATS: dict[str, tuple[str, str]] = {
    ".wav": ("WAV", "PCM_16"),
    ".aif": ("AIFF", "PCM_16"),
    ".aiff": ("AIFF", "PCM_16"),
    ".flac": ("FLAC", "PCM_16"),
    ".ogg": ("OGG", "VORBIS"),
    ".opus": ("OGG", "OPUS"),
    ".mp3": ("MP3", "MPEG_LAYER_III"),
}
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
"""Sample rates libopus accepts; render Opus at one of these."""


def write_audio(path: Path, samples: np.ndarray, sr: int, *, quality: float = 0.5) -> None:
    """Encode mono float samples in [-1, 1] to ``path``; the format follows the extension.

    ``quality`` (0 best/largest .. 1 smallest) is passed to libsndfile's lossy encoders.
    Raises ValueError for an unknown extension or an Opus rate libopus can't take.
    """
    path = Path(path)
    ext = path.suffix.lower()
    samples = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    if ext in (".m4a", ".mp4", ".aac"):
        _write_m4a(path, samples, sr)
        return
    if ext not in _SOUNDFILE_FORMATS:
        raise ValueError(f"don't know how to encode {ext!r}")
    if ext == ".opus" and sr not in OPUS_RATES:
        raise ValueError(f"Opus needs one of {OPUS_RATES} Hz, not {sr}")
    import soundfile

    fmt, subtype = _SOUNDFILE_FORMATS[ext]
    lossy = subtype in ("VORBIS", "OPUS", "MPEG_LAYER_III")
    soundfile.write(
        str(path),
        samples,
        sr,
        format=fmt,
        subtype=subtype,
        compression_level=quality if lossy else None,
    )
    if ext == ".ogg":
        clear_vorbis_nominal_bitrate(path)


def _ogg_crc_table() -> list[int]:
    """CRC-32 table of the Ogg page checksum (polynomial 0x04C11DB7, not bit-reflected)."""
    table = []
    for byte in range(256):
        crc = byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
        table.append(crc)
    return table


_OGG_CRC = _ogg_crc_table()


def ogg_page_crc(page: bytes) -> int:
    """The checksum of one Ogg page (its own checksum field must be zero in ``page``)."""
    crc = 0
    for byte in page:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _OGG_CRC[(crc >> 24) ^ byte]
    return crc


def vorbis_nominal_bitrate(path: Path) -> int | None:
    """The nominal bitrate declared in an Ogg Vorbis file's identification header, or None."""
    head = Path(path).read_bytes()[:512]
    at = head.find(b"\x01vorbis")
    if not head.startswith(b"OggS") or at < 0 or at + 7 + 21 > len(head):
        return None
    return struct.unpack_from("<i", head, at + 7 + 13)[0]


def clear_vorbis_nominal_bitrate(path: Path) -> None:
    """Set the Vorbis identification header's nominal bitrate to 0 (unset), in place.

    The header is the only packet of the file's first page, so only that page's checksum changes;
    no audio is touched. Does nothing to a file that is not Ogg Vorbis.
    """
    set_vorbis_nominal_bitrate(path, 0)


def set_vorbis_nominal_bitrate(path: Path, bits_per_second: int) -> None:
    """Write ``bits_per_second`` as the nominal bitrate (see :func:`clear_vorbis_nominal_bitrate`;
    tests use a false one to make a file VLC seeks wrongly)."""
    path = Path(path)
    with open(path, "r+b") as handle:
        page = bytearray(handle.read(27))
        if len(page) < 27 or page[:4] != b"OggS":
            return
        segments = handle.read(page[26])
        page += segments + handle.read(sum(segments))
        at = page.find(b"\x01vorbis")
        if at < 0 or at + 7 + 21 > len(page):
            return
        # identification header: version(4) channels(1) rate(4) max(4) nominal(4) min(4)
        struct.pack_into("<i", page, at + 7 + 13, bits_per_second)
        struct.pack_into("<I", page, 22, 0)
        struct.pack_into("<I", page, 22, ogg_page_crc(bytes(page)))
        handle.seek(0)
        handle.write(page)


def _write_m4a(path: Path, samples: np.ndarray, sr: int, bitrate: int = 96_000) -> None:
    import av

    with av.open(str(path), "w", format="ipod") as container:  # "ipod" muxer = .m4a
        stream = container.add_stream("aac", rate=sr, layout="mono")
        stream.bit_rate = bitrate
        block = 1024 * 16
        for start in range(0, len(samples), block):
            chunk = samples[start : start + block].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
            frame.sample_rate = sr
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
