"""Settings persist, survive a corrupt file and are written atomically."""

from __future__ import annotations

import json

import pytest

from emotune import settings as settings_module
from emotune.settings import Setting, Settings


def test_round_trip_through_a_new_instance(tmp_path):
    path = tmp_path / "settings.json"
    first = Settings(path)
    first.set("volume", 35)
    first.set("library_folders", ["/music/ünïcode", "/more"])
    second = Settings(path)
    assert second.get("volume") == 35
    assert second.get("library_folders") == ["/music/ünïcode", "/more"]
    assert json.loads(path.read_text(encoding="utf-8"))["volume"] == 35


def test_defaults_and_undeclared_keys(tmp_path):
    store = Settings(tmp_path / "absent.json")
    assert store.get("strategy") == Setting.STRATEGY.default
    with pytest.raises(KeyError, match="declare it"):
        store.get("no_such_key")


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
    assert store.get("volume") == Setting.VOLUME.default
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
    store.set("volume", 99)  # kept in memory; a full disk must not stop the app
    assert store.get(Setting.VOLUME) == 99
    assert "disk full" in (store.problem or "") and "this session only" in store.problem
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


GARBAGE = [
    {"volume": "loud"},
    {"volume": None},
    {"volume": 1e10},
    {"volume": float("nan")},
    {"volume": True},
    {"volume": -3, "strategy": "shuffle"},
    {"strategy": None, "camera_index": "front", "library_folders": "/music"},
    {"window_geometry": 42, "last_source": ["x"], "future_key": {"a": 1}},
]


@pytest.mark.parametrize("values", GARBAGE)
def test_bad_values_fall_back_to_the_schema_default_with_one_warning(tmp_path, values, caplog):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(values), encoding="utf-8")  # NaN is written as the bare NaN token
    store = Settings(path)
    for key in values:
        if key == "future_key":
            continue
        field = settings_module.SCHEMA[key]
        assert store.get(field) == field.default
        assert store.get(field) == field.default  # asked twice, warned once
        warnings = [r for r in caplog.records if f"setting {key!r}" in r.getMessage()]
        assert len(warnings) == 1


def test_unknown_keys_are_kept_when_saving(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"from_a_newer_version": [1, 2], "volume": 30}), encoding="utf-8")
    store = Settings(path)
    store.set(Setting.VOLUME, 31)
    assert json.loads(path.read_text())["from_a_newer_version"] == [1, 2]
    assert Settings(path).get(Setting.VOLUME) == 31


def test_setting_a_bad_value_is_refused_and_nothing_is_saved(tmp_path):
    store = Settings(tmp_path / "settings.json")
    with pytest.raises(ValueError):
        store.set(Setting.VOLUME, 101)
    with pytest.raises(ValueError):
        store.set(Setting.STRATEGY, "shuffle")
    assert not store.path.exists()


def test_schema_keys_are_unique_and_defaults_pass_their_own_checks():
    fields = [f for f in vars(Setting).values() if isinstance(f, settings_module.Field)]
    assert len({f.key for f in fields}) == len(fields) == len(settings_module.SCHEMA)
    for field in fields:
        assert field.parse(field.default) == field.default


def test_unusable_config_folder_keeps_settings_in_memory(tmp_path, monkeypatch):
    blocker = tmp_path / "home-is-a-file"
    blocker.write_text("x")
    monkeypatch.setenv("EMOTUNE_HOME", str(blocker))
    store = Settings()
    assert store.path is None and "EMOTUNE_HOME" in (store.problem or "")
    store.set(Setting.VOLUME, 12)
    assert store.get(Setting.VOLUME) == 12
    assert blocker.read_text() == "x"
