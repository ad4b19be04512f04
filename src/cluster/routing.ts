// src/cluster/routing.ts: whether this node serves a keyed request, or which redirection or
// error it answers instead: Redis 7.0's getNodeByQuery and clusterRedirectClient (src/cluster.c),
// texts word for word. One request is one command, or the queue EXEC is about to run.
// Order of checks (as Redis):
//   1. every key in one slot (the same key repeated is fine), else CROSSSLOT;
//   2. the slot has an owner, else CLUSTERDOWN Hash slot not served;
//   3. cluster state ok (full coverage), else CLUSTERDOWN The cluster is down (shard channel
//      commands pass: cluster-allow-pubsubshard-when-down is yes, Redis's default);
//   4. MIGRATE on an open slot is served here;
//   5. a key being moved by a MIGRATE right now: TRYAGAIN (migration-locks.ts; tskv's own rule);
//   6. slot migrating from here: keys all missing -> ASK <target>, some missing -> TRYAGAIN;
//   7. slot importing here and ASKING: served, unless several keys and some missing -> TRYAGAIN;
//      (6 and 7 count no keys for SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH: a shard channel is served by
//      the slot's owner until SETSLOT NODE moves it, whatever keys exist);
//   8. a READONLY client's read, or a shard channel command, on a replica of the slot's master is
//      served;
//   9. the slot's owner is another node -> MOVED <slot> <host>:<port>; else served here.
import { keySlot } from '../keyspace/slot.js';
import type { ClusterState } from './cluster-state.js';
import type { MigrationLocks } from './migration-locks.js';

export const ROUTING_ERRORS = {
  crossSlot: "CROSSSLOT Keys in request don't hash to the same slot",
  unstable: 'TRYAGAIN Multiple keys request during rehashing of slot',
  down: 'CLUSTERDOWN The cluster is down',
  unbound: 'CLUSTERDOWN Hash slot not served',
} as const;

export interface RouteRequest {
  /** The keys of each command of the request: one list, or one per queued command for EXEC. */
  keyLists: readonly (readonly Buffer[])[];
  isWrite: boolean;
  /** The client sent ASKING just before, or the command is RESTORE-ASKING. */
  asking: boolean;
  readonlyClient: boolean;
  isMigrate: boolean;
  /** SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH: the "keys" are shard channels. */
  isPubsubShard: boolean;
  /** The client's database (MIGRATE's locks are per database; cluster mode has only db 0). */
  db: number;
  /** Whether a key is live in db 0 (without touching it: no lazy expiry). */
  exists: (key: Buffer) => boolean;
}

/** The error reply text when this node does not serve the request, else undefined. */
export function routeRequest(cluster: ClusterState | undefined, locks: MigrationLocks, request: RouteRequest): string | undefined {
  let first: Buffer | undefined;
  let slot = 0;
  let multipleKeys = false;
  let migrating = false;
  let importing = false;
  let missing = 0;
  let existing = 0;
  let locked = false;
  for (const keys of request.keyLists) {
    for (const key of keys) {
      const keyHashSlot = keySlot(key);
      if (first === undefined) {
        first = key;
        slot = keyHashSlot;
        if (cluster === undefined) {
          // MIGRATE outside cluster mode: only its locks apply
        } else if (cluster.ownerOf(slot) === undefined) {
          return ROUTING_ERRORS.unbound;
        } else if (cluster.ownsSlot(slot) && cluster.migratingTo(slot) !== undefined) {
          migrating = true;
        } else if (cluster.importingFrom(slot) !== undefined) {
          importing = true;
        }
      } else if (!key.equals(first)) {
        if (keyHashSlot !== slot && cluster !== undefined) return ROUTING_ERRORS.crossSlot;
        multipleKeys = true;
      }
      if (locks.size > 0 && locks.has(request.db, key)) locked = true;
      if ((migrating || importing) && !request.isPubsubShard) {
        if (request.exists(key)) existing++;
        else missing++;
      }
    }
  }
  if (first === undefined) return undefined;
  if (cluster === undefined) return locked && !request.isMigrate ? ROUTING_ERRORS.unstable : undefined;
  if (!cluster.isOk() && !request.isPubsubShard) return ROUTING_ERRORS.down;
  if ((migrating || importing) && request.isMigrate) return undefined;
  if (locked) return ROUTING_ERRORS.unstable;
  if (migrating && missing > 0) {
    if (existing > 0) return ROUTING_ERRORS.unstable;
    const target = cluster.topology.node(cluster.migratingTo(slot) as string);
    if (target !== undefined) return `ASK ${slot} ${target.host}:${target.port}`;
  }
  if (importing && request.asking) return multipleKeys && missing > 0 ? ROUTING_ERRORS.unstable : undefined;
  const owner = cluster.ownerOf(slot)!;
  const myself = cluster.myself();
  if ((request.readonlyClient || request.isPubsubShard) && !request.isWrite && myself?.role === 'slave' && myself.masterId === owner.id) return undefined;
  if (owner.id !== cluster.myId) return `MOVED ${slot} ${owner.host}:${owner.port}`;
  return undefined;
}
