#!/bin/sh
# cluster/up.sh N BASEPORT DIR: starts N tskv nodes in cluster mode on 127.0.0.1, ports BASEPORT ..
# BASEPORT+N-1, and assigns the 16384 slots evenly (as redis-cli --cluster create splits them).
#   DIR/topology.conf   the topology (version 1, ids drawn once), given to every node at start
#   DIR/<port>/         a node's data directory (its nodes.conf keeps its id and slots from then on)
#   DIR/<port>.log      its output (the previous run's: <port>.log.1)
#   DIR/<port>.pid      its process id (cluster/down.sh DIR stops them)
# Running it again on the same DIR restarts stopped nodes with their data and slots. Waits up to
# 30 s for each node to accept connections; exits 1 if one does not. TSKV_BUNDLE overrides the
# server (default dist/tskv.js next to this script's folder); TSKV_ARGS adds flags to every node
# (e.g. TSKV_ARGS="--appendfsync no"); node must be on PATH.
set -eu
if [ $# -ne 3 ]; then
  echo "usage: $0 N BASEPORT DIR" >&2
  exit 2
fi
N=$1 BASEPORT=$2 DIR=$3
case $N in '' | *[!0-9]*) echo "up.sh: N must be a number" >&2; exit 2 ;; esac
case $BASEPORT in '' | *[!0-9]*) echo "up.sh: BASEPORT must be a number" >&2; exit 2 ;; esac
if [ "$N" -lt 1 ] || [ "$N" -gt 16384 ] || [ $((BASEPORT + N - 1)) -gt 65535 ]; then
  echo "up.sh: N must be 1..16384 and the ports at most 65535" >&2
  exit 2
fi
REPO=$(cd "$(dirname "$0")/.." && pwd)
BUNDLE=${TSKV_BUNDLE:-$REPO/dist/tskv.js}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
TOPOLOGY=$DIR/topology.conf

if [ ! -f "$TOPOLOGY" ]; then
  {
    echo "version 1"
    i=0 first=0
    while [ "$i" -lt "$N" ]; do
      # Redis's split: last = round((i + 1) * 16384 / N - 1); the last node takes the rest
      last=$(( (2 * (i + 1) * 16384 - N) / (2 * N) ))
      [ "$i" -eq $((N - 1)) ] && last=16383
      id=$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')
      echo "node $id 127.0.0.1 $((BASEPORT + i)) master - $first-$last"
      first=$((last + 1)) i=$((i + 1))
    done
  } > "$TOPOLOGY.tmp"
  mv "$TOPOLOGY.tmp" "$TOPOLOGY"
fi

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

i=0
while [ "$i" -lt "$N" ]; do
  port=$((BASEPORT + i))
  if running "$DIR/$port.pid"; then
    echo "node 127.0.0.1:$port already running (pid $(cat "$DIR/$port.pid"))"
  else
    mkdir -p "$DIR/$port"
    [ -f "$DIR/$port.log" ] && mv "$DIR/$port.log" "$DIR/$port.log.1"
    nohup node "$BUNDLE" --port "$port" --bind 127.0.0.1 --dir "$DIR/$port" \
      --cluster-enabled yes --cluster-topology-file "$TOPOLOGY" ${TSKV_ARGS:-} > "$DIR/$port.log" 2>&1 &
    echo $! > "$DIR/$port.pid"
  fi
  i=$((i + 1))
done

i=0
while [ "$i" -lt "$N" ]; do
  port=$((BASEPORT + i)) waited=0
  until grep -q "ready to accept connections on .* port $port " "$DIR/$port.log" 2>/dev/null; do
    if ! running "$DIR/$port.pid" || [ "$waited" -ge 300 ]; then
      echo "up.sh: node 127.0.0.1:$port did not start; see $DIR/$port.log" >&2
      exit 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  echo "node 127.0.0.1:$port up (pid $(cat "$DIR/$port.pid"))"
  i=$((i + 1))
done
