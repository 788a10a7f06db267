#!/usr/bin/env bash
# Runs the core e2e subset against Debian's PostgreSQL 15, the oldest version DataQueue supports
# (package.json "engines"): a private server on a free port, removed afterwards. Called by .ci/run.
set -euo pipefail
BIN=/usr/lib/postgresql/15/bin
if [ ! -x "$BIN/postgres" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15; fi
DIR=$(mktemp -d /tmp/dataqueue-pg15-XXXXXX)
chmod 755 "$DIR"
chown postgres "$DIR"
PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
su postgres -c "$BIN/initdb -D $DIR/data -U postgres --auth=trust" > /dev/null
su postgres -c "$BIN/pg_ctl -D $DIR/data -l $DIR/log -o '-p $PORT -k $DIR -c max_connections=300 -c fsync=off' -w start" > /dev/null
trap 'su postgres -c "$BIN/pg_ctl -D $DIR/data -m fast -w stop" > /dev/null; rm -rf "$DIR"' EXIT
echo "PostgreSQL 15 core subset on port $PORT"
DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/postgres" NODE_OPTIONS=--experimental-vm-modules npx jest \
  test/queue-core test/retries-and-failures test/batch-callbacks test/concurrency test/settings-from-any-process \
  test/durable-waits test/cron test/job-management test/hot-path test/migrations test/transactional-enqueue test/multi-process
