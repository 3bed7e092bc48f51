"""Environment checks behind ``emotune doctor``: each returns a :class:`CheckResult`, none raises.

No Qt and no TensorFlow here; the Qt check runs in a child process.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from emotune.doctor.camera import check_camera
from emotune.doctor.library import check_library
from emotune.doctor.libvlc import check_libvlc
from emotune.doctor.model import check_model
from emotune.doctor.mpris import check_mpris
from emotune.doctor.python_version import check_python
from emotune.doctor.qt_platform import check_qt_platform
from emotune.doctor.result import CheckResult
from emotune.doctor.sound import check_sound_output
from emotune.doctor.user_dirs import check_user_dirs

__all__ = ["CHECKS", "CheckResult", "essential_failures", "run_checks"]

CHECKS: tuple[tuple[str, str, Callable[[], CheckResult]], ...] = (
    ("python", "Python", check_python),
    ("user_dirs", "User folders", check_user_dirs),
    ("camera", "Camera", check_camera),
    ("libvlc", "libvlc", check_libvlc),
    ("sound", "Sound output", check_sound_output),
    ("model", "Emotion model", check_model),
    ("library", "Music library", check_library),
    ("qt", "Qt display", check_qt_platform),
    ("mpris", "Media keys", check_mpris),
)
"""(key, title, check) in report order."""


def _run_guarded(key: str, title: str, check: Callable[[], CheckResult]) -> CheckResult:
    # One broken check must not hide the others' answers.
    try:
        return check()
    except Exception as error:
        return CheckResult(
            key,
            title,
            False,
            f"the check itself failed: {type(error).__name__}: {error}",
            hint="Please report this as a bug.",
            essential=key not in ("camera", "sound", "mpris"),
        )


def run_checks() -> list[CheckResult]:
    """Run every check in report order."""
    return [_run_guarded(key, title, check) for key, title, check in CHECKS]


def essential_failures(results: Sequence[CheckResult]) -> list[CheckResult]:
    """The failed checks that stop EmoTune from working (the camera and sound never are)."""
    return [result for result in results if result.essential and not result.ok]
