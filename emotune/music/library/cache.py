"""The library cache: what each file's tags and analysis said, keyed by path, mtime and size.

A rescan of an unchanged library only ``stat``s each file and looks it up here, so it takes a
fraction of a second even for thousands of tracks. A changed file (new mtime or size) is read
again; a file that disappeared is dropped when its folder is rescanned.

The cache is a convenience, never a source of truth, so it must never break the app:
a corrupt or foreign database file is moved aside (``library.sqlite.corrupt``) and rebuilt, any
SQLite error during use rebuilds it, and if the data folder is not writable the cache lives in
memory for the session. Paths are stored as file-system bytes (``os.fsencode``) so that file names
that are not valid UTF-8 work too.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from emotune.paths import user_data_dir

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
CACHE_FILENAME = "library.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path BLOB PRIMARY KEY,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    tags TEXT,            -- TagInfo as JSON, or NULL when the file was skipped
    error TEXT,           -- why the file was skipped
    scanned_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS analysis (
    path BLOB PRIMARY KEY,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    version INTEGER NOT NULL,
    result TEXT,          -- AnalysisResult as JSON, or NULL on failure
    error TEXT
);
"""


class CachedFile(NamedTuple):
    """One row of the ``files`` table (a tuple: a 100k-file library builds 100k of them)."""

    mtime_ns: int
    size: int
    tags: dict | None
    error: str | None


class CachedAnalysis(NamedTuple):
    """One row of the ``analysis`` table."""

    mtime_ns: int
    size: int
    version: int
    result: dict | None
    error: str | None


_DAMAGED = object()
"""Stands for a JSON cell that does not parse: that row is a cache miss."""


def _json_column(cells: list[str | None]) -> list:
    """Parse a column of JSON texts (None stays None; a damaged cell becomes ``_DAMAGED``).

    One ``json.loads`` of the whole column as an array costs about half of one call per cell,
    which matters at 100k rows; if any cell is damaged, the cells are parsed one by one.
    """
    present = [cell for cell in cells if cell]
    try:
        values = json.loads("[" + ",".join(present) + "]")
    except ValueError:
        values = None
    if values is None or len(values) != len(present):  # damaged cells: find which, one by one
        return [_loads_or_damaged(cell) if cell else None for cell in cells]
    parsed = iter(values)
    return [next(parsed) if cell else None for cell in cells]


def _loads_or_damaged(cell: str) -> object:
    try:
        return json.loads(cell)
    except ValueError:
        return _DAMAGED


def path_key(path: Path | str) -> bytes:
    """The cache key of a path: its file-system bytes (works for non-UTF-8 names)."""
    return os.fsencode(os.fspath(path))


class LibraryCache:
    """SQLite-backed cache of scan and analysis results. Thread-safe; every method is best-effort.

    ``path=None`` uses ``user_data_dir()/library.sqlite``; ``":memory:"`` gives a private cache.
    """

    def __init__(self, path: Path | str | None = None) -> None:
        if path is None:
            try:
                path = user_data_dir() / CACHE_FILENAME
            except OSError as exc:  # no usable data folder: a session-only cache
                log.warning("no data folder for the library cache (%s); using memory", exc)
                path = ":memory:"
        self.path: Path | str = path
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self.rebuilt = False  # True if a corrupt file was replaced during this session
        self.in_memory = str(self.path) == ":memory:"
        self._open()

    # --- opening and recovery -----------------------------------------------------------------

    def _connect(self, target: str) -> sqlite3.Connection:
        # check_same_thread=False: the GUI scans in a worker thread; our own lock serialises use.
        conn = sqlite3.connect(target, timeout=5.0, check_same_thread=False)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if version != SCHEMA_VERSION and tables:
                # An older layout: the data is only a cache, so start afresh.
                conn.executescript("DROP TABLE IF EXISTS files; DROP TABLE IF EXISTS analysis;")
            conn.executescript(_SCHEMA)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            if target != ":memory:":
                conn.execute("PRAGMA journal_mode = WAL")  # readers don't block the scanner
                conn.execute("PRAGMA synchronous = NORMAL")  # a lost cache write is harmless
            conn.commit()
        except BaseException:
            conn.close()
            raise
        return conn

    def _open(self) -> None:
        if self.in_memory:
            self._conn = self._connect(":memory:")
            return
        path = Path(self.path)
        try:
            self._conn = self._connect(str(path))
            return
        except sqlite3.DatabaseError as exc:
            log.warning("library cache %s is unusable (%s); rebuilding it", path, exc)
            self._move_aside(path)
        except (OSError, sqlite3.Error) as exc:
            log.warning("cannot open library cache %s (%s)", path, exc)
        try:
            self._conn = self._connect(str(path))
            self.rebuilt = True
        except (OSError, sqlite3.Error) as exc:
            # Read-only or full disk: keep working with a session-only cache.
            log.warning("library cache falls back to memory (%s)", exc)
            self.in_memory = True
            self._conn = self._connect(":memory:")

    @staticmethod
    def _move_aside(path: Path) -> None:
        for suffix in ("", "-wal", "-shm"):
            victim = Path(f"{path}{suffix}")
            if not victim.exists():
                continue
            try:
                os.replace(victim, Path(f"{path}.corrupt{suffix}"))
            except OSError:
                with contextlib.suppress(OSError):
                    victim.unlink()

    def _recover(self, exc: Exception) -> None:
        """An error in use: drop the connection and start from an empty cache."""
        log.warning("library cache error (%s); rebuilding", exc)
        with contextlib.suppress(sqlite3.Error):
            if self._conn is not None:
                self._conn.close()
        self._conn = None
        if not self.in_memory:
            self._move_aside(Path(self.path))
        self.rebuilt = True
        self._open()

    # --- files --------------------------------------------------------------------------------

    def load_files(self) -> dict[bytes, CachedFile]:
        """Every cached file row, by path key."""
        with self._lock:
            if self._conn is None:
                return {}
            try:
                rows = self._conn.execute(
                    "SELECT path, mtime_ns, size, tags, error FROM files"
                ).fetchall()
            except sqlite3.Error as exc:
                self._recover(exc)
                return {}
        parsed = _json_column([tags for _, _, _, tags, _ in rows])
        return {
            bytes(key): CachedFile(mtime_ns, size, tags, error)
            for (key, mtime_ns, size, _, error), tags in zip(rows, parsed, strict=True)
            if tags is not _DAMAGED
        }

    def store_files(self, rows: Iterable[tuple[bytes, int, int, dict | None, str | None]]) -> None:
        """Insert or replace ``(key, mtime_ns, size, tags_dict | None, error | None)`` rows."""
        now = time.time()
        data = [
            (key, mtime, size, json.dumps(tags) if tags is not None else None, error, now)
            for key, mtime, size, tags, error in rows
        ]
        if not data:
            return
        self._write(
            "INSERT OR REPLACE INTO files (path, mtime_ns, size, tags, error, scanned_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            data,
        )

    def forget(self, keys: Iterable[bytes]) -> None:
        """Drop files (and their analysis) that no longer exist."""
        data = [(key,) for key in keys]
        if not data:
            return
        self._write("DELETE FROM files WHERE path = ?", data)
        self._write("DELETE FROM analysis WHERE path = ?", data)

    # --- analysis -----------------------------------------------------------------------------

    def load_analyses(self, version: int) -> dict[bytes, CachedAnalysis]:
        """Analysis rows of the given algorithm version, by path key."""
        with self._lock:
            if self._conn is None:
                return {}
            try:
                rows = self._conn.execute(
                    "SELECT path, mtime_ns, size, version, result, error FROM analysis "
                    "WHERE version = ?",
                    (version,),
                ).fetchall()
            except sqlite3.Error as exc:
                self._recover(exc)
                return {}
        parsed = _json_column([result for _, _, _, _, result, _ in rows])
        return {
            bytes(key): CachedAnalysis(mtime_ns, size, ver, result, error)
            for (key, mtime_ns, size, ver, _, error), result in zip(rows, parsed, strict=True)
            if result is not _DAMAGED
        }

    def store_analyses(
        self, version: int, rows: Iterable[tuple[bytes, int, int, dict | None, str | None]]
    ) -> None:
        """Insert or replace ``(key, mtime_ns, size, result_dict | None, error | None)`` rows."""
        data = [
            (key, mtime, size, version, json.dumps(result) if result is not None else None, error)
            for key, mtime, size, result, error in rows
        ]
        if not data:
            return
        self._write(
            "INSERT OR REPLACE INTO analysis (path, mtime_ns, size, version, result, error) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            data,
        )

    # --- plumbing -----------------------------------------------------------------------------

    def _write(self, sql: str, data: list[tuple]) -> None:
        with self._lock:
            if self._conn is None:
                return
            try:
                with self._conn:  # one transaction: 1,000 rows commit in milliseconds
                    self._conn.executemany(sql, data)
            except sqlite3.Error as exc:
                self._recover(exc)
                # One retry on the fresh cache; if that fails too, the cache just stays cold.
                with contextlib.suppress(sqlite3.Error), self._conn:
                    self._conn.executemany(sql, data)

    def clear(self) -> None:
        """Forget everything (``emotune scan --rebuild``)."""
        with self._lock:
            if self._conn is None:
                return
            try:
                with self._conn:
                    self._conn.execute("DELETE FROM files")
                    self._conn.execute("DELETE FROM analysis")
            except sqlite3.Error as exc:
                self._recover(exc)

    def close(self) -> None:
        """Close the database; later calls do nothing (reads return empty)."""
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.close()
                self._conn = None

    def __enter__(self) -> LibraryCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
