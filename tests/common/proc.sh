# proc.sh -- is a process we started still running?  Sourced by test and
# bench scripts (POSIX sh).
#
# A PID alone is not an identity: CI machines run with pid_max 32768 and
# spawn thousands of processes, so once the shell has reaped an exited
# child its PID can belong to someone else within seconds.  A process is
# its PID plus its start time (field 22 of /proc/PID/stat).

# proc_start PID: the start time of PID, empty when it is gone.
proc_start() {
	# The comm field may hold spaces and parentheses: cut after the
	# last ") ", then the start time is the 20th field of the rest.
	sed -n 's/^.*) //p' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20
}

# proc_alive PID [START]: PID runs (a zombie counts as exited) and, with
# START, is still the process that started then.
proc_alive() {
	if [ -r "/proc/$1/stat" ]; then
		grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null && return 1
		[ -z "$2" ] || [ "$(proc_start "$1")" = "$2" ]
	else
		kill -0 "$1" 2>/dev/null
	fi
}
