#!/bin/sh
# cluster/down.sh DIR: stops the nodes cluster/up.sh started under DIR, by the pids in DIR/*.pid:
# SIGTERM (a clean shutdown), then SIGKILL for one still alive after 15 s. A pid whose process is
# not a tskv node of DIR (gone, or reused by another program) is only forgotten. Data stays.
set -eu
if [ $# -ne 1 ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
DIR=$(cd "$1" && pwd)
ours() { ps -p "$1" -o args= 2>/dev/null | grep -q -- "--dir $DIR/"; }

for file in "$DIR"/*.pid; do
  [ -f "$file" ] || continue
  pid=$(cat "$file")
  if ours "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
done
for file in "$DIR"/*.pid; do
  [ -f "$file" ] || continue
  pid=$(cat "$file") waited=0
  while ours "$pid" && [ "$waited" -lt 150 ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  if ours "$pid"; then
    echo "down.sh: pid $pid did not stop in 15 s: SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
  echo "stopped $(basename "$file" .pid) (pid $pid)"
done
