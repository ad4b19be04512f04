// src/dispatch/transactions.ts: the MULTI / WATCH core (Redis src/multi.c, 7.x texts); the MULTI,
// EXEC, DISCARD, WATCH and UNWATCH handlers are src/commands/transactions.ts.
//
// Hooks for dispatch.ts / connection.ts:
//   isQueuing(client)                 true between MULTI and EXEC/DISCARD/RESET: dispatch queues every
//                                     command but EXEC DISCARD MULTI WATCH RESET QUIT (UNWATCH is
//                                     queued, as in Redis).
//   queueCommand(ctx, entry, args)    queues a resolved, arity-checked command and answers +QUEUED;
//                                     a no_multi command gets 'ERR Command not allowed inside a
//                                     transaction' and flags the transaction.
//   flagTransaction(client)           any queue-time rejection (unknown command, arity, NOAUTH, ...)
//                                     makes the next EXEC answer EXECABORT (Redis flagTransaction).
//   execAbortText(message)            what to answer when EXEC itself is rejected before running
//                                     (arity, NOAUTH): 'EXECABORT Transaction discarded because of:
//                                     <message without its ERR prefix>'; call discardTransaction too.
//   discardTransaction(client, keyspace)  drops the queue and the watched keys (RESET, EXEC abort).
//   forgetClient(client, keyspace)        on disconnect: the same, so the WATCH registry forgets it.
// EXEC (the handler) runs the queued commands through dispatch's runHandler (no commit per
// command); dispatch commits once after EXEC, so all writes of one EXEC are one keyspace.commit(), one WAL batch:
// after a crash all of them or none are there. A queued command that fails keeps what earlier ones
// staged (Redis has no rollback either); handlers validate before they stage.
//
// WATCH: a registry per Keyspace maps 'db:hexkey' to the clients watching it; keyspace.onKeyModified
// and keyspace.onDbFlushed (installed on first WATCH, chaining any earlier callback) set
// client.watchDirty. EXEC answers a null array when watchDirty is set or a key that was live at
// WATCH time has expired since. Any write of a watched key makes the client dirty, even one that
// leaves it absent or already expired (SET ... PXAT in the past), as Redis's signalModifiedKey
// does; a key expired at WATCH time is reaped by WATCH's own lookup, before the client watches it.
// Invariants:
// - client.watchedKeys (ClientState, E) is the truth for which keys a client watches; registry
//   entries whose client no longer lists the key are stale and are dropped when met.
// - The hooks cost one Map.size check per key write while nobody watches.
import type { Keyspace } from '../keyspace/keyspace.js';
import type { ClientState } from './client-state.js';
import type { CommandContext, CommandEntry } from './command-table.js';
import { CommandError } from './errors.js';

export const TRANSACTION_ERRORS = {
  execAbort: 'EXECABORT Transaction discarded because of previous errors.',
  nested: 'ERR MULTI calls can not be nested',
  execWithoutMulti: 'ERR EXEC without MULTI',
  discardWithoutMulti: 'ERR DISCARD without MULTI',
  watchInsideMulti: 'ERR WATCH inside MULTI is not allowed',
  notAllowed: 'ERR Command not allowed inside a transaction',
} as const;

interface WatchedKey {
  db: number;
  key: Buffer;
  liveAtWatch: boolean;
  expireAtMs: number; // of the live record at WATCH time, 0 = none
}

class WatchRegistry {
  readonly watchers = new Map<string, Set<ClientState>>();
  readonly details = new WeakMap<ClientState, Map<string, WatchedKey>>();

  constructor(private readonly keyspace: Keyspace) {
    const previousModified = keyspace.onKeyModified;
    keyspace.onKeyModified = (db, key) => {
      previousModified?.(db, key);
      if (this.watchers.size !== 0) this.touch(db, key);
    };
    const previousFlushed = keyspace.onDbFlushed;
    keyspace.onDbFlushed = (db) => {
      previousFlushed?.(db);
      if (this.watchers.size !== 0) this.touchDb(db);
    };
  }

  watch(client: ClientState, db: number, key: Buffer): void {
    const id = watchId(db, key);
    if (client.watchedKeys === undefined) {
      this.details.delete(client); // RESET may have cleared watchedKeys without us
      client.watchedKeys = new Set();
    }
    const watched = client.watchedKeys;
    if (watched.has(id)) return; // Redis: already watching this key in this db (or dirty already)
    let details = this.details.get(client);
    if (details === undefined) {
      details = new Map();
      this.details.set(client, details);
    }
    const record = this.keyspace.get(db, key);
    watched.add(id);
    details.set(id, { db, key: Buffer.from(key), liveAtWatch: record !== undefined, expireAtMs: record?.expireAtMs ?? 0 });
    let clients = this.watchers.get(id);
    if (clients === undefined) {
      clients = new Set();
      this.watchers.set(id, clients);
    }
    clients.add(client);
  }

  unwatchAll(client: ClientState): void {
    const watched = client.watchedKeys;
    const details = this.details.get(client);
    for (const id of new Set([...(watched ?? []), ...(details?.keys() ?? [])])) this.drop(id, client);
    this.details.delete(client);
    client.watchedKeys = undefined;
  }

  /** True when a key that was live at WATCH time is now expired (Redis isWatchedKeyExpired). */
  expiredSinceWatch(client: ClientState, nowMs: number): boolean {
    const details = this.details.get(client);
    if (details === undefined) return false;
    for (const [id, watched] of details) {
      if (client.watchedKeys?.has(id) !== true || !watched.liveAtWatch || watched.expireAtMs === 0) continue;
      if (watched.expireAtMs <= nowMs) return true;
    }
    return false;
  }

  private touch(db: number, key: Buffer): void {
    const id = watchId(db, key);
    const clients = this.watchers.get(id);
    if (clients === undefined) return;
    for (const client of [...clients]) {
      const watched = this.details.get(client)?.get(id);
      if (client.watchedKeys?.has(id) !== true || watched === undefined) {
        this.drop(id, client); // stale: RESET or a disconnect cleared it behind our back
        continue;
      }
      this.markDirty(client);
    }
  }

  private touchDb(db: number | 'all'): void {
    for (const [id, clients] of [...this.watchers]) {
      for (const client of [...clients]) {
        const watched = this.details.get(client)?.get(id);
        if (client.watchedKeys?.has(id) !== true || watched === undefined) {
          this.drop(id, client);
          continue;
        }
        if (db !== 'all' && watched.db !== db) continue;
        // Redis touches a watched key only if it existed (FLUSH) or exists now (SWAPDB's other side);
        // any change since WATCH already made the client dirty, so "existed" is "was live at WATCH".
        if (watched.liveAtWatch || this.keyspace.get(watched.db, watched.key) !== undefined) this.markDirty(client);
      }
    }
  }

  /** Redis unwatches all keys of a client once it is dirty: EXEC will fail anyway. */
  private markDirty(client: ClientState): void {
    client.watchDirty = true;
    const details = this.details.get(client);
    for (const id of details?.keys() ?? []) this.drop(id, client);
    this.details.delete(client);
    // client.watchedKeys stays: UNWATCH / EXEC / DISCARD clear it together with watchDirty
  }

  private drop(id: string, client: ClientState): void {
    const clients = this.watchers.get(id);
    if (clients === undefined) return;
    clients.delete(client);
    if (clients.size === 0) this.watchers.delete(id);
  }
}

const registries = new WeakMap<Keyspace, WatchRegistry>();

function registryFor(keyspace: Keyspace): WatchRegistry {
  let registry = registries.get(keyspace);
  if (registry === undefined) {
    registry = new WatchRegistry(keyspace);
    registries.set(keyspace, registry);
  }
  return registry;
}

function watchId(db: number, key: Buffer): string {
  return `${db}:${key.toString('hex')}`;
}

// ---- hooks for dispatch ---------------------------------------------------------------------

export function isQueuing(client: ClientState): boolean {
  return client.multi !== undefined;
}

export function flagTransaction(client: ClientState): void {
  if (client.multi !== undefined) client.multi.aborted = true;
}

export function queueCommand(ctx: CommandContext, entry: CommandEntry, args: Buffer[]): void {
  const multi = ctx.client.multi;
  if (multi === undefined) throw new CommandError(TRANSACTION_ERRORS.execWithoutMulti); // a dispatch bug
  if (entry.spec.flags.includes('no_multi') || (entry.container?.spec.flags.includes('no_multi') ?? false)) {
    multi.aborted = true;
    ctx.out.error(TRANSACTION_ERRORS.notAllowed);
    return;
  }
  // Redis stops storing commands once the transaction is doomed (queueMultiCommand) but still says QUEUED
  if (!multi.aborted) multi.queued.push({ entryIndex: entry.index, isWrite: entry.isWrite, args: args.map((arg) => Buffer.from(arg)) }); // outlive the read buffer
  ctx.out.simple('QUEUED');
}

export function execAbortText(message: string): string {
  return `EXECABORT Transaction discarded because of: ${message.startsWith('ERR ') ? message.slice(4) : message}`;
}

/** Drops the MULTI queue and every watched key (Redis discardTransaction). */
export function discardTransaction(client: ClientState, keyspace?: Keyspace): void {
  client.multi = undefined;
  client.watchDirty = false;
  const registry = keyspace === undefined ? undefined : registries.get(keyspace);
  if (registry !== undefined) registry.unwatchAll(client);
  else client.watchedKeys = undefined;
}

export function forgetClient(client: ClientState, keyspace: Keyspace): void {
  discardTransaction(client, keyspace);
}

/** WATCH key...: db is the client's. */
export function watchKeys(client: ClientState, keyspace: Keyspace, keys: readonly Buffer[]): void {
  const registry = registryFor(keyspace);
  for (const key of keys) registry.watch(client, client.db, key);
}

/** UNWATCH: forgets every watched key and the dirty flag. */
export function unwatchAll(client: ClientState, keyspace: Keyspace): void {
  const registry = registries.get(keyspace);
  if (registry !== undefined) registry.unwatchAll(client);
  else client.watchedKeys = undefined;
  client.watchDirty = false;
}

/** EXEC's check: a watched key changed, or one live at WATCH time has expired since. */
export function watchFailed(client: ClientState, keyspace: Keyspace, nowMs: number): boolean {
  return client.watchDirty || (registries.get(keyspace)?.expiredSinceWatch(client, nowMs) ?? false);
}
