#!/usr/bin/env bash
# make fuzz: builds the fuzz driver (Sources/breakglass-fuzz) with libFuzzer and AddressSanitizer in its
# own scratch path, then runs each target for a bounded time from the committed corpus
# (Tests/Fuzz/corpus/TARGET) with its dictionary (Tests/Fuzz/dict). docs/FUZZING.md has the details.
#
#   FUZZ_SECONDS   seconds per target (default 60)
#   FUZZ_TARGETS   which targets (default: all six)
#   FUZZ_SCRATCH   the scratch path of the instrumented build (default .build-fuzz)
#
# New inputs libFuzzer finds go to $FUZZ_SCRATCH/fuzz-run/corpus/TARGET, never into the committed corpus.
# A crash, a timeout, running out of memory or an unclear error stops that target: its input is saved
# under $FUZZ_SCRATCH/fuzz-run/artifacts/, the script names it and how to replay it, and exits 1.
set -uo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
SECONDS_EACH=${FUZZ_SECONDS:-60}
TARGETS=${FUZZ_TARGETS:-config runbook scenario xml json sign-request}
SCRATCH=${FUZZ_SCRATCH:-.build-fuzz}
RUN=$SCRATCH/fuzz-run

case $SECONDS_EACH in ''|*[!0-9]*) echo "make fuzz: FUZZ_SECONDS must be a whole number of seconds, not '$SECONDS_EACH'" >&2; exit 2 ;; esac

echo "make fuzz: building breakglass-fuzz with -sanitize=fuzzer,address in $SCRATCH"
if ! "$SWIFT" build --scratch-path "$SCRATCH" --product breakglass-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DBREAKGLASS_LIBFUZZER; then
  echo "make fuzz: the instrumented build failed" >&2
  exit 2
fi
BIN=$("$SWIFT" build --scratch-path "$SCRATCH" --show-bin-path)/breakglass-fuzz

dictionary() {
  case $1 in
    config|runbook|scenario) echo Tests/Fuzz/dict/yaml.dict ;;
    *) echo "Tests/Fuzz/dict/$1.dict" ;;
  esac
}

# Swift's runtime keeps caches for the life of the process that LeakSanitizer would report as leaks.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
# The Swift runtime's own backtracer would read memory ASan guards after an abort and add a second, confusing report.
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}

failed=0
summary=()
for target in $TARGETS; do
  seeds=Tests/Fuzz/corpus/$target
  if [ ! -d "$seeds" ]; then echo "make fuzz: no corpus for '$target' at $seeds" >&2; exit 2; fi
  mkdir -p "$RUN/corpus/$target" "$RUN/artifacts"
  rm -f "$RUN/artifacts/$target-"*
  log=$RUN/$target.log
  echo "make fuzz: $target for ${SECONDS_EACH}s (log: $log)"
  BREAKGLASS_FUZZ_TARGET=$target "$BIN" "$RUN/corpus/$target" "$seeds" \
    -dict="$(dictionary "$target")" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$RUN/artifacts/$target-" >"$log" 2>&1
  status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  artifacts=$(ls "$RUN/artifacts/$target-"* 2>/dev/null || true)
  if [ "$status" -ne 0 ] || [ -n "$artifacts" ]; then
    failed=1
    summary+=("$(printf '%-13s FAILED after %s runs' "$target" "${runs:-?}")")
    echo "make fuzz: $target FAILED (libFuzzer exit $status):" >&2
    grep -E 'ERROR|unclear error|Fatal error|deadly signal|timeout|out-of-memory' "$log" | head -5 >&2
    for a in $artifacts; do
      echo "  input saved at $a" >&2
      echo "  replay without sanitizers: swift build --product breakglass-fuzz && .build/debug/breakglass-fuzz $target $a" >&2
    done
  else
    found=$(ls "$RUN/corpus/$target" | wc -l)
    summary+=("$(printf '%-13s ok  %10s runs  %5s inputs kept' "$target" "${runs:-?}" "$found")")
  fi
done

echo
echo "make fuzz: ${SECONDS_EACH}s per target"
printf '  %s\n' "${summary[@]}"
exit $failed
