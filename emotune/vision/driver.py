"""The one place that assembles the vision pipeline: classifier, face detector, the user's neutral
calibration and the mood filter, from :class:`VisionOptions`.

The window's vision worker, ``emotune detect`` and ``emotune bench`` all build their pipeline
here and drive it with :meth:`FramePipeline.step`, so what ``detect`` measures is what the
window shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emotune.mood import MoodConfig, MoodTracker

if TYPE_CHECKING:  # the pipeline pulls in OpenCV: the window imports this module before it may
    from emotune.vision.detector import DetectorConfig
    from emotune.vision.pipeline import Classifier, FramePipeline, PrimaryPolicy


@dataclass(frozen=True)
class VisionOptions:
    """How to build a pipeline. The defaults are what the window uses."""

    model: str | Path | None = None
    """Emotion model file (default: the shipped one)."""
    primary: PrimaryPolicy = "largest"
    """Which face drives the mood."""
    use_calibration: bool = True
    """Apply the user's stored neutral-face calibration when it was made for this model."""
    mood: MoodConfig = field(default_factory=MoodConfig)
    """Mood filter settings."""
    num_threads: int | None = None
    """Inference threads (default: the classifier's own choice)."""
    detector: DetectorConfig | None = None
    """Face detector settings (default: :class:`~emotune.vision.detector.DetectorConfig`)."""


def build_pipeline(
    options: VisionOptions | None = None, classifier: Classifier | None = None
) -> FramePipeline:
    """A :class:`FramePipeline` with a mood tracker, ready for :meth:`FramePipeline.step`.

    Pass ``classifier`` to reuse one that is already loaded (the bench does); otherwise the model
    of ``options`` is loaded, raising :class:`~emotune.vision.classifier.ModelLoadError` with a
    user-facing message when it cannot be.
    """
    from emotune.vision.detector import FaceDetector
    from emotune.vision.pipeline import FramePipeline

    options = options or VisionOptions()
    if classifier is None:
        from emotune.vision.classifier import EmotionClassifier

        classifier = EmotionClassifier.load(options.model, num_threads=options.num_threads)
    prior = getattr(classifier, "class_prior", None)
    tracker = MoodTracker(options.mood, class_prior=prior)
    calibration = _stored_calibration(classifier) if options.use_calibration else None
    return FramePipeline(
        classifier,
        FaceDetector(options.detector),
        tracker=tracker,
        primary=options.primary,
        logit_bias=None if calibration is None else calibration.logit_bias,
    )


def _stored_calibration(classifier: Any) -> Any:
    """The stored neutral calibration for this model, or None (none stored, another model's, or
    an unreadable user folder: calibration is a refinement and never stops the pipeline)."""
    from emotune.vision.calibration import load_calibration, model_id

    path = getattr(classifier, "path", None)
    try:
        identity = model_id(path) if path is not None else None
        return load_calibration(model_id=identity)
    except OSError:
        return None
