#!/usr/bin/env bash
# `make stress`: builds breakglass and breakglass-stress, then kills runbook runs, the watch daemon
# and the console with SIGKILL ${STRESS_ITERATIONS:-200} times against a local moto_server, checking
# the state, the audit chain and that no finished `do` is sent again after each kill (docs/STRESS.md).
# Not part of `make test`. Extra arguments go to breakglass-stress: scripts/stress.sh --seed 42
# Loopback only: moto_server on 127.0.0.1 with signature and IAM checks on.
set -euo pipefail
cd "$(dirname "$0")/.."
swift=${SWIFT:-swift}
scratch=${STRESS_SCRATCH_PATH:-.build}
# moto_server from PATH, or from the checkout's own venv when bootstrap had to install it.
export PATH="$PWD/.build-venv/bin:$PATH"
command -v moto_server >/dev/null || scripts/bootstrap.sh
command -v tmux >/dev/null || { echo "stress: tmux is needed to drive the console (apt-get install tmux)" >&2; exit 2; }
"$swift" build --scratch-path "$scratch" --product breakglass
"$swift" build --scratch-path "$scratch" --product breakglass-stress
bin="$("$swift" build --scratch-path "$scratch" --show-bin-path)"
exec scripts/with-utf8.sh "$bin/breakglass-stress" --iterations "${STRESS_ITERATIONS:-200}" --breakglass "$bin/breakglass" "$@"
