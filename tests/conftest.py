"""Shared test setup: keep user data in a temp folder and Qt offscreen."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Point EMOTUNE_HOME at a fresh folder so tests never touch the real settings or caches."""
    home = tmp_path_factory.mktemp("emotune_home")
    monkeypatch.setenv("EMOTUNE_HOME", str(home))
    yield home
