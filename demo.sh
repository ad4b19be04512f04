#!/usr/bin/env bash
# demo.sh: tskv's promise, shown with redis-cli in under a minute. Starts the server on a temp
# dir and a free port, writes, SCANs, SIGKILLs the server while a client is still writing,
# restarts it on the same dir, and checks that every write redis-cli saw acknowledged (OK) is
# back. Prints a few INFO lines, stops the server and removes everything it made.
#   bash demo.sh                  # exit 0: every acknowledged write came back; 1: one did not
#   DEMO_WRITES=20000 bash demo.sh
# Needs node (20+) and redis-cli; builds dist/tskv.js first if it is missing or older than the source.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

WRITES=${DEMO_WRITES:-5000}
APPENDFSYNC=${DEMO_APPENDFSYNC:-always}
KILL_AFTER_S=${DEMO_KILL_AFTER_S:-1}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { printf '\n\033[31mFAIL: %s\033[0m\n' "$*" >&2; exit 1; }

command -v node >/dev/null || fail "node is not installed"
command -v redis-cli >/dev/null || fail "redis-cli is not installed (Debian/Ubuntu: apt-get install redis-tools)"

if [[ ! -f dist/tskv.js ]] || [[ -n "$(find src protocol storage build.mjs package.json -newer dist/tskv.js -type f 2>/dev/null | head -n 1)" ]]; then
  say "building dist/tskv.js"
  [[ -d node_modules ]] || fail "node_modules is missing: run npm ci first"
  node build.mjs
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tskv-demo.XXXXXX")
SERVER_PID=""
WRITER_PID=""
cleanup() {
  local status=$?
  if [[ -n "$WRITER_PID" ]] && kill -0 "$WRITER_PID" 2>/dev/null; then kill "$WRITER_PID" 2>/dev/null || true; fi
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ $status -ne 0 && -f "$WORK/server.log" ]]; then
    echo "--- last lines of the server log ---" >&2
    tail -n 20 "$WORK/server.log" >&2 || true
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=${DEMO_PORT:-$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")}
cli() { redis-cli -h 127.0.0.1 -p "$PORT" "$@"; }

start_server() {
  node dist/tskv.js --port "$PORT" --dir "$WORK/data" --appendfsync "$APPENDFSYNC" >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 150); do
    if [[ "$(cli ping 2>/dev/null || true)" == "PONG" ]]; then return 0; fi
    kill -0 "$SERVER_PID" 2>/dev/null || fail "the server exited during start"
    sleep 0.1
  done
  fail "the server did not answer PING within 15 s"
}

say "starting tskv on 127.0.0.1:$PORT, data in $WORK/data, appendfsync $APPENDFSYNC (pid below)"
start_server
echo "pid $SERVER_PID"

say "writing with redis-cli"
cli set demo:greeting "hello, durable world"
cli mset demo:a 1 demo:b 2 demo:c 3
for _ in 1 2 3 4 5; do cli incr demo:counter >/dev/null; done
cli set demo:session token-42 EX 3600
cli append demo:greeting "!" >/dev/null
echo "GET demo:greeting -> $(cli get demo:greeting)"
echo "GET demo:counter  -> $(cli get demo:counter)"
printf 'demo:greeting\thello, durable world!\ndemo:a\t1\ndemo:b\t2\ndemo:c\t3\ndemo:counter\t5\ndemo:session\ttoken-42\n' >"$WORK/expected.tsv"

say "SCAN 0 MATCH demo:* (redis-cli --scan walks the u64 cursor to 0)"
cli --scan --pattern 'demo:*' | sort | tee "$WORK/scan-before.txt"
echo "$(wc -l <"$WORK/scan-before.txt") keys"

say "one client writes $WRITES keys, one SET at a time; kill -9 after ${KILL_AFTER_S}s"
seq 1 "$WRITES" | awk '{ print "SET demo:stream:" $1 " v" $1 }' >"$WORK/stream.cmds"
redis-cli -h 127.0.0.1 -p "$PORT" <"$WORK/stream.cmds" >"$WORK/stream.acks" 2>"$WORK/stream.err" &
WRITER_PID=$!
sleep "$KILL_AFTER_S"
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
echo "server $SERVER_PID killed with SIGKILL"
SERVER_PID=""
wait "$WRITER_PID" 2>/dev/null || true
WRITER_PID=""
# Replies come in order, so the acknowledged writes are the leading OK lines.
ACKED=$(awk '$0 != "OK" { exit } { n++ } END { print n + 0 }' "$WORK/stream.acks")
echo "redis-cli saw $ACKED of $WRITES SETs acknowledged before the kill"

say "restarting on the same dir"
start_server
echo "pid $SERVER_PID"
grep -E 'engine open|replay' "$WORK/server.log" | tail -n 1 || true

say "checking every acknowledged write"
MISMATCHES=0
while IFS=$'\t' read -r key want; do
  got=$(cli get "$key")
  if [[ "$got" != "$want" ]]; then
    echo "MISSING $key: want '$want', got '$got'"
    MISMATCHES=$((MISMATCHES + 1))
  fi
done <"$WORK/expected.tsv"
TTL=$(cli ttl demo:session)
if ! [[ "$TTL" =~ ^[0-9]+$ ]] || (( TTL <= 0 || TTL > 3600 )); then
  echo "TTL of demo:session is '$TTL', want 1..3600"
  MISMATCHES=$((MISMATCHES + 1))
fi
if (( ACKED > 0 )); then
  seq 1 "$ACKED" | awk '{ print "GET demo:stream:" $1 }' | cli >"$WORK/stream.got"
  seq 1 "$ACKED" | awk '{ print "v" $1 }' >"$WORK/stream.want"
  if ! cmp -s "$WORK/stream.want" "$WORK/stream.got"; then
    LOST=$(paste -d' ' "$WORK/stream.want" "$WORK/stream.got" | awk '$1 != $2' | wc -l)
    echo "LOST $LOST of the $ACKED acknowledged stream writes, first ones:"
    paste -d' ' <(seq 1 "$ACKED") "$WORK/stream.want" "$WORK/stream.got" | awk '$2 != $3' | head -n 5
    MISMATCHES=$((MISMATCHES + LOST))
  fi
fi
NEXT=$((ACKED + 1))
if (( NEXT <= WRITES )); then
  IN_FLIGHT=$(cli exists "demo:stream:$NEXT")
  echo "demo:stream:$NEXT was in flight at the kill (no reply): exists=$IN_FLIGHT (either is correct)"
fi
echo "$(cli --scan --pattern 'demo:*' | wc -l) demo:* keys after the restart (SCAN), DBSIZE $(cli dbsize)"

say "a few INFO lines"
cli info server | grep -E '^(redis_version|tskv_version|tcp_port|uptime_in_seconds):' || true
cli info persistence | grep -E '^(aof_enabled|aof_last_write_status|tskv_appendfsync|tskv_wal_appends|tskv_fsyncs):' || true
cli info stats | grep -E '^(total_commands_processed|instantaneous_ops_per_sec|keyspace_hits|keyspace_misses):' || true
cli info tskv | grep -E '^(put_total|get_total|put_latency_p99_usec|fsync_total):' || true
cli info keyspace | grep -E '^db' || true

if (( MISMATCHES > 0 )); then
  fail "$MISMATCHES acknowledged write(s) did not survive kill -9"
fi
say "OK: all $((ACKED + $(wc -l <"$WORK/expected.tsv"))) acknowledged writes survived kill -9"
