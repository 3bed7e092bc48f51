"""``emotune doctor`` says whether MPRIS (media keys, playerctl) is on, and why not."""

from __future__ import annotations

import sys

import pytest

from emotune.doctor.mpris import check_mpris, session_bus_address

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="MPRIS is Linux-only")


@linux_only
def test_no_session_bus_turns_mpris_off_with_the_reason(tmp_path):
    result = check_mpris({"XDG_RUNTIME_DIR": str(tmp_path)})  # no bus socket in there
    assert not result.ok and not result.essential
    assert result.status == "warning"
    assert "MPRIS off" in result.detail and "no D-Bus session bus" in result.detail
    assert "dbus-run-session" in result.hint


@linux_only
def test_an_address_to_a_missing_socket_is_reported(tmp_path):
    missing = tmp_path / "gone"
    result = check_mpris({"DBUS_SESSION_BUS_ADDRESS": f"unix:path={missing},guid=abc"})
    assert not result.ok
    assert str(missing) in result.detail


@linux_only
def test_the_runtime_dir_socket_counts_as_a_session_bus(tmp_path):
    (tmp_path / "bus").touch()
    address, detail = session_bus_address({"XDG_RUNTIME_DIR": str(tmp_path)})
    assert address == f"unix:path={tmp_path / 'bus'}"
    result = check_mpris({"XDG_RUNTIME_DIR": str(tmp_path)})
    assert result.ok and "MPRIS on" in result.detail
