"""Runtime emotion classifier: 48x48 grayscale faces in, calibrated 7-way probabilities out.

The model is a TFLite flatbuffer (``models/emotion.tflite``) plus a JSON sidecar
(``models/emotion.json``) with the class names, the calibration temperature and the input spec.
The flatbuffer already divides its logits by the temperature, so its ``logits`` output is the
*calibrated* logits and softmax of them is the calibrated probability.

The sidecar may also make the model an ensemble: ``members`` lists one ``.tflite`` per network
(each with its own temperature baked in) and its weight, ``mirror`` averages every face with its
horizontal flip, ``combine`` says whether the members' probabilities or their logits are
averaged, and then the top-level ``temperature`` (not baked: ``temperature_baked`` false) and a
per-class ``class_bias`` shape the final output. ``output_prior`` is the mean of that output
over the tuning split (:attr:`EmotionClassifier.class_prior`).

LiteRT (``ai_edge_litert``) runs the model; TensorFlow is only a fallback, imported lazily, so the
desktop app never pays TensorFlow's import time or memory. This module never imports
``emotune.training``.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
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
    "MemberSpec",
    "ModelMetadata",
    "combine_member_logits",
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


COMBINE_MODES = ("probabilities", "logits")
"""How an ensemble merges its members: the weighted mean of their calibrated probabilities (log
of it as the combined logits), or the weighted mean of their calibrated logits."""


@dataclass(frozen=True)
class MemberSpec:
    """One network of an ensemble, as the sidecar's ``members`` list names it."""

    file: str  # relative to the sidecar's folder
    weight: float
    arch: str
    temperature: float  # baked into that file's logits

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MemberSpec:
        """Parse one ``members`` entry; raises ValueError when malformed."""
        file = data.get("file")
        if not isinstance(file, str) or not file or Path(file).name != file:
            raise ValueError(f"member file must be a file name next to the sidecar, got {file!r}")
        weight = float(data.get("weight", 1.0))
        if not (np.isfinite(weight) and weight > 0):
            raise ValueError(f"member {file} weight must be positive, got {weight}")
        return cls(
            file, weight, str(data.get("arch", "unknown")), float(data.get("temperature", 1.0))
        )


def _class_vector(data: dict[str, Any], key: str) -> tuple[float, ...] | None:
    """A 7-float sidecar entry in canonical class order, or None when absent."""
    if data.get(key) is None:
        return None
    vector = np.asarray(data[key], dtype=np.float64)
    if vector.shape != (NUM_CLASSES,) or not np.all(np.isfinite(vector)):
        raise ValueError(f"{key} must be {NUM_CLASSES} finite numbers, got {data[key]!r}")
    return tuple(float(v) for v in vector)


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
    members: tuple[MemberSpec, ...] = ()
    """Ensemble members; empty for a single network (the model file itself)."""
    mirror: bool = False
    """Average each face with its horizontal flip (test-time augmentation)."""
    combine: str = "probabilities"
    class_bias: tuple[float, ...] | None = None
    """Added to the final calibrated logits: the class-prior adjustment fitted on the tuning split."""
    output_prior: tuple[float, ...] | None = None
    """Mean output probability per class over the tuning split."""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelMetadata:
        """Parse and validate the sidecar's JSON object; raises ValueError when malformed."""
        names = tuple(data.get("class_names", CLASS_NAMES))
        if names != CLASS_NAMES:
            # A model trained in another class order would silently mislabel every face.
            raise ValueError(
                f"class_names {list(names)} differ from the canonical {list(CLASS_NAMES)}"
            )
        temperature = float(data.get("temperature", 1.0))
        if not temperature > 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        combine = str(data.get("combine", "probabilities"))
        if combine not in COMBINE_MODES:
            raise ValueError(f"combine must be one of {COMBINE_MODES}, got {combine!r}")
        members = tuple(MemberSpec.from_dict(entry) for entry in data.get("members") or ())
        prior = _class_vector(data, "output_prior")
        if prior is not None and (min(prior) <= 0 or abs(sum(prior) - 1.0) > 1e-3):
            raise ValueError(f"output_prior must be positive and sum to 1, got {list(prior)}")
        return cls(
            class_names=names,
            temperature=temperature,
            arch=str(data.get("arch", "unknown")),
            version=str(data.get("version", "unknown")),
            quantization=str(data.get("quantization", "unknown")),
            temperature_baked=bool(data.get("temperature_baked", True)),
            raw=data,
            members=members,
            mirror=bool(data.get("mirror", False)),
            combine=combine,
            class_bias=_class_vector(data, "class_bias"),
            output_prior=prior,
        )


def combine_member_logits(
    member_logits: Sequence[np.ndarray], weights: Sequence[float], combine: str = "probabilities"
) -> np.ndarray:
    """Merge members' calibrated logits, each (V, N, 7) over V views of the same N faces, to (N, 7).

    ``probabilities``: log of the weighted mean of every member's and view's softmax (views of one
    member share its weight equally); ``logits``: the weighted mean of the logits themselves.
    Weights are normalised here. One member with one view comes back unchanged (its softmax is
    the same either way). Training fits the ensemble with this same function.
    """
    if combine not in COMBINE_MODES:
        raise ValueError(f"combine must be one of {COMBINE_MODES}, got {combine!r}")
    if len(member_logits) != len(weights) or not member_logits:
        raise ValueError(f"{len(member_logits)} members but {len(weights)} weights")
    if len(member_logits) == 1 and len(member_logits[0]) == 1:
        return np.asarray(member_logits[0][0], dtype=np.float32)
    w = np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    if combine == "logits":
        mean = sum(
            wi * np.asarray(z, np.float64).mean(axis=0)
            for wi, z in zip(w, member_logits, strict=True)
        )
        return np.asarray(mean, dtype=np.float32)
    mean = sum(
        wi * np.exp(log_softmax(z).astype(np.float64)).mean(axis=0)
        for wi, z in zip(w, member_logits, strict=True)
    )
    return np.log(np.maximum(mean, 1e-30)).astype(np.float32)


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


class _Member:
    """One network's interpreter (plus cached batch-sized copies) and where its logits come out."""

    def __init__(self, interpreter: Any, factory: Any = None) -> None:
        self.interpreter = interpreter
        self.factory = factory
        self.batch_interpreters: dict[int, Any] = {}
        input_detail = interpreter.get_input_details()[0]
        self.input_index = input_detail["index"]
        self.input_shape = tuple(input_detail["shape"])
        self.input_dtype = np.dtype(input_detail["dtype"])
        self.input_quant = input_detail.get("quantization", (0.0, 0))
        self.logits_index, self.logits_quant = _find_logits_output(interpreter)

    def interpreter_for(self, n: int) -> Any:
        """An interpreter whose input is sized for a batch of ``n``.

        Batch 1 uses the main interpreter. Larger batches get their own interpreter, resized once
        and cached, because re-allocating tensors on every call costs more than the inference.
        """
        if n == 1 or self.factory is None:
            return self.interpreter
        interpreter = self.batch_interpreters.get(n)
        if interpreter is None:
            if len(self.batch_interpreters) >= 4:
                # Face counts rarely change; keep only a few sizes alive.
                self.batch_interpreters.pop(next(iter(self.batch_interpreters)))
            interpreter = self.factory()
            interpreter.resize_tensor_input(self.input_index, [n, FACE_SIZE, FACE_SIZE, 1])
            interpreter.allocate_tensors()
            self.batch_interpreters[n] = interpreter
        return interpreter

    def run(self, x: np.ndarray) -> np.ndarray:
        """The network's (calibrated) logits output for float model input (N, 48, 48, 1)."""
        if self.factory is None and len(x) > 1:
            return np.concatenate([self.run(x[i : i + 1]) for i in range(len(x))])
        interpreter = self.interpreter_for(len(x))
        interpreter.set_tensor(self.input_index, self._quantize_input(x))
        interpreter.invoke()
        out = interpreter.get_tensor(self.logits_index)
        scale, zero_point = self.logits_quant
        if out.dtype != np.float32:
            out = (out.astype(np.float32) - zero_point) * scale
        return np.array(out, dtype=np.float32)

    def _quantize_input(self, x: np.ndarray) -> np.ndarray:
        if self.input_dtype == np.float32:
            return x
        # Integer-input models: map float pixels onto the model's quantised input grid.
        scale, zero_point = self.input_quant
        info = np.iinfo(self.input_dtype)
        q = np.round(x / scale + zero_point)
        return np.clip(q, info.min, info.max).astype(self.input_dtype)


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


def _interpreter_factory(model_path: Path, interpreter_class: type, num_threads: int) -> Any:
    """A function making allocated interpreters of ``model_path``; the first one is made here.

    Returns ``(interpreter, factory)``; raises :class:`ModelLoadError` for a missing or corrupt file.
    """
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
    return interpreter, factory


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
        more_members: Sequence[tuple[Any, Any]] = (),
    ) -> None:
        """Wrap allocated interpreters; use :meth:`load` rather than calling this directly.

        ``interpreter`` (with ``interpreter_factory``) is the first network; ``more_members`` are
        ``(interpreter, factory)`` pairs for the other members of an ensemble, in sidecar order.
        """
        self.metadata = metadata
        self.path = path
        self.backend = backend
        self._lock = threading.Lock()
        self._members = [_Member(interpreter, interpreter_factory)]
        self._members += [_Member(i, f) for i, f in more_members]
        specs = metadata.members
        if specs and len(specs) != len(self._members):
            raise ModelLoadError(
                f"{len(self._members)} interpreters for {len(specs)} listed members"
            )
        self._weights = tuple(s.weight for s in specs) if specs else (1.0,)
        self._bias = (
            None if metadata.class_bias is None else np.asarray(metadata.class_bias, np.float32)
        )

    # -- loading -----------------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        num_threads: int | None = None,
        member_only: bool = False,
    ) -> EmotionClassifier:
        """Load ``path`` (default ``models/emotion.tflite``) and its ``.json`` sidecar.

        When the sidecar lists ``members``, each listed file (next to the sidecar) is loaded as
        one network of the ensemble; with ``member_only``, only ``path`` itself, as the single
        network its entry there describes. ``num_threads`` defaults to
        :func:`default_num_threads` (two where two cores are free). Raises
        :class:`ModelLoadError` when a file is missing or corrupt.
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
        if member_only and metadata.members:
            metadata = cls._member_metadata(metadata, model_path.name)
        files = [model_path.parent / spec.file for spec in metadata.members] or [model_path]
        for file in files:
            if not file.is_file():
                raise ModelLoadError(
                    f"ensemble member {file} listed in {model_path.with_suffix(METADATA_SUFFIX)} "
                    "is missing; restore models/ from the repository or re-export the ensemble"
                )
        interpreter_class, backend = _interpreter_class()
        loaded = [_interpreter_factory(file, interpreter_class, num_threads) for file in files]
        for file, (interpreter, _factory) in zip(files, loaded, strict=True):
            details = interpreter.get_input_details()[0]
            if tuple(details["shape"][1:]) != (FACE_SIZE, FACE_SIZE, 1):
                raise ModelLoadError(
                    f"emotion model {file} takes input {tuple(details['shape'])}, expected "
                    f"(N, {FACE_SIZE}, {FACE_SIZE}, 1); it is not an EmoTune emotion model"
                )
        (first, factory), *rest = loaded
        return cls(first, metadata, model_path, backend, factory, rest)

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
    def _member_metadata(metadata: ModelMetadata, file: str) -> ModelMetadata:
        """Metadata of the single network ``file`` as an ensemble sidecar lists it."""
        spec = next((s for s in metadata.members if s.file == file), None)
        if spec is None:
            raise ModelLoadError(f"{file} is not a member of the ensemble its sidecar describes")
        return ModelMetadata.from_dict(
            {
                "arch": spec.arch,
                "temperature": spec.temperature,
                "temperature_baked": True,
                "version": metadata.version,
                "quantization": metadata.quantization,
            }
        )

    def member_classifiers(self) -> list[EmotionClassifier]:
        """Each member as a classifier of its own (its baked temperature, no mirror, no bias).

        They share this classifier's interpreters, so use them from one thread at a time; meant
        for checks and analysis (the ensemble's output is built from exactly these).
        """
        specs = self.metadata.members or (
            MemberSpec(self.path.name, 1.0, self.metadata.arch, self.metadata.temperature),
        )
        out = []
        for spec, member in zip(specs, self._members, strict=True):
            meta = (
                self._member_metadata(self.metadata, spec.file)
                if self.metadata.members
                else self.metadata
            )
            out.append(
                EmotionClassifier(
                    member.interpreter,
                    meta,
                    self.path.parent / spec.file,
                    self.backend,
                    member.factory,
                )
            )
        return out

    # -- inference ---------------------------------------------------------------------------

    @property
    def classes(self) -> tuple[Emotion, ...]:
        """Emotions in output column order (the canonical order)."""
        return tuple(Emotion)

    @property
    def temperature(self) -> float:
        """The calibration temperature of the output (baked into a single model's logits)."""
        return self.metadata.temperature

    @property
    def files(self) -> tuple[Path, ...]:
        """The model files this classifier runs: every ensemble member, or the one file."""
        members = self.metadata.members
        return tuple(self.path.parent / m.file for m in members) if members else (self.path,)

    @property
    def class_prior(self) -> np.ndarray:
        """Mean output probability per class (7,) over the tuning split; uniform when unknown.

        Dividing a frame's probabilities by this turns them into evidence relative to what the
        classifier outputs on average (the sidecar's ``output_prior``).
        """
        if self.metadata.output_prior is None:
            return np.full(NUM_CLASSES, 1.0 / NUM_CLASSES, dtype=np.float32)
        return np.asarray(self.metadata.output_prior, dtype=np.float32)

    @property
    def class_bias(self) -> np.ndarray:
        """The sidecar's per-class logit adjustment (7,), zeros when it has none."""
        return np.zeros(NUM_CLASSES, np.float32) if self._bias is None else self._bias.copy()

    def logits(self, faces: np.ndarray) -> np.ndarray:
        """Calibrated logits (N, 7) float32 for uint8 faces (N, 48, 48) or a single (48, 48).

        Softmax of these is :meth:`predict`'s output; add a per-user bias to them to shift the
        decision (e.g. a neutral-face calibration), then softmax. For an ensemble they are the
        combined members (and mirror views), divided by the ensemble temperature, plus the
        sidecar's class bias.
        """
        batch = self._as_batch(faces)
        if len(batch) == 0:
            return np.zeros((0, NUM_CLASSES), dtype=np.float32)
        x = to_model_input(batch)
        n = len(x)
        if self.metadata.mirror:
            # One call per member for both views: a batch of 2N costs less than two calls.
            x = np.concatenate([x, x[:, :, ::-1]])
        with self._lock:
            outputs = [member.run(x) for member in self._members]
        views = [out.reshape(-1, n, NUM_CLASSES) for out in outputs]
        raw = combine_member_logits(views, self._weights, self.metadata.combine)
        if not self.metadata.temperature_baked:
            raw = raw / np.float32(self.metadata.temperature)
        if self._bias is not None:
            raw = raw + self._bias
        return raw.astype(np.float32, copy=False)

    def log_probabilities(
        self, faces: np.ndarray, logit_bias: np.ndarray | None = None
    ) -> np.ndarray:
        """Calibrated log-probabilities (N, 7); ``logit_bias`` (7,) or (N, 7) is added first."""
        return log_softmax(self._biased(self.logits(faces), logit_bias))

    def predict(self, faces: np.ndarray, logit_bias: np.ndarray | None = None) -> np.ndarray:
        """Calibrated probabilities (N, 7) float32 in canonical order; each row sums to 1.

        ``faces``: uint8 grayscale crops (N, 48, 48) or one (48, 48) -- run :func:`preprocess`
        on raw camera crops first. ``logit_bias`` (7,) or (N, 7) is added to the calibrated logits
        before the softmax (equivalent to log(p) + bias, then renormalise).
        """
        return softmax(self._biased(self.logits(faces), logit_bias))

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
            raise ValueError(
                f"expected uint8 faces, got {batch.dtype}; run preprocess() on each crop first"
            )
        return batch

    def __repr__(self) -> str:
        members = f", members={len(self._members)}" if len(self._members) > 1 else ""
        mirror = ", mirror=True" if self.metadata.mirror else ""
        return (
            f"EmotionClassifier(path={str(self.path)!r}, backend={self.backend!r}, "
            f"arch={self.metadata.arch!r}, quantization={self.metadata.quantization!r}, "
            f"T={self.metadata.temperature:.3f}{members}{mirror})"
        )
