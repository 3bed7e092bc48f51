#!/usr/bin/env python3
"""Generate EmoTune's bundled demo library: 18 short synthesised pieces, CC0.

Every sample is computed here with :mod:`emotune.devtools.synth` (numpy additive synthesis, noise
drums), so the library has no third-party rights at all. Each piece is written in a known key,
mode and tempo chosen to fit its mood (happy = fast major, sad = slow minor, angry = fast minor and
distorted, fear = tremolo minor with a minor-second rub, surprise = fast major with leaps and
sudden accents, neutral = mid-tempo and calm, disgust = slow, detuned and murky), in a mix of
formats, with real metadata and, on some, a generated cover image.

Most tracks carry a mood tag (written through EmoTune's own tag table); three are left untagged on
purpose so the folder fallback and ``emotune scan --analyze`` have something to show.

Run from the repository root:  python music_library/make_demo_library.py [--only .ogg ...]
(``--only`` regenerates just the tracks whose file name ends with one of the given suffixes.)
Needs numpy, mutagen, soundfile (libsndfile >= 1.1 for MP3/Opus) and PyAV (for M4A).
"""

from __future__ import annotations

import struct
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run straight from a checkout without installing

from emotune.devtools.encode import write_audio  # noqa: E402
from emotune.devtools.synth import NOTE_NAMES, PieceSpec, render  # noqa: E402
from emotune.emotions import Emotion  # noqa: E402
from emotune.music.library.formats import AUDIO_EXTENSIONS  # noqa: E402
from emotune.music.library.tags import write_fields  # noqa: E402

ARTIST = "EmoTune Demo Ensemble"
ALBUM = "Seven Moods (EmoTune Demo Library)"
FOLDERS = ("happy", "sad", "angry", "fear", "surprise", "neutral", "disgust", "unsorted")

# fmt: off
# Sample rates per format: Opus only takes 48 kHz-family rates; lossless formats stay small at
# 22 kHz mono; lossy ones use 44.1 kHz where they cost nothing extra.
RATES = {".mp3": 44100, ".ogg": 44100, ".opus": 48000, ".m4a": 44100, ".flac": 22050, ".wav": 22050}
# Level per style: calm pieces are mixed quieter, which the analysis reads as lower energy.
GAIN_DB = {"bright": -1.0, "jumpy": -1.0, "distorted": -0.5, "tremolo": -4.0, "soft": -6.0,
           "detuned": -5.0, "plain": -3.0}
# fmt: on


@dataclass(frozen=True)
class DemoTrack:
    """One planned demo track."""

    folder: str
    filename: str
    title: str
    tonic: str
    mode: str
    tempo: float
    style: str
    seconds: float
    mood: str | None  # mood tag text; None = left untagged on purpose
    cover: Emotion | None = None  # embed a cover tinted with this emotion's colour
    id3v23: bool = False  # write ID3v2.3 (mood goes to TXXX:MOOD) instead of v2.4 (TMOO)
    tag_tempo_key: bool = False  # also write BPM and key tags


# fmt: off
PLAN: tuple[DemoTrack, ...] = (
    DemoTrack("happy", "sunny_side_up.mp3", "Sunny Side Up", "C", "major", 132, "bright", 30,
              "Happy", Emotion.HAPPY, tag_tempo_key=True),
    DemoTrack("happy", "picnic_polka.ogg", "Picnic Polka", "G", "major", 144, "bright", 28,
              "Joyful", Emotion.HAPPY),
    DemoTrack("happy", "bonus_bounce.opus", "Bonus Bounce", "A", "major", 126, "bright", 26,
              None),  # untagged, but in the happy folder
    DemoTrack("sad", "rain_on_the_window.flac", "Rain on the Window", "A", "minor", 66, "soft",
              32, "Sad", Emotion.SAD, tag_tempo_key=True),
    DemoTrack("sad", "letters_never_sent.opus", "Letters Never Sent", "D", "minor", 72, "soft",
              30, "Melancholy"),
    DemoTrack("angry", "red_line.mp3", "Red Line", "E", "minor", 160, "distorted", 26,
              "Aggressive", Emotion.ANGRY, id3v23=True),
    DemoTrack("angry", "clenched_fists.m4a", "Clenched Fists", "F#", "minor", 150, "distorted",
              26, "Angry"),
    DemoTrack("fear", "under_the_stairs.ogg", "Under the Stairs", "B", "minor", 90, "tremolo", 30,
              "Tense"),
    DemoTrack("fear", "footsteps_behind_you.wav", "Footsteps Behind You", "C", "minor", 100,
              "tremolo", 24, "Fear", Emotion.FEAR),
    DemoTrack("surprise", "jack_in_the_box.opus", "Jack in the Box", "D", "major", 168, "jumpy",
              26, "Surprise", Emotion.SURPRISE),
    DemoTrack("surprise", "plot_twist.flac", "Plot Twist", "Bb", "major", 152, "jumpy", 24,
              "Surprising"),
    DemoTrack("neutral", "waiting_room.m4a", "Waiting Room", "F", "major", 96, "plain", 30,
              "Calm", Emotion.NEUTRAL),
    DemoTrack("neutral", "still_water.mp3", "Still Water", "G", "major", 88, "soft", 30,
              "Neutral", tag_tempo_key=True),
    DemoTrack("disgust", "sour_milk.flac", "Sour Milk", "C#", "minor", 60, "detuned", 28,
              "Disgust", Emotion.DISGUST),
    DemoTrack("disgust", "swamp_gas.wav", "Swamp Gas", "Eb", "minor", 64, "detuned", 24,
              "Gross"),
    DemoTrack("unsorted", "morning_stretch.mp3", "Morning Stretch", "E", "major", 124, "bright",
              30, None),  # untagged and not in a mood folder: only analysis can place it
    DemoTrack("unsorted", "grey_afternoon.flac", "Grey Afternoon", "F", "minor", 63, "soft", 30,
              None),
    DemoTrack("unsorted", "after_hours.m4a", "After Hours", "Bb", "minor", 150, "distorted", 26,
              None),
)
# fmt: on


def png_bytes(rgb: np.ndarray) -> bytes:
    """Encode an HxWx3 uint8 array as a PNG (zlib + CRC, no imaging library needed)."""
    height, width, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[row].tobytes() for row in range(height))  # filter 0 per row

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def cover_art(emotion: Emotion, seed: int, size: int = 160) -> bytes:
    """A small abstract cover: the emotion's colour as a radial glow with concentric waves."""
    colour = np.array([int(emotion.colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)
    y, x = np.mgrid[0:size, 0:size] / size
    rng = np.random.default_rng(seed)
    cx, cy = rng.uniform(0.3, 0.7, 2)
    r = np.hypot(x - cx, y - cy)
    glow = np.clip(1.2 - 1.6 * r, 0.0, 1.0)
    rings = 0.5 + 0.5 * np.cos(2 * np.pi * (r * (6 + 6 * emotion.arousal)))
    shade = (0.25 + 0.75 * glow) * (0.85 + 0.15 * rings)
    dark = np.array([18.0, 18.0, 28.0])
    img = dark + (colour - dark) * shade[..., None]
    return png_bytes(np.clip(img, 0, 255).astype(np.uint8))


def make_track(item: DemoTrack, index: int) -> Path:
    """Render, encode and tag one demo track; returns its path."""
    path = HERE / item.folder / item.filename
    path.parent.mkdir(parents=True, exist_ok=True)
    ext = path.suffix.lower()
    spec = PieceSpec(
        tonic=NOTE_NAMES.index(item.tonic),
        mode=item.mode,
        tempo=item.tempo,
        seconds=item.seconds,
        style=item.style,
        seed=100 + index,
        gain_db=GAIN_DB[item.style],
    )
    sr = RATES[ext]
    write_audio(path, render(spec, sr), sr, quality=0.6)
    if item.id3v23:
        # Start this one as an ID3v2.3 file, as many older taggers write; the tag writer keeps
        # the version, so its mood lands in TXXX:MOOD.
        from mutagen.mp3 import MP3

        audio = MP3(path)
        if audio.tags is None:
            audio.add_tags()
        audio.save(v2_version=3)
    values: dict[str, str | None] = {
        "title": item.title,
        "artist": ARTIST,
        "album": ALBUM,
        "mood": item.mood,
    }
    if item.tag_tempo_key:
        values["bpm"] = str(int(item.tempo))
        values["key"] = f"{item.tonic}{'m' if item.mode == 'minor' else ''}"
    cover = (cover_art(item.cover, index), "image/png") if item.cover else None
    write_fields(path, values, cover=cover)
    return path


def main(argv: list[str] | None = None) -> int:
    """Regenerate every demo track (old audio in the demo folders is removed first), or with
    ``--only SUFFIX ...`` just the tracks whose names end so."""
    import argparse

    parser = argparse.ArgumentParser(description="Generate EmoTune's demo library.")
    parser.add_argument("--only", nargs="+", metavar="SUFFIX", help="e.g. .ogg or picnic_polka.ogg")
    args = parser.parse_args(argv)
    wanted = tuple(args.only) if args.only else None
    if wanted is None:
        for folder in FOLDERS:
            for old in (HERE / folder).glob("*"):
                if old.is_file() and old.suffix.lower() in AUDIO_EXTENSIONS:
                    old.unlink()
    total = 0
    for index, item in enumerate(PLAN):
        if wanted is not None and not item.filename.endswith(wanted):
            continue
        path = make_track(item, index)
        size = path.stat().st_size
        total += size
        tag = item.mood or "(untagged)"
        print(
            f"{path.relative_to(HERE)!s:40} {size / 1024:7.0f} KiB  {item.tonic} {item.mode:5} "
            f"{item.tempo:5.0f} BPM  {tag}"
        )
    made = sum(1 for item in PLAN if wanted is None or item.filename.endswith(wanted))
    print(f"{made} tracks, {total / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
