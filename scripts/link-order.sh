#!/usr/bin/env bash
# Regenerates scripts/link-order.txt, the order in which the release build lays out the functions
# `breakglass` runs (docs/PERFORMANCE.md, "Link order"). Run it through `make link-order` after
# changes to what the console or `breakglass alarms` run, and commit the file; a stale order is only
# less tight, never wrong (names that no longer exist are skipped by the linker).
#
# It profiles the release `breakglass` under callgrind (valgrind, installed here when missing) in:
#   - `breakglass console` starting, loading 10,000 alarms from the bench's fake CloudWatch,
#     refreshing once and quitting (breakglass-bench console --only real);
#   - `breakglass console` starting with nothing on the network (breakglass-bench console --only launch);
#   - `breakglass alarms` listing 100 alarms from moto_server (breakglass-bench alarms).
# Usage: scripts/link-order.sh SWIFT_BUILD_FLAGS...   (make passes its RELEASE_FLAGS)
set -euo pipefail
cd "$(dirname "$0")/.."
swift=${SWIFT:-swift}

if ! command -v valgrind >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "link-order: installing valgrind" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
  else
    echo "link-order: valgrind is missing; run: sudo apt-get install -y valgrind" >&2
    exit 2
  fi
fi

"$swift" build "$@" --product breakglass-bench
"$swift" build "$@" --product breakglass
bin=$("$swift" build "$@" --show-bin-path)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# valgrind 3.19 (Debian 12) cannot read DWARF 5; the symbol table is all the profile needs.
objcopy --strip-debug "$bin/breakglass" "$work/breakglass"
cat > "$work/profiled" <<WRAP
#!/bin/sh
exec valgrind --quiet --tool=callgrind --callgrind-out-file="$work/callgrind.%p" --dump-instr=no \
  --compress-strings=no --compress-pos=no --demangle=no "$work/breakglass" "\$@"
WRAP
chmod +x "$work/profiled"

echo "link-order: profiling breakglass console (10,000 alarms, one refresh)" >&2
"$bin/breakglass-bench" console --only real --refreshes 1 --breakglass "$work/profiled" >/dev/null
echo "link-order: profiling breakglass console with nothing on the network" >&2
"$bin/breakglass-bench" console --only launch --launches 2 --breakglass "$work/profiled" >/dev/null
echo "link-order: profiling breakglass alarms" >&2
"$bin/breakglass-bench" alarms --runs 1 --alarms 100 --no-aws-cli --no-boto3 --breakglass "$work/profiled" >/dev/null

python3 scripts/link-order.py "$work/breakglass" "$work"/callgrind.* > "$work/link-order.txt"
mv "$work/link-order.txt" scripts/link-order.txt
echo "link-order: wrote scripts/link-order.txt" >&2
