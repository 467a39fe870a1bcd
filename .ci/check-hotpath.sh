#!/usr/bin/env bash
# The per-packet code must not allocate, print, lock or sleep. Files listed
# here are hot-path files in their entirety.
set -uo pipefail
cd "$(dirname "$0")/.."
hot=$(git ls-files 'dataplane/*.c' 'control/answer*.c' 'zonecompiler/lookup.c' | grep -v -E 'main\.c|config|setup|init' || true)
[ -n "$hot" ] || exit 0
# shellcheck disable=SC2086
bad=$(grep -nE '\b(malloc|calloc|realloc|printf|fprintf|syslog|pthread_mutex_lock|usleep|sleep|rte_exit)\s*\(' $hot \
  | grep -vE '_create|_free|zoneset' || true)
if [ -n "$bad" ]; then
  echo "forbidden calls on the hot path:"; echo "$bad"; exit 1
fi
