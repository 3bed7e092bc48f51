"""Audio playback backends behind one interface.

* :class:`PlayerBackend` - the interface and its events (``started``, ``ended``, ``error``,
  ``position``); see :mod:`emotune.music.playback.backends.base` for the threading contract.
* :class:`NullBackend` - silent, simulated or real time; tests and ``--no-audio``.
* :class:`VLCBackend` - python-vlc; imported lazily so this package loads without libvlc.

Use :func:`create_backend` to pick one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emotune.music.playback.backends.base import EVENTS, PlayerBackend, PlayerState
from emotune.music.playback.backends.null import NullBackend

if TYPE_CHECKING:
    from emotune.music.playback.backends.vlc_backend import VLCBackend

__all__ = [
    "EVENTS",
    "NullBackend",
    "PlayerBackend",
    "PlayerState",
    "VLCBackend",
    "create_backend",
    "vlc_available",
    "vlc_problem",
]


def vlc_available() -> bool:
    """True when python-vlc imports and libvlc can start."""
    from emotune.music.playback.backends.vlc_backend import vlc_available as _available

    return _available()


def vlc_problem() -> str | None:
    """Why VLC cannot play (one line naming the cause and the fix), ``None`` when it can."""
    from emotune.music.playback.backends.vlc_backend import vlc_problem as _problem

    return _problem()


def create_backend(kind: str = "auto", **options: Any) -> PlayerBackend:
    """Make a backend: ``"vlc"``, ``"null"``, or ``"auto"`` (VLC if available, else null).

    ``options`` go to the backend's constructor, e.g. ``create_backend("vlc",
    dummy_audio=True)`` or ``create_backend("null", realtime=True)``. With ``"auto"``, VLC-only
    options are dropped if it falls back to the (real-time) null backend.
    """
    if kind == "auto":
        kind = "vlc" if vlc_available() else "null"
        if kind == "null":
            # Silent stand-in that still keeps real time, so a GUI behaves the same without VLC.
            for vlc_only in ("dummy_audio", "extra_args"):
                options.pop(vlc_only, None)
            options.setdefault("realtime", True)
    if kind == "null":
        return NullBackend(**options)
    if kind == "vlc":
        from emotune.music.playback.backends.vlc_backend import VLCBackend as _VLCBackend

        return _VLCBackend(**options)
    raise ValueError(f"unknown player backend {kind!r}; expected vlc, null or auto")


def __getattr__(name: str) -> Any:
    # Lazy so that importing the package never loads libvlc.
    if name == "VLCBackend":
        from emotune.music.playback.backends.vlc_backend import VLCBackend as _VLCBackend

        return _VLCBackend
    raise AttributeError(name)
