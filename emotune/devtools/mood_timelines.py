"""What the benchmark sessions show, and when: held-out faces with a clear FER+ label, and
timelines of :class:`Segment` s (ground truth over time) built from them.

Faces come from the tuning split (faces-only train rows picked by the shipped run's
``tune_index.npy``) and are used only when a strict majority of the ten FER+ annotators
(> 5 votes) chose one of our seven classes. Timelines are pure functions of a random generator,
so the same seed always gives the same sessions.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from emotune.emotions import EMOTIONS, Emotion
from emotune.paths import MODELS_DIR

DEFAULT_TUNE_INDEX = MODELS_DIR / "checkpoint" / "tune_index.npy"
"""Rows of the faces-only train split held out by the shipped model's run."""

FERPLUS_TO_EMOTION = {
    "neutral": Emotion.NEUTRAL,
    "happiness": Emotion.HAPPY,
    "surprise": Emotion.SURPRISE,
    "sadness": Emotion.SAD,
    "anger": Emotion.ANGRY,
    "disgust": Emotion.DISGUST,
    "fear": Emotion.FEAR,
}
"""FER+ vote columns that map to our classes (contempt, unknown and NF are dropped)."""

EXPRESSIONS = tuple(e for e in EMOTIONS if e is not Emotion.NEUTRAL)


@dataclass(frozen=True)
class FacePool:
    """Faces with a strict-majority FER+ label, in canonical class indices."""

    faces: np.ndarray
    """(N, 48, 48) uint8."""
    labels: np.ndarray
    """(N,) int, index into :data:`EMOTIONS`."""

    def indices(self, emotion: Emotion) -> np.ndarray:
        """Positions of the faces labelled ``emotion``."""
        return np.flatnonzero(self.labels == emotion.value)


def strict_majority(votes: np.ndarray, columns: Sequence[str], min_votes: int = 6) -> np.ndarray:
    """Canonical class index per row where one of our classes has >= ``min_votes`` of the votes
    (10 annotators: 6 is a strict majority), else -1."""
    votes = np.asarray(votes)
    labels = np.full(len(votes), -1, dtype=np.int64)
    names = [str(c) for c in columns]
    for name, emotion in FERPLUS_TO_EMOTION.items():
        labels[votes[:, names.index(name)] >= min_votes] = emotion.value
    return labels


def load_tuning_faces(
    data_path: str | Path, tune_index: str | Path | np.ndarray = DEFAULT_TUNE_INDEX
) -> FacePool:
    """The tuning split's faces (faces-only train rows picked by ``tune_index``) that have a
    strict FER+ majority for one of our seven classes. Raises FileNotFoundError when the file is
    missing and ValueError when it is not the expected npz."""
    path = Path(data_path)
    if not path.is_file():
        raise FileNotFoundError(f"data file {path} not found")
    index = np.load(tune_index) if not isinstance(tune_index, np.ndarray) else tune_index
    try:
        with np.load(path) as data:
            faces_only = ~data["nf_train"]
            faces = data["x_train"][faces_only][index]
            votes = data["ferplus_votes_train"][faces_only][index]
            columns = list(data["ferplus_vote_columns"])
        labels = strict_majority(votes, columns)
    except (OSError, ValueError, KeyError, IndexError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(
            f"{path} is not a FER2013+FER+ npz with the train split: {error}"
        ) from error
    keep = labels >= 0
    return FacePool(np.ascontiguousarray(faces[keep]), labels[keep])


@dataclass(frozen=True)
class Segment:
    """A stretch of one true mood, from ``start_s`` (where the expression starts to change) to
    ``end_s``. The picture is a mix of pool faces, ``((face, weight), ...)``, reached by a linear
    cross-fade of ``fade_s`` from the previous segment's picture."""

    emotion: Emotion
    start_s: float
    end_s: float
    mix: tuple[tuple[int, float], ...]
    fade_s: float = 0.3

    def as_list(self) -> list[Any]:
        """JSON-friendly form (for the cache)."""
        return [
            self.emotion.value,
            self.start_s,
            self.end_s,
            [list(m) for m in self.mix],
            self.fade_s,
        ]

    @classmethod
    def from_list(cls, item: Sequence[Any]) -> Segment:
        """Inverse of :meth:`as_list`."""
        value, start, end, mix, fade = item
        return cls(
            EMOTIONS[int(value)],
            float(start),
            float(end),
            tuple((int(f), float(w)) for f, w in mix),
            float(fade),
        )


def truth_at(segments: Sequence[Segment], times: np.ndarray) -> np.ndarray:
    """Class index of the segment holding each time."""
    starts = np.array([s.start_s for s in segments])
    labels = np.array([s.emotion.value for s in segments], dtype=np.int64)
    which = np.clip(
        np.searchsorted(starts, np.asarray(times), side="right") - 1, 0, len(segments) - 1
    )
    return labels[which]


class Picker:
    """Draws faces of a class without repeats until the class's pool is used up, then reshuffles."""

    def __init__(self, pool: FacePool, rng: np.random.Generator) -> None:
        self._pool = pool
        self._rng = rng
        self._queues: dict[Emotion, list[int]] = {}

    def __call__(self, emotion: Emotion) -> int:
        queue = self._queues.get(emotion)
        if not queue:
            candidates = self._pool.indices(emotion)
            if not len(candidates):
                raise ValueError(f"no {emotion.key} faces with a strict FER+ majority in the pool")
            queue = [int(i) for i in self._rng.permutation(candidates)]
            self._queues[emotion] = queue
        return queue.pop()


def _rounded(value: float) -> float:
    return round(value, 4)


def chain_segments(
    expressions: Sequence[Emotion],
    pick: Callable[[Emotion], int],
    rng: np.random.Generator,
    seconds: float,
    neutral_s: tuple[float, float] = (3.0, 6.0),
    expression_s: tuple[float, float] = (3.0, 6.0),
    fade_s: float = 0.3,
) -> tuple[tuple[Segment, ...], int]:
    """neutral -> expressions[0] -> neutral -> expressions[1] ... until ``seconds`` are filled;
    returns the segments and how many expressions were used."""
    segments: list[Segment] = []
    t = 0.0
    used = 0
    while t < seconds:
        neutral = not segments or segments[-1].emotion is not Emotion.NEUTRAL
        if neutral:
            emotion, length = Emotion.NEUTRAL, rng.uniform(*neutral_s)
        else:
            if used >= len(expressions):
                break
            emotion, length = expressions[used], rng.uniform(*expression_s)
            used += 1
        end = _rounded(t + length)
        segments.append(Segment(emotion, t, end, ((pick(emotion), 1.0),), fade_s))
        t = end
    return tuple(segments), used


def neutral_segments(
    pick: Callable[[Emotion], int],
    rng: np.random.Generator,
    seconds: float,
    face_s: tuple[float, float] = (8.0, 15.0),
) -> tuple[Segment, ...]:
    """A person staying neutral: neutral faces in turn, each for ``face_s`` seconds."""
    segments: list[Segment] = []
    t = 0.0
    while t < seconds:
        end = _rounded(min(t + rng.uniform(*face_s), seconds))
        if seconds - end < face_s[0] / 2:
            end = seconds  # no stub of a face at the end
        segments.append(Segment(Emotion.NEUTRAL, t, end, ((pick(Emotion.NEUTRAL), 1.0),)))
        t = end
    return tuple(segments)


def talking_segments(
    pick: Callable[[Emotion], int],
    rng: np.random.Generator,
    seconds: float,
    burst_s: tuple[float, float] = (0.5, 2.0),
    gap_s: tuple[float, float] = (0.5, 3.0),
    person_s: float = 20.0,
) -> tuple[Segment, ...]:
    """Neutral with quick smiles: happy bursts of ``burst_s`` (peak 60-100% of a happy face mixed
    into the neutral one, ramps of 0.15-0.3 s) between neutral gaps of ``gap_s``; a new face
    pair every ``person_s`` seconds. Truth is happy during a burst (ramp included)."""
    segments: list[Segment] = []
    t = 0.0
    pair: tuple[int, int] | None = None
    pair_until = -1.0
    while t < seconds:
        if t >= pair_until:
            pair = (pick(Emotion.NEUTRAL), pick(Emotion.HAPPY))
            pair_until = t + person_s
        assert pair is not None
        neutral_face, happy_face = pair
        gap_end = _rounded(t + rng.uniform(*gap_s))
        segments.append(
            Segment(
                Emotion.NEUTRAL,
                t,
                gap_end,
                ((neutral_face, 1.0),),
                _rounded(rng.uniform(0.15, 0.3)),
            )
        )
        t = gap_end
        if t >= seconds:
            break
        peak = _rounded(rng.uniform(0.6, 1.0))
        burst_end = _rounded(t + rng.uniform(*burst_s))
        mix = ((neutral_face, _rounded(1.0 - peak)), (happy_face, peak))
        segments.append(Segment(Emotion.HAPPY, t, burst_end, mix, _rounded(rng.uniform(0.15, 0.3))))
        t = burst_end
    return tuple(segments)


def balanced_expressions(count: int, rng: np.random.Generator) -> list[Emotion]:
    """``count`` non-neutral classes: shuffled rounds of all six, so each appears equally often
    (within one) in any prefix that ends on a round."""
    out: list[Emotion] = []
    while len(out) < count:
        out.extend(EXPRESSIONS[i] for i in rng.permutation(len(EXPRESSIONS)))
    return out[:count]
