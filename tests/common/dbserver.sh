# dbserver.sh -- throw-away PostgreSQL and MariaDB servers for tests and
# benchmarks (POSIX sh; source it).  reference: test-services.md §5.
#
#   dbs_start KIND      KIND is postgres or mysql.  Makes a data directory
#                       under $TMPDIR, starts the server on a free
#                       127.0.0.1 port and creates the role keel (password
#                       in $DBS_DIR/pw, with the right to create databases)
#                       and the database keel.  Sets DBS_KIND DBS_DIR
#                       DBS_PORT DBS_PID DBS_PWFILE and exports them as
#                       KEEL_TEST_DB_* for the programs the test runs.
#                       Returns 2 when the server is not installed (skip),
#                       1 when it would not start (its log is printed).
#   dbs_createdb NAME   a new empty database
#   dbs_dropdb NAME
#   dbs_sql SQL         run SQL as the administrator
#   dbs_ini NAME        the keel.ini [db] section for database NAME
#   dbs_args NAME       the same as KEY=VALUE;... (KEEL_TEST_DB_ARGS)
#   dbs_stop            fast shutdown, waits; removes the directory
#   dbs_down / dbs_up   stop and start again on the same port and data
#                       (the restart faults); dbs_kill: SIGKILL
#
# In a test that a suite runner started with a server (KEEL_TEST_DB set to
# postgres or mysql, see tests/server/db_matrix.sh):
#   dbs_test_ini        creates a fresh database and prints its [db]
#                       section; prints nothing on SQLite.  Append it to
#                       each new keel.ini.
#
# Extra server settings: DBS_PG_OPTS (postgres -c ...), DBS_MY_OPTS
# (mariadbd options).  Defaults trade durability for speed (fsync off), as
# tests want; benchmarks pass their own.
#
# initdb, pg_ctl and mariadbd refuse to run as root: as root the servers
# run as the postgres / mysql users that the Debian packages create.

dbs_free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# dbs_as USER CMD...: run CMD as USER when we are root.
dbs_as() {
	u=$1
	shift
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$u" -- "$@"
	else
		"$@"
	fi
}

dbs_pg_bin() {
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	return 1
}

dbs_start() {
	DBS_KIND=$1
	case $DBS_KIND in
	postgres)
		DBS_PGBIN=$(dbs_pg_bin) || { echo "# PostgreSQL server not installed"; return 2; } ;;
	mysql)
		command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] ||
			{ echo "# MariaDB server not installed"; return 2; } ;;
	*) echo "# dbs_start: unknown kind $DBS_KIND"; return 1 ;;
	esac
	DBS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/keel-$DBS_KIND-XXXXXX") || return 1
	chmod 755 "$DBS_DIR"
	DBS_PWFILE=$DBS_DIR/pw
	printf 'keel-%s\n' "$$" >"$DBS_PWFILE"
	chmod 644 "$DBS_PWFILE"
	DBS_PORT=$(dbs_free_port) || return 1
	if [ "$DBS_KIND" = postgres ]; then
		dbs_pg_init || return 1
	else
		dbs_my_init || return 1
	fi
	dbs_up || return 1
	dbs_setup || { dbs_log; return 1; }
	KEEL_TEST_DB=$DBS_KIND
	KEEL_TEST_DB_DIR=$DBS_DIR
	KEEL_TEST_DB_PORT=$DBS_PORT
	KEEL_TEST_DB_ARGS=$(dbs_args keel)
	export KEEL_TEST_DB KEEL_TEST_DB_DIR KEEL_TEST_DB_PORT KEEL_TEST_DB_ARGS
	return 0
}

dbs_test_ini() {
	case ${KEEL_TEST_DB:-sqlite} in
	postgres | mysql) ;;
	*) return 0 ;;
	esac
	DBS_KIND=$KEEL_TEST_DB
	DBS_DIR=$KEEL_TEST_DB_DIR
	DBS_PORT=$KEEL_TEST_DB_PORT
	DBS_PWFILE=$DBS_DIR/pw
	dbs_seq=$((${dbs_seq:-0} + 1))
	n=keel_e$$_$dbs_seq
	dbs_createdb "$n" >/dev/null || return 1
	dbs_ini "$n"
}

dbs_pg_init() {
	[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$DBS_DIR"
	# The superuser's password: the same file, for simplicity.
	dbs_as postgres "$DBS_PGBIN/initdb" -D "$DBS_DIR/data" -A scram-sha-256 \
		--pwfile="$DBS_PWFILE" -U postgres --no-sync -E UTF8 \
		--locale=C.UTF-8 >"$DBS_DIR/initdb.log" 2>&1 ||
		{ cat "$DBS_DIR/initdb.log"; return 1; }
}

dbs_my_init() {
	[ "$(id -u)" -eq 0 ] && chown mysql:mysql "$DBS_DIR"
	mariadb-install-db --no-defaults --user=mysql --datadir="$DBS_DIR/data" \
		--auth-root-authentication-method=normal --skip-test-db \
		>"$DBS_DIR/install.log" 2>&1 ||
		{ cat "$DBS_DIR/install.log"; return 1; }
}

dbs_log() {
	if [ "$DBS_KIND" = postgres ]; then
		tail -n 30 "$DBS_DIR/server.log" 2>/dev/null | sed 's/^/# /'
	else
		tail -n 30 "$DBS_DIR/err.log" 2>/dev/null | sed 's/^/# /'
	fi
}

# dbs_up: start the server on DBS_PORT and wait until it answers.
dbs_up() {
	if [ "$DBS_KIND" = postgres ]; then
		# shellcheck disable=SC2086
		dbs_as postgres "$DBS_PGBIN/pg_ctl" -D "$DBS_DIR/data" \
			-l "$DBS_DIR/server.log" -w -t 60 -o "-c listen_addresses=127.0.0.1 \
-p $DBS_PORT -k $DBS_DIR -c fsync=off -c synchronous_commit=off \
-c full_page_writes=off -c max_connections=300 ${DBS_PG_OPTS:-}" start \
			>/dev/null 2>&1 || { dbs_log; return 1; }
		DBS_PID=$(head -n 1 "$DBS_DIR/data/postmaster.pid")
		return 0
	fi
	# shellcheck disable=SC2086
	if [ "$(id -u)" -eq 0 ]; then set -- --user=mysql; else set --; fi
	mariadbd --no-defaults "$@" --datadir="$DBS_DIR/data" \
		--socket="$DBS_DIR/mysqld.sock" --port="$DBS_PORT" \
		--bind-address=127.0.0.1 --skip-name-resolve \
		--pid-file="$DBS_DIR/mysqld.pid" --log-error="$DBS_DIR/err.log" \
		--innodb-flush-log-at-trx-commit=0 --skip-log-bin \
		--character-set-server=utf8mb4 --collation-server=utf8mb4_bin \
		--max-connections=300 ${DBS_MY_OPTS:-} >/dev/null 2>&1 &
	DBS_PID=$!
	i=0
	until mariadb-admin --no-defaults -S "$DBS_DIR/mysqld.sock" -uroot \
		-p"$(cat "$DBS_PWFILE")" ping >/dev/null 2>&1 ||
		mariadb-admin --no-defaults -S "$DBS_DIR/mysqld.sock" -uroot \
			ping >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 "$DBS_PID" 2>/dev/null; then
			dbs_log
			return 1
		fi
		sleep 0.1
	done
	return 0
}

# dbs_setup: the keel role and database (first start only).
dbs_setup() {
	pw=$(cat "$DBS_PWFILE")
	if [ "$DBS_KIND" = postgres ]; then
		dbs_sql "CREATE ROLE keel LOGIN CREATEDB PASSWORD '$pw'" &&
			dbs_sql "CREATE DATABASE keel OWNER keel"
	else
		mariadb --no-defaults -S "$DBS_DIR/mysqld.sock" -uroot -e "
ALTER USER 'root'@'localhost' IDENTIFIED BY '$pw';
CREATE USER 'keel'@'%' IDENTIFIED BY '$pw';
GRANT ALL ON *.* TO 'keel'@'%';
CREATE DATABASE keel CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;"
	fi
}

# dbs_sql SQL [CLIENT-OPTIONS...]
dbs_sql() {
	q=$1
	shift
	if [ "$DBS_KIND" = postgres ]; then
		PGPASSWORD=$(cat "$DBS_PWFILE") psql -X -q -v ON_ERROR_STOP=1 \
			-h 127.0.0.1 -p "$DBS_PORT" -U postgres -d postgres "$@" \
			-c "$q"
	else
		mariadb --no-defaults -S "$DBS_DIR/mysqld.sock" -uroot \
			-p"$(cat "$DBS_PWFILE")" "$@" -e "$q"
	fi
}

dbs_createdb() {
	if [ "$DBS_KIND" = postgres ]; then
		dbs_sql "CREATE DATABASE $1 OWNER keel"
	else
		dbs_sql "CREATE DATABASE $1 CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
	fi
}

dbs_dropdb() {
	if [ "$DBS_KIND" = postgres ]; then
		dbs_sql "DROP DATABASE IF EXISTS $1 WITH (FORCE)"
	else
		dbs_sql "DROP DATABASE IF EXISTS $1"
	fi
}

dbs_ini() {
	printf '[db]\ndriver = %s\nhost = 127.0.0.1\nport = %s\nuser = keel\npassword_file = %s\ndatabase = %s\n' \
		"$DBS_KIND" "$DBS_PORT" "$DBS_PWFILE" "$1"
}

dbs_args() {
	printf 'host=127.0.0.1;port=%s;user=keel;password_file=%s;database=%s' \
		"$DBS_PORT" "$DBS_PWFILE" "$1"
}

# dbs_down: stop the server, keep its data (restart faults).
dbs_down() {
	if [ "$DBS_KIND" = postgres ]; then
		dbs_as postgres "$DBS_PGBIN/pg_ctl" -D "$DBS_DIR/data" -m fast -w \
			-t 60 stop >/dev/null 2>&1
	else
		kill -TERM "$DBS_PID" 2>/dev/null
		i=0
		while kill -0 "$DBS_PID" 2>/dev/null && [ $i -lt 300 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		wait "$DBS_PID" 2>/dev/null
	fi
	DBS_PID=
}

dbs_kill() {
	[ -n "$DBS_PID" ] && kill -KILL "$DBS_PID" 2>/dev/null
	[ "$DBS_KIND" = mysql ] && wait "$DBS_PID" 2>/dev/null
	# PostgreSQL's backends go with the postmaster; wait for its pid file
	# to go stale before a restart.
	sleep 0.5
	DBS_PID=
}

dbs_stop() {
	[ -n "${DBS_DIR:-}" ] || return 0
	[ -n "${DBS_PID:-}" ] && dbs_down
	rm -rf "$DBS_DIR"
	DBS_DIR=
}
