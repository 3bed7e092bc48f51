"""Replayed "webcam sessions" for the mood-filter benchmark, classified once and cached.

A session is a timeline of segments (ground truth over time, see
:mod:`emotune.devtools.mood_timelines`), each showing one held-out face of the tuning split (FER+
strict majority), joined by short cross-fades, rendered frame by frame through a simulated
camera (:mod:`emotune.devtools.webcam`), cut to 48x48 by the app's own
:func:`~emotune.vision.preprocess.preprocess` and classified by the app's classifier. Only the
per-frame probabilities are kept (in memory and in an ``.npz`` under the user data folder), so a
mood filter can be re-scored in about a second (:mod:`emotune.devtools.mood_benchmark`).

Kinds of session:

* ``chain``: neutral -> A -> neutral -> B ..., segments of 3-6 s, the expression classes
  balanced over the six non-neutral classes across sessions;
* ``neutral``: one person staying neutral for a minute (several neutral faces in turn);
* ``talking``: neutral with quick bursts of smiles (0.5-2 s, partial or full), as when someone
  talks and laughs; the mouth movements of speech are not simulated.

Each session is rendered at its own base frame rate and :meth:`Session.view` subsamples it, so
lower rates are the same camera on the same timeline. By default the chains are rendered at 30 fps
and, for the frame-rate invariance check, the first three chains and the neutral and talking
sessions at 60 fps (10, 30 and 60 fps are subsamples of those).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from emotune.devtools import webcam
from emotune.devtools.mood_timelines import (
    DEFAULT_TUNE_INDEX,
    FacePool,
    Picker,
    Segment,
    balanced_expressions,
    chain_segments,
    load_tuning_faces,
    neutral_segments,
    talking_segments,
    truth_at,
)
from emotune.emotions import EMOTIONS, NUM_CLASSES
from emotune.paths import user_data_dir
from emotune.vision.calibration import model_id as _model_id
from emotune.vision.preprocess import preprocess

DATA_ENV = "EMOTUNE_DATA"
"""Environment variable naming the training npz (as ``emotune evaluate`` uses it)."""

CACHE_VERSION = 1
"""Bump when rendering or session planning changes, so stale cached probabilities are ignored."""


class Classifier(Protocol):
    """What the sessions need from :class:`emotune.vision.classifier.EmotionClassifier`."""

    def predict(self, faces: np.ndarray) -> np.ndarray:
        """Probabilities (N, 7) for uint8 faces (N, 48, 48)."""
        ...


@dataclass
class Session:
    """One replayed session: its timeline and, once classified, per-frame probabilities at
    ``base_fps`` (row ``k`` is the frame at ``k / base_fps`` seconds)."""

    name: str
    kind: str
    """``chain``, ``neutral`` or ``talking``."""
    segments: tuple[Segment, ...]
    base_fps: int
    probabilities: np.ndarray | None = None
    """(n, 7) float32: the classifier's output per frame."""
    mirrored: np.ndarray | None = None
    """(n, 7) float32: the same for the horizontally flipped face (for mirror averaging)."""

    @property
    def duration_s(self) -> float:
        """Length of the timeline."""
        return self.segments[-1].end_s

    @property
    def frame_count(self) -> int:
        """Frames at ``base_fps``."""
        return int(round(self.duration_s * self.base_fps))

    def step(self, fps: int) -> int:
        """Subsampling step from the base rate to ``fps``; raises ValueError if not a divisor."""
        if fps <= 0 or self.base_fps % fps:
            raise ValueError(
                f"{fps} fps is not available: {self.name} was rendered at {self.base_fps} fps"
                " (use a divisor)"
            )
        return self.base_fps // fps

    def times(self, fps: int | None = None) -> np.ndarray:
        """Frame timestamps (seconds) at ``fps`` (default: the base rate)."""
        step = self.step(fps or self.base_fps)
        return np.arange(0, self.frame_count, step) / self.base_fps

    def truth(self, fps: int | None = None) -> np.ndarray:
        """True class index per frame at ``fps``."""
        return truth_at(self.segments, self.times(fps))

    def view(self, fps: int | None = None, mirror: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(times, probabilities) at ``fps``; with ``mirror``, the average of the face and its
        horizontal flip, as the app would compute with mirror averaging."""
        if self.probabilities is None:
            raise ValueError(f"session {self.name} has not been classified")
        step = self.step(fps or self.base_fps)
        probs = self.probabilities
        if mirror:
            if self.mirrored is None:
                raise ValueError(f"session {self.name} has no mirrored probabilities")
            probs = (probs + self.mirrored) / 2.0
        return self.times(fps), probs[::step]


def plan_sessions(
    pool: FacePool,
    seed: int = 0,
    chains: int = 12,
    seconds: float = 60.0,
    neutral: int = 1,
    talking: int = 1,
    fps: int = 30,
    high_fps: int = 60,
    high_chains: int = 3,
) -> list[Session]:
    """The sessions' timelines (not yet rendered), a pure function of the pool and ``seed``.

    Sessions get base rate ``fps``, except the first ``high_chains`` chains and the neutral and
    talking sessions, which get ``high_fps`` (a multiple of ``fps``) for invariance checks."""
    if high_fps % fps:
        raise ValueError(f"high_fps ({high_fps}) must be a multiple of fps ({fps})")
    rng = np.random.default_rng(seed)
    pick = Picker(pool, rng)
    # Enough expressions for every chain; each chain takes what fits in its minute.
    queue = balanced_expressions(chains * int(seconds // 6 + 2), rng)
    sessions: list[Session] = []
    for number in range(chains):
        segments, used = chain_segments(queue, pick, rng, seconds)
        queue = queue[used:]
        rate = high_fps if number < high_chains else fps
        sessions.append(Session(f"chain{number + 1:02d}", "chain", segments, rate))
    for number in range(neutral):
        sessions.append(
            Session(
                f"neutral{number + 1:02d}",
                "neutral",
                neutral_segments(pick, rng, seconds),
                high_fps,
            )
        )
    for number in range(talking):
        sessions.append(
            Session(
                f"talking{number + 1:02d}",
                "talking",
                talking_segments(pick, rng, seconds),
                high_fps,
            )
        )
    return sessions


# -- rendering and classification --------------------------------------------------------------


def _picture(pool: FacePool, mix: tuple[tuple[int, float], ...]) -> np.ndarray:
    picture = np.zeros(pool.faces.shape[1:], dtype=np.float32)
    for face, weight in mix:
        picture += weight * pool.faces[face].astype(np.float32)
    return picture


def face_frames(session: Session, pool: FacePool, seed: int) -> np.ndarray:
    """The 48x48 crops (uint8, after :func:`preprocess`) the classifier sees, one per frame at
    the base rate: each frame's picture through the session's simulated camera."""
    rng = np.random.default_rng(seed)
    n = session.frame_count
    track = webcam.camera_track(n, session.base_fps, rng)
    noise = webcam.noise_bank(track, rng)
    times = session.times()
    starts = np.array([s.start_s for s in session.segments])
    which = np.clip(np.searchsorted(starts, times, side="right") - 1, 0, len(starts) - 1)
    pictures = [_picture(pool, s.mix) for s in session.segments]
    out = np.empty((n, *pool.faces.shape[1:]), dtype=np.uint8)
    for k in range(n):
        i = int(which[k])
        segment = session.segments[i]
        into = (times[k] - segment.start_s) / segment.fade_s if segment.fade_s > 0 else 1.0
        picture = (
            pictures[i]
            if i == 0 or into >= 1.0
            else pictures[i - 1] + into * (pictures[i] - pictures[i - 1])
        )
        face = np.clip(picture + 0.5, 0, 255).astype(np.uint8)
        out[k] = preprocess(webcam.render(face, track, k, rng, noise))
    return out


def classify(classifier: Classifier, faces: np.ndarray, batch: int = 64) -> np.ndarray:
    """Probabilities (N, 7) float32, in fixed-size batches (the last one padded) so the
    classifier keeps one interpreter per batch size."""
    out = np.empty((len(faces), NUM_CLASSES), dtype=np.float32)
    for start in range(0, len(faces), batch):
        chunk = faces[start : start + batch]
        if len(chunk) < batch:
            chunk = np.concatenate([chunk, np.repeat(chunk[-1:], batch - len(chunk), axis=0)])
        out[start : start + batch] = classifier.predict(chunk)[: min(batch, len(faces) - start)]
    return out


def render_and_classify(
    sessions: Sequence[Session], pool: FacePool, classifier: Classifier, seed: int
) -> None:
    """Fill each session's ``probabilities`` and ``mirrored`` (one pass per session)."""
    previous_threads = cv2.getNumThreads()
    cv2.setNumThreads(1)  # small images: threads cost more than they save
    try:
        for number, session in enumerate(sessions):
            faces = face_frames(session, pool, seed * 1000 + number + 1)
            session.probabilities = classify(classifier, faces)
            session.mirrored = classify(classifier, np.ascontiguousarray(faces[:, :, ::-1]))
    finally:
        cv2.setNumThreads(previous_threads)


# -- the session set and its cache ---------------------------------------------------------------


@dataclass
class SessionSet:
    """Classified sessions plus how they were made."""

    sessions: list[Session]
    model: str
    class_prior: tuple[float, ...] | None = None
    """The model's class prior when it declares one (as the vision driver reads it); None lets
    the tracker use its default."""
    info: dict[str, Any] = field(default_factory=dict)
    """Build facts: seconds, frames, whether the cache was used, faces per class."""

    def of_kind(self, kind: str) -> list[Session]:
        """Sessions of one kind (``chain``, ``neutral``, ``talking``)."""
        return [s for s in self.sessions if s.kind == kind]

    def at(self, fps: int) -> list[Session]:
        """Sessions that can be replayed at ``fps`` (their base rate is a multiple of it)."""
        return [s for s in self.sessions if fps > 0 and s.base_fps % fps == 0]


_MEMORY: dict[str, SessionSet] = {}


def default_data_path() -> Path | None:
    """``$EMOTUNE_DATA`` when set."""
    value = os.environ.get(DATA_ENV)
    return Path(value) if value else None


def cache_dir() -> Path:
    """Where classified sessions are cached (under EmoTune's user data folder, never the repo)."""
    return user_data_dir() / "cache" / "mood_sequences"


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _model_prior(classifier: Any) -> tuple[float, ...] | None:
    # Where the vision driver looks (emotune.vision.driver.build_pipeline), then the metadata.
    prior = getattr(classifier, "class_prior", None)
    if prior is None:
        prior = getattr(getattr(classifier, "metadata", None), "class_prior", None)
    return tuple(float(p) for p in prior) if prior is not None else None


def build_sessions(
    data_path: str | Path | None = None,
    *,
    classifier: Classifier | None = None,
    model: str | Path | None = None,
    seed: int = 0,
    chains: int = 12,
    seconds: float = 60.0,
    neutral: int = 1,
    talking: int = 1,
    fps: int = 30,
    invariance_rates: Sequence[int] = (10, 60),
    invariance_chains: int = 3,
    tune_index: str | Path = DEFAULT_TUNE_INDEX,
    cache: bool = True,
) -> SessionSet:
    """Plan, render and classify the benchmark sessions, or take them from the cache.

    ``data_path``: the FER2013+FER+ npz (default ``$EMOTUNE_DATA``). ``classifier``: anything with
    ``predict(faces) -> (N, 7)``; default ``EmotionClassifier.load(model)``. Every session can be
    replayed at ``fps``; the first ``invariance_chains`` chains and the neutral and talking
    sessions are rendered at the least common multiple of ``fps`` and ``invariance_rates``, so each
    of those rates is a subsample of the same frames.
    With ``cache``, results are kept in memory and in an npz under :func:`cache_dir`, keyed by
    the data file, the tuning index, the model file and every argument here.
    Raises FileNotFoundError when the data file is missing.
    """
    path = Path(data_path) if data_path is not None else default_data_path()
    if path is None or not path.is_file():
        raise FileNotFoundError(
            f"data file {path} not found: pass --data FILE or set ${DATA_ENV}"
            if path
            else f"no data file: pass --data FILE or set ${DATA_ENV}"
        )
    started = time.perf_counter()
    if classifier is None:
        from emotune.vision.classifier import EmotionClassifier

        classifier = EmotionClassifier.load(model)
    model_path = Path(getattr(classifier, "path", model or ""))
    high_fps = math.lcm(int(fps), *[int(r) for r in invariance_rates])
    stat = path.stat()
    key_parts = {
        "version": CACHE_VERSION,
        "data": [str(path.resolve()), stat.st_size, stat.st_mtime_ns],
        "tune_index": _file_digest(Path(tune_index)),
        # The model's identity as the calibration sees it: its file and sidecar (an ensemble can
        # keep its first member's file and change everything else).
        "model": _model_id(model_path) if model_path.is_file() else repr(classifier),
        "plan": [seed, chains, seconds, neutral, talking, fps, high_fps, invariance_chains],
    }
    key = hashlib.sha256(json.dumps(key_parts, sort_keys=True).encode()).hexdigest()[:20]
    prior = _model_prior(classifier)
    if cache and key in _MEMORY:
        result = _MEMORY[key]
        result.info["cache"] = "memory"
        return result
    cached = cache_dir() / f"{key}.npz" if cache else None
    if cached is not None and cached.is_file():
        try:
            result = _load_cache(cached, str(model_path), prior)
        except (OSError, ValueError, KeyError):
            result = None  # a damaged cache is rebuilt, not fatal
        if result is not None:
            result.info.update(cache="disk", load_s=round(time.perf_counter() - started, 3))
            _MEMORY[key] = result
            return result
    pool = load_tuning_faces(path, tune_index)
    sessions = plan_sessions(
        pool, seed, chains, seconds, neutral, talking, fps, high_fps, invariance_chains
    )
    render_and_classify(sessions, pool, classifier, seed)
    faces_used = _faces_used(sessions)
    info = {
        "cache": "built",
        "build_s": round(time.perf_counter() - started, 2),
        "frames_classified": int(sum(s.frame_count for s in sessions)) * 2,
        "fps": fps,
        "invariance_fps": high_fps,
        "pool_faces_per_class": {e.key: int(len(pool.indices(e))) for e in EMOTIONS},
        "distinct_faces_per_class": faces_used,
    }
    result = SessionSet(sessions, str(model_path), prior, info)
    if cached is not None:
        _save_cache(cached, result)
        _MEMORY[key] = result
    return result


def _faces_used(sessions: Sequence[Session]) -> dict[str, int]:
    used: dict[str, set[int]] = {e.key: set() for e in EMOTIONS}
    for session in sessions:
        for segment in session.segments:
            # The face that carries the expression (talking bursts mix in a neutral face).
            used[segment.emotion.key].add(max(segment.mix, key=lambda m: m[1])[0])
    return {k: len(v) for k, v in used.items()}


def _save_cache(path: Path, sessions: SessionSet) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "sessions": [
            [s.name, s.kind, s.base_fps, [seg.as_list() for seg in s.segments]]
            for s in sessions.sessions
        ],
        "info": sessions.info,
    }
    probabilities = np.concatenate([s.probabilities for s in sessions.sessions])
    mirrored = np.concatenate([s.mirrored for s in sessions.sessions])
    partial = path.with_suffix(".partial.npz")
    np.savez_compressed(
        partial, meta=json.dumps(meta), probabilities=probabilities, mirrored=mirrored
    )
    partial.replace(path)  # readers never see a half-written file


def _load_cache(path: Path, model: str, prior: tuple[float, ...] | None) -> SessionSet:
    with np.load(path) as data:
        meta = json.loads(str(data["meta"]))
        probabilities = data["probabilities"]
        mirrored = data["mirrored"]
    sessions = [
        Session(name, kind, tuple(Segment.from_list(seg) for seg in segments), int(rate))
        for name, kind, rate, segments in meta["sessions"]
    ]
    offset = 0
    for session in sessions:
        n = session.frame_count
        session.probabilities = probabilities[offset : offset + n]
        session.mirrored = mirrored[offset : offset + n]
        offset += n
    if offset != len(probabilities):
        raise ValueError(f"cache {path} holds {len(probabilities)} frames, its sessions {offset}")
    return SessionSet(sessions, model, prior, dict(meta["info"]))
