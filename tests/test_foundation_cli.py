"""`emotune --help` and every subcommand's --help work, in-process and through the console script."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from emotune import __version__
from emotune.cli import COMMANDS, build_parser, main


def _exit_code(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    return exited.value.code


def test_top_level_help_lists_every_subcommand(capsys):
    assert _exit_code(["--help"]) == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name in out


@pytest.mark.parametrize("name", COMMANDS)
def test_subcommand_help(name, capsys):
    assert _exit_code([name, "--help"]) == 0
    assert f"usage: emotune {name}" in capsys.readouterr().out


def test_every_command_module_registers_a_runnable_subcommand():
    parser = build_parser()
    [subcommands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert list(subcommands.choices) == list(COMMANDS)
    for name, subparser in subcommands.choices.items():
        assert callable(subparser.get_default("_run")), f"{name} has no run()"


def test_version(capsys):
    assert _exit_code(["--version"]) == 0
    assert capsys.readouterr().out.startswith(f"emotune {__version__} (model ")


def test_unknown_subcommand_is_a_usage_error(capsys):
    assert _exit_code(["no-such-command"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_console_script_help_runs_in_a_real_process():
    # The script sits next to the interpreter of the venv the project is installed into.
    script = Path(sys.executable).parent / "emotune"
    assert script.is_file(), "the emotune console script is not installed; run `make setup`"
    completed = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert "usage: emotune" in completed.stdout
    assert "doctor" in completed.stdout


def test_python_dash_m_emotune_works():
    completed = subprocess.run(
        [sys.executable, "-m", "emotune", "--version"], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith(f"emotune {__version__} (model ")
