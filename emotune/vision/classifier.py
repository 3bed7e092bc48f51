"""Runtime emotion classifier: 48x48 grayscale faces in, calibrated 7-way probabilities out.

The model is a TFLite flatbuffer (``models/emotion.tflite``) plus a JSON sidecar
(``models/emotion.json``) with the class names, the calibration temperature and the input spec.
The flatbuffer already divides its logits by the temperature, so its ``logits`` output is the
*calibrated* logits and softmax of them is the calibrated probability.

LiteRT (``ai_edge_litert``) runs the model; TensorFlow is only a fallback, imported lazily, so the
desktop app never pays TensorFlow's import time or memory. This module never imports
``emotune.training``.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from emotune.emotions import CLASS_NAMES, NUM_CLASSES, Emotion
from emotune.paths import DEFAULT_MODEL, missing_model_fix
from emotune.vision.native_stderr import LITERT_NOISE, native_stderr_without
from emotune.vision.preprocess import FACE_SIZE, preprocess, to_model_input

__all__ = [
    "EmotionClassifier",
    "ModelLoadError",
    "ModelMetadata",
    "default_num_threads",
    "log_softmax",
    "preprocess",
    "softmax",
]

METADATA_SUFFIX = ".json"
"""The sidecar sits next to the model with the same stem: emotion.tflite -> emotion.json."""


def empty_model_message(model_path: Path) -> str:
    """The error for a 0-byte model file (LiteRT would only say "model_content must be specified")."""
    return (
        f"emotion model {model_path} is empty (0 bytes); re-export it with 'emotune train "
        "--export-from RUN_DIR/best.keras' or restore models/ from the repository"
    )


class ModelLoadError(RuntimeError):
    """The emotion model (or its metadata sidecar) is missing, unreadable or not what we expect."""


@dataclass(frozen=True)
class ModelMetadata:
    """What ``models/emotion.json`` says about the model it sits next to."""

    class_names: tuple[str, ...]
    temperature: float
    arch: str
    version: str
    quantization: str
    temperature_baked: bool
    raw: dict[str, Any]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelMetadata:
        """Parse and validate the sidecar's JSON object; raises ValueError when malformed."""
        names = tuple(data.get("class_names", CLASS_NAMES))
        if names != CLASS_NAMES:
            # A model trained in another class order would silently mislabel every face.
            raise ValueError(f"class_names {list(names)} differ from the canonical {list(CLASS_NAMES)}")
        temperature = float(data.get("temperature", 1.0))
        if not temperature > 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        return cls(
            class_names=names,
            temperature=temperature,
            arch=str(data.get("arch", "unknown")),
            version=str(data.get("version", "unknown")),
            quantization=str(data.get("quantization", "unknown")),
            temperature_baked=bool(data.get("temperature_baked", True)),
            raw=data,
        )


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax in float64 (for exact row sums), returned as float32."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    p = e / e.sum(axis=-1, keepdims=True)
    return p.astype(np.float32)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax (log-probabilities), float32."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    return (z - np.log(np.exp(z).sum(axis=-1, keepdims=True))).astype(np.float32)


def _interpreter_class() -> tuple[type, str]:
    """The LiteRT interpreter class, or TensorFlow's when LiteRT is not installed."""
    try:
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter, "litert"
    except ImportError:
        pass
    try:
        # Only reached without LiteRT (e.g. Python versions it has no wheel for).
        import tensorflow as tf
    except ImportError as error:
        raise ModelLoadError(
            "no TFLite runtime available: install 'ai-edge-litert' (pip install ai-edge-litert) "
            "or TensorFlow"
        ) from error
    return tf.lite.Interpreter, "tensorflow"


def default_num_threads() -> int:
    """Interpreter threads for one-face inference: 2 when this process may use 2+ cores, else 1.

    Two threads cut one-face latency by about a third on a 2-core machine (0.50 vs 0.79 ms
    median for the shipped model, measured interleaved) for 0.2-0.6 ms more CPU time per frame
    in all. Capped at two because a 48x48 input's layers are small to split and the camera and
    GUI threads need the remaining cores.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # no affinity API (macOS, Windows)
        cores = os.cpu_count() or 1
    return 2 if cores >= 2 else 1


class EmotionClassifier:
    """Classifies grayscale face crops into the seven emotions.

    Not thread-safe by nature (a TFLite interpreter is stateful), so calls are serialised with a
    lock; create one classifier per thread if you need parallel inference.
    """

    def __init__(
        self,
        interpreter: Any,
        metadata: ModelMetadata,
        path: Path,
        backend: str,
        interpreter_factory: Any = None,
    ) -> None:
        """Wrap an allocated interpreter; use :meth:`load` rather than calling this directly."""
        self._interpreter = interpreter
        self._factory = interpreter_factory
        self.metadata = metadata
        self.path = path
        self.backend = backend
        self._lock = threading.Lock()
        self._batch_interpreters: dict[int, Any] = {}
        input_detail = interpreter.get_input_details()[0]
        self._input_index = input_detail["index"]
        self._input_dtype = np.dtype(input_detail["dtype"])
        self._input_quant = input_detail.get("quantization", (0.0, 0))
        self._logits_index, self._logits_quant = self._find_logits_output(interpreter)

    # -- loading -----------------------------------------------------------------------------

    @classmethod
    def load(
        cls, path: str | Path | None = None, num_threads: int | None = None
    ) -> EmotionClassifier:
        """Load ``path`` (default ``models/emotion.tflite``) and its ``.json`` sidecar.

        ``num_threads`` defaults to :func:`default_num_threads` (two where two cores are free).
        Raises :class:`ModelLoadError` when the file is missing or corrupt.
        """
        if num_threads is None:
            num_threads = default_num_threads()
        if num_threads < 1:
            raise ValueError(f"num_threads must be at least 1, got {num_threads}")
        model_path = Path(path) if path is not None else DEFAULT_MODEL
        if not model_path.is_file():
            raise ModelLoadError(
                f"emotion model not found at {model_path}. {missing_model_fix(model_path)}"
            )
        metadata = cls._load_metadata(model_path)
        interpreter_class, backend = _interpreter_class()
        try:
            content = model_path.read_bytes()
        except OSError as error:
            raise ModelLoadError(f"cannot read emotion model {model_path}: {error}") from error
        if not content:
            raise ModelLoadError(empty_model_message(model_path))

        def factory() -> Any:
            with native_stderr_without(LITERT_NOISE):
                interpreter = interpreter_class(model_content=content, num_threads=num_threads)
                interpreter.allocate_tensors()
            return interpreter

        try:
            interpreter = factory()
        except Exception as error:  # the runtimes raise ValueError/RuntimeError for bad files
            raise ModelLoadError(
                f"emotion model {model_path} is corrupt or not a TFLite model ({error}). "
                "Re-export it with 'emotune train --export-from RUN_DIR/best.keras' or restore "
                "models/ from the repository."
            ) from error
        classifier = cls(interpreter, metadata, model_path, backend, factory)
        details = interpreter.get_input_details()[0]
        if tuple(details["shape"][1:]) != (FACE_SIZE, FACE_SIZE, 1):
            raise ModelLoadError(
                f"emotion model {model_path} takes input {tuple(details['shape'])}, expected "
                f"(N, {FACE_SIZE}, {FACE_SIZE}, 1); it is not an EmoTune emotion model"
            )
        return classifier

    @staticmethod
    def _load_metadata(model_path: Path) -> ModelMetadata:
        sidecar = model_path.with_suffix(METADATA_SUFFIX)
        if not sidecar.is_file():
            raise ModelLoadError(
                f"metadata {sidecar} for emotion model {model_path} is missing; export the model "
                "with 'emotune train --export-from RUN_DIR/best.keras', which writes both files"
            )
        try:
            return ModelMetadata.from_dict(json.loads(sidecar.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, AttributeError) as error:
            raise ModelLoadError(f"metadata {sidecar} is unreadable or invalid: {error}") from error

    @staticmethod
    def _find_logits_output(interpreter: Any) -> tuple[int, tuple[float, int]]:
        """Tensor index and quantisation of the ``logits`` output.

        The converter names output tensors ``StatefulPartitionedCall:N``; the real names live in
        the serving signature, so look there first and fall back to the tensor names.
        """
        outputs = interpreter.get_output_details()
        by_index = {o["index"]: o for o in outputs}
        chosen = None
        try:
            signature_outputs = interpreter.get_signature_runner().get_output_details()
            if "logits" in signature_outputs:
                chosen = by_index.get(signature_outputs["logits"]["index"])
        except (ValueError, RuntimeError, KeyError, AttributeError):
            chosen = None  # models without a signature: fall back to names/order
        if chosen is None:
            chosen = next((o for o in outputs if "logits" in o["name"]), outputs[0])
        if tuple(chosen["shape"][-1:]) != (NUM_CLASSES,):
            raise ModelLoadError(
                f"model output {chosen['name']} has shape {tuple(chosen['shape'])}, expected (N, {NUM_CLASSES})"
            )
        return chosen["index"], chosen.get("quantization", (0.0, 0))

    # -- inference ---------------------------------------------------------------------------

    @property
    def classes(self) -> tuple[Emotion, ...]:
        """Emotions in output column order (the canonical order)."""
        return tuple(Emotion)

    @property
    def temperature(self) -> float:
        """The calibration temperature baked into the model's logits."""
        return self.metadata.temperature

    def logits(self, faces: np.ndarray) -> np.ndarray:
        """Calibrated logits (N, 7) float32 for uint8 faces (N, 48, 48) or a single (48, 48).

        Softmax of these is :meth:`predict`'s output; add a per-user bias to them to shift the
        decision (e.g. a neutral-face calibration), then softmax.
        """
        batch = self._as_batch(faces)
        if len(batch) == 0:
            return np.zeros((0, NUM_CLASSES), dtype=np.float32)
        x = to_model_input(batch)
        with self._lock:
            raw = self._run(x)
        if not self.metadata.temperature_baked:
            raw = raw / np.float32(self.metadata.temperature)
        return raw.astype(np.float32, copy=False)

    def log_probabilities(self, faces: np.ndarray, logit_bias: np.ndarray | None = None) -> np.ndarray:
        """Calibrated log-probabilities (N, 7); ``logit_bias`` (7,) or (N, 7) is added first."""
        return log_softmax(self._biased(self.logits(faces), logit_bias))

    def predict(self, faces: np.ndarray, logit_bias: np.ndarray | None = None) -> np.ndarray:
        """Calibrated probabilities (N, 7) float32 in canonical order; each row sums to 1.

        ``faces``: uint8 grayscale crops (N, 48, 48) or one (48, 48) -- run :func:`preprocess`
        on raw camera crops first. ``logit_bias`` (7,) or (N, 7) is added to the calibrated logits
        before the softmax (equivalent to log(p) + bias, then renormalise).
        """
        return softmax(self._biased(self.logits(faces), logit_bias))

    def predict_one(self, face: np.ndarray, logit_bias: np.ndarray | None = None) -> dict[Emotion, float]:
        """Probabilities for one face as ``{Emotion: p}``."""
        row = self.predict(np.asarray(face)[None] if np.ndim(face) == 2 else face, logit_bias)[0]
        return {emotion: float(p) for emotion, p in zip(Emotion, row, strict=True)}

    @staticmethod
    def _biased(logits: np.ndarray, logit_bias: np.ndarray | None) -> np.ndarray:
        if logit_bias is None:
            return logits
        bias = np.asarray(logit_bias, dtype=np.float32)
        if bias.shape[-1] != NUM_CLASSES or bias.ndim > 2:
            raise ValueError(f"logit_bias must have shape (7,) or (N, 7), got {bias.shape}")
        return logits + bias

    @staticmethod
    def _as_batch(faces: np.ndarray) -> np.ndarray:
        batch = np.asarray(faces)
        if batch.ndim == 2:
            batch = batch[None]
        if batch.ndim == 4 and batch.shape[-1] == 1:
            batch = batch[..., 0]
        if batch.ndim != 3 or batch.shape[1:] != (FACE_SIZE, FACE_SIZE):
            raise ValueError(
                f"expected preprocessed faces of shape (N, {FACE_SIZE}, {FACE_SIZE}) or "
                f"({FACE_SIZE}, {FACE_SIZE}), got {batch.shape}; run preprocess() on each crop first"
            )
        if batch.dtype != np.uint8:
            raise ValueError(f"expected uint8 faces, got {batch.dtype}; run preprocess() on each crop first")
        return batch

    def _interpreter_for(self, n: int) -> Any:
        """An interpreter whose input is sized for a batch of ``n``.

        Batch 1 uses the main interpreter. Larger batches get their own interpreter, resized once
        and cached, because re-allocating tensors on every call costs more than the inference.
        """
        if n == 1 or self._factory is None:
            return self._interpreter
        interpreter = self._batch_interpreters.get(n)
        if interpreter is None:
            if len(self._batch_interpreters) >= 4:
                # Face counts rarely change; keep only a few sizes alive.
                self._batch_interpreters.pop(next(iter(self._batch_interpreters)))
            interpreter = self._factory()
            interpreter.resize_tensor_input(self._input_index, [n, FACE_SIZE, FACE_SIZE, 1])
            interpreter.allocate_tensors()
            self._batch_interpreters[n] = interpreter
        return interpreter

    def _run(self, x: np.ndarray) -> np.ndarray:
        interpreter = self._interpreter_for(len(x))
        if self._factory is None and len(x) > 1:
            return np.concatenate([self._run(x[i : i + 1]) for i in range(len(x))])
        interpreter.set_tensor(self._input_index, self._quantize_input(x))
        interpreter.invoke()
        out = interpreter.get_tensor(self._logits_index)
        scale, zero_point = self._logits_quant
        if out.dtype != np.float32:
            out = (out.astype(np.float32) - zero_point) * scale
        return np.array(out, dtype=np.float32)

    def _quantize_input(self, x: np.ndarray) -> np.ndarray:
        if self._input_dtype == np.float32:
            return x
        # Integer-input models: map float pixels onto the model's quantised input grid.
        scale, zero_point = self._input_quant
        info = np.iinfo(self._input_dtype)
        q = np.round(x / scale + zero_point)
        return np.clip(q, info.min, info.max).astype(self._input_dtype)

    def __repr__(self) -> str:
        return (
            f"EmotionClassifier(path={str(self.path)!r}, backend={self.backend!r}, "
            f"arch={self.metadata.arch!r}, quantization={self.metadata.quantization!r}, "
            f"T={self.metadata.temperature:.3f})"
        )
