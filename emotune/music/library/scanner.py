"""Find every track in the library folders, read its tags, and place it on the mood map.

``scan()`` walks the folders (recursively, following symlinks but never twice into the same
folder, so symlink loops are harmless), reads each audio file's tags through the tag table,
optionally analyses untagged tracks in a background thread pool, and returns a
:class:`ScanReport`. Results are cached (see :mod:`emotune.music.library.cache`), so an unchanged rescan
only ``stat``s files.

Nothing here ever writes to an audio file. Every bad file - empty, truncated, not really audio,
unreadable - is listed in ``ScanReport.skipped`` with a reason; the scan always completes.
Hidden files and folders (names starting with ``.``) are ignored, which also keeps the tag
writer's temporary files out of the library; non-audio files are ignored silently.
"""

from __future__ import annotations

import gc
import os
import stat
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import NamedTuple

from emotune.emotions import EMOTIONS, Emotion
from emotune.music.library.cache import LibraryCache, path_key
from emotune.music.library.formats import AUDIO_EXTENSIONS, TagError
from emotune.music.library.moodwords import parse_mood
from emotune.music.library.placement import build_track, folder_names
from emotune.music.library.tags import TagInfo, is_leftover_temp, read_tags, remove_leftover_temps
from emotune.music.library.track import Track
from emotune.paths import DEMO_LIBRARY_DIR

ProgressCallback = Callable[[int, int, Path], None]
"""``progress(done, total, path)``; during analysis ``total`` grows to include the analysis work."""


@dataclass
class ScanReport:
    """The outcome of one scan."""

    tracks: list[Track] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (path, reason)
    elapsed: float = 0.0  # seconds, wall clock
    folders: list[Path] = field(default_factory=list)  # the roots that were scanned
    from_cache: int = 0  # files whose tags came from the cache
    analyzed: int = 0  # tracks analysed during this scan (not from the cache)
    analysis_failed: list[tuple[Path, str]] = field(default_factory=list)
    analysis_unavailable: str | None = None  # why analysis could not run, if it was requested

    @property
    def elapsed_seconds(self) -> float:
        """Alias of :attr:`elapsed`."""
        return self.elapsed

    def counts(self) -> dict[Emotion, int]:
        """Tracks per emotion, every emotion present (zero if none), in canonical order."""
        counts = dict.fromkeys(EMOTIONS, 0)
        for track in self.tracks:
            counts[track.emotion] += 1
        return counts

    def to_dict(self) -> dict:
        """JSON-friendly summary (used by ``emotune scan --json``).

        Paths are ``str(path)``: a name that is not valid UTF-8 keeps its surrogate escapes, so
        ``os.fsencode`` recovers the exact bytes; dump with ``ensure_ascii=True`` to print it.
        """
        return {
            "folders": [str(p) for p in self.folders],
            "tracks": [t.to_dict() for t in self.tracks],
            "counts": {e.key: n for e, n in self.counts().items()},
            "skipped": [{"path": str(p), "reason": r} for p, r in self.skipped],
            "analysis_failed": [{"path": str(p), "reason": r} for p, r in self.analysis_failed],
            "analysis_unavailable": self.analysis_unavailable,
            "elapsed": round(self.elapsed, 3),
            "from_cache": self.from_cache,
            "analyzed": self.analyzed,
        }


def display_path(path: Path) -> str:
    """The path as printable text: undecodable bytes in a name become U+FFFD."""
    return os.fsencode(path).decode("utf-8", "replace")


def default_folders() -> list[Path]:
    """The bundled demo library plus the folders the user added in the settings."""
    from emotune.settings import Settings

    folders = [DEMO_LIBRARY_DIR]
    extra = Settings().get("library_folders") or []
    if isinstance(extra, (list, tuple)):  # a hand-edited settings file may hold anything
        for entry in extra:
            folder = Path(os.path.expanduser(str(entry))) if entry else None
            if folder is not None and folder not in folders:
                folders.append(folder)
    return folders


class _Candidate(NamedTuple):
    """One audio file found by :func:`discover` (a tuple: cheap to make 100k of)."""

    path: Path
    root: Path
    mtime_ns: int
    size: int
    key: bytes  # path_key(path), computed once: a scan uses it three times


def discover(roots: Iterable[Path], skipped: list[tuple[Path, str]]) -> list[_Candidate]:
    """All audio files under ``roots``; problems are appended to ``skipped``.

    Follows symlinks but remembers each folder and file by (device, inode), so a symlink loop or a
    folder reachable twice is walked once and a file linked twice is listed once.
    """
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[tuple[int, int]] = set()
    found: list[_Candidate] = []
    for raw_root in roots:
        root = Path(os.path.abspath(os.path.expanduser(os.fspath(raw_root))))
        try:
            root_stat = root.stat()
        except OSError as exc:
            skipped.append((root, _folder_reason(exc)))
            continue
        if stat.S_ISREG(root_stat.st_mode):  # a single file given as a "folder"
            if root.suffix.lower() in AUDIO_EXTENSIONS:
                key = (root_stat.st_dev, root_stat.st_ino)
                if key not in seen_files:
                    seen_files.add(key)
                    found.append(
                        _Candidate(
                            root,
                            root.parent,
                            root_stat.st_mtime_ns,
                            root_stat.st_size,
                            path_key(root),
                        )
                    )
            else:
                skipped.append((root, "not an audio file"))
            continue
        stack = [root]
        while stack:
            folder = stack.pop()
            try:
                folder_stat = folder.stat()
            except OSError as exc:
                skipped.append((folder, _folder_reason(exc)))
                continue
            dir_key = (folder_stat.st_dev, folder_stat.st_ino)
            if dir_key in seen_dirs:
                continue  # symlink loop, or a folder listed twice
            seen_dirs.add(dir_key)
            try:
                with os.scandir(folder) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as exc:
                skipped.append((folder, _folder_reason(exc)))
                continue
            subfolders: list[Path] = []
            for entry in entries:
                if entry.name.startswith("."):
                    if is_leftover_temp(entry.name):  # a killed tag write's copy: clean up
                        remove_leftover_temps(folder)
                    continue  # hidden files, macOS "._" forks, our own temp files
                try:
                    is_dir = entry.is_dir()  # follows symlinks
                except OSError:
                    is_dir = False
                if is_dir:
                    subfolders.append(Path(entry.path))
                    continue
                name = entry.name
                dot = name.rfind(".")
                if dot <= 0 or name[dot:].lower() not in AUDIO_EXTENSIONS:
                    continue  # covers, playlists, READMEs: not our business
                path = _child(folder, name)
                try:
                    st = entry.stat()  # follows symlinks
                except OSError as exc:
                    skipped.append((path, _file_reason(exc, entry)))
                    continue
                if not stat.S_ISREG(st.st_mode):
                    skipped.append((path, "not a regular file"))
                    continue
                file_key = (st.st_dev, st.st_ino)
                if file_key in seen_files:
                    continue
                seen_files.add(file_key)
                key = os.fsencode(entry.path)
                found.append(_Candidate(path, root, st.st_mtime_ns, st.st_size, key))
            # reversed so the stack pops them in alphabetical order
            stack.extend(reversed(subfolders))
    return found


def _child(folder: Path, name: str) -> Path:
    """``folder / name`` for a plain file name from ``os.scandir``. pathlib's own fast path for
    that (what its glob uses) skips re-parsing the name: 0.5 s of a warm 100k-file scan."""
    make = getattr(folder, "_make_child_relpath", None)
    return make(name) if make is not None else folder / name


def _folder_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "folder not found"
    if isinstance(exc, PermissionError):
        return "folder not readable (permission denied)"
    if isinstance(exc, NotADirectoryError):
        return "not a folder"
    return f"folder not readable ({exc.strerror or exc})"


def _file_reason(exc: OSError, entry: os.DirEntry | None = None) -> str:
    if isinstance(exc, FileNotFoundError) and entry is not None and entry.is_symlink():
        return "broken symlink"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if getattr(exc, "errno", None) == 40:  # ELOOP
        return "symlink loop"
    return f"unreadable ({exc.strerror or exc})"


def probe(path: Path) -> tuple[TagInfo | None, str | None, bool]:
    """Read one file's tags: ``(tags, None, _)`` or ``(None, reason, cacheable)``.

    OS-level failures (permission denied, file vanished) are not cacheable: the user may fix
    permissions without changing the file's mtime, so they are retried on every scan.
    """
    try:
        return read_tags(path), None, True
    except TagError as exc:
        return None, str(exc), True
    except OSError as exc:
        return None, _file_reason(exc), False


def scan(
    folders: list[Path] | None = None,
    *,
    analyze: bool = False,
    progress: ProgressCallback | None = None,
    cache: LibraryCache | None = None,
) -> ScanReport:
    """Scan ``folders`` (default: the demo library + the user's folders) into a :class:`ScanReport`.

    ``analyze=True`` also measures tempo/mode/energy for tracks without a recognised mood tag,
    in a background thread pool (results are cached; cached results are used even when
    ``analyze`` is False). ``progress(done, total, path)`` is called once per file and once per
    analysed track; if it raises, the scan stops and the exception propagates (use that to
    cancel). ``cache`` defaults to the user's library cache, opened and closed here.
    """
    # The cyclic garbage collector runs every 700 allocations by default and each run promotes
    # survivors, so a 100k-file scan (about a million long-lived objects) paid a third of its
    # time in it. Collecting young objects every 100,000 allocations instead keeps that cheap while
    # still freeing the reference cycles tag reading leaves behind (switching the collector off
    # let those pile up: 420 MB on a cold 100k scan).
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], 100_000), 50, threshold[2])
    try:
        return _scan(folders, analyze, progress, cache)
    finally:
        gc.set_threshold(*threshold)


def load_library(folders: list[Path] | None = None, analyze: bool = False) -> list[Track]:
    """Scan ``folders`` (default: the demo library + the user's folders) and return the tracks.

    Uses the library cache, so calling it again on an unchanged library is fast. For progress
    reporting, skipped files or per-emotion counts, call :func:`scan`.
    """
    return scan(folders, analyze=analyze).tracks


def _scan(
    folders: list[Path] | None,
    analyze: bool,
    progress: ProgressCallback | None,
    cache: LibraryCache | None,
) -> ScanReport:
    started = time.perf_counter()
    roots = default_folders() if folders is None else [Path(f) for f in folders]
    report = ScanReport(folders=[Path(os.path.abspath(os.path.expanduser(r))) for r in roots])
    own_cache = cache is None
    cache = cache if cache is not None else LibraryCache()
    try:
        candidates = discover(roots, report.skipped)
        probed = _probe_all(candidates, cache, report, progress)
        analyses = _analyses(probed, cache, report, progress, analyze, len(candidates))
        # Folder names (and so a folder's mood) are shared by every file in a folder; keyed by
        # the folder's bytes, since making and hashing a Path per file costs more than the rest.
        folders_of: dict[tuple[bytes, int], list[str]] = {}
        keyed: list[tuple[bytes, Track]] = []
        for cand, tags in probed:
            folder = (cand.key.rpartition(b"/")[0], id(cand.root))
            names = folders_of.get(folder)
            if names is None:
                names = folders_of[folder] = folder_names(cand.path, cand.root)
            analysis = analyses.get(cand.key)
            track = build_track(cand.path, tags, cand.root, analysis, folders=names)
            keyed.append((cand.key.lower(), track))
    finally:
        if own_cache:
            cache.close()
    keyed.sort(key=lambda pair: pair[0])
    report.tracks = [track for _, track in keyed]
    report.skipped.sort(key=lambda item: os.fsencode(item[0]))
    report.elapsed = time.perf_counter() - started
    return report


def _probe_all(
    candidates: list[_Candidate],
    cache: LibraryCache,
    report: ScanReport,
    progress: ProgressCallback | None,
) -> list[tuple[_Candidate, TagInfo]]:
    """Tags for every candidate, from the cache when the file is unchanged."""
    cached = cache.load_files()
    fresh_rows: list[tuple[bytes, int, int, dict | None, str | None]] = []
    probed: list[tuple[_Candidate, TagInfo]] = []
    seen: set[bytes] = set()
    total = len(candidates)
    for done, cand in enumerate(candidates, start=1):
        key = cand.key
        seen.add(key)
        hit = cached.get(key)
        tags: TagInfo | None = None
        reason: str | None = None
        if hit is not None and hit.mtime_ns == cand.mtime_ns and hit.size == cand.size:
            if hit.tags is not None:
                try:
                    tags = _cached_tags(hit.tags)
                    report.from_cache += 1
                except TypeError:
                    pass  # a row from an older TagInfo layout: read the file again
            elif hit.error:
                reason = hit.error
                report.from_cache += 1
        if tags is None and reason is None:
            tags, reason, cacheable = probe(cand.path)
            if cacheable:
                fresh_rows.append(
                    (key, cand.mtime_ns, cand.size, tags.to_dict() if tags else None, reason)
                )
        if tags is not None:
            probed.append((cand, tags))
        else:
            report.skipped.append((cand.path, reason or "unreadable"))
        if progress is not None:
            progress(done, total, cand.path)
    cache.store_files(fresh_rows)
    # Drop cached files that vanished from the folders scanned now (other folders keep theirs).
    prefixes = tuple(path_key(root).rstrip(b"/") + b"/" for root in report.folders)
    gone = [k for k in cached if k not in seen and k.startswith(prefixes)]
    cache.forget(gone)
    return probed


_TAG_FIELDS = frozenset(f.name for f in fields(TagInfo))


def _cached_tags(data: dict) -> TagInfo:
    """``TagInfo.from_dict`` for a cache row, without the frozen dataclass's per-field setattr.

    A row with exactly TagInfo's fields (what ``to_dict`` wrote) is adopted as the instance's
    ``__dict__``, five times faster at 100k rows; anything else goes through ``from_dict``
    (which raises TypeError for an older layout).
    """
    if not isinstance(data, dict) or data.keys() != _TAG_FIELDS:
        return TagInfo.from_dict(data)
    tags = object.__new__(TagInfo)
    object.__setattr__(tags, "__dict__", data)
    return tags


def _analyses(
    probed: list[tuple[_Candidate, TagInfo]],
    cache: LibraryCache,
    report: ScanReport,
    progress: ProgressCallback | None,
    analyze: bool,
    files_total: int,
) -> dict:
    """Analysis results by path key: cached ones always, fresh ones when ``analyze``."""
    from emotune.music.library import (
        analysis as an,  # numpy only; librosa stays unimported until needed
    )

    results: dict[bytes, an.AnalysisResult] = {}
    cached = cache.load_analyses(an.ANALYSIS_VERSION)
    todo: list[tuple[_Candidate, TagInfo]] = []
    for cand, tags in probed:
        key = cand.key
        hit = cached.get(key)
        if hit is not None and hit.mtime_ns == cand.mtime_ns and hit.size == cand.size:
            if hit.result is not None:
                try:
                    results[key] = an.AnalysisResult.from_dict(hit.result)
                except TypeError:
                    todo.append((cand, tags))
            elif analyze and parse_mood(tags.mood) is None:
                report.analysis_failed.append((cand.path, hit.error or "analysis failed"))
            continue
        # Tracks with a recognised mood tag don't need the audio analysed to be placed.
        if analyze and parse_mood(tags.mood) is None:
            todo.append((cand, tags))
    if not todo:
        return results
    available, why = an.availability()
    if not available:
        report.analysis_unavailable = why
        return results

    by_path = {cand.path: cand for cand, _ in todo}
    total = files_total + len(todo)

    def relay(done: int, _n: int, path: Path) -> None:
        if progress is not None:
            progress(files_total + done, total, path)

    outcome = an.analyze_many([(c.path, t.duration) for c, t in todo], progress=relay)
    rows = []
    for path, result in outcome.items():
        cand = by_path[path]
        key = path_key(path)
        if isinstance(result, an.AnalysisResult):
            results[key] = result
            rows.append((key, cand.mtime_ns, cand.size, result.to_dict(), None))
            report.analyzed += 1
        else:
            report.analysis_failed.append((path, str(result)))
            if result.permanent:  # e.g. silence: don't decode it again until the file changes
                rows.append((key, cand.mtime_ns, cand.size, None, str(result)))
    cache.store_analyses(an.ANALYSIS_VERSION, rows)
    report.analysis_failed.sort(key=lambda item: os.fsencode(item[0]))
    return results
