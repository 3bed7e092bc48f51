"""A private D-Bus session bus for tests, and a small asynchronous QtDBus client.

The bus comes from ``dbus-run-session`` (Debian ``dbus``), so tests never touch the desktop's
own bus. The client calls asynchronously and pumps the GUI thread's events while it waits: the
service under test answers on that same thread, so a blocking call would wait for itself.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import SLOT, QEventLoop, QObject, Slot
from PySide6.QtDBus import QDBusConnection, QDBusMessage, QDBusObjectPath, QDBusVariant

_names = itertools.count()


def _pump(seconds: float) -> None:
    # A poll loop on the GUI thread: the service under test answers on this same thread.
    loop = QEventLoop()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        loop.processEvents()
        time.sleep(0.002)


@pytest.fixture
def private_bus() -> Iterator[str]:
    """The address of a fresh session bus that lives for one test."""
    if shutil.which("dbus-run-session") is None or shutil.which("dbus-send") is None:
        pytest.skip("dbus-run-session/dbus-send are not installed (Debian package dbus)")
    process = subprocess.Popen(
        ["dbus-run-session", "--", "sh", "-c", 'echo "$DBUS_SESSION_BUS_ADDRESS"; exec sleep 600'],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        address = process.stdout.readline().strip()
        assert address, "dbus-run-session printed no bus address"
        yield address
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)


def connect(address: str, role: str) -> QDBusConnection:
    """A named connection to the bus at ``address`` (one per role: service, client)."""
    connection = QDBusConnection.connectToBus(address, f"emotune-test-{role}-{next(_names)}")
    assert connection.isConnected(), connection.lastError().message()
    return connection


def plain(value: Any) -> Any:
    """A reply value as plain Python (variants unwrapped, object paths as text).

    PySide6 cannot demarshal an ``a{sv}`` reply (it arrives as a QDBusArgument whose reads
    fail), so maps are read with :func:`dbus_send_map` instead.
    """
    if isinstance(value, QDBusVariant):
        return plain(value.variant())
    if isinstance(value, QDBusObjectPath):
        return value.path()
    return value


_SCALAR = re.compile(r'^(string|object path|int32|int64|uint32|uint64|double|boolean) "?(.*?)"?$')


def parse_dbus_send_map(text: str) -> dict[str, Any]:
    """The ``a{sv}`` in ``dbus-send --print-reply`` output as a dict (scalars, string arrays)."""
    lines = [line.strip() for line in text.splitlines()]
    out: dict[str, Any] = {}
    i = 0
    while i < len(lines):
        if lines[i] == "dict entry(" and i + 2 < len(lines):
            key = lines[i + 1].removeprefix("string ").strip('"')
            value_line = lines[i + 2].removeprefix("variant").strip()
            if value_line == "array [":
                items = []
                i += 3
                while i < len(lines) and lines[i] != "]":
                    items.append(lines[i].removeprefix("string ").strip('"'))
                    i += 1
                out[key] = items
            else:
                match = _SCALAR.match(value_line)
                if match:
                    kind, raw = match.groups()
                    numeric = kind.startswith(("int", "uint"))
                    out[key] = int(raw) if numeric else float(raw) if kind == "double" else raw
        i += 1
    return out


def dbus_send(address: str, service: str, path: str, method: str, *args: str) -> str:
    """Run ``dbus-send --print-reply`` (typed ``args`` such as ``int64:5``), pumping events
    meanwhile; returns its output."""
    process = subprocess.Popen(
        [
            "dbus-send",
            f"--bus={address}",
            "--print-reply",
            f"--dest={service}",
            path,
            method,
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    end = time.monotonic() + 10
    while process.poll() is None:
        assert time.monotonic() < end, "dbus-send got no reply"
        _pump(0.005)
    output = process.stdout.read() if process.stdout else ""
    assert process.returncode == 0, output
    return output


def dbus_send_map(
    address: str, service: str, path: str, interface: str, name: str
) -> dict[str, Any]:
    """Read an ``a{sv}`` property with ``dbus-send`` (an independent client)."""
    method = "org.freedesktop.DBus.Properties.Get"
    output = dbus_send(address, service, path, method, f"string:{interface}", f"string:{name}")
    return parse_dbus_send_map(output)


class Client(QObject):
    """Calls methods and reads/writes properties of one object; records its signals."""

    def __init__(self, connection: QDBusConnection, service: str, path: str) -> None:
        super().__init__()
        self.connection = connection
        self.service = service
        self.path = path
        self.signals: list[list[Any]] = []

    def call(self, interface: str, method: str, *args: Any, timeout: float = 5.0) -> list[Any]:
        """Call and wait (pumping events); returns the reply's arguments, raises on an error."""
        message = QDBusMessage.createMethodCall(self.service, self.path, interface, method)
        if args:
            message.setArguments(list(args))
        pending = self.connection.asyncCall(message)
        end = time.monotonic() + timeout
        while not pending.isFinished():
            assert time.monotonic() < end, f"{interface}.{method} got no reply"
            _pump(0.005)
        reply = pending.reply()
        if reply.type() == QDBusMessage.MessageType.ErrorMessage:
            raise RuntimeError(f"{reply.errorName()}: {reply.errorMessage()}")
        return list(reply.arguments())

    def get(self, interface: str, name: str) -> Any:
        """A property's value (org.freedesktop.DBus.Properties.Get)."""
        (value,) = self.call("org.freedesktop.DBus.Properties", "Get", interface, name)
        return plain(value)

    def set(self, interface: str, name: str, value: Any) -> None:
        """Write a property."""
        self.call("org.freedesktop.DBus.Properties", "Set", interface, name, QDBusVariant(value))

    def watch_properties(self) -> None:
        """Record PropertiesChanged (with the spec's signature ``sa{sv}as``) into :attr:`signals`."""
        ok = self.connection.connect(
            self.service,
            self.path,
            "org.freedesktop.DBus.Properties",
            "PropertiesChanged",
            "sa{sv}as",
            self,
            SLOT("on_properties_changed(QString,QVariantMap,QStringList)"),
        )
        assert ok, self.connection.lastError().message()

    @Slot(str, "QVariantMap", "QStringList")
    def on_properties_changed(self, interface: str, changed: dict, invalidated: list) -> None:
        self.signals.append([interface, dict(changed), list(invalidated)])

    def wait_for(self, condition: Any, timeout: float = 5.0) -> None:
        """Pump events until ``condition()`` holds."""
        end = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < end, "timed out waiting over D-Bus"
            _pump(0.01)
