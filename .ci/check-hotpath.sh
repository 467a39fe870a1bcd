#!/usr/bin/env bash
# The per-packet code must not allocate, print, lock or sleep. These files
# hold only per-packet code (set-up lives in the daemon's main, the table
# and configuration modules, and zw_zoneset_create, which are not listed).
set -uo pipefail
cd "$(dirname "$0")/.."
hot="dataplane/answer.c dataplane/answer_dnssec.c dataplane/answer_prefetch.c dataplane/pkt.c dataplane/worker.c"
bad=$(grep -nE '\b(malloc|calloc|realloc|free|printf|fprintf|syslog|pthread_mutex_lock|usleep|sleep|nanosleep|rte_exit)\s*\(' $hot || true)
# lookups: everything but the zone set's constructor and destructor
bad+=$(awk '/^struct zw_zoneset \*zw_zoneset_create|^void zw_zoneset_free/ {skip=1} /^}/ {if (skip) {skip=0; next}} !skip' zonecompiler/lookup.c \
  | grep -nE '\b(malloc|calloc|realloc|free|printf|fprintf|pthread_mutex_lock|sleep)\s*\(' || true)
if [ -n "$bad" ]; then
  echo "forbidden calls on the hot path:"; echo "$bad"; exit 1
fi
echo "hot path: no allocation, printing, locking or sleeping in $hot zonecompiler/lookup.c"
