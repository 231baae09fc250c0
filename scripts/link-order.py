#!/usr/bin/env python3
"""Writes the link order of the release `breakglass` (scripts/link-order.txt) from callgrind profiles.

Usage: link-order.py BINARY CALLGRIND_OUT... > scripts/link-order.txt

Every function of BINARY that a profile saw run (called, or calling) is listed once, by its symbol
name, in the order of its address in BINARY, so the functions of one source file stay together.
lld's --symbol-ordering-file then places them first in .text, one after another, instead of
scattered among the ~22 MB of code nobody runs at start. See docs/PERFORMANCE.md ("Link order").
"""
import subprocess
import sys


def ran(profile, binary_names):
    """The function names of the profile's lines for an object named in binary_names."""
    seen = set()
    obj = callee_obj = None
    with open(profile, errors="replace") as f:
        for line in f:
            if line.startswith("ob="):
                obj = line[3:].strip()
            elif line.startswith("cob="):
                callee_obj = line[4:].strip()
            elif line.startswith("fn="):
                if obj in binary_names:
                    seen.add(line[3:].strip())
            elif line.startswith("cfn="):
                owner = callee_obj if callee_obj is not None else obj
                if owner in binary_names:
                    seen.add(line[4:].strip())
                callee_obj = None
    return seen


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    binary, profiles = sys.argv[1], sys.argv[2:]
    names = {binary}
    functions = set()
    for p in profiles:
        functions |= ran(p, names)
    address = {}
    defined = {}
    nm = subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True, check=True)
    for line in nm.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            address.setdefault(parts[2], int(parts[0], 16))
            defined[parts[2]] = defined.get(parts[2], 0) + 1
    # Names callgrind could not resolve (hex addresses) are not symbols and are left out. So are
    # names defined more than once (file-local helpers such as `objectdestroy.2Tm`): the linker
    # would move every section defining one, which drags whole unrelated libraries (the regex
    # parser's 480 KB of code) to the front.
    listed = sorted((f for f in functions if defined.get(f) == 1), key=lambda f: (address[f], f))
    if not listed:
        sys.exit(f"link-order: no function of {binary} in {len(profiles)} profile(s)")
    sys.stdout.write("\n".join(listed) + "\n")
    sys.stderr.write(f"link-order: {len(listed)} functions from {len(profiles)} profile(s)\n")


if __name__ == "__main__":
    main()
