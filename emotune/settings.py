"""Persistent settings, validated against one typed schema (the only home of their defaults).

Stored as JSON (``settings.json`` in the user's config folder). Every key is declared once, in
:class:`Setting`, with its type, default and valid range or choices. Reading never fails: a
value of the wrong type, ``null``, NaN, out of range (``1e10``) or not among the choices falls
back to the default with one logged warning per key; a file that is not JSON at all reads as
empty. Unknown keys are kept (and written back) but ignored. Writes are atomic (temp file +
replace). When the config folder cannot be written (``EMOTUNE_HOME`` names a file or a
read-only folder) settings live in memory only and :attr:`Settings.problem` says why.

Use the typed accessors::

    settings = Settings()
    volume: int = settings.get(Setting.VOLUME)
    settings.set(Setting.VOLUME, 65)

Adding a setting is one line in :class:`Setting`, for example::

    MUSIC_HOLD_SECONDS = Field("music_hold_seconds", 8.0, number(0.0, 600.0))
    CAMERA_DEVICE = Field("camera_device", None, optional(text()))
    START_CAMERA_OFF = Field("start_camera_off", False, boolean())

``Field(key, default, check)``: ``check`` turns a stored JSON value into the typed value or
raises ``ValueError``/``TypeError``; the helpers below (:func:`integer`, :func:`number`,
:func:`boolean`, :func:`text`, :func:`one_of`, :func:`optional`, :func:`text_list`) cover the
usual cases.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from emotune.mood import MoodConfig
from emotune.paths import UserDirError, user_config_dir

log = logging.getLogger(__name__)

_reported: set[str] = set()  # problems already logged: each Settings() would repeat them

T = TypeVar("T")
Check = Callable[[Any], T]


@dataclass(frozen=True)
class Field(Generic[T]):
    """One setting: its JSON key, its default and the check that types and bounds a value."""

    key: str
    default: T
    check: Check[T]

    def parse(self, value: Any) -> T:
        """``value`` as this setting's type; raises ``ValueError``/``TypeError`` if it is not."""
        return self.check(value)


# -- value checks ------------------------------------------------------------------------------


def integer(low: int, high: int) -> Check[int]:
    """A whole number in ``[low, high]`` (``80.0`` is accepted as 80; ``True`` is not a number)."""

    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"expected a whole number, got {type(value).__name__}")
        if not math.isfinite(value) or value != int(value):
            raise ValueError(f"expected a whole number, got {value!r}")
        if not low <= value <= high:
            raise ValueError(f"{value!r} is outside {low}..{high}")
        return int(value)

    return check


def number(low: float, high: float) -> Check[float]:
    """A finite number in ``[low, high]``."""

    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"expected a number, got {type(value).__name__}")
        if not math.isfinite(value) or not low <= value <= high:
            raise ValueError(f"{value!r} is outside {low}..{high}")
        return float(value)

    return check


def boolean() -> Check[bool]:
    """``true`` or ``false``."""

    def check(value: Any) -> bool:
        if not isinstance(value, bool):
            raise TypeError(f"expected true or false, got {type(value).__name__}")
        return value

    return check


def text(max_length: int = 4096) -> Check[str]:
    """A string of at most ``max_length`` characters."""

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError(f"expected text, got {type(value).__name__}")
        if len(value) > max_length:
            raise ValueError(f"text longer than {max_length} characters")
        return value

    return check


def one_of(choices: Callable[[], Sequence[str]]) -> Check[str]:
    """One of ``choices()`` (a callable, so the names stay in the module that owns them)."""

    def check(value: Any) -> str:
        allowed = tuple(choices())
        if value not in allowed:
            raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")
        return str(value)

    return check


def optional(inner: Check[T]) -> Check[T | None]:
    """``null`` or whatever ``inner`` accepts."""

    def check(value: Any) -> T | None:
        return None if value is None else inner(value)

    return check


def text_list(max_items: int = 256) -> Check[list[str]]:
    """A list of strings (folder paths, ...)."""

    def check(value: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise TypeError("expected a list of text")
        if len(value) > max_items:
            raise ValueError(f"more than {max_items} entries")
        return list(value)

    return check


def _strategies() -> Sequence[str]:
    # Imported when checked: the strategy names live with the recommender that defines them.
    from emotune.music.choose.recommender import STRATEGIES

    return STRATEGIES


class Setting:
    """The schema: every setting EmoTune stores. One line per setting (see the module doc)."""

    STRATEGY = Field("strategy", "match", one_of(_strategies))
    VOLUME = Field("volume", 80, integer(0, 100))
    LAST_SOURCE = Field("last_source", None, optional(text()))
    CAMERA_INDEX = Field("camera_index", 0, integer(0, 4095))
    LIBRARY_FOLDERS = Field("library_folders", [], text_list())
    WINDOW_GEOMETRY = Field("window_geometry", None, optional(text(65536)))
    MUSIC_HOLD_S = Field("music_hold_s", MoodConfig.music_hold_s, number(0.0, 60.0))
    START_CAMERA_OFF = Field("start_camera_off", False, boolean())
    AUDIO_DEVICE = Field("audio_device", None, optional(text()))


SCHEMA: dict[str, Field[Any]] = {f.key: f for f in vars(Setting).values() if isinstance(f, Field)}
"""Every :class:`Field` of :class:`Setting`, by JSON key."""


def _field(key: Field[T] | str) -> Field[T]:
    if isinstance(key, Field):
        return key
    try:
        return SCHEMA[key]
    except KeyError:
        raise KeyError(f"unknown setting {key!r}: declare it in emotune.settings.Setting") from None


class Settings:
    """The user's settings: typed, validated, thread-safe, saved on every change."""

    def __init__(self, path: Path | None = None) -> None:
        self.problem: str | None = None
        """Why settings are not saved (config folder unusable), else ``None``."""
        if path is None:
            try:
                path = user_config_dir() / "settings.json"
            except UserDirError as exc:
                self.problem = f"{exc} (settings are kept for this session only)"
                _report(self.problem)
        self.path = path
        self._lock = threading.Lock()
        self._values: dict[str, Any] = {}
        self._warned: set[str] = set()
        self._load()

    def _load(self) -> None:
        if self.path is None:
            return
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError, RecursionError) as exc:  # not JSON, not readable, too deep
            log.warning("ignoring unreadable settings file %s: %s", self.path, exc)
            return
        if isinstance(loaded, dict):
            self._values = loaded
        else:
            log.warning("ignoring settings file %s: not a JSON object", self.path)

    def get(self, key: Field[T] | str) -> T:
        """The stored value if it passes the schema, else the default (one warning per key)."""
        field = _field(key)
        with self._lock:
            if field.key not in self._values:
                return _copy(field.default)
            raw = self._values[field.key]
            try:
                return field.parse(raw)
            except (TypeError, ValueError, OverflowError) as exc:
                if field.key not in self._warned:
                    self._warned.add(field.key)
                    log.warning(
                        "setting %r: bad value %.60r (%s); using the default %r",
                        field.key,
                        raw,
                        exc,
                        field.default,
                    )
                return _copy(field.default)

    def set(self, key: Field[T] | str, value: T) -> None:
        """Check ``value`` against the schema (``ValueError``/``TypeError`` if bad) and save."""
        field = _field(key)
        value = field.parse(value)
        with self._lock:
            self._values[field.key] = value
            self._warned.discard(field.key)
            self._save_locked()

    def _save_locked(self) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".json", dir=self.path.parent)
        except OSError as exc:
            self._saving_failed(exc)
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self._values, handle, indent=2, ensure_ascii=False)
            os.replace(tmp, self.path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            self._saving_failed(exc)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _saving_failed(self, exc: OSError) -> None:
        """Keep going in memory: a full disk or a read-only folder must not stop the app."""
        if self.problem is None:
            reason = exc.strerror or str(exc) or type(exc).__name__
            self.problem = (
                f"cannot save settings to {self.path}: {reason} "
                "(settings are kept for this session only)"
            )
            _report(self.problem)


def _report(problem: str) -> None:
    if problem not in _reported:
        _reported.add(problem)
        log.warning("%s", problem)


def _copy(value: T) -> T:
    """Defaults are shared objects: hand out a copy of mutable ones."""
    return list(value) if isinstance(value, list) else value  # type: ignore[return-value]
