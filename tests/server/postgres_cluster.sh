#!/bin/sh
# postgres_cluster.sh -- replicas and restart faults on a throw-away PostgreSQL server
# (see db_cluster.sh).
exec sh "${KEEL_SRCDIR:-.}/tests/server/db_cluster.sh" postgres
