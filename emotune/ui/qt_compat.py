"""Work-around for a reference-counting bug in the Qt bindings; applied on ``import emotune.ui``.

PySide6 6.12.0 on CPython 3.11 returns ``None`` from every void method (``QPainter.setPen``,
``QLabel.setText``, …) and ``True`` from ``Signal.emit()`` without taking a reference. On CPython
3.12+ those objects are immortal and nothing happens; on 3.11 each call takes one reference away,
and after some thousands of calls (seconds of painting) CPython frees ``None`` and aborts with
"none_dealloc: deallocating None".

:func:`apply` measures the loss once at start-up and, only if there is one, gives ``None``,
``True`` and ``False`` a reserve of 2**40 references, which is what CPython 3.12 does with its
immortal objects. At a million leaked references a second the reserve lasts twelve days. On a
fixed PySide6, or CPython 3.12+, nothing is changed.
"""

from __future__ import annotations

import ctypes
import sys

RESERVE = 1 << 40
applied = False


def _losses() -> tuple[int, int]:
    """(None refs lost by a void call, True refs lost by an emit) per call on this build."""
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    samples = 32
    none_before = sys.getrefcount(None)
    for _ in range(samples):
        probe.setObjectName("probe")  # a void method
    none_lost = none_before - sys.getrefcount(None)
    true_before = sys.getrefcount(True)
    for _ in range(samples):
        probe.ping.emit()
    true_lost = true_before - sys.getrefcount(True)
    return none_lost, true_lost


def _add_references(obj: object, count: int) -> None:
    # ob_refcnt is the first field of every PyObject in (non-debug, GIL) CPython builds.
    ctypes.c_ssize_t.from_address(id(obj)).value += count


def apply() -> bool:
    """Protect ``None``/``True``/``False`` if this PySide6 build leaks their references.

    Returns True when the work-around was needed (and applied). Idempotent.
    """
    global applied
    if applied:
        return True
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False  # immortal singletons: the leak is harmless there
    none_lost, true_lost = _losses()
    if none_lost <= 0 and true_lost <= 0:
        return False
    for singleton in (None, True, False):
        _add_references(singleton, RESERVE)
    applied = True
    return True
