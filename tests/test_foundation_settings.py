"""Settings persist, survive a corrupt file and are written atomically."""

from __future__ import annotations

import json

import pytest

from emotune import settings as settings_module
from emotune.settings import DEFAULTS, Settings


def test_round_trip_through_a_new_instance(tmp_path):
    path = tmp_path / "settings.json"
    first = Settings(path)
    first.set("volume", 35)
    first.set("library_folders", ["/music/ünïcode", "/more"])
    second = Settings(path)
    assert second.get("volume") == 35
    assert second.get("library_folders") == ["/music/ünïcode", "/more"]
    assert json.loads(path.read_text(encoding="utf-8"))["volume"] == 35


def test_defaults_and_fallback_for_unknown_keys(tmp_path):
    store = Settings(tmp_path / "absent.json")
    assert store.get("strategy") == DEFAULTS["strategy"]
    assert store.get("no_such_key", "fallback") == "fallback"


def test_default_location_is_under_emotune_home(_isolated_user_dirs):
    store = Settings()
    store.set("volume", 10)
    assert store.path.is_relative_to(_isolated_user_dirs)
    assert store.path.is_file()


@pytest.mark.parametrize("content", ["{not json", "[1, 2, 3]", "", "\x00\xff"])
def test_corrupt_file_is_treated_as_empty_and_then_repaired(tmp_path, content):
    path = tmp_path / "settings.json"
    path.write_text(content, encoding="latin-1")
    store = Settings(path)
    assert store.get("volume") == DEFAULTS["volume"]
    store.set("volume", 50)
    assert Settings(path).get("volume") == 50


def test_failed_write_leaves_the_old_file_and_no_temp_files(tmp_path, monkeypatch):
    path = tmp_path / "settings.json"
    store = Settings(path)
    store.set("volume", 20)
    before = path.read_bytes()

    def dump_half_then_crash(values, handle, **kwargs):
        handle.write('{"volume": ')
        raise OSError("disk full")

    monkeypatch.setattr(settings_module.json, "dump", dump_half_then_crash)
    with pytest.raises(OSError, match="disk full"):
        store.set("volume", 99)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]


def test_write_replaces_the_file_instead_of_rewriting_it_in_place(tmp_path):
    # Atomic replace gives the file a new inode; an in-place rewrite would keep the old one,
    # and a crash half-way through would leave a truncated file behind.
    path = tmp_path / "settings.json"
    store = Settings(path)
    store.set("volume", 1)
    inode_before = path.stat().st_ino
    store.set("volume", 2)
    assert path.stat().st_ino != inode_before
