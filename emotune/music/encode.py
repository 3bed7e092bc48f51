"""Write synthesised samples to any of the library formats (demo library and test fixtures).

soundfile (libsndfile >= 1.1) encodes WAV, AIFF, FLAC, Ogg Vorbis, Opus and MP3; PyAV encodes
M4A/AAC. Both are imported lazily because the app itself never encodes audio.
"""

from __future__ import annotations

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
