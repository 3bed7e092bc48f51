"""Does the bundled emotion model load?"""

from __future__ import annotations

from pathlib import Path

from emotune.doctor.result import CheckResult
from emotune.paths import (
    DEFAULT_MODEL,
    PROJECT_ROOT,
    InstallKind,
    install_kind,
    missing_model_fix,
    reinstall_command,
)


def _display_path(path: Path) -> str:
    """Relative to a source tree (``models/emotion.tflite``); in full for an installed wheel."""
    if install_kind() is InstallKind.WHEEL:
        return str(path)
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def check_model(model_path: Path = DEFAULT_MODEL) -> CheckResult:
    """Load the classifier the way the app does; any error is reported, never raised."""
    title = "Emotion model"
    shown = _display_path(model_path)
    if not model_path.is_file():
        return CheckResult(
            "model", title, False, f"{shown} is missing", hint=missing_model_fix(model_path)
        )
    try:
        from emotune.vision.classifier import EmotionClassifier
    except ModuleNotFoundError as error:
        if error.name == "emotune.vision.classifier":
            return CheckResult(
                "model",
                title,
                False,
                "the classifier module emotune.vision.classifier is missing",
                hint=f"Update or reinstall EmoTune ({reinstall_command()}).",
            )
        return _failed(shown, model_path, error)
    except Exception as error:
        return _failed(shown, model_path, error)
    try:
        EmotionClassifier.load(model_path)
    except Exception as error:
        return _failed(shown, model_path, error)
    size_kib = model_path.stat().st_size / 1024
    return CheckResult("model", title, True, f"{shown} loads ({size_kib:.0f} KiB)")


def _failed(shown: str, model_path: Path, error: BaseException) -> CheckResult:
    return CheckResult(
        "model",
        "Emotion model",
        False,
        f"{shown} does not load: {type(error).__name__}: {error}",
        hint=f"Reinstall EmoTune and its runtime (ai-edge-litert): {reinstall_command()}. If the "
        f"model file itself is damaged: {missing_model_fix(model_path)}",
    )
