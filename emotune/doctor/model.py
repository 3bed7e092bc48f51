"""Does the bundled emotion model load?"""

from __future__ import annotations

from pathlib import Path

from emotune.doctor.result import CheckResult
from emotune.paths import DEFAULT_MODEL, PROJECT_ROOT

RETRAIN_HINT = (
    "Restore it with `git checkout -- models/emotion.tflite`, or train and export a new one "
    "(see README, Training)."
)


def _display_path(path: Path) -> str:
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def check_model(model_path: Path = DEFAULT_MODEL) -> CheckResult:
    """Load the classifier the way the app does; any error is reported, never raised."""
    title = "Emotion model"
    shown = _display_path(model_path)
    if not model_path.is_file():
        return CheckResult("model", title, False, f"{shown} is missing", hint=RETRAIN_HINT)
    try:
        from emotune.vision.classifier import EmotionClassifier
    except ModuleNotFoundError as error:
        if error.name == "emotune.vision.classifier":
            return CheckResult(
                "model",
                title,
                False,
                "the classifier module emotune.vision.classifier is missing",
                hint="Update or reinstall EmoTune (`git pull`, then `make setup`).",
            )
        return _failed(shown, error)
    except Exception as error:
        return _failed(shown, error)
    try:
        EmotionClassifier.load(model_path)
    except Exception as error:
        return _failed(shown, error)
    size_kib = model_path.stat().st_size / 1024
    return CheckResult("model", title, True, f"{shown} loads ({size_kib:.0f} KiB)")


def _failed(shown: str, error: BaseException) -> CheckResult:
    return CheckResult(
        "model",
        "Emotion model",
        False,
        f"{shown} does not load: {type(error).__name__}: {error}",
        hint="Run `make setup` to reinstall the runtime (ai-edge-litert); " + RETRAIN_HINT,
    )
