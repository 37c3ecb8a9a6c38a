#!/bin/sh
# mysql_suites.sh -- the database suites on a throw-away MariaDB server
# (see db_matrix.sh).
exec sh "${KEEL_SRCDIR:-.}/tests/server/db_matrix.sh" mysql
