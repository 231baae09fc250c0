#!/usr/bin/env bash
# Runs a command under a UTF-8 locale: the console draws wide characters and refuses other locales.
# Keeps the user's locale when it already is UTF-8; otherwise uses C.UTF-8, which Debian always has.
charmap=$(locale charmap 2>/dev/null || true)
if [ "$charmap" != "UTF-8" ]; then
  export LC_ALL=C.UTF-8
fi
exec "$@"
