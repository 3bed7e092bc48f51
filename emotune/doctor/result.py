"""The outcome of one environment check."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class CheckResult:
    """One line of the doctor's report.

    ``essential`` checks decide the exit code; a failed non-essential check (the camera) is only
    a warning, because the app still works without it.
    """

    key: str  # stable machine name used in JSON, e.g. "camera"
    title: str  # human name, e.g. "Camera"
    ok: bool
    detail: str  # what was found, e.g. "libvlc 3.0.20 Vetinari"
    hint: str = ""  # how to fix it; empty when ok
    essential: bool = True

    @property
    def status(self) -> str:
        """``"ok"``, ``"warning"`` (failed but not essential) or ``"fail"``."""
        if self.ok:
            return "ok"
        return "fail" if self.essential else "warning"

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict, including the derived ``status``."""
        return {**asdict(self), "status": self.status}
