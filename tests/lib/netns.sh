# SPDX-License-Identifier: BSD-3-Clause
# Helpers shared by the tests that run servers in network namespaces
# (tests/integration/zonewired_netns.sh, tests/control/*/*_netns.sh).
# Sourced, not run. The including script sets, where it uses them:
#   pass, failed  counters (ok and fail add to them)
#   wire          optional: shown in every ok/FAIL line (the port driver)
#   CLI, SRV      the client's and the server's namespace
#   srv_pid       the PID of the server it started; log: the server's log

ok() {
	pass=$((pass + 1))
	echo "ok${wire:+ $wire}: $*"
}

fail() {
	failed=$((failed + 1))
	echo "FAIL${wire:+ $wire}: $*"
}

# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else fail "$d"; fi
}

# Waits up to $1 tenths of a second for the command to succeed. The locals
# have unusual names so that a command run with eval sees the caller's.
wait_for() {
	local _wf_n=$1 _wf_i
	shift
	for ((_wf_i = 0; _wf_i < _wf_n; _wf_i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

in_cli() { ip netns exec "$CLI" "$@"; }
in_srv() { ip netns exec "$SRV" "$@"; }
alive() { [ -n "${srv_pid:-}" ] && kill -0 "$srv_pid" 2>/dev/null; }
ready() { grep -q "ready:" "$log"; }

# stop_pid PID [KILL]: stops a process this test started, by its PID: TERM,
# or KILL after 15 s (or at once with KILL). Returns its exit status.
stop_pid() {
	local _sp_pid=$1
	[ -n "$_sp_pid" ] || return 0
	if [ "${2:-TERM}" = KILL ]; then
		kill -KILL "$_sp_pid" 2>/dev/null
	else
		kill -TERM "$_sp_pid" 2>/dev/null
		# shellcheck disable=SC2016 # expanded by eval
		wait_for 150 eval '! kill -0 "$_sp_pid" 2>/dev/null' ||
			kill -KILL "$_sp_pid" 2>/dev/null
	fi
	wait "$_sp_pid" 2>/dev/null
}

# stop_server [KILL]: stop_pid for srv_pid; its exit status in srv_rc.
stop_server() {
	srv_rc=
	[ -n "${srv_pid:-}" ] || return 0
	stop_pid "$srv_pid" "${1:-TERM}"
	srv_rc=$?
	srv_pid=
	return 0
}
