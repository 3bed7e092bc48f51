# EmoTune developer commands.
#
#   make run    set everything up (first time only) and start the app
#   make test   set everything up (first time only), lint, then run the test suite
#
# On a fresh Debian/Ubuntu machine both do the whole setup: missing system packages (apt),
# the .venv virtual environment and the project's Python dependencies. Every step checks
# before it acts, so a second run starts at once.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
VENV_PYTHON := $(VENV)/bin/python
# Pass arguments to the app: make run ARGS="--camera 1"; to pytest: make test PYTEST_ARGS="-k doctor".
ARGS ?=
PYTEST_ARGS ?=

# System libraries. libvlc plays the audio (vlc-plugin-base holds the WAV/OGG/MP3/FLAC/M4A/Opus
# decoders); PySide6's wheels bundle Qt itself but not the X11/xcb, GL and font libraries below.
RUNTIME_APT_PACKAGES := \
	libvlc5 vlc-plugin-base \
	libxcb-icccm4 libxcb-xinerama0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-keysyms1 \
	libxcb-image0 libxcb-render-util0 libxcb-randr0 libxcb-shape0 libxkbcommon0 libx11-xcb1 \
	libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0 \
	fonts-noto-color-emoji
# Tests need a virtual X server for anything that must draw on a real (non-offscreen) screen.
TEST_APT_PACKAGES := $(RUNTIME_APT_PACKAGES) xvfb xauth dbus strace
# The package test validates the launcher entry and AppStream metainfo install-desktop writes.
TEST_APT_PACKAGES += desktop-file-utils appstream
# The music tests render a few public-domain scores with a General-MIDI synthesiser.
TEST_APT_PACKAGES += fluidsynth fluid-soundfont-gm

VENV_PIP := $(VENV)/bin/pip

# Debian ships `python3 -m venv` in a separate package; ask for it only while .venv is missing.
ifeq ($(wildcard $(VENV_PIP)),)
PYTHON_APT_PACKAGES := $(shell \
	if ! command -v $(PYTHON) >/dev/null 2>&1; then echo python3 python3-venv; \
	elif ! $(PYTHON) -c 'import ensurepip, venv' >/dev/null 2>&1; then \
		$(PYTHON) -c 'import sys; print("python%d.%d-venv" % sys.version_info[:2])'; fi)
endif

# Install stamps are named after a hash of pyproject.toml, so they go stale exactly when the
# dependencies may have changed (a fresh checkout that only touches the file's date does not).
DEPS_HASH := $(shell cksum pyproject.toml | cut -d' ' -f1)
RUN_STAMP := $(VENV)/.installed-run-$(DEPS_HASH)
TEST_STAMP := $(VENV)/.installed-test-$(DEPS_HASH)

# --quiet also hides pip's progress bars, which would flood CI logs.
PIP_INSTALL := $(VENV_PYTHON) -m pip --disable-pip-version-check install --quiet

.PHONY: help run test lint format setup setup-test system-packages system-packages-test doctor clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-22s %s\n", $$1, $$2}'

run: setup  ## set up (first time) and start the EmoTune window
	@if [[ "$$(uname)" == Linux && -z "$$DISPLAY$$WAYLAND_DISPLAY$$QT_QPA_PLATFORM" ]]; then \
		echo "warning: no display found (DISPLAY/WAYLAND_DISPLAY unset); try 'xvfb-run -a make run'" \
			"or see '$(VENV)/bin/emotune doctor'." >&2; fi
	$(VENV)/bin/emotune $(ARGS)

test: lint  ## set up (first time), lint, then run the tests
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: setup-test  ## ruff check
	$(VENV)/bin/ruff check emotune tests
	$(VENV)/bin/ruff format --check emotune tests

format: setup-test  ## ruff format + import sorting (rewrites files)
	$(VENV)/bin/ruff check --select I --fix emotune tests
	$(VENV)/bin/ruff format emotune tests

doctor: setup  ## check camera, audio, model, music library and display
	$(VENV)/bin/emotune doctor

setup: system-packages $(RUN_STAMP)  ## everything `make run` needs

setup-test: system-packages-test $(TEST_STAMP)  ## everything `make test` needs

system-packages:
	@bash .ci/ensure-apt-packages.sh $(PYTHON_APT_PACKAGES) $(RUNTIME_APT_PACKAGES)

system-packages-test:
	@bash .ci/ensure-apt-packages.sh $(PYTHON_APT_PACKAGES) $(TEST_APT_PACKAGES)

# Keyed on pip rather than python: a venv made while ensurepip was missing has python but no
# pip, and must be made again.
$(VENV_PIP):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else \
		"EmoTune needs Python 3.10 or newer; $(PYTHON) is %d.%d. Use make PYTHON=python3.X" % sys.version_info[:2])'
	$(PYTHON) -m venv --clear $(VENV)

$(RUN_STAMP): | $(VENV_PIP)
	$(PIP_INSTALL) -e '.[analysis]'
	@# Compile librosa's JIT kernels once per machine (~10 s) so the first analysed track is quick.
	-$(VENV_PYTHON) -m emotune.music.library.analysis
	@rm -f $(VENV)/.installed-run-*
	@touch $@

# The test extras include everything `make run` needs, so this also stamps the run set.
$(TEST_STAMP): | $(VENV_PIP)
	$(PIP_INSTALL) -e '.[train,analysis,dev]'
	@rm -f $(VENV)/.installed-test-* $(VENV)/.installed-run-*
	@touch $@ $(RUN_STAMP)

# `make test` runs this too (the test is part of the suite); this target runs it alone.
.PHONY: package-check
package-check: setup-test  ## build sdist + wheel, install the wheel in a fresh venv, try it elsewhere
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest -q tests/test_install_package.py

clean:  ## remove the virtual environment and caches (not your settings or music)
	rm -rf $(VENV) .pytest_cache .ruff_cache
	find emotune tests -name __pycache__ -type d -prune -exec rm -rf {} +
