#!/usr/bin/env bash
# Install whichever of the given Debian/Ubuntu packages are missing; do nothing when all are there.
#
#   .ci/ensure-apt-packages.sh PACKAGE...
#
# Checks with dpkg-query first so that a re-run costs a fraction of a second, and runs
# `apt-get update` only when something must be installed. Installs as root, or through
# `sudo -n` (never prompts); when neither works it prints the exact command and fails.
# Set EMOTUNE_SKIP_APT=1 to skip this step entirely (e.g. on a machine you manage yourself).
set -euo pipefail

if [[ "${EMOTUNE_SKIP_APT:-0}" == "1" ]]; then
    exit 0
fi
if [[ $# -eq 0 ]]; then
    exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    echo "note: not a Debian/Ubuntu system, so system packages are not checked." >&2
    echo "      Make sure the equivalents of these are installed: $*" >&2
    exit 0
fi

# One dpkg-query call for all names (and their "t64" twins) keeps a no-op re-run fast.
# Ubuntu 24.04 renamed some libraries with a "t64" suffix (64-bit time_t transition), e.g.
# libglib2.0-0 -> libglib2.0-0t64, leaving the old name only as a virtual package.
declare -A installed=()
while read -r name status; do
    # Second letter of the abbreviation is the current state: i = installed (first is the wish).
    [[ "${status:1:1}" == i ]] && installed["${name%%:*}"]=1
done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "$@" "${@/%/t64}" 2>/dev/null || true)

missing=()
for package in "$@"; do
    [[ -n "${installed[$package]:-}" || -n "${installed[${package}t64]:-}" ]] || missing+=("$package")
done
if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

if [[ "$(id -u)" -eq 0 ]]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    echo "error: these system packages are missing: ${missing[*]}" >&2
    echo "Installing them needs root. Run this once, then run make again:" >&2
    echo "" >&2
    echo "    sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    echo "" >&2
    echo "(Or set EMOTUNE_SKIP_APT=1 if you have installed them some other way.)" >&2
    exit 1
fi

apt_get=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300)

echo "Installing missing system packages: ${missing[*]}"
"${apt_get[@]}" update -qq

# Pick the name this release actually ships (plain, else the t64 variant).
to_install=()
for package in "${missing[@]}"; do
    if apt-cache show --no-all-versions "$package" >/dev/null 2>&1; then
        to_install+=("$package")
    elif apt-cache show --no-all-versions "${package}t64" >/dev/null 2>&1; then
        to_install+=("${package}t64")
    else
        echo "error: no package named '$package' in this system's apt sources." >&2
        exit 1
    fi
done

"${apt_get[@]}" install -y -qq --no-install-recommends "${to_install[@]}"
