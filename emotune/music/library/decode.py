"""Decode a short mono excerpt of an audio file for analysis.

soundfile (libsndfile >= 1.1) reads WAV, FLAC, Ogg Vorbis, Opus and MP3; PyAV, when installed,
covers the rest (M4A/AAC). librosa's own loader would fall back to audioread, which needs ffmpeg
on the system - we avoid that path so analysis works without any system packages.
Both libraries are imported lazily: this module is only used when analysis is requested.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


class DecodeError(RuntimeError):
    """The file could not be decoded by any available decoder."""


def clip_offset(duration: float | None, seconds: float) -> float:
    """Where to start an excerpt of ``seconds``: about a third in, past any intro."""
    if not duration or duration <= seconds:
        return 0.0
    return (duration - seconds) / 3.0


def load_clip(path: Path, sr: int, seconds: float, duration: float | None = None) -> np.ndarray:
    """Mono float32 samples at ``sr`` Hz: at most ``seconds`` long, from :func:`clip_offset`.

    Raises DecodeError with the reasons from every decoder tried.
    """
    offset = clip_offset(duration, seconds)
    errors: list[str] = []
    for decoder in (_load_soundfile, _load_pyav):
        try:
            samples = decoder(path, sr, offset, seconds)
        except ImportError as exc:
            errors.append(f"{decoder.__name__.strip('_')}: not installed ({exc.name})")
            continue
        except Exception as exc:  # any decoder failure just means "try the next one"
            errors.append(f"{decoder.__name__.strip('_')}: {exc}")
            continue
        if samples.size == 0:
            errors.append(f"{decoder.__name__.strip('_')}: no audio samples")
            continue
        return samples
    raise DecodeError("; ".join(errors))


def _load_soundfile(path: Path, sr: int, offset: float, seconds: float) -> np.ndarray:
    import soundfile

    with soundfile.SoundFile(str(path)) as handle:
        native = handle.samplerate
        start = int(offset * native)
        if start and handle.seekable():
            handle.seek(start)
        data = handle.read(int(seconds * native), dtype="float32", always_2d=True)
    mono = data.mean(axis=1)
    return _resample(mono, native, sr)


def _load_pyav(path: Path, sr: int, offset: float, seconds: float) -> np.ndarray:
    import av

    wanted = int(seconds * sr)
    chunks: list[np.ndarray] = []
    got = 0
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        # PyAV resamples and downmixes for us, so no second resampler is needed.
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sr)
        if offset:
            container.seek(int(offset / stream.time_base), stream=stream)
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunk = out.to_ndarray().reshape(-1)
                chunks.append(chunk)
                got += chunk.size
            if got >= wanted:
                break
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(chunks)[:wanted].astype(np.float32)


def _resample(samples: np.ndarray, native: int, sr: int) -> np.ndarray:
    if native == sr:
        return samples.astype(np.float32)
    import librosa

    # soxr "medium quality" is plenty for tempo and chroma and several times faster than "hq".
    return librosa.resample(samples, orig_sr=native, target_sr=sr, res_type="soxr_mq").astype(
        np.float32
    )
