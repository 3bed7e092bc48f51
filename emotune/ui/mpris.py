"""MPRIS2 on the session bus: the desktop's media controls, ``playerctl`` and headset buttons.

Registers ``org.mpris.MediaPlayer2.emotune`` (``…emotune.instance<pid>`` when another EmoTune
already holds that name) with the root and Player interfaces at ``/org/mpris/MediaPlayer2``.
Calls become the same commands the window's buttons send (:class:`PlayerControl`, so they run
on the player thread); properties are read from the latest DJ snapshot the window rendered, and
every change goes out as ``org.freedesktop.DBus.Properties.PropertiesChanged``.

Everything here runs on the GUI thread; no call blocks. Without a session bus (a bare server,
a container) :func:`start_mpris` returns ``None`` with the reason, and the app runs as before.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import ClassInfo, Property, QMetaType, QObject, Signal, Slot
from PySide6.QtDBus import (
    QDBusAbstractAdaptor,
    QDBusArgument,
    QDBusConnection,
    QDBusMessage,
    QDBusObjectPath,
)

from emotune.music.playback.backends import PlayerState

if TYPE_CHECKING:
    from PySide6.QtGui import QImage

    from emotune.music.choose.dj import DJState
    from emotune.ui.player_control import PlayerControl

log = logging.getLogger(__name__)

SERVICE = "org.mpris.MediaPlayer2.emotune"
OBJECT_PATH = "/org/mpris/MediaPlayer2"
ROOT_INTERFACE = "org.mpris.MediaPlayer2"
PLAYER_INTERFACE = "org.mpris.MediaPlayer2.Player"
PROPERTIES_INTERFACE = "org.freedesktop.DBus.Properties"
TRACK_PATH_PREFIX = "/org/emotune/track/"
NO_TRACK = "/org/mpris/MediaPlayer2/TrackList/NoTrack"  # the spec's "nothing here" track id

# MPRIS's names for the player's states; anything else is "Stopped".
_PLAYBACK_STATUS = {PlayerState.PLAYING: "Playing", PlayerState.PAUSED: "Paused"}


def track_object_path(entry_id: int) -> str:
    """The MPRIS track id of queue entry ``entry_id`` (an object path, unique per queued play)."""
    return f"{TRACK_PATH_PREFIX}{int(entry_id)}"


def playback_status(state: DJState | None) -> str:
    """``Playing``, ``Paused`` or ``Stopped`` for a DJState (or ``None``)."""
    return _PLAYBACK_STATUS.get(getattr(state, "player_state", None), "Stopped")


def metadata(state: DJState | None, art_url: str | None = None) -> dict[str, object]:
    """The MPRIS ``Metadata`` map of the current entry (only the NoTrack id when idle)."""
    entry = getattr(state, "current", None)
    if entry is None:
        return {"mpris:trackid": QDBusObjectPath(NO_TRACK)}
    track = entry.track
    data: dict[str, object] = {
        "mpris:trackid": QDBusObjectPath(track_object_path(entry.id)),
        "xesam:title": track.title or Path(track.path).stem,
        "xesam:url": Path(track.path).as_uri()
        if Path(track.path).is_absolute()
        else str(track.path),
    }
    if track.artist:
        data["xesam:artist"] = [track.artist]
    if track.album:
        data["xesam:album"] = track.album
    if track.duration:
        # Microseconds. PySide6 marshals a Python int as int32 when it fits (int64 beyond
        # ~35 minutes); clients read either (the spec says int64).
        data["mpris:length"] = int(track.duration * 1_000_000)
    if art_url:
        data["mpris:artUrl"] = art_url
    emotion = getattr(track, "emotion", None)
    if emotion is not None:
        data["xesam:genre"] = [emotion.label]  # what EmoTune thinks it sounds like
    if entry.reason:
        data["xesam:comment"] = [entry.reason]
    return data


def _empty_string_list() -> QDBusArgument:
    """An empty ``as`` (a bare ``[]`` would go out as ``av``, which clients reject)."""
    argument = QDBusArgument()
    argument.beginArray(QMetaType(QMetaType.Type.QString))
    argument.endArray()
    return argument


@ClassInfo({"D-Bus Interface": ROOT_INTERFACE})
class RootAdaptor(QDBusAbstractAdaptor):
    """``org.mpris.MediaPlayer2``: identity, Raise and Quit."""

    def __init__(self, parent: MprisService) -> None:
        """Attach to the service object (Qt exports adaptors found among its children)."""
        super().__init__(parent)
        self.service = parent

    @Slot()
    def Raise(self) -> None:  # noqa: N802 (D-Bus name)
        """Bring the window to the front."""
        self.service.raise_window()

    @Slot()
    def Quit(self) -> None:  # noqa: N802 (D-Bus name)
        """Close the window (the app quits as it does from File ▸ Quit)."""
        self.service.quit_app()

    CanQuit = Property(bool, lambda self: True)
    CanRaise = Property(bool, lambda self: True)
    HasTrackList = Property(bool, lambda self: False)
    Identity = Property(str, lambda self: "EmoTune")
    DesktopEntry = Property(str, lambda self: "emotune")
    SupportedUriSchemes = Property("QStringList", lambda self: [])
    SupportedMimeTypes = Property("QStringList", lambda self: [])


@ClassInfo({"D-Bus Interface": PLAYER_INTERFACE})
class PlayerAdaptor(QDBusAbstractAdaptor):
    """``org.mpris.MediaPlayer2.Player``: transport, position, volume and what is playing."""

    Seeked = Signal("qlonglong")  # microseconds; sent after a jump that was not playback

    def __init__(self, parent: MprisService) -> None:
        """Attach to the service object."""
        super().__init__(parent)
        self.service = parent

    # -- methods -------------------------------------------------------------------------------

    @Slot()
    def PlayPause(self) -> None:  # noqa: N802 (D-Bus name)
        """Pause when playing, else play."""
        self.service.control.toggle()

    @Slot()
    def Play(self) -> None:  # noqa: N802 (D-Bus name)
        """Start or resume."""
        self.service.control.play()

    @Slot()
    def Pause(self) -> None:  # noqa: N802 (D-Bus name)
        """Pause (nothing happens when already paused or stopped)."""
        self.service.control.pause()

    @Slot()
    def Stop(self) -> None:  # noqa: N802 (D-Bus name)
        """Stop playback (the queue is kept)."""
        self.service.control.stop()

    @Slot()
    def Next(self) -> None:  # noqa: N802 (D-Bus name)
        """Skip to the next queued track."""
        self.service.control.next()

    @Slot()
    def Previous(self) -> None:  # noqa: N802 (D-Bus name)
        """Back one track, or restart this one."""
        self.service.control.previous()

    @Slot("qlonglong")
    def Seek(self, offset_us: int) -> None:  # noqa: N802 (D-Bus name)
        """Move by ``offset_us`` microseconds (negative goes back)."""
        self.service.seek_to(self.service.position_s() + offset_us / 1_000_000)

    @Slot(QDBusObjectPath, "qlonglong")
    def SetPosition(self, track_id: QDBusObjectPath, position_us: int) -> None:  # noqa: N802
        """Jump to ``position_us`` in ``track_id``, if that is still the playing track."""
        if track_id.path() == self.service.current_track_path():
            self.service.seek_to(position_us / 1_000_000)

    @Slot(str)
    def OpenUri(self, uri: str) -> None:  # noqa: N802 (D-Bus name)
        """Not supported: EmoTune chooses the music (SupportedUriSchemes is empty)."""

    # -- properties ----------------------------------------------------------------------------

    def _volume(self) -> float:
        return self.service.volume()

    def _set_volume(self, value: float) -> None:
        self.service.set_volume(value)

    PlaybackStatus = Property(str, lambda self: self.service.playback_status())
    Rate = Property(float, lambda self: 1.0)
    MinimumRate = Property(float, lambda self: 1.0)
    MaximumRate = Property(float, lambda self: 1.0)
    Metadata = Property("QVariantMap", lambda self: self.service.metadata())
    Volume = Property(float, _volume, _set_volume)
    Position = Property("qlonglong", lambda self: int(self.service.position_s() * 1_000_000))
    CanGoNext = Property(bool, lambda self: self.service.can_go_next())
    CanGoPrevious = Property(bool, lambda self: self.service.can_go_previous())
    CanPlay = Property(bool, lambda self: self.service.can_play())
    CanPause = Property(bool, lambda self: self.service.can_play())
    CanSeek = Property(bool, lambda self: self.service.can_seek())
    CanControl = Property(bool, lambda self: True)


class MprisService(QObject):
    """The object at ``/org/mpris/MediaPlayer2``; its two adaptors are the interfaces."""

    def __init__(
        self,
        control: PlayerControl,
        connection: QDBusConnection,
        *,
        raise_window: Callable[[], None] | None = None,
        quit_app: Callable[[], None] | None = None,
        art_dir: Path | None = None,
        parent: QObject | None = None,
    ) -> None:
        """``control`` is the window's :class:`PlayerControl`; call :meth:`register` next."""
        super().__init__(parent)
        self.control = control
        self.connection = connection
        self.service_name: str | None = None
        self._raise = raise_window
        self._quit = quit_app
        self._art_dir = art_dir
        self._art: tuple[str, str] | None = None  # (track path, file URL of its cover)
        self._published: dict[str, object] = {}
        self.root = RootAdaptor(self)
        self.player = PlayerAdaptor(self)
        control.state_rendered.connect(self._on_state)
        control.covers.loaded.connect(self._on_cover)
        self.window_volume = getattr(getattr(control.window, "player", None), "volume", None)
        if self.window_volume is not None:
            self.window_volume.valueChanged.connect(lambda _value: self._publish())

    def register(self) -> str | None:
        """Export the object and take the bus name; returns why not (``None`` on success)."""
        options = QDBusConnection.RegisterOption.ExportAdaptors
        if not self.connection.registerObject(OBJECT_PATH, self, options):
            return f"could not export {OBJECT_PATH}: {self.connection.lastError().message()}"
        for name in (SERVICE, f"{SERVICE}.instance{os.getpid()}"):
            if self.connection.registerService(name):
                self.service_name = name
                self._published = self._player_properties()
                return None
        self.connection.unregisterObject(OBJECT_PATH)
        return f"the bus name {SERVICE} is taken: {self.connection.lastError().message()}"

    def close(self) -> None:
        """Give the name back and stop answering (window closing)."""
        if self.service_name is not None:
            self.connection.unregisterService(self.service_name)
            self.connection.unregisterObject(OBJECT_PATH)
            self.service_name = None

    # -- what the adaptors read -------------------------------------------------------------------

    @property
    def state(self) -> DJState | None:
        """The latest DJ snapshot the window showed (``None`` before the player started)."""
        return self.control.state

    def playback_status(self) -> str:
        """``Playing``, ``Paused`` or ``Stopped``."""
        return playback_status(self.state)

    def metadata(self) -> dict[str, object]:
        """The current track's metadata map."""
        current = getattr(self.state, "current", None)
        art = None
        if (
            current is not None
            and self._art is not None
            and self._art[0] == str(current.track.path)
        ):
            art = self._art[1]
        return metadata(self.state, art)

    def current_track_path(self) -> str:
        """The MPRIS track id of the playing entry (NoTrack when idle)."""
        current = getattr(self.state, "current", None)
        return track_object_path(current.id) if current is not None else NO_TRACK

    def position_s(self) -> float:
        """Seconds into the current track, as last reported by the player."""
        return float(getattr(self.control, "position", 0.0) or 0.0)

    def volume(self) -> float:
        """0.0-1.0, as the window's volume slider shows it."""
        if self.window_volume is not None:
            return self.window_volume.value() / 100.0
        return float(getattr(self.state, "volume", 0)) / 100.0

    def set_volume(self, value: float) -> None:
        """Set the volume from 0.0-1.0 (clamped), through the same path as the slider."""
        percent = round(min(1.0, max(0.0, float(value))) * 100)
        if self.window_volume is not None:
            self.window_volume.setValue(percent)  # moves the slider; its signal sets the DJ
        else:
            self.control.set_volume(percent)

    def can_play(self) -> bool:
        """Whether there is a player and something to play."""
        state = self.state
        return state is not None and (state.current is not None or bool(state.upcoming))

    def can_go_next(self) -> bool:
        """Whether Next has somewhere to go."""
        return bool(getattr(self.state, "upcoming", None))

    def can_go_previous(self) -> bool:
        """Previous always works while a track is loaded (it restarts the track at worst)."""
        return getattr(self.state, "current", None) is not None

    def can_seek(self) -> bool:
        """Seeking needs a current track with a known length."""
        state = self.state
        return state is not None and state.current is not None and bool(state.duration)

    def seek_to(self, seconds: float) -> None:
        """Seek within the current track; tells clients with ``Seeked``."""
        if not self.can_seek():
            return
        duration = float(self.state.duration or 0.0)
        if seconds >= duration:
            self.control.next()  # the spec: seeking past the end acts as Next
            return
        seconds = max(0.0, seconds)
        self.control.seek(seconds)
        self.control.position = seconds
        self.player.Seeked.emit(int(seconds * 1_000_000))

    def raise_window(self) -> None:
        """Root.Raise."""
        if self._raise is not None:
            self._raise()

    def quit_app(self) -> None:
        """Root.Quit."""
        if self._quit is not None:
            self._quit()

    # -- change notification -------------------------------------------------------------------

    def _player_properties(self) -> dict[str, object]:
        return {
            "PlaybackStatus": self.playback_status(),
            "Metadata": self.metadata(),
            "Volume": self.volume(),
            "CanGoNext": self.can_go_next(),
            "CanGoPrevious": self.can_go_previous(),
            "CanPlay": self.can_play(),
            "CanPause": self.can_play(),
            "CanSeek": self.can_seek(),
        }

    def _on_state(self, _state: DJState) -> None:
        self._publish()

    def _publish(self) -> None:
        """Send PropertiesChanged with whatever reads differently from what was last sent."""
        if self.service_name is None:
            return
        now = self._player_properties()
        changed = {
            key: value for key, value in now.items() if _differs(self._published.get(key), value)
        }
        if not changed:
            return
        self._published = now
        signal = QDBusMessage.createSignal(OBJECT_PATH, PROPERTIES_INTERFACE, "PropertiesChanged")
        signal.setArguments([PLAYER_INTERFACE, changed, _empty_string_list()])
        self.connection.send(signal)

    def _on_cover(self, path: str, image: QImage | None) -> None:
        """Save the playing track's embedded cover where ``mpris:artUrl`` can point to it."""
        current = getattr(self.state, "current", None)
        if (
            image is None
            or self._art_dir is None
            or current is None
            or str(current.track.path) != path
        ):
            return
        name = hashlib.sha1(path.encode("utf-8", "surrogateescape")).hexdigest()[:16] + ".png"
        target = self._art_dir / name
        try:
            self._art_dir.mkdir(parents=True, exist_ok=True)
            if not target.exists() and not image.save(str(target), "PNG"):
                return
        except OSError as error:
            log.warning("could not save the cover for MPRIS: %s", error)
            return
        self._art = (path, target.as_uri())
        self._publish()


def _differs(old: object, new: object) -> bool:
    """Compare property values (object paths compare by their text)."""
    if isinstance(old, dict) and isinstance(new, dict):
        if old.keys() != new.keys():
            return True
        return any(_differs(old[key], new[key]) for key in new)
    if isinstance(old, QDBusObjectPath) and isinstance(new, QDBusObjectPath):
        return old.path() != new.path()
    return old != new


def session_bus_problem(connection: QDBusConnection | None = None) -> str | None:
    """Why MPRIS cannot start (no session bus, …), or ``None`` when it can."""
    bus = connection if connection is not None else QDBusConnection.sessionBus()
    if not bus.isConnected():
        error = bus.lastError().message() or "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS unset)"
        return f"no session bus: {error}"
    return None


def start_mpris(
    control: PlayerControl,
    *,
    connection: QDBusConnection | None = None,
    raise_window: Callable[[], None] | None = None,
    quit_app: Callable[[], None] | None = None,
    art_dir: Path | None = None,
    parent: QObject | None = None,
) -> tuple[MprisService | None, str | None]:
    """Register EmoTune on the session bus; ``(service, None)``, or ``(None, why not)``."""
    bus = connection if connection is not None else QDBusConnection.sessionBus()
    problem = session_bus_problem(bus)
    if problem is not None:
        return None, problem
    service = MprisService(
        control, bus, raise_window=raise_window, quit_app=quit_app, art_dir=art_dir, parent=parent
    )
    problem = service.register()
    if problem is not None:
        service.deleteLater()
        return None, problem
    return service, None
