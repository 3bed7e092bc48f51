"""Scores a mood timeline against the truth over time (pure numpy, no model, no tracker).

Timelines are arrays over frames: ``times`` (seconds, increasing), ``truth`` (class index per
frame) and ``shown`` (class index, or :data:`NO_MOOD` when nothing is shown). Each frame stands
for the time until the next one (the last for the typical frame gap), so shares are shares of
time whatever the frame rate.

Measures (:func:`score_timeline`, pooled over sessions by :func:`summarize`):

* ``time_right``: share of time the shown mood equals the truth (no mood counts as wrong);
* onset latency per non-neutral segment: from the segment's first frame to the first frame
  whose shown mood equals the truth, within the segment (median and 90th percentile over the
  segments reached), and the reach rate;
* ``wrong_mood_time``: share of time an emotion is shown that is neither the truth nor neutral;
* spurious switches per minute of steady time: changes of the shown mood (to or from no mood
  included) more than ``steady_after_s`` after the last true change, per minute of such time
  (a late switch to the right mood counts too; ``spurious_wrong_per_min`` counts only changes to
  a mood other than the truth);
* per class: time right and reach rate;
* return to neutral: the same latency for neutral segments that follow an expression (how long
  an expression is held after the face relaxed).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from emotune.emotions import EMOTIONS, NUM_CLASSES, Emotion

NO_MOOD = -1
"""``shown`` value for frames where no mood is shown."""
NEUTRAL = Emotion.NEUTRAL.value
NEGATIVE = tuple(e.value for e in (Emotion.ANGRY, Emotion.DISGUST, Emotion.FEAR, Emotion.SAD))
"""Moods that must never flash up while someone talks and smiles."""
STEADY_AFTER_S = 2.0


def frame_durations(times: np.ndarray) -> np.ndarray:
    """Seconds each frame stands for: the gap to the next frame; the last gets the median gap."""
    times = np.asarray(times, dtype=np.float64)
    if len(times) < 2:
        return np.zeros(len(times))
    gaps = np.diff(times)
    return np.append(gaps, np.median(gaps))


def truth_runs(truth: np.ndarray) -> list[tuple[int, int, int]]:
    """Runs of one true class as ``(first frame, end frame exclusive, class)``."""
    truth = np.asarray(truth)
    if not len(truth):
        return []
    starts = np.concatenate([[0], np.flatnonzero(truth[1:] != truth[:-1]) + 1])
    ends = np.append(starts[1:], len(truth))
    return [(int(a), int(b), int(truth[a])) for a, b in zip(starts, ends, strict=True)]


def longest_stretch(times: np.ndarray, mask: np.ndarray) -> float:
    """Longest time (seconds) over consecutive frames where ``mask`` holds."""
    durations = frame_durations(times)
    longest = current = 0.0
    for on, duration in zip(np.asarray(mask, dtype=bool), durations, strict=True):
        current = current + duration if on else 0.0
        longest = max(longest, current)
    return float(longest)


def declarations(shown: np.ndarray) -> int:
    """How often a mood is declared: changes of the shown mood to a mood (not to no mood),
    counting the first one."""
    shown = np.asarray(shown)
    if not len(shown):
        return 0
    changed = np.concatenate([[shown[0] != NO_MOOD], shown[1:] != shown[:-1]])
    return int(np.sum(changed & (shown != NO_MOOD)))


@dataclass
class TimelineScore:
    """Raw sums for one timeline, so sessions pool by adding (see :func:`summarize`)."""

    total_s: float = 0.0
    right_s: float = 0.0
    wrong_mood_s: float = 0.0
    steady_s: float = 0.0
    spurious: int = 0
    spurious_wrong: int = 0
    class_total_s: np.ndarray = field(default_factory=lambda: np.zeros(NUM_CLASSES))
    class_right_s: np.ndarray = field(default_factory=lambda: np.zeros(NUM_CLASSES))
    onsets: list[tuple[int, float | None]] = field(default_factory=list)
    """``(class, latency in seconds or None when never reached)`` per non-neutral segment."""
    returns: list[float | None] = field(default_factory=list)
    """The same latency for each neutral segment after the first (back to neutral)."""


def score_timeline(
    times: np.ndarray, truth: np.ndarray, shown: np.ndarray, steady_after_s: float = STEADY_AFTER_S
) -> TimelineScore:
    """The raw measures of one shown-mood timeline against its truth."""
    times = np.asarray(times, dtype=np.float64)
    truth = np.asarray(truth)
    shown = np.asarray(shown)
    if not (len(times) == len(truth) == len(shown)):
        raise ValueError(
            f"times, truth and shown differ in length: {len(times)}, {len(truth)}, {len(shown)}"
        )
    durations = frame_durations(times)
    right = shown == truth
    score = TimelineScore(
        total_s=float(durations.sum()),
        right_s=float(durations[right].sum()),
        wrong_mood_s=float(durations[(shown != NO_MOOD) & ~right & (shown != NEUTRAL)].sum()),
    )
    np.add.at(score.class_total_s, truth, durations)
    np.add.at(score.class_right_s, truth[right], durations[right])
    runs = truth_runs(truth)
    since_change = np.empty(len(times))
    for first, end, emotion in runs:
        since_change[first:end] = times[first:end] - times[first]
        hits = np.flatnonzero(right[first:end])
        latency = float(times[first + hits[0]] - times[first]) if len(hits) else None
        if emotion != NEUTRAL:
            score.onsets.append((emotion, latency))
        elif first > 0:
            score.returns.append(latency)
    steady = since_change > steady_after_s
    score.steady_s = float(durations[steady].sum())
    if len(shown) > 1:
        changes = np.concatenate([[False], shown[1:] != shown[:-1]])
        score.spurious = int(np.sum(changes & steady))
        score.spurious_wrong = int(np.sum(changes & steady & ~right))
    return score


def _percentile(values: Sequence[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if len(values) else None


def _share(part: float, whole: float) -> float | None:
    return round(float(part) / float(whole), 4) if whole > 0 else None


def summarize(scores: Iterable[TimelineScore]) -> dict[str, object]:
    """Pool timelines: shares of all their time, latencies over all their segments."""
    scores = list(scores)
    total = sum(s.total_s for s in scores)
    steady = sum(s.steady_s for s in scores)
    onsets = [o for s in scores for o in s.onsets]
    reached = [latency for _, latency in onsets if latency is not None]
    class_total = (
        np.sum([s.class_total_s for s in scores], axis=0) if scores else np.zeros(NUM_CLASSES)
    )
    class_right = (
        np.sum([s.class_right_s for s in scores], axis=0) if scores else np.zeros(NUM_CLASSES)
    )
    per_class: dict[str, dict[str, object]] = {}
    for emotion in EMOTIONS:
        if class_total[emotion.value] <= 0:
            continue
        entry: dict[str, object] = {
            "time_right": _share(class_right[emotion.value], class_total[emotion.value])
        }
        mine = [latency for cls, latency in onsets if cls == emotion.value]
        if mine:
            hits = [latency for latency in mine if latency is not None]
            entry.update(
                segments=len(mine),
                reach_rate=_share(len(hits), len(mine)),
                onset_median_s=_percentile(hits, 50),
            )
        per_class[emotion.key] = entry
    spurious = sum(s.spurious for s in scores)
    returns = [r for s in scores for r in s.returns]
    returned = [r for r in returns if r is not None]
    return {
        "time_right": _share(sum(s.right_s for s in scores), total),
        "onset_median_s": _percentile(reached, 50),
        "onset_p90_s": _percentile(reached, 90),
        "reach_rate": _share(len(reached), len(onsets)),
        "segments": len(onsets),
        "wrong_mood_time": _share(sum(s.wrong_mood_s for s in scores), total),
        "spurious_per_min": round(spurious / (steady / 60.0), 3) if steady > 0 else None,
        "spurious_switches": spurious,
        "spurious_wrong_per_min": round(sum(s.spurious_wrong for s in scores) / (steady / 60.0), 3)
        if steady > 0
        else None,
        "steady_min": round(steady / 60.0, 2),
        "neutral_return_median_s": _percentile(returned, 50),
        "neutral_return_p90_s": _percentile(returned, 90),
        "neutral_return_rate": _share(len(returned), len(returns)),
        "per_class": per_class,
    }


def neutral_summary(timelines: Iterable[tuple[np.ndarray, np.ndarray]]) -> dict[str, object]:
    """For sessions where the person stays neutral: share of time an emotion other than
    neutral is shown, share with no mood, and how many declarations were made."""
    total = non_neutral = none = 0.0
    declared = 0
    for times, shown in timelines:
        durations = frame_durations(times)
        total += durations.sum()
        non_neutral += durations[(shown != NO_MOOD) & (shown != NEUTRAL)].sum()
        none += durations[shown == NO_MOOD].sum()
        declared += declarations(shown)
    return {
        "non_neutral_share": _share(non_neutral, total),
        "no_mood_share": _share(none, total),
        "declarations": declared,
    }


def talking_summary(
    timelines: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> dict[str, object]:
    """For talking-and-smiling sessions: the longest stretch shown as angry, disgust, fear or
    sad, the time shown so in all, and the time right."""
    timelines = list(timelines)
    longest = 0.0
    negative = total = 0.0
    for times, _, shown in timelines:
        mask = np.isin(shown, NEGATIVE)
        longest = max(longest, longest_stretch(times, mask))
        durations = frame_durations(times)
        negative += durations[mask].sum()
        total += durations.sum()
    pooled = summarize(score_timeline(t, truth, shown) for t, truth, shown in timelines)
    return {
        "longest_negative_s": round(longest, 3),
        "negative_share": _share(negative, total),
        "time_right": pooled["time_right"],
        "wrong_mood_time": pooled["wrong_mood_time"],
    }


def compare_timelines(
    times_a: np.ndarray, shown_a: np.ndarray, times_b: np.ndarray, shown_b: np.ndarray
) -> dict[str, float]:
    """How far two shown-mood timelines of the same session (e.g. at 10 and 60 fps) disagree,
    on ``times_a`` (the finer grid): each frame of ``a`` is compared with the latest frame of
    ``b`` at or before it. Returns the share of time and the longest stretch they disagree."""
    times_a = np.asarray(times_a, dtype=np.float64)
    index = np.searchsorted(np.asarray(times_b, dtype=np.float64), times_a + 1e-9, side="right") - 1
    b_on_a = np.where(index >= 0, np.asarray(shown_b)[np.clip(index, 0, None)], NO_MOOD)
    differ = np.asarray(shown_a) != b_on_a
    durations = frame_durations(times_a)
    return {
        "disagree_share": _share(float(durations[differ].sum()), float(durations.sum())) or 0.0,
        "longest_disagreement_s": round(longest_stretch(times_a, differ), 3),
    }
