// src/dispatch/cluster-gate.ts: dispatch's cluster check, run before a command is queued or run
// while cluster mode is on (or a MIGRATE holds key locks): finds the keys of the command (or of
// the queue EXEC is about to run) from the command table and asks cluster/routing.ts whether this
// node serves them. Also keeps the per-client flags ASKING and READONLY (Redis's CLIENT_ASKING,
// CLIENT_READONLY) in client.extensions.
// Invariants:
// - ASKING lasts for one command: any other command but MULTI clears it, except commands queued
//   inside MULTI (EXEC then clears it), as Redis's resetClient.
// - A command whose spec names no keys costs one flag check here.
import { routeRequest } from '../cluster/routing.js';
import type { ClientState } from './client-state.js';
import { commandAt, commandKeyPositions, type CommandContext, type CommandEntry, type CommandSpec } from './command-table.js';

export interface ClusterClientFlags {
  asking: boolean;
  readonly: boolean;
}

/** The client.extensions key of the flags (RESET deletes it). */
export const CLUSTER_FLAGS_KEY = 'cluster';
const FLAGS_KEY = CLUSTER_FLAGS_KEY;

/** The client's ASKING / READONLY flags (made on first use). */
export function clusterFlagsOf(client: ClientState): ClusterClientFlags {
  let flags = client.extensions.get(FLAGS_KEY) as ClusterClientFlags | undefined;
  if (flags === undefined) {
    flags = { asking: false, readonly: false };
    client.extensions.set(FLAGS_KEY, flags);
  }
  return flags;
}

function keysOf(spec: CommandSpec, args: readonly Buffer[]): Buffer[] {
  const keys: Buffer[] = [];
  for (const position of commandKeyPositions(spec, args)) {
    const key = args[position];
    if (key !== undefined) keys.push(key);
  }
  return keys;
}

/** The error this node answers instead of running the command (MOVED, ASK, ...), or undefined. */
export function clusterRefusal(ctx: CommandContext, entry: CommandEntry, args: Buffer[]): string | undefined {
  const { server, client } = ctx;
  const name = (entry.container ?? entry).spec.name;
  const isExec = name === 'exec';
  const flags = client.extensions.get(FLAGS_KEY) as ClusterClientFlags | undefined;
  const asking = flags?.asking === true;
  if (asking && name !== 'asking' && name !== 'multi' && (client.multi === undefined || isExec)) (flags as ClusterClientFlags).asking = false;
  let keyLists: Buffer[][];
  let isWrite = entry.isWrite;
  if (isExec) {
    const queued = client.multi?.queued;
    if (queued === undefined || queued.length === 0) return undefined;
    keyLists = queued.map((command) => keysOf(commandAt(command.entryIndex).spec, command.args));
    isWrite = queued.some((command) => command.isWrite);
  } else {
    if (entry.spec.firstKey <= 0 && entry.spec.keyPositions === undefined) return undefined;
    keyLists = [keysOf(entry.spec, args)];
  }
  return routeRequest(server.cluster, server.migrationLocks, {
    keyLists, isWrite, asking: asking || name === 'restore-asking', readonlyClient: flags?.readonly === true,
    isMigrate: name === 'migrate', db: client.db, exists: (key) => server.keyspace.exists(0, key),
  });
}
