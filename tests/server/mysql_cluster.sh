#!/bin/sh
# mysql_cluster.sh -- replicas and restart faults on a throw-away MariaDB server
# (see db_cluster.sh).
exec sh "${KEEL_SRCDIR:-.}/tests/server/db_cluster.sh" mysql
