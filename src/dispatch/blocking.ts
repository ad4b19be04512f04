// src/dispatch/blocking.ts: clients blocked by BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP (and the
// sorted-set pops BZPOPMIN, BZPOPMAX, BZMPOP): Redis's src/blocked.c and src/timeout.c, generic
// over the key type a command waits for.
//
//   mayBlock(ctx)                  false inside EXEC (Redis's CLIENT_DENY_BLOCKING): the handler
//                                  then answers at once as on a timeout, whatever the timeout.
//   blockClient(ctx, args, wait)   a blocking command's handler (args: its request, run again when served) found nothing to take: the client
//                                  now waits on wait.keys (of its db) for a key holding wait.type,
//                                  until wait.deadlineMs (0 = forever); the handler writes no reply.
//   serveReadyKeys(server, serving)  dispatch.ts, after a command (or a whole EXEC) was committed:
//                                  serves the waiters of the keys the writes made ready.
//   unblockClient(server, id, how)   CLIENT UNBLOCK: the null reply ('timeout') or an UNBLOCKED error.
//   forgetBlockedClient(server, client)  a disconnect or CLIENT KILL: the waiter goes, no reply.
//   redirectBlockedClients(server, refusal)  cluster mode, after a topology change: waiters whose
//                                  keys refusal refuses get that error (MOVED ...) as their reply.
//   blockingCounts(server)         INFO clients: blocked_clients, clients_in_timeout_table, total_blocking_keys.
//
// Design:
// - Waiters: per (db, key) a FIFO (a Set, which keeps insertion order) of the clients waiting on
//   that key; each blocked client is in the FIFO of every key it named (once per key).
// - Ready keys: keyspace.onKeyModified (chained, as the WATCH registry chains it) notes each written
//   key that has waiters; onDbFlushed notes every waited key of the db (FLUSHDB, and SWAPDB, which
//   brings in the other db's keys). Redis's signalKeyAsReady notes only keys a write created; noting
//   every write is a superset, which is harmless because serving looks at the key again.
// - Serving (Redis 7.2's handleClientsBlockedOnKey): after the writing command's commit has gone
//   to the engine, each ready key's waiters are taken in FIFO order while the key holds their type
//   (a key that became a string or a set keeps them blocked); each one's command is run again in
//   its own context (Redis 7.2 reprocesses the command too), which takes what it waited for. A
//   waiter's writes are a commit of their own, behind the push's in the WAL, and its reply waits
//   for that commit (connection.runUnblocked). So no reply shows a pop before the push it took is
//   durable, and a pop is durable before its reply leaves. A waiter served this way can make
//   another key ready (BLMOVE's push): the loop goes on until no key is ready.
// - A key pushed and deleted in one EXEC, or pushed and emptied by the same command, wakes nobody:
//   serving looks at the key as it is after the commit.
// - Timeouts: a timer per waiter (re-armed past Node's 2^31-1 ms); a timed-out waiter gets the
//   null array, as Redis's replyToBlockedClientTimedOut answers every list and zset wait.
// Invariants:
// - client.blocked is set exactly while the client is in the FIFO of each of its keys; a blocked
//   client runs no command (the connection holds its input until runUnblocked).
// - Every way out (served, timeout, CLIENT UNBLOCK, disconnect) releases the waiter once: it leaves
//   every FIFO, its timer is cleared, client.blocked is cleared.
// Bounds: limits.blockedClientsMax clients blocked at once, limits.waitersPerKeyMax on one key;
// past either the command answers an error instead of blocking.
import assert from 'node:assert/strict';
import { limits } from '../ops/config.js';
import type { Keyspace, KeyRecord } from '../keyspace/keyspace.js';
import type { BlockedWait, ClientState } from './client-state.js';
import { resolveEntry, type CommandContext, type CommandEntry } from './command-table.js';
import { CommandError } from './errors.js';
import type { ServerState } from './server-state.js';

export const BLOCKING_ERRORS = {
  unblocked: 'UNBLOCKED client unblocked via CLIENT UNBLOCK',
  unblockReason: 'ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR',
  tooManyBlocked: `ERR too many blocked clients (max ${limits.blockedClientsMax})`,
  tooManyWaiters: `ERR too many clients blocked on one key (max ${limits.waitersPerKeyMax})`,
} as const;

/** Node's setTimeout takes at most this delay; longer waits re-arm. */
const TIMER_DELAY_MS_MAX = 2 ** 31 - 1;

/** What a blocking command waits for. */
export interface WaitRequest {
  keys: readonly Buffer[]; // in the client's db; repeated keys count once
  type: number; // KEY_TYPE the key must hold to serve this client
  deadlineMs: number; // absolute (Date.now), 0 = forever
}

export interface Waiter extends BlockedWait {
  readonly context: CommandContext;
  readonly entry: CommandEntry;
  readonly args: Buffer[]; // copied: they outlive the request's read buffer
  readonly db: number;
  readonly type: number;
  readonly ids: string[]; // the FIFOs it is in
  readonly keys: Buffer[];
  readonly deadlineMs: number;
  timer: NodeJS.Timeout | undefined;
  rerunning: boolean; // its command is being run again (serving)
  reblocked: boolean; // ... and asked to block again: it stays where it is
}

function waitId(db: number, key: Buffer): string {
  return `${db}:${key.toString('latin1')}`;
}

/** The clients waiting on one key, first blocked first. */
interface KeyWaiters {
  db: number;
  key: Buffer;
  waiters: Set<Waiter>;
}

class BlockingRegistry {
  readonly fifos = new Map<string, KeyWaiters>();
  readonly ready = new Map<string, KeyWaiters>(); // in the order the keys became ready
  blockedCount = 0;
  timedCount = 0;
  private serving = false;

  constructor(keyspace: Keyspace) {
    const previousModified = keyspace.onKeyModified;
    keyspace.onKeyModified = (db, key) => {
      previousModified?.(db, key);
      if (this.fifos.size === 0) return;
      const id = waitId(db, key);
      const fifo = this.fifos.get(id);
      if (fifo !== undefined && !this.ready.has(id)) this.ready.set(id, fifo);
    };
    const previousFlushed = keyspace.onDbFlushed;
    keyspace.onDbFlushed = (db) => {
      previousFlushed?.(db);
      for (const [id, fifo] of this.fifos) if ((db === 'all' || fifo.db === db) && !this.ready.has(id)) this.ready.set(id, fifo);
    };
  }

  add(waiter: Waiter): void {
    waiter.ids.forEach((id, index) => {
      let fifo = this.fifos.get(id);
      if (fifo === undefined) {
        fifo = { db: waiter.db, key: waiter.keys[index] as Buffer, waiters: new Set() };
        this.fifos.set(id, fifo);
      }
      fifo.waiters.add(waiter);
    });
    this.blockedCount++;
    if (waiter.deadlineMs !== 0) {
      this.timedCount++;
      this.arm(waiter);
    }
    waiter.context.client.blocked = waiter;
  }

  /** Takes the waiter out of every FIFO and the timer table; the client is no longer blocked. */
  release(waiter: Waiter): void {
    if (waiter.context.client.blocked !== waiter) return;
    waiter.context.client.blocked = undefined;
    for (const id of waiter.ids) {
      const fifo = this.fifos.get(id);
      if (fifo === undefined) continue;
      fifo.waiters.delete(waiter);
      if (fifo.waiters.size === 0) {
        this.fifos.delete(id);
        this.ready.delete(id);
      }
    }
    this.blockedCount--;
    if (waiter.deadlineMs !== 0) this.timedCount--;
    if (waiter.timer !== undefined) clearTimeout(waiter.timer);
    waiter.timer = undefined;
  }

  private arm(waiter: Waiter): void {
    const delayMs = Math.min(TIMER_DELAY_MS_MAX, Math.max(0, waiter.deadlineMs - Date.now()));
    waiter.timer = setTimeout(() => {
      waiter.timer = undefined;
      if (waiter.context.client.blocked !== waiter) return;
      if (Date.now() < waiter.deadlineMs) this.arm(waiter);
      else this.finish(waiter, (ctx) => ctx.out.nullArray());
    }, delayMs);
    waiter.timer.unref();
  }

  /** Ends a wait without running the command again: the reply `answer` writes goes out as its reply. */
  finish(waiter: Waiter, answer: (ctx: CommandContext) => void): void {
    const ctx = waiter.context;
    ctx.client.connection.runUnblocked(() => {
      this.release(waiter);
      answer(ctx);
      const pending = ctx.server.pendingCommit();
      return pending === undefined ? undefined : pending.then(() => undefined);
    });
  }

  /** The serving loop (see the header); lookup reads a key (committing what a lazy expiry staged). */
  serve(lookup: (db: number, key: Buffer) => KeyRecord | undefined, rerun: (waiter: Waiter) => void): void {
    if (this.serving) return; // a waiter's own writes: the running loop sees the keys they made ready
    this.serving = true;
    try {
      for (let next = this.ready.entries().next(); !next.done; next = this.ready.entries().next()) {
        const [id, fifo] = next.value;
        this.ready.delete(id);
        if (this.fifos.get(id) !== fifo) continue; // its waiters left
        for (const waiter of [...fifo.waiters]) {
          if (waiter.context.client.blocked !== waiter) continue; // served through another key meanwhile
          const record = lookup(fifo.db, fifo.key);
          if (record === undefined) break;
          if (record.type === waiter.type) rerun(waiter);
        }
      }
    } finally {
      this.serving = false;
    }
  }
}

const registries = new WeakMap<ServerState, BlockingRegistry>();

function registryFor(server: ServerState): BlockingRegistry {
  let registry = registries.get(server);
  if (registry === undefined) {
    registry = new BlockingRegistry(server.keyspace);
    registries.set(server, registry);
  }
  return registry;
}

/** Whether a command may block now (not while EXEC runs queued commands). */
export function mayBlock(ctx: CommandContext): boolean {
  return !ctx.client.inExec;
}

/** Blocks the client (see the header); throws the bound's error, blocking nothing, past a bound. */
export function blockClient(ctx: CommandContext, args: readonly Buffer[], request: WaitRequest): void {
  const { client, server } = ctx;
  const entry = resolveEntry(args);
  assert.ok(entry !== undefined, 'a blocking command that is not in the table');
  const current = client.blocked as Waiter | undefined;
  if (current !== undefined) {
    // run again while serving and still nothing to take: it keeps its place in every FIFO
    assert.ok(current.rerunning, 'a blocked client ran a command');
    current.reblocked = true;
    return;
  }
  const registry = registryFor(server);
  if (registry.blockedCount >= limits.blockedClientsMax) throw new CommandError(BLOCKING_ERRORS.tooManyBlocked);
  const ids: string[] = [];
  const keys: Buffer[] = [];
  for (const key of request.keys) {
    const id = waitId(client.db, key);
    if (ids.includes(id)) continue;
    if ((registry.fifos.get(id)?.waiters.size ?? 0) >= limits.waitersPerKeyMax) throw new CommandError(BLOCKING_ERRORS.tooManyWaiters);
    ids.push(id);
    keys.push(Buffer.from(key));
  }
  registry.add({
    context: ctx, entry, args: args.map((arg) => Buffer.from(arg)), db: client.db, type: request.type, ids, keys,
    deadlineMs: request.deadlineMs, timer: undefined, rerunning: false, reblocked: false, keyCount: ids.length,
  });
}

/**
 * Runs a waiter's command again (run writes its reply, or asks to block again); releases the
 * waiter unless it blocked again. Returns whether it is still blocked.
 */
export function rerunWaiter(server: ServerState, waiter: Waiter, run: () => void): boolean {
  waiter.rerunning = true;
  waiter.reblocked = false;
  try {
    run();
  } finally {
    waiter.rerunning = false;
  }
  if (waiter.reblocked) return true;
  registryFor(server).release(waiter);
  return false;
}

/** Whether a write made some waited-on key ready (serveReadyKeys would serve someone). */
export function hasReadyKeys(server: ServerState): boolean {
  return (registries.get(server)?.ready.size ?? 0) > 0;
}

/** dispatch.ts, after each command's commit: serves the waiters of the keys now ready. */
export function serveReadyKeys(server: ServerState, lookup: (db: number, key: Buffer) => KeyRecord | undefined, rerun: (waiter: Waiter) => void): void {
  const registry = registries.get(server);
  if (registry === undefined || registry.ready.size === 0) return;
  registry.serve(lookup, rerun);
}

/** CLIENT UNBLOCK: whether the client was blocked (it then gets the null reply, or the UNBLOCKED error). */
export function unblockClient(server: ServerState, client: ClientState, how: 'timeout' | 'error'): boolean {
  const waiter = client.blocked as Waiter | undefined;
  if (waiter === undefined || waiter.rerunning) return false;
  registryFor(server).finish(waiter, (ctx) => {
    if (how === 'timeout') {
      ctx.out.nullArray();
      return;
    }
    ctx.server.stats.errorReplies++;
    ctx.server.metrics.recordErrorReply(BLOCKING_ERRORS.unblocked);
    ctx.out.error(BLOCKING_ERRORS.unblocked);
  });
  return true;
}

/**
 * Cluster mode (Redis's clusterRedirectBlockedClientIfNeeded): each blocked client for whose keys
 * refusal gives an error gets it as its reply and is unblocked. Returns how many were.
 */
export function redirectBlockedClients(server: ServerState, refusal: (keys: readonly Buffer[]) => string | undefined): number {
  const registry = registries.get(server);
  if (registry === undefined || registry.blockedCount === 0) return 0;
  const waiters = new Set<Waiter>();
  for (const fifo of registry.fifos.values()) for (const waiter of fifo.waiters) waiters.add(waiter);
  let redirected = 0;
  for (const waiter of waiters) {
    if (waiter.rerunning || waiter.context.client.blocked !== waiter) continue;
    const error = refusal(waiter.keys);
    if (error === undefined) continue;
    redirected++;
    registry.finish(waiter, (ctx) => {
      ctx.server.stats.errorReplies++;
      ctx.server.metrics.recordErrorReply(error);
      ctx.out.error(error);
    });
  }
  return redirected;
}

/** A disconnect: the waiter goes without a reply. */
export function forgetBlockedClient(server: ServerState, client: ClientState): void {
  const waiter = client.blocked as Waiter | undefined;
  if (waiter !== undefined) registries.get(server)?.release(waiter);
}

export function blockingCounts(server: ServerState): { blockedClients: number; timedClients: number; blockingKeys: number } {
  const registry = registries.get(server);
  return { blockedClients: registry?.blockedCount ?? 0, timedClients: registry?.timedCount ?? 0, blockingKeys: registry?.fifos.size ?? 0 };
}
