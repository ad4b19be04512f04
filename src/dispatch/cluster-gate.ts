// src/dispatch/cluster-gate.ts: dispatch's cluster check, run before a command is queued or run
// while cluster mode is on (or a MIGRATE holds key locks): finds the keys of the command (or of
// the queue EXEC is about to run) from the command table and asks cluster/routing.ts whether this
// node serves them. Also keeps the per-client flags ASKING and READONLY (Redis's CLIENT_ASKING,
// CLIENT_READONLY) in client.extensions.
// Invariants:
// - ASKING lasts for one command: any other command but MULTI clears it, except commands queued
//   inside MULTI (EXEC then clears it), as Redis's resetClient.
// - A command whose spec names no keys costs one flag check here.
// - After every topology change (afterTopologyChange, called by the CLUSTER and CLUSTERX
//   handlers), no client stays blocked on a key of a slot this node no longer serves, and no
//   client stays subscribed to a shard channel of such a slot: Redis's
//   clusterRedirectBlockedClientIfNeeded and removeChannelsInSlot, done at once instead of in
//   clientsCron.
import { ROUTING_ERRORS, routeRequest } from '../cluster/routing.js';
import { keySlot } from '../keyspace/slot.js';
import { redirectBlockedClients } from './blocking.js';
import type { ClientState } from './client-state.js';
import { commandAt, commandKeyPositions, type CommandContext, type CommandEntry, type CommandSpec } from './command-table.js';
import type { ServerState } from './server-state.js';

const SHARD_CHANNEL_COMMANDS: ReadonlySet<string> = new Set(['ssubscribe', 'sunsubscribe', 'spublish']);

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
    isMigrate: name === 'migrate', isPubsubShard: SHARD_CHANNEL_COMMANDS.has(name), db: client.db, exists: (key) => server.keyspace.exists(0, key),
  });
}

/**
 * After a topology change: blocked clients waiting on keys of a slot this node neither serves nor
 * imports get MOVED (CLUSTERDOWN when nobody serves it, or when the cluster is down) and are
 * unblocked; shard channels of slots this node (or its master) does not serve lose their
 * subscribers, each told by a sunsubscribe message.
 */
export function afterTopologyChange(server: ServerState): void {
  const cluster = server.cluster;
  if (cluster === undefined) return;
  const ok = cluster.isOk();
  redirectBlockedClients(server, (keys) => {
    if (!ok) return ROUTING_ERRORS.down;
    const first = keys[0];
    if (first === undefined) return undefined;
    const slot = keySlot(first);
    const owner = cluster.ownerOf(slot);
    if (owner?.id === cluster.myId || cluster.importingFrom(slot) !== undefined) return undefined;
    return owner === undefined ? ROUTING_ERRORS.unbound : `MOVED ${slot} ${owner.host}:${owner.port}`;
  });
  const myself = cluster.myself();
  server.pubsub.dropShardChannels((channel) => {
    const owner = cluster.ownerOf(keySlot(channel));
    if (owner === undefined) return true;
    return owner.id !== cluster.myId && !(myself?.role === 'slave' && myself.masterId === owner.id);
  });
}
