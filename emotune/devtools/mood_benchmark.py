"""The mood-filter sequence benchmark: replay classified sessions through the mood tracker and
score what it shows, for the shown mood and the music mood.

For tuning from a script::

    from emotune.devtools.mood_benchmark import build_sessions, score_filter
    sessions = build_sessions("fer2013_trainval.npz")  # once: 20-40 s, then cached on disk
    for declare_at in (0.9, 0.97):
        report = score_filter(sessions, {"declare_at": declare_at})  # 1-2 s: only the filter runs
        print(report["shown"]["time_right"], report["shown"]["onset_median_s"])

Keys of the config dict are :class:`emotune.mood.MoodConfig` fields. ``emotune bench --sections
mood_sequences`` and ``emotune evaluate --sequences`` print :func:`benchmark_report`.

For the music mood, which by design follows seconds after a change, read
``spurious_wrong_per_min``: every music change comes more than 2 s after the true change, so
``spurious_per_min`` counts them all.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from emotune.devtools.mood_scoring import (
    NO_MOOD,
    compare_timelines,
    neutral_summary,
    score_timeline,
    summarize,
    talking_summary,
)
from emotune.devtools.mood_sessions import Session, SessionSet, build_sessions

__all__ = [
    "benchmark_report",
    "build_sessions",
    "format_report",
    "make_tracker",
    "run_filter",
    "score_filter",
]

MODEL_PRIOR = "model"
"""``class_prior`` default: the prior the sessions' classifier declares, as the vision driver
uses it (none declared: the tracker's own default)."""
DEFAULT_INVARIANCE = ((10, 60), (30, 60))
HEADLINE = ("time_right", "onset_median_s", "onset_p90_s", "wrong_mood_time", "spurious_per_min")


def make_tracker(
    config_overrides: Mapping[str, Any] | None = None, class_prior: Sequence[float] | None = None
) -> tuple[Any, bool]:
    """A fresh ``MoodTracker(MoodConfig(**overrides), class_prior=...)`` (None: the tracker's
    default prior), and whether the tracker took a ``class_prior`` (older trackers are built
    from the config alone). Unknown config keys raise TypeError."""
    from emotune.mood import MoodConfig, MoodTracker

    config = MoodConfig(**dict(config_overrides or {}))
    prior = None if class_prior is None else list(class_prior)
    try:
        return MoodTracker(config, class_prior=prior), True
    except TypeError:
        return MoodTracker(config), False


def run_filter(
    times: np.ndarray, probabilities: np.ndarray, tracker: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Feed every frame to ``tracker.update``; returns the shown mood and the music mood per
    frame as class indices (:data:`NO_MOOD` for none). Trackers without ``music_mood`` on their
    snapshot count the shown mood as the music mood."""
    shown = np.full(len(times), NO_MOOD, dtype=np.int64)
    music = np.full(len(times), NO_MOOD, dtype=np.int64)
    for k, (t, p) in enumerate(zip(times.tolist(), probabilities, strict=True)):
        snap = tracker.update(p, t)
        if snap.mood is not None:
            shown[k] = snap.mood.value
        music_mood = getattr(snap, "music_mood", snap.mood)
        if music_mood is not None:
            music[k] = music_mood.value
    return shown, music


def _sessions_of(
    sessions: SessionSet | Sequence[Session],
) -> tuple[list[Session], tuple[float, ...] | None]:
    if isinstance(sessions, SessionSet):
        return sessions.sessions, sessions.class_prior
    return list(sessions), None


def _playable(items: Sequence[Session], *rates: int) -> list[Session]:
    return [s for s in items if all(r > 0 and s.base_fps % r == 0 for r in rates)]


def _replay(
    session: Session,
    overrides: Mapping[str, Any] | None,
    prior: Sequence[float] | None,
    fps: int,
    mirror: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
    times, probabilities = session.view(fps, mirror)
    tracker, prior_used = make_tracker(overrides, prior)
    shown, music = run_filter(times, probabilities, tracker)
    return times, session.truth(fps), shown, music, prior_used


def score_filter(
    sessions: SessionSet | Sequence[Session],
    config_overrides: Mapping[str, Any] | None = None,
    *,
    fps: int = 30,
    class_prior: Sequence[float] | str | None = MODEL_PRIOR,
    mirror: bool = False,
    invariance: Sequence[tuple[int, int]] = (),
) -> dict[str, Any]:
    """Replay every session that can play at ``fps`` through a fresh tracker built with
    ``config_overrides`` and score it (only the filter runs: the probabilities are already in
    the sessions).

    ``class_prior``: 7 floats, None, or ``"model"`` (the sessions' model prior, if any).
    ``mirror``: use the average of each face and its flip. ``invariance``: pairs of frame rates,
    e.g. ``((10, 60),)``, whose shown and music timelines are compared on the sessions rendered
    for both (slower: it replays those sessions at both rates).

    Returns ``shown`` and ``music`` (chain sessions: time right, onset median/p90, reach rate,
    wrong-mood time, spurious switches per minute, per class), ``neutral_session``,
    ``talking_session``, ``frame_top1_right`` (the network alone) and ``invariance``.
    """
    started = time.perf_counter()
    everything, model_prior = _sessions_of(sessions)
    items = _playable(everything, fps)
    if not items:
        raise ValueError(f"no session can be replayed at {fps} fps")
    prior = (
        model_prior if isinstance(class_prior, str) and class_prior == MODEL_PRIOR else class_prior
    )
    replays = {
        session.name: _replay(session, config_overrides, prior, fps, mirror) for session in items
    }
    chains = [s for s in items if s.kind == "chain"]
    report: dict[str, Any] = {
        "fps": fps,
        "mirror": mirror,
        "config": dict(config_overrides or {}),
        "class_prior": (list(prior) if prior is not None else "tracker default")
        if any(r[4] for r in replays.values())
        else "not supported by this tracker",
        "sessions": {
            kind: sum(1 for s in items if s.kind == kind)
            for kind in ("chain", "neutral", "talking")
        },
        "frame_top1_right": _top1_right(chains, fps, mirror),
    }
    for speed, column in (("shown", 2), ("music", 3)):
        report[speed] = summarize(
            score_timeline(r[0], r[1], r[column]) for r in (replays[s.name] for s in chains)
        )
    for kind, summary in (("neutral", neutral_summary), ("talking", talking_summary)):
        mine = [replays[s.name] for s in items if s.kind == kind]
        if not mine:
            continue
        if kind == "neutral":
            report["neutral_session"] = {
                speed: summary((r[0], r[col]) for r in mine)
                for speed, col in (("shown", 2), ("music", 3))
            }
        else:
            report["talking_session"] = {
                speed: summary((r[0], r[1], r[col]) for r in mine)
                for speed, col in (("shown", 2), ("music", 3))
            }
    if invariance:
        report["invariance"] = {
            f"{slow}_vs_{fast}": _invariance(
                _playable(everything, slow, fast), config_overrides, prior, mirror, slow, fast
            )
            for slow, fast in invariance
        }
    report["score_s"] = round(time.perf_counter() - started, 3)
    return report


def _top1_right(chains: Sequence[Session], fps: int, mirror: bool) -> float | None:
    right = total = 0
    for session in chains:
        _, probabilities = session.view(fps, mirror)
        right += int(np.sum(np.argmax(probabilities, axis=1) == session.truth(fps)))
        total += len(probabilities)
    return round(right / total, 4) if total else None


def _invariance(
    items: Sequence[Session],
    overrides: Mapping[str, Any] | None,
    prior: Sequence[float] | None,
    mirror: bool,
    slow: int,
    fast: int,
) -> dict[str, Any]:
    """Worst disagreement over sessions between the timelines at ``slow`` and ``fast`` fps."""
    out: dict[str, Any] = {"sessions": len(items)}
    if not items:
        return out
    per_speed: dict[str, list[dict[str, float]]] = {"shown": [], "music": []}
    for session in items:
        t_fast, _, shown_fast, music_fast, _ = _replay(session, overrides, prior, fast, mirror)
        t_slow, _, shown_slow, music_slow, _ = _replay(session, overrides, prior, slow, mirror)
        per_speed["shown"].append(compare_timelines(t_fast, shown_fast, t_slow, shown_slow))
        per_speed["music"].append(compare_timelines(t_fast, music_fast, t_slow, music_slow))
    for speed, results in per_speed.items():
        out[speed] = {
            "disagree_share_mean": round(float(np.mean([r["disagree_share"] for r in results])), 4),
            "longest_disagreement_s": max(r["longest_disagreement_s"] for r in results),
        }
    return out


def benchmark_report(
    data_path: Any = None,
    *,
    classifier: Any = None,
    model: Any = None,
    config_overrides: Mapping[str, Any] | None = None,
    fps: int = 30,
    mirror: bool = False,
    invariance: Sequence[tuple[int, int]] = DEFAULT_INVARIANCE,
    rescore_runs: int = 3,
) -> dict[str, Any]:
    """Build (or load) the default sessions, score the default filter, compare frame rates and
    time a re-score (median of ``rescore_runs``). Raises FileNotFoundError without data."""
    started = time.perf_counter()
    sessions = build_sessions(data_path, classifier=classifier, model=model)
    build_s = time.perf_counter() - started
    report = score_filter(sessions, config_overrides, fps=fps, mirror=mirror, invariance=invariance)
    timings = [report["score_s"]]
    for _ in range(max(0, rescore_runs - 1)):
        timings.append(score_filter(sessions, config_overrides, fps=fps, mirror=mirror)["score_s"])
    # Mirror averaging (the face and its flip, averaged) costs one more inference per face.
    mirrored = score_filter(sessions, config_overrides, fps=fps, mirror=not mirror)
    report["other_mirror"] = {
        "mirror": not mirror,
        "frame_top1_right": mirrored["frame_top1_right"],
        **{speed: {k: mirrored[speed][k] for k in HEADLINE} for speed in ("shown", "music")},
    }
    chains = sessions.of_kind("chain")
    report["build"] = {
        "sessions": {s.name: s.base_fps for s in sessions.sessions},
        **sessions.info,
        "seconds": round(build_s, 2),
        "model": sessions.model,
        "chain_minutes": round(sum(s.duration_s for s in chains) / 60.0, 2),
        "truth": "FER+ strict majority (> 5 of 10 votes) of held-out tuning-split faces",
    }
    # The invariance replays are not part of a plain re-score; time those separately.
    report["rescore_s_median"] = round(
        float(np.median(timings[1:] if len(timings) > 1 else timings)), 3
    )
    return report


def format_report(report: Mapping[str, Any]) -> str:
    """A short text view of :func:`benchmark_report` / :func:`score_filter`."""
    mirrored = " (mirror averaged)" if report.get("mirror") else ""
    lines = [
        f"Mood sequences at {report['fps']} fps{mirrored}: {report['sessions']['chain']} chained "
        f"sessions; the network's own top class is right on {_pct(report['frame_top1_right'])} "
        "of frames",
    ]
    for speed in ("shown", "music"):
        r = report[speed]
        lines.append(
            f"  {speed:<6} right {_pct(r['time_right'])}, onset median {r['onset_median_s']} s"
            f" / p90 {r['onset_p90_s']} s (reached {_pct(r['reach_rate'])} of {r['segments']}),"
            f" wrong mood {_pct(r['wrong_mood_time'])}, spurious {r['spurious_per_min']}/min"
            f" ({r['spurious_wrong_per_min']}/min to a wrong mood), back to neutral median"
            f" {r['neutral_return_median_s']} s / p90 {r['neutral_return_p90_s']} s"
            f" (reached {_pct(r['neutral_return_rate'])})"
        )
        per_class = ", ".join(
            f"{key} {_pct(c['time_right'])}"
            + (f" reach {_pct(c['reach_rate'])}" if "reach_rate" in c else "")
            for key, c in r["per_class"].items()
        )
        lines.append(f"         per class: {per_class}")
    for speed, r in report.get("neutral_session", {}).items():
        lines.append(
            f"  neutral session ({speed}): non-neutral {_pct(r['non_neutral_share'])}, "
            f"no mood {_pct(r['no_mood_share'])}, {r['declarations']} declaration(s)"
        )
    for speed, r in report.get("talking_session", {}).items():
        lines.append(
            f"  talking session ({speed}): longest angry/disgust/fear/sad "
            f"{r['longest_negative_s']} s, right {_pct(r['time_right'])}"
        )
    if "other_mirror" in report:
        other = report["other_mirror"]
        r = other["shown"]
        lines.append(
            f"  {'with' if other['mirror'] else 'without'} mirror averaging: frames right "
            f"{_pct(other['frame_top1_right'])}, shown right {_pct(r['time_right'])}, "
            f"onset median {r['onset_median_s']} s, wrong mood {_pct(r['wrong_mood_time'])}, "
            f"spurious {r['spurious_per_min']}/min"
        )
    for pair, r in report.get("invariance", {}).items():
        shown, music = r["shown"], r["music"]
        lines.append(
            f"  {pair.replace('_', ' ')} fps: shown differs {_pct(shown['disagree_share_mean'])}"
            f" (longest {shown['longest_disagreement_s']} s), music "
            f"{_pct(music['disagree_share_mean'])} (longest {music['longest_disagreement_s']} s)"
        )
    if "build" in report:
        lines.append(
            f"  sessions {report['build'].get('cache')} in {report['build']['seconds']} s; "
            f"re-score {report.get('rescore_s_median')} s (median)"
        )
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"
