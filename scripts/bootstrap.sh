#!/usr/bin/env bash
# Installs what `make demo` and `make test` need on a fresh Debian 12 machine with Swift:
#   - Debian packages: the ncursesw, SQLite and libcurl headers, pkg-config, tmux (end-to-end tests);
#   - moto_server (PyPI moto[server]) when it is not on PATH, into .build-venv/ inside the checkout;
#   - with --tests only (make test): a headless browser (Debian's chromium-headless-shell, without
#     recommends) when none is on PATH and $BREAKGLASS_BROWSER names none: the drill report test
#     renders its HTML to a screenshot. `make demo` does not need it and does not download it.
# As root it installs; otherwise it prints the exact command to run and exits 2.
set -euo pipefail
cd "$(dirname "$0")/.."
for_tests=0
[ "${1:-}" = "--tests" ] && for_tests=1

want=(libncursesw5-dev libsqlite3-dev libcurl4-openssl-dev pkg-config tmux)
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
else
  echo "bootstrap: dpkg-query not found; assuming ${want[*]} are installed (this script targets Debian 12)." >&2
fi

venv=.build-venv
need_moto=0
if ! command -v moto_server >/dev/null 2>&1 && [ ! -x "$venv/bin/moto_server" ]; then
  need_moto=1
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then missing+=(python3-venv); fi
fi

# The same names, in the same order, as Tests/BreakglassEndToEndTests/DrillReportBrowserTests.swift
# looks for. The test decodes the screenshot with python3's standard library.
browser=()
if [ "$for_tests" -eq 0 ] || { [ -n "${BREAKGLASS_BROWSER:-}" ] && [ -x "$BREAKGLASS_BROWSER" ]; }; then
  :
elif ! command -v chromium-headless-shell >/dev/null 2>&1 && ! command -v chromium >/dev/null 2>&1; then
  browser+=(chromium-headless-shell)
fi
if [ "$for_tests" -eq 1 ] && ! command -v python3 >/dev/null 2>&1 && [[ " ${missing[*]} " != *" python3 "* ]]; then missing+=(python3); fi

all=("${missing[@]}" "${browser[@]}")
if [ ${#all[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "bootstrap: installing ${all[*]}" >&2
    apt-get update -qq
    if [ ${#missing[@]} -gt 0 ]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    if [ ${#browser[@]} -gt 0 ]; then
      # About 100 MB from Debian; without recommends, which would add systemd, avahi and printing.
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${browser[@]}" >/dev/null
    fi
  else
    echo "bootstrap: these Debian packages are missing: ${all[*]}" >&2
    echo "Install them, then run make again:" >&2
    echo -n "  sudo apt-get update" >&2
    [ ${#missing[@]} -gt 0 ] && echo -n " && sudo apt-get install -y ${missing[*]}" >&2
    [ ${#browser[@]} -gt 0 ] && echo -n " && sudo apt-get install -y --no-install-recommends ${browser[*]}" >&2
    echo >&2
    exit 2
  fi
fi

if [ "$need_moto" -eq 1 ]; then
  echo "bootstrap: installing moto[server] from PyPI into $venv/" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'moto[server]'
fi
