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
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
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
