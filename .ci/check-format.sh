#!/usr/bin/env bash
# Fails when a C file differs from what clang-format makes of it.
set -uo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
[ -n "$files" ] || exit 0
# shellcheck disable=SC2086
out=$(clang-format --dry-run --Werror $files 2>&1)
if [ -n "$out" ]; then
  echo "$out" | head -40
  echo "run: clang-format -i \$(git ls-files '*.c' '*.h')"
  exit 1
fi
