#!/usr/bin/env bash
# The per-packet code must not allocate, print, lock or sleep. These files
# hold only per-packet code (set-up lives in the daemon's main, the table
# and configuration modules, zw_zoneset_create and the opening of images,
# which are not checked: dataplane/table.c allocates and frees only when a
# table is built or retired, on the control thread or RCU's).
set -uo pipefail
cd "$(dirname "$0")/.."
hot="dataplane/answer.c dataplane/answer_dnssec.c dataplane/answer_express.c dataplane/answer_prefetch.c dataplane/pkt.c dataplane/worker.c"
bad=$(grep -nE '\b(malloc|calloc|realloc|free|printf|fprintf|syslog|pthread_mutex_lock|usleep|sleep|nanosleep|rte_exit)\s*\(' $hot || true)
# lookups: everything but the zone set's constructor and destructor
bad+=$(awk '/^struct zw_zoneset \*zw_zoneset_create|^void zw_zoneset_free/ {skip=1} /^}/ {if (skip) {skip=0; next}} !skip' zonecompiler/lookup.c \
  | grep -nE '\b(malloc|calloc|realloc|free|printf|fprintf|pthread_mutex_lock|sleep)\s*\(' || true)
# the image's per-query functions (lookups, the canonical search) and the
# NSEC3 hash; opening, verifying and indexing an image are set-up
bad+=$(awk '/^[a-z].*[^a-z_](split_labels|copy_check|key_of|zw_canon_prepare|canon_cmp_split|zw_image_canon_cmp|zw_image_canon_pred|zw_image_rrset|zw_image_find|zw_image_find_name|zw_image_node_name)\(/ {on=1}
  on {print FILENAME ":" FNR ": " $0} /^}/ {on=0}' zonecompiler/image.c \
  | grep -E '\b(malloc|calloc|realloc|free|printf|fprintf|pthread_mutex_lock|sleep)\s*\(' || true)
bad+=$(awk '/^([a-z_].*[^a-z_])?(sha1_block|sha1_blocks_ni|sha1_blocks_portable|sha1_with|sha1_best|zw_nsec3_hash|zw_nsec3_hash_lower)\(/ {on=1}
  on {print FILENAME ":" FNR ": " $0} /^}/ {on=0}' zonecompiler/nsec3.c \
  | grep -E '\b(malloc|calloc|realloc|free|printf|fprintf|pthread_mutex_lock|sleep)\s*\(' || true)
if [ -n "$bad" ]; then
  echo "forbidden calls on the hot path:"; echo "$bad"; exit 1
fi
echo "hot path: no allocation, printing, locking or sleeping in $hot, zonecompiler/lookup.c and the per-query functions of zonecompiler/image.c and nsec3.c"
