"""Is there a sound card or sound server for the music to come out of?"""

from __future__ import annotations

from emotune.doctor.result import CheckResult
from emotune.music.playback.backends.sound_output import find_sound_output


def check_sound_output() -> CheckResult:
    """Warn (never fail) when Linux has no ALSA card and no PulseAudio/PipeWire server: the app
    still runs, silently."""
    output = find_sound_output()
    return CheckResult(
        "sound",
        "Sound output",
        not output.missing,
        output.detail,
        hint=""
        if not output.missing
        else "EmoTune will play silently. Connect speakers or headphones, or start PulseAudio/PipeWire.",
        essential=False,
    )
