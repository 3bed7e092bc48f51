"""Can python-vlc load libvlc, and does libvlc have its audio plugins?"""

from __future__ import annotations

import sys
from typing import Any

from emotune.doctor.result import CheckResult


def install_hint() -> str:
    """How to get libvlc and its plugins on this operating system."""
    if sys.platform.startswith("linux"):
        return (
            "sudo apt-get install --no-install-recommends libvlc5 vlc-plugin-base "
            "(`make setup` does this)."
        )
    if sys.platform == "darwin":
        return "Install VLC from https://www.videolan.org into /Applications (python-vlc finds it there)."
    return "Install 64-bit VLC from https://www.videolan.org (the same bitness as Python)."


def _env_hint() -> str:
    return (
        "python-vlc reads PYTHON_VLC_LIB_PATH / PYTHON_VLC_MODULE_PATH before looking for the "
        "installed VLC; unset them (`unset PYTHON_VLC_LIB_PATH PYTHON_VLC_MODULE_PATH`) or fix "
        "the path."
    )


def _audio_output_names(vlc: Any, instance: Any) -> list[str]:
    """Names of libvlc's audio output plugins, walked from its C linked list."""
    head = instance.audio_output_list_get()
    names: list[str] = []
    item = head
    while item:
        names.append(item.contents.name.decode("utf-8", "replace"))
        item = item.contents.next
    if head:
        vlc.libvlc_audio_output_list_release(head)
    return names


def check_libvlc() -> CheckResult:
    """Load libvlc through python-vlc, report its version, and make sure it can output audio."""
    title = "libvlc"
    from emotune.music.playback.backends.vlc_backend import LibVLCUnavailable, load_vlc

    try:
        vlc = load_vlc()
    except LibVLCUnavailable as error:
        if error.misconfigured:  # VLC may be installed fine; the variable is what to fix
            return CheckResult("libvlc", title, False, str(error), hint=_env_hint())
        return CheckResult("libvlc", title, False, f"not found ({error})", hint=install_hint())

    try:
        version = vlc.libvlc_get_version().decode("utf-8", "replace")
        instance = vlc.Instance("--quiet", "--no-video", "--no-xlib")
    except Exception as error:
        return CheckResult(
            "libvlc", title, False, f"libvlc failed to start: {error}", hint=install_hint()
        )
    if instance is None:
        return CheckResult(
            "libvlc",
            title,
            False,
            f"libvlc {version} found but would not start",
            hint=install_hint(),
        )
    try:
        outputs = _audio_output_names(vlc, instance)
    finally:
        instance.release()
    if not outputs:
        # libvlc5 alone has no plugins; the decoders and audio outputs are in vlc-plugin-base.
        return CheckResult(
            "libvlc",
            title,
            False,
            f"libvlc {version} found but it has no audio output plugins",
            hint=install_hint(),
        )
    return CheckResult(
        "libvlc", title, True, f"libvlc {version}; audio outputs: {', '.join(outputs)}"
    )
