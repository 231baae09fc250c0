#!/usr/bin/env bash
# Prints one closing line, "N passed, N failed", from a `swift test` log (Swift Testing's summary),
# so whoever reads the end of the output sees the whole run at a glance.
# Usage: scripts/test-summary.sh LOG EXIT_STATUS
log=$1
status=${2:-0}
total=$(grep -oE 'Test run with [0-9]+ tests?' "$log" | tail -1 | grep -oE '[0-9]+')
failed=$(grep -cE '^✘ Test [^r].* failed after' "$log")
if [ -z "$total" ]; then
  echo "make test: no Swift Testing summary found (swift test exited $status)"
  echo "0 passed, 1 failed"
  exit 0
fi
echo "$((total - failed)) passed, $failed failed"
