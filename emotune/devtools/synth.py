"""A tiny numpy music synthesiser for the bundled demo library and the analysis tests.

It renders short pieces in a known key, mode and tempo: a chord pad, a bass line, a melody or
arpeggio and a drum kit that marks every beat. Because the ground truth is known exactly, the same
renderer lets the tests measure how well :mod:`emotune.music.library.analysis` recovers tempo and mode.

Only numpy is used so that the generator runs anywhere the app runs. The sound is deliberately
simple (additive harmonics, exponential envelopes, noise drums) - pleasant enough for a demo, and
nothing here is licensed from anyone: every sample is computed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
SCALES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),  # natural minor
}
STYLES = ("bright", "soft", "distorted", "tremolo", "detuned", "jumpy", "plain")

# Chord progressions as 0-based scale degrees, one chord per bar. They start and end on the tonic
# and lean on it, which is how real tonal music announces its key (and what the key finder keys on).
_PROGRESSIONS: dict[str, tuple[tuple[int, ...], ...]] = {
    "major": ((0, 3, 4, 0), (0, 5, 3, 4), (0, 4, 5, 3), (0, 3, 0, 4)),
    "minor": ((0, 3, 4, 0), (0, 5, 3, 0), (0, 3, 6, 0), (0, 5, 6, 4)),
}


@dataclass(frozen=True)
class PieceSpec:
    """Everything needed to render one piece deterministically."""

    tonic: int  # pitch class, 0 = C ... 11 = B
    mode: str  # "major" or "minor"
    tempo: float  # beats per minute
    seconds: float = 30.0
    style: str = "plain"  # one of STYLES
    seed: int = 0
    progression: tuple[int, ...] | None = None  # scale degrees per bar; None picks one by seed
    gain_db: float = -1.0  # peak level of the final mix

    @property
    def key_name(self) -> str:
        """E.g. ``"A minor"``."""
        return f"{NOTE_NAMES[self.tonic % 12]} {self.mode}"


def midi_to_hz(note: float) -> float:
    """Equal-tempered frequency of a MIDI note number (A4 = 69 = 440 Hz)."""
    return 440.0 * 2.0 ** ((note - 69.0) / 12.0)


class _Mixer:
    """An output buffer that notes are added into at sample positions."""

    def __init__(self, seconds: float, sr: int) -> None:
        self.sr = sr
        self.buffer = np.zeros(int(seconds * sr) + sr, dtype=np.float64)

    def add(self, start: float, signal: np.ndarray) -> None:
        i = int(start * self.sr)
        if i >= len(self.buffer):
            return
        j = min(len(self.buffer), i + len(signal))
        self.buffer[i:j] += signal[: j - i]


def _tone(
    freq: float,
    seconds: float,
    sr: int,
    harmonics: tuple[float, ...],
    attack: float,
    decay: float,
    detune_cents: float = 0.0,
    tremolo_hz: float = 0.0,
) -> np.ndarray:
    """Additive tone with an attack ramp and exponential decay (time constant ``decay`` s)."""
    n = max(1, int(seconds * sr))
    t = np.arange(n) / sr
    out = np.zeros(n)
    for k, amp in enumerate(harmonics, start=1):
        f = freq * k
        if f >= 0.45 * sr:  # keep clear of aliasing
            break
        out += amp * np.sin(2 * np.pi * f * t)
        if detune_cents:
            out += amp * np.sin(2 * np.pi * f * 2 ** (detune_cents / 1200) * t + 0.5)
    env = np.exp(-t / decay) if decay > 0 else np.ones(n)
    if attack > 0:
        env *= np.clip(t / attack, 0.0, 1.0)
    # a short release so notes never click when they end
    release = min(n, int(0.02 * sr))
    env[n - release :] *= np.linspace(1.0, 0.0, release)
    if tremolo_hz:
        env *= 0.6 + 0.4 * np.sin(2 * np.pi * tremolo_hz * t)
    return out * env


def _kick(sr: int, rng: np.random.Generator) -> np.ndarray:
    n = int(0.25 * sr)
    t = np.arange(n) / sr
    freq = 45 + 90 * np.exp(-t / 0.04)  # the classic falling-pitch thump
    phase = 2 * np.pi * np.cumsum(freq) / sr
    return np.sin(phase) * np.exp(-t / 0.09)


def _snare(sr: int, rng: np.random.Generator) -> np.ndarray:
    n = int(0.18 * sr)
    t = np.arange(n) / sr
    noise = rng.standard_normal(n) * np.exp(-t / 0.05)
    body = np.sin(2 * np.pi * 190 * t) * np.exp(-t / 0.03)
    return 0.35 * noise + 0.5 * body


def _hat(sr: int, rng: np.random.Generator) -> np.ndarray:
    n = int(0.05 * sr)
    t = np.arange(n) / sr
    noise = np.diff(rng.standard_normal(n + 1))  # differencing = cheap high-pass
    return 0.25 * noise * np.exp(-t / 0.012)


def _smooth(signal: np.ndarray, width: int) -> np.ndarray:
    """Moving-average low-pass; softens the bright additive timbres."""
    if width <= 1:
        return signal
    kernel = np.ones(width) / width
    return np.convolve(signal, kernel, mode="same")


def _echo(signal: np.ndarray, sr: int, amount: float) -> np.ndarray:
    """A few fixed delay taps: a cheap sense of room."""
    out = signal.copy()
    for delay, gain in ((0.083, 0.5), (0.131, 0.35), (0.197, 0.25), (0.291, 0.15)):
        d = int(delay * sr)
        out[d:] += amount * gain * signal[:-d]
    return out


def render(spec: PieceSpec, sr: int = 22050) -> np.ndarray:
    """Render ``spec`` to a mono float32 signal at ``sr`` Hz, peak-normalised to ``gain_db``."""
    if spec.mode not in SCALES:
        raise ValueError(f"mode must be major or minor, not {spec.mode!r}")
    if spec.style not in STYLES:
        raise ValueError(f"unknown style {spec.style!r}")
    rng = np.random.default_rng(spec.seed)
    scale = SCALES[spec.mode]
    progression = spec.progression or _PROGRESSIONS[spec.mode][spec.seed % 4]
    beat = 60.0 / spec.tempo
    bar = 4 * beat
    style = spec.style
    mix = _Mixer(spec.seconds, sr)
    drums = _Mixer(spec.seconds, sr)
    root_midi = 48 + spec.tonic  # tonic in octave 3

    def degree_to_midi(degree: int, octave: int = 0) -> int:
        return root_midi + scale[degree % 7] + 12 * (degree // 7 + octave)

    # timbres per style: (harmonic amplitudes, smoothing width)
    bright = (1.0, 0.5, 0.33, 0.25, 0.2)
    mellow = (1.0, 0.3, 0.1)
    n_bars = int(np.ceil(spec.seconds / bar))
    kick, snare, hat = _kick(sr, rng), _snare(sr, rng), _hat(sr, rng)
    previous = 7  # melody position in scale steps above the tonic

    for b in range(n_bars):
        t0 = b * bar
        degree = progression[b % len(progression)]
        chord = [degree_to_midi(degree + i) for i in (0, 2, 4)]
        # surprise: every fourth bar is a stop-time break - one loud stab, then silence and a fill
        stop_time = style == "jumpy" and b % 4 == 3

        # --- chord pad (held for the bar) ---
        if stop_time:
            for note in chord:
                tone = _tone(midi_to_hz(note + 12), beat, sr, bright, 0.003, 0.3)
                mix.add(t0, 0.3 * tone)
        elif style == "distorted":
            for note in (chord[0] - 12, chord[0] - 5, chord[0]):  # power chord
                for k in range(8):  # chugging eighths
                    tone = _tone(midi_to_hz(note), beat / 2, sr, bright, 0.003, 0.2)
                    mix.add(t0 + k * beat / 2, 0.35 * tone)
            # a held triad above the riff: the third is what makes it minor (or major)
            for note in chord:
                tone = _tone(midi_to_hz(note + 12), bar, sr, mellow, 0.1, 2 * bar)
                mix.add(t0, 0.12 * tone)
        else:
            harm = bright if style in ("bright", "jumpy") else mellow
            tremolo = 7.0 if style == "tremolo" else 0.0
            detune = 38.0 if style == "detuned" else 3.0
            pad_notes = list(chord)
            if style == "tremolo" and b % 2 == 1:
                pad_notes.append(chord[0] + 1)  # a minor-second rub every other bar: unsettling
            for note in pad_notes:
                tone = _tone(midi_to_hz(note + 12), bar, sr, harm, 0.25, 2.5 * bar, detune, tremolo)
                mix.add(t0, 0.16 * tone)

        # --- bass: tonic of the chord on every beat (or half notes when soft) ---
        bass_step = beat if style not in ("soft", "detuned") else 2 * beat
        n_bass = 1 if stop_time else int(round(bar / bass_step))
        for k in range(n_bass):
            note = chord[0] - 12
            if style == "bright" and k % 2 == 1:
                note = chord[2] - 12  # root-fifth bounce
            tone = _tone(midi_to_hz(note), bass_step, sr, (1.0, 0.4, 0.1), 0.01, 0.6 * bass_step)
            mix.add(t0 + k * bass_step, 0.45 * tone)

        # --- melody / arpeggio ---
        if style in ("bright", "jumpy", "plain"):
            step = beat / 2
        elif style == "distorted":
            step = beat
        else:
            step = beat
        n_notes = 0 if stop_time else int(round(bar / step))
        for k in range(n_notes):
            if style == "soft" and rng.random() < 0.3:
                continue  # breathing space
            if k % 2 == 0:
                # strong beats land on chord tones
                target = (degree + 2 * int(rng.integers(0, 3))) % 7 + 7
            else:
                target = previous + int(rng.choice([-2, -1, 1, 2]))
            if style == "jumpy" and rng.random() < 0.25:
                target += int(rng.choice([-7, 7]))  # octave leaps
            target = int(np.clip(target, 3, 16))
            previous = target
            note = degree_to_midi(target)
            decay = 0.25 if style in ("bright", "jumpy") else 0.6
            tone = _tone(midi_to_hz(note + 12), step * 1.5, sr, bright, 0.005, decay)
            level = 0.22 if k % 2 == 0 else 0.16
            mix.add(t0 + k * step, level * tone)

        # --- drums: something on every beat so the tempo is audible ---
        for k in range(4):
            tb = t0 + k * beat
            if stop_time:
                if k == 0:
                    drums.add(tb, kick)
                drums.add(tb, 0.4 * hat)  # keep the pulse audible through the break
            elif style in ("bright", "jumpy", "distorted", "plain"):
                if k in (0, 2) or style == "distorted":
                    drums.add(tb, 0.9 * kick)
                if k in (1, 3):
                    drums.add(tb, 0.6 * snare)
                drums.add(tb, 0.5 * hat)
                drums.add(tb + beat / 2, 0.3 * hat)
            elif style == "tremolo":
                drums.add(tb, (0.8 if k % 2 == 0 else 0.5) * kick)  # heartbeat
                drums.add(tb, 0.35 * hat)
            else:  # soft, detuned: a gentle kick on 1 and 3 and a rim click on every beat
                if k in (0, 2):
                    drums.add(tb, 0.55 * kick)
                drums.add(tb, 0.35 * hat)
        if stop_time:
            for k in (3.0, 3.25, 3.5, 3.75):  # snare fill into the next bar
                drums.add(t0 + k * beat, 0.7 * snare)

    music = mix.buffer
    if style == "distorted":
        music = np.tanh(3.0 * music)  # overdrive
    elif style == "detuned":
        music = _smooth(music, max(1, sr // 3000))  # murky
    music = _echo(music, sr, 0.35 if style in ("soft", "detuned", "tremolo") else 0.15)
    out = music + drums.buffer
    out = out[: int(spec.seconds * sr)]

    # fades, then peak-normalise to the requested level
    fade = min(len(out) // 4, int(0.5 * sr))
    out[:fade] *= np.linspace(0.0, 1.0, fade)
    out[len(out) - fade :] *= np.linspace(1.0, 0.0, fade)
    peak = float(np.max(np.abs(out))) or 1.0
    out *= 10 ** (spec.gain_db / 20) / peak
    return out.astype(np.float32)
