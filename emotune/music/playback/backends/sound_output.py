"""Is there anywhere on this machine for sound to go?

With no sound card and no sound server, VLC still "plays" in real time, but its ALSA output
retries the device for every buffer and libasound prints eight error lines for each try:
thousands of lines a minute on the user's terminal, and CPU spent on nothing. When this finds
no output, EmoTune plays on VLC's dummy output instead and says so once.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROC_ASOUND_CARDS = Path("/proc/asound/cards")
# A card line in /proc/asound/cards looks like " 0 [PCH            ]: HDA-Intel - HDA Intel PCH".
_CARD_LINE = re.compile(r"^\s*\d+\s+\[")


@dataclass(frozen=True)
class SoundOutput:
    """What was found: ``available`` is None where this platform cannot be checked."""

    available: bool | None
    detail: str

    @property
    def missing(self) -> bool:
        """True only when the check ran and found nowhere for sound to go."""
        return self.available is False


def _sound_servers(env: Mapping[str, str]) -> list[Path]:
    """PulseAudio/PipeWire sockets a user session or a system-wide daemon would listen on."""
    runtime = Path(env.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}")
    return [runtime / "pulse" / "native", runtime / "pipewire-0", Path("/run/pulse/native")]


def find_sound_output(
    env: Mapping[str, str] | None = None,
    cards_file: Path = PROC_ASOUND_CARDS,
    platform: str = sys.platform,
) -> SoundOutput:
    """Look for a sound server (PulseAudio, PipeWire) or an ALSA card. Only Linux is checked;
    elsewhere the answer is ``available=None`` and VLC is left to find its own way."""
    if not platform.startswith("linux"):
        return SoundOutput(None, f"not checked on {platform}")
    env = os.environ if env is None else env
    if env.get("PULSE_SERVER"):
        return SoundOutput(True, f"sound server {env['PULSE_SERVER']} (PULSE_SERVER)")
    for socket in _sound_servers(env):
        if socket.exists():
            return SoundOutput(True, f"sound server at {socket}")
    try:
        cards = [
            line.strip()
            for line in cards_file.read_text(encoding="utf-8").splitlines()
            if _CARD_LINE.match(line)
        ]
    except OSError:
        cards = []
    if cards:
        return SoundOutput(True, f"{len(cards)} ALSA sound card(s): {cards[0]}")
    return SoundOutput(False, "no sound card (ALSA) and no sound server (PulseAudio/PipeWire)")
