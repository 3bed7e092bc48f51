"""Architecture rules, checked over every module so new modules are covered automatically.

* Runtime modules import neither Qt nor TensorFlow when imported (checked in a fresh process).
* Only ``emotune/ui`` imports PySide6 (static, anywhere in the file).
* Runtime code never imports ``emotune.training``; ``cli/train.py`` and ``cli/evaluate.py`` may,
  but only lazily inside functions.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import emotune

PACKAGE_DIR = Path(emotune.__file__).resolve().parent
SOURCE_ROOT = PACKAGE_DIR.parent

FORBIDDEN_AT_IMPORT = ("PySide6", "shiboken6", "tensorflow", "keras")
QT_PACKAGES = ("PySide6", "shiboken6")
LAZY_TRAINING_IMPORTERS = {
    PACKAGE_DIR / "cli" / "train.py",
    PACKAGE_DIR / "cli" / "evaluate.py",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _under(path: Path, *subpackage: str) -> bool:
    return path.is_relative_to(PACKAGE_DIR.joinpath(*subpackage))


ALL_SOURCES = sorted(PACKAGE_DIR.rglob("*.py"))
RUNTIME_MODULES = sorted(
    _module_name(path)
    for path in ALL_SOURCES
    # __main__ runs the CLI when imported; ui and training are allowed their heavy imports.
    if path.name != "__main__.py" and not _under(path, "ui") and not _under(path, "training")
)


def _from_module(node: ast.ImportFrom, package: str) -> str:
    """The absolute module of ``from ... import``, resolving relative levels against ``package``."""
    if not node.level:
        return node.module or ""
    base = package.split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _imported_modules(path: Path, top_level_only: bool = False) -> list[tuple[str, int]]:
    """(absolute module name, line) for each import in ``path``.

    Includes ``importlib.import_module("x")`` / ``__import__("x")`` calls with a literal name.
    With ``top_level_only``, imports inside function bodies are skipped (they run lazily).
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = (
        _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    )
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST) -> None:
        if top_level_only and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = _from_module(node, package)
            found.append((module, node.lineno))
            # `from emotune import training` names the subpackage as an imported name.
            found.extend((f"{module}.{alias.name}", node.lineno) for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                or (
                    isinstance(node.func, ast.Name)
                    and node.func.id in ("import_module", "__import__")
                )
            )
        ):
            found.append((node.args[0].value, node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _is_within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_module_discovery_finds_the_runtime_packages():
    # Guards the discovery itself: if it found nothing, the rules below would pass vacuously.
    assert {
        "emotune",
        "emotune.emotions",
        "emotune.settings",
        "emotune.cli",
        "emotune.doctor",
    } <= set(RUNTIME_MODULES)
    assert not any(
        _is_within(m, "emotune.ui") or _is_within(m, "emotune.training") for m in RUNTIME_MODULES
    )


_PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
forbidden = [name for name in json.loads(sys.argv[2])
             if any(m == name or m.startswith(name + ".") for m in sys.modules)]
print(json.dumps(forbidden))
"""


@pytest.mark.parametrize("module", RUNTIME_MODULES)
def test_runtime_module_imports_without_qt_or_tensorflow(module):
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE, module, json.dumps(FORBIDDEN_AT_IMPORT)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=SOURCE_ROOT,
    )
    assert completed.returncode == 0, f"importing {module} failed:\n{completed.stderr}"
    assert json.loads(completed.stdout.strip().splitlines()[-1]) == [], (
        f"importing {module} pulled in a heavy dependency"
    )


def test_only_the_ui_package_imports_pyside6():
    offenders = [
        f"{path.relative_to(SOURCE_ROOT)}:{line} imports {module}"
        for path in ALL_SOURCES
        if not _under(path, "ui")
        for module, line in _imported_modules(path)
        if any(_is_within(module, qt) for qt in QT_PACKAGES)
    ]
    assert offenders == []


def test_runtime_code_never_imports_the_training_package():
    offenders = []
    for path in ALL_SOURCES:
        if _under(path, "training"):
            continue
        lazy_allowed = path in LAZY_TRAINING_IMPORTERS
        for module, line in _imported_modules(path, top_level_only=lazy_allowed):
            if _is_within(module, "emotune.training"):
                offenders.append(f"{path.relative_to(SOURCE_ROOT)}:{line} imports {module}")
    assert offenders == []


def test_static_scan_sees_relative_lazy_and_dynamic_imports(tmp_path, monkeypatch):
    # The scanner is what the rules above trust, so check it on a known sample.
    sample_pkg = tmp_path / "emotune" / "cli"
    sample_pkg.mkdir(parents=True)
    sample = sample_pkg / "sample.py"
    sample.write_text(
        "import importlib\n"
        "from ..training import data\n"
        "def later():\n"
        "    import emotune.training.train\n"
        "    importlib.import_module('PySide6.QtCore')\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(sys.modules[__name__], "SOURCE_ROOT", tmp_path)
    everything = {module for module, _ in _imported_modules(sample)}
    assert {"emotune.training", "emotune.training.train", "PySide6.QtCore"} <= everything
    top_level = {module for module, _ in _imported_modules(sample, top_level_only=True)}
    assert "emotune.training" in top_level
    assert "emotune.training.train" not in top_level


# -- the import graph ------------------------------------------------------------------------

MODULES = {_module_name(path): path for path in ALL_SOURCES}


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and ast.unparse(node.test) in (
        "TYPE_CHECKING",
        "typing.TYPE_CHECKING",
    )


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest known module that ``name`` is, or is inside (``a.b.func`` -> ``a.b``)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(modules: dict[str, Path] | None = None) -> dict[str, set[str]]:
    """Module -> the package modules it imports, at import time or inside functions.

    Imports under ``if TYPE_CHECKING:`` are left out (they never run). ``from pkg import mod``
    is an edge to ``pkg.mod``, not to ``pkg``, as Python only runs ``pkg/__init__`` for it.
    """
    modules = MODULES if modules is None else modules
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()

        def visit(node: ast.AST, package: str = package, edges: set[str] = edges) -> None:
            if _is_type_checking(node):
                for child in node.orelse:  # type: ignore[attr-defined]
                    visit(child)
                return
            if isinstance(node, ast.Import):
                edges.update(filter(None, (_resolve(a.name, modules) for a in node.names)))
            elif isinstance(node, ast.ImportFrom):
                module = _from_module(node, package)
                for alias in node.names:
                    full = f"{module}.{alias.name}"
                    target = full if full in modules else _resolve(module, modules)
                    if target:
                        edges.add(target)
            for child in ast.iter_child_nodes(node):
                visit(child)

        visit(tree)
        edges.discard(name)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path ``[a, b, ..., a]``, or ``None`` when the graph is acyclic."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state and (found := walk(target)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := walk(start)):
            return found
    return None


def test_the_cycle_finder_sees_a_circle_and_a_clean_graph():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_graph_sees_lazy_imports_and_skips_type_checking(tmp_path, monkeypatch):
    package = tmp_path / "emotune"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "one.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from emotune import three\n"
        "def later():\n"
        "    from emotune import two\n"
    )
    (package / "two.py").write_text("from . import one\n")
    (package / "three.py").write_text("")
    monkeypatch.setattr(sys.modules[__name__], "SOURCE_ROOT", tmp_path)
    modules = {_module_name(p): p for p in sorted(package.rglob("*.py"))}
    graph = import_graph(modules)
    assert graph["emotune.one"] == {"emotune.two"}
    assert graph["emotune.two"] == {"emotune.one"}
    assert find_cycle(graph) == ["emotune.one", "emotune.two", "emotune.one"]


def test_the_package_import_graph_has_no_cycles():
    graph = import_graph()
    assert len(graph) == len(MODULES) > 50
    assert find_cycle(graph) is None


def test_no_runtime_module_imports_devtools_at_import_time():
    # Dev tools (fixtures, probes, benchmarks) are for developers: the app never loads them.
    # CLI commands (bench, evaluate) may import them lazily, inside the function that needs them.
    offenders = [
        f"{path.relative_to(SOURCE_ROOT)}:{line} imports {module}"
        for path in ALL_SOURCES
        if not _under(path, "devtools") and not _under(path, "training")
        for module, line in _imported_modules(path, top_level_only=True)
        if _is_within(module, "emotune.devtools")
    ]
    assert offenders == []
    lazy = [
        path
        for path in ALL_SOURCES
        if _under(path, "cli")
        and any(_is_within(m, "emotune.devtools") for m, _ in _imported_modules(path))
    ]
    assert lazy, "the CLI's bench is expected to use the dev tools (lazily)"


# -- the Qt seam -------------------------------------------------------------------------------

UI_SOURCES = [path for path in ALL_SOURCES if _under(path, "ui")]
MAX_ANY_IN_UI = 5


def _any_annotations(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if (isinstance(node, ast.Name) and node.id == "Any")
        or (isinstance(node, ast.Attribute) and node.attr == "Any")
    ]


def test_the_ui_has_at_most_five_any():
    found = [
        f"{path.relative_to(SOURCE_ROOT)}:{line}"
        for path in UI_SOURCES
        for line in _any_annotations(path)
    ]
    assert len(found) <= MAX_ANY_IN_UI, found


def _state_values() -> dict[str, str]:
    """Every string value of the state enums the UI shows, with the member that owns it."""
    from emotune.mood import MoodEventKind, MoodState
    from emotune.music.playback.backends import PlayerState
    from emotune.music.playback.queue import RepeatMode
    from emotune.timeline_csv import TimelineMode
    from emotune.vision.sources import SourceEvent, SourceStatus

    enums = (MoodState, MoodEventKind, SourceStatus, SourceEvent, PlayerState, RepeatMode)
    values = {
        member.value: f"{enum.__name__}.{member.name}"
        for enum in (*enums, TimelineMode)
        for member in enum
        if isinstance(member.value, str)
    }
    assert {"lost", "ended", "closed", "playing", "off", "manual"} <= set(values)
    return values


def _string_literals(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.value, node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_the_ui_spells_no_state_that_is_an_enum_elsewhere():
    values = _state_values()
    found = [
        f"{path.relative_to(SOURCE_ROOT)}:{line} {text!r} is {values[text]}"
        for path in UI_SOURCES
        for text, line in _string_literals(path)
        if text in values
    ]
    assert found == []


def test_the_seam_checks_read_what_they_should(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from typing import Any\ndef f(x: Any) -> typing.Any:\n    return x == 'playing'\n"
    )
    assert _any_annotations(sample) == [2, 2]
    assert ("playing", 3) in _string_literals(sample)


# -- the music rooms -------------------------------------------------------------------------

MUSIC_ROOMS_BELOW = {
    # room: the rooms it must never import (library < playback < choose)
    "emotune.music.library": ("emotune.music.playback", "emotune.music.choose"),
    "emotune.music.playback": ("emotune.music.choose",),
}


def test_the_music_rooms_exist_and_import_only_downwards():
    graph = import_graph()
    for room, forbidden in MUSIC_ROOMS_BELOW.items():
        members = [m for m in graph if _is_within(m, room)]
        assert len(members) > 3, room  # the room is there, so the rule is not vacuous
        offenders = [
            f"{module} imports {target}"
            for module in members
            for target in graph[module]
            if any(_is_within(target, below) for below in forbidden)
        ]
        assert offenders == [], room
