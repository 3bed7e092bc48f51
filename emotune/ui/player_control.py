"""The player panel and the queue, wired to the DJ through the player thread.

User intents (play, next, seek, volume, strategy, a mood pinned by hand, …) become commands on
:class:`PlayerBridge`'s player thread; what the DJ does comes back as :class:`DJState` snapshots
that this class renders. Nothing here reads the DJ directly or waits for it, so a slow libvlc
call can never freeze the window.

Until the audio backend has started (it is built in the background), commands are dropped and
the panel shows the remembered volume and strategy; :meth:`PlayerControl.attach` then applies
what the user chose meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QImage

from emotune.emotions import Emotion
from emotune.music.choose.recommender import EMPTY_MOOD, Note
from emotune.music.playback.backends import PlayerState
from emotune.settings import Setting, Settings
from emotune.ui.main_window import MainWindow
from emotune.ui.player_bridge import PlayerBridge
from emotune.ui.widgets.banner import BannerLevel
from emotune.ui.widgets.queue_view import QueueEntry as QueueRow
from emotune.ui.workers.cover_loader import CoverLoader

if TYPE_CHECKING:
    from emotune.music.choose.dj import DJState, MoodDJ
    from emotune.music.library.track import Track
    from emotune.music.playback.queue import QueueEntry, Skip

log = logging.getLogger(__name__)

VOLUME_STEP = 5  # Ctrl+Up / Ctrl+Down


class PlayerControl(QObject):
    """Owns the PlayerBridge (once the DJ exists) and keeps the player panel and queue current."""

    state_rendered = Signal(object)  # the DJState just shown (for MPRIS and other listeners)
    output_devices_listed = Signal(list)  # [(id, description)] from the backend, on request

    def __init__(
        self, window: MainWindow, settings: Settings, parent: QObject | None = None
    ) -> None:
        """Connect the panel, the queue, the playback menu and the media keys."""
        super().__init__(parent)
        self.window = window
        self.settings = settings
        self.dj: MoodDJ | None = None
        self.bridge: PlayerBridge | None = None
        self.state: DJState | None = None  # the latest snapshot from the player thread
        # The mood pinned by hand (None: follow the camera). This is the window's one record of
        # it: every pin goes through :meth:`pin`, which also tells the DJ once it exists.
        self.pinned: Emotion | None = None
        self.position = 0.0  # seconds into the current track, as last reported
        self._shown_entry_id: int | None = None
        self._cover_path: str | None = None
        self._empty_mood_note: Note | None = None  # the "No tracks tagged ..." note on the banner
        self.covers = CoverLoader(self)
        self.covers.loaded.connect(self._on_cover)

        w = window
        p = w.player
        p.play_pause_clicked.connect(self.toggle)
        p.next_clicked.connect(self.next)
        p.previous_clicked.connect(self.previous)
        p.seek_requested.connect(self.seek)
        p.volume_changed.connect(self.set_volume)
        p.strategy_changed.connect(self.set_strategy)
        w.queue.play_now_requested.connect(self.play_row_now)
        w.queue.play_next_requested.connect(self.play_row_next)
        w.queue.remove_requested.connect(self.remove_row)
        w.queue.move_requested.connect(self.move_row)
        w.queue.clear_requested.connect(self.clear_upcoming)
        w.play_action.triggered.connect(self.toggle)
        w.next_action.triggered.connect(self.next)
        w.previous_action.triggered.connect(self.previous)
        w.volume_up_action.triggered.connect(lambda: self.step_volume(VOLUME_STEP))
        w.volume_down_action.triggered.connect(lambda: self.step_volume(-VOLUME_STEP))
        w.mute_action.triggered.connect(self.toggle_mute)
        self._unmuted_volume: int | None = None  # the volume to go back to while muted
        for name, slot in (
            ("toggle", self.toggle),
            ("pause", self.pause),
            ("next", self.next),
            ("previous", self.previous),
        ):
            for shortcut in w.media_shortcuts[name]:
                shortcut.activated.connect(slot)
        p.set_volume(settings.get(Setting.VOLUME))
        p.set_strategy(settings.get(Setting.STRATEGY))
        p.set_track(None)
        w.audio_label.setText("audio starting…")

    # -- the DJ arrives ------------------------------------------------------------------------

    def attach(self, dj: MoodDJ, note: str | None = None) -> None:
        """Start using ``dj``; the volume and strategy shown now win over the DJ's saved ones."""
        self.dj = dj
        self.bridge = PlayerBridge(dj, self)
        b = self.bridge
        b.connect_to(b.state_changed, self._on_state)
        b.connect_to(b.position, self._on_position)
        b.connect_to(b.finished, self._on_finished)
        b.connect_to(b.skipped, self._on_skipped)
        b.connect_to(b.notice, self._on_notice)
        b.connect_to(b.volume_changed, self.window.player.set_volume)
        b.connect_to(b.strategy_changed, self.window.player.set_strategy)
        backend = getattr(dj, "backend", None)
        name = getattr(backend, "name", "?")
        silent = name == "null" or getattr(backend, "dummy_audio", False)
        self.window.audio_label.setText("🔇 no audio" if silent else f"audio: {name}")
        if note:
            self.window.banners.show_banner("audio", note, BannerLevel.WARNING)
        b.submit(setattr, dj, "volume", self.window.player.volume.value())
        b.submit(setattr, dj, "strategy", self.window.player.strategy.currentData())
        device = self.settings.get(Setting.AUDIO_DEVICE)
        if isinstance(device, str) and device and backend is not None:
            b.submit(backend.set_output_device, device)
        b.request_state()

    @property
    def ready(self) -> bool:
        """Whether the audio backend (and so the DJ) is there."""
        return self.dj is not None

    def command(self, fn: Callable[..., object], *args: object) -> None:
        """Run ``fn(*args)`` on the player thread; dropped while the backend is starting."""
        if self.bridge is not None:
            self.bridge.submit(fn, *args)

    def close(self) -> None:
        """Close the DJ and its backend (on the player thread) and stop that thread."""
        if self.bridge is not None:
            self.bridge.close()

    # -- commands ------------------------------------------------------------------------------

    def toggle(self) -> None:
        """Play/pause (Space, media keys, the play button)."""
        if self.dj is not None:
            self.command(self.dj.toggle)

    def pause(self) -> None:
        """Pause (media Pause/Stop keys)."""
        if self.dj is not None:
            self.command(self.dj.pause)

    def play(self) -> None:
        """Play or resume (MPRIS Play)."""
        if self.dj is not None:
            self.command(self.dj.play)

    def stop(self) -> None:
        """Stop; the queue is kept (MPRIS Stop)."""
        if self.dj is not None:
            self.command(self.dj.stop)

    def next(self) -> None:
        """Skip to the next queued track (Ctrl+Right)."""
        if self.dj is not None:
            self.command(self.dj.next)

    def previous(self) -> None:
        """Back one track, or restart this one (Ctrl+Left)."""
        if self.dj is not None:
            self.command(self.dj.previous)

    def seek(self, seconds: float) -> None:
        """Jump within the current track."""
        if self.dj is not None:
            self.command(self.dj.seek, seconds)

    def step_volume(self, delta: int) -> None:
        """Volume up/down by ``delta`` (clamped); the slider moves and sets the DJ."""
        slider = self.window.player.volume
        slider.setValue(max(0, min(100, slider.value() + delta)))

    def toggle_mute(self) -> None:
        """Mute (volume 0), or go back to the volume from before muting."""
        slider = self.window.player.volume
        if self._unmuted_volume is None:
            self._unmuted_volume = slider.value()
            slider.setValue(0)
        else:
            volume, self._unmuted_volume = self._unmuted_volume, None
            slider.setValue(volume)
        self.window.mute_action.setChecked(self._unmuted_volume is not None)

    def set_volume(self, volume: int) -> None:
        """Volume 0-100 (remembered between runs)."""
        if volume > 0 and self._unmuted_volume is not None:  # moved up by hand: no longer muted
            self._unmuted_volume = None
            self.window.mute_action.setChecked(False)
        if self.dj is not None:
            self.command(setattr, self.dj, "volume", int(volume))  # the DJ saves it
        else:
            self.settings.set(Setting.VOLUME, int(volume))

    def set_strategy(self, key: str) -> None:
        """match / lift / calm (remembered between runs)."""
        if self.dj is not None:
            self.command(setattr, self.dj, "strategy", key)
        else:
            self.settings.set(Setting.STRATEGY, key)

    def list_output_devices(self) -> None:
        """Ask the backend for its sound devices; :attr:`output_devices_listed` answers."""
        backend = getattr(self.dj, "backend", None)
        if backend is None:
            self.output_devices_listed.emit([])
            return

        def work() -> None:
            # Emitted on the player thread; Qt queues it to the GUI-thread receivers.
            self.output_devices_listed.emit(list(backend.output_devices()))

        self.command(work)

    def set_output_device(self, device_id: str | None) -> None:
        """Send the music to ``device_id`` (``None``: the system default); remembered."""
        self.settings.set(Setting.AUDIO_DEVICE, device_id or None)
        backend = getattr(self.dj, "backend", None)
        if backend is not None:
            self.command(backend.set_output_device, device_id or None)

    def set_tracks(self, tracks: list[Track]) -> None:
        """A (re)scanned library."""
        if self.dj is not None:
            self.command(self.dj.set_tracks, tracks)

    def follow_camera(self, emotion: Emotion) -> None:
        """The camera's new mood (re-plans the upcoming tracks, never cuts the playing one)."""
        if self.dj is not None:
            self.command(self.dj.set_mood, emotion)

    def pin(self, emotion: Emotion | None) -> None:
        """Follow ``emotion`` until released; ``None`` releases the pin (back to the camera)."""
        self.pinned = emotion
        if self.dj is None:
            return
        if emotion is None:
            self.command(self.dj.release_pin)
        else:
            self.command(self.dj.pin_mood, emotion)

    def play_if_idle(self) -> None:
        """Start the music unless it is already going (decided on the player thread)."""
        dj = self.dj
        if dj is None:
            return

        def play_unless_active() -> None:
            if not dj.player.active:
                dj.play()

        self.command(play_unless_active)

    # -- queue edits (rows of the upcoming list as last shown, 0 = next) -----------------------

    def _entry_id(self, row: int) -> int | None:
        upcoming = self.state.upcoming if self.state is not None else []
        return upcoming[row].id if 0 <= row < len(upcoming) else None

    def _edit(self, method: str, row: int, *args: object) -> None:
        entry_id = self._entry_id(row)
        if self.dj is not None and entry_id is not None:
            self.command(getattr(self.dj, method), entry_id, *args)

    def play_row_now(self, row: int) -> None:
        """Play that upcoming entry now (double-click, Enter, Play now)."""
        self._edit("jump_to", row)

    def play_row_next(self, row: int) -> None:
        """Move that entry to the front; it becomes the listener's."""
        self._edit("play_next", row)

    def remove_row(self, row: int) -> None:
        """Take that entry out of the queue."""
        self._edit("remove", row)

    def move_row(self, row: int, to_row: int) -> None:
        """Move that entry to ``to_row``; it becomes the listener's."""
        self._edit("move", row, int(to_row))

    def clear_upcoming(self) -> None:
        """Forget every upcoming entry; the DJ plans afresh."""
        if self.dj is not None:
            self.command(self.dj.clear_upcoming)

    def enqueue(self, tracks: list[Track], play_next: bool = False) -> None:
        """Queue tracks as the listener's (the library view's Play next / Add to queue)."""
        if self.dj is not None and tracks:
            self.command(lambda: self.dj.enqueue(tracks, play_next=play_next))

    def play_track_now(self, track: Track) -> None:
        """Play ``track`` at once (the library view's Play now)."""
        if self.dj is not None:
            self.command(self.dj.play_now, track)

    # -- news from the player thread (queued to the GUI thread) ------------------------------

    def _on_state(self, state: DJState) -> None:
        """Render a DJState snapshot: play button, current track, position, queue."""
        self.state = state
        panel = self.window.player
        panel.set_playing(state.player_state is PlayerState.PLAYING)
        panel.set_paused(state.player_state is PlayerState.PAUSED)
        current = state.current
        if current is None:
            if self._shown_entry_id is not None or panel.title.text() != "Nothing playing":
                panel.set_track(None)
            self._shown_entry_id = None
        elif current.id != self._shown_entry_id:
            self._show_entry(current)
        panel.set_position(state.position, state.duration)
        self.window.queue.set_entries(
            [
                QueueRow(
                    e.track.title,
                    e.track.artist,
                    e.track.emotion,
                    e.reason,
                    e.track.duration,
                    e.user,
                    e.id,
                )
                for e in state.upcoming
            ]
        )
        if not state.notes:
            self.window.set_queue_note("")
        self.position = state.position
        self.state_rendered.emit(state)
        if self._empty_mood_note is not None and self._empty_mood_note not in state.notes:
            # The plan it was about is gone (another mood was pinned or seen): so is the banner.
            self._empty_mood_note = None
            self.window.banners.dismiss("library-mood")

    def _show_entry(self, entry: QueueEntry) -> None:
        self._shown_entry_id = entry.id
        track = entry.track
        self.window.player.set_track(
            track.title, track.artist, track.album, track.emotion, entry.reason, track.duration
        )
        self._cover_path = str(track.path)
        if getattr(track, "has_cover", False):
            self.covers.request(track.path)

    def _on_cover(self, path: str, image: QImage | None) -> None:
        if path == self._cover_path and image is not None:
            current = self.state.current if self.state is not None else None
            self.window.player.set_cover(image, current.track.emotion if current else None)

    def _on_position(self, seconds: float, duration: float | None) -> None:
        self.position = seconds
        self.window.player.set_position(seconds, duration)

    def _on_finished(self) -> None:
        self.window.player.set_playing(False)

    def _on_skipped(self, skip: Skip) -> None:
        name = Path(str(skip.track.path)).name
        self.window.banners.show_banner(
            "skipped", f"Skipped {name}: {skip.reason}. Playing the next track.", BannerLevel.INFO
        )
        dismiss_later(self.window, "skipped", 8000)

    def _on_notice(self, note: Note) -> None:
        """The DJ's notes. A mood with no tracks at all is worth a banner that says what to do;
        softer notes ("nothing very close, using the nearest") go next to the queue instead."""
        if note.kind == EMPTY_MOOD:
            self._empty_mood_note = note
            self.window.banners.show_banner(
                "library-mood",
                f"{note.text} Add music for this mood with Library ▸ Choose music folder…",
                BannerLevel.WARNING,
            )
            dismiss_later(self.window, "library-mood", 15000)
        else:
            self.window.set_queue_note(note.text)


def dismiss_later(window: MainWindow, key: str, ms: int) -> None:
    """Dismiss the banner shown now under ``key`` (not a later one with the same key) after ``ms``."""
    banners = window.banners
    banner = banners.banner(key)

    def dismiss() -> None:
        if banner is not None and banners.banner(key) is banner:
            banners.dismiss(key)

    # The banner area as context: the timer dies with the window instead of firing into it.
    QTimer.singleShot(ms, banners, dismiss)
