// src/dispatch/dispatch.ts: runs one parsed command for one client, synchronously, and says whether its
// reply must wait for a commit. The only place that turns errors into replies (STYLE.md).
// Order of checks, as Redis's processCommand: unknown command / unknown subcommand, arity,
// authentication, a monitor's keyspace commands, cluster redirection (cluster-gate.ts: MOVED, ASK,
// CROSSSLOT ...), a replica's refusal of writes (READONLY) and of most commands while it installs
// a full copy (LOADING), a RESP2 subscriber's commands other than (P|S)(UN)SUBSCRIBE PING QUIT RESET,
// MULTI queueing, refusal of writes by a failed engine; then the handler, then one
// keyspace.commit() for everything the command staged (one command = one atomic WAL batch). A
// handler may set server.replyWaitsFor (MIGRATE): its reply then also waits for that promise.
// Invariants:
// - Exactly one reply is written to ctx.out per call (an error reply counts).
// - A handler that throws CommandError leaves nothing staged (dispatch discards staged ops). A
//   StorageError a handler meets while reading (a damaged block) fails that command alone, with
//   storageReadError's text (INFO tskv_storage_read_errors); anything else thrown is a bug.
// - Nothing here awaits: the returned promise is the commit the reply must wait for; the
//   connection keeps parsing and executing the next commands meanwhile (group commit).
// - A rejected commit (or an engine that refuses the write synchronously) rejects the returned
//   promise; the connection then replaces this command's reply with the MISCONF error.
// - A blocking command that blocks (blocking.ts) writes no reply; its reply comes when the wait
//   ends. After each command that ran (an EXEC counts once), the clients blocked on keys it made
//   ready are served (serveBlockedClients), each command run again with its own commit.
import { CommandError, ERRORS, misconf, storageReadError, unknownCommand, unknownSubcommand, wrongArity } from './errors.js';
import { StorageError } from '../../storage/index.js';
import { execAbortText, discardTransaction, flagTransaction, queueCommand } from './transactions.js';
import { arityMatches, lookupCommand, lookupSubcommand, type CommandContext, type CommandEntry } from './command-table.js';
import { feedMonitors, MONITOR_ERRORS, refusesKeyspace } from './monitor.js';
import { SUBSCRIBED_MODE_COMMANDS, subscribedModeError } from './pubsub.js';
import { hasReadyKeys, rerunWaiter, serveReadyKeys, type Waiter } from './blocking.js';
import type { ServerState } from './server-state.js';
import { clusterRefusal } from './cluster-gate.js';

/** Commands that run even while a MULTI is open (everything else is queued). */
const MULTI_PASS_THROUGH: ReadonlySet<string> = new Set(['exec', 'discard', 'multi', 'watch', 'reset', 'quit']);

export interface DispatchResult {
  /** The commit (or prior commit) this reply waits for; rejects when the write is not durable. */
  commit: Promise<void> | undefined;
  entry: CommandEntry | undefined;
}

const NO_COMMIT: DispatchResult = { commit: undefined, entry: undefined };

/** Resolves the command (and subcommand) or writes the error reply and returns undefined. */
export function resolveCommand(ctx: CommandContext, args: Buffer[]): CommandEntry | undefined {
  const name = args[0] as Buffer;
  let entry = lookupCommand(name);
  if (entry === undefined) {
    reject(ctx, unknownCommand(args));
    return undefined;
  }
  if (entry.subcommands && args.length >= 2) {
    const sub = lookupSubcommand(entry, args[1] as Buffer);
    if (sub === undefined) {
      reject(ctx, unknownSubcommand(args[1] as Buffer, entry.spec.name));
      return undefined;
    }
    entry = sub;
  }
  if (!arityMatches(entry.spec, args.length)) {
    reject(ctx, wrongArity(entry.fullName), entry);
    return undefined;
  }
  return entry;
}

/** Redis rejectCommand: flags an open MULTI (EXEC will abort); a rejected EXEC aborts at once. */
function reject(ctx: CommandContext, message: string, entry?: CommandEntry): void {
  ctx.server.stats.errorReplies++;
  ctx.server.metrics.recordErrorReply(message);
  if (entry !== undefined) ctx.server.metrics.recordOf(entry).rejectedCalls++;
  flagTransaction(ctx.client);
  if (entry !== undefined && entry.spec.name === 'exec' && entry.container === undefined) {
    discardTransaction(ctx.client, ctx.server.keyspace);
    ctx.out.error(execAbortText(message));
    return;
  }
  ctx.out.error(message);
}

/**
 * A cluster redirection or refusal (MOVED, ASK, CROSSSLOT, ...) as Redis's processCommand answers
 * it: a refused EXEC discards the transaction and answers the error itself, anything else flags
 * an open MULTI. The reply waits for a pending commit, as a read's would.
 */
function redirect(ctx: CommandContext, entry: CommandEntry, message: string): DispatchResult {
  const { server, client } = ctx;
  server.stats.errorReplies++;
  server.metrics.recordErrorReply(message);
  server.metrics.recordOf(entry).rejectedCalls++;
  if (entry.spec.name === 'exec' && entry.container === undefined) discardTransaction(client, server.keyspace);
  else flagTransaction(client);
  ctx.out.error(message);
  return { commit: commitStaged(ctx), entry };
}

export function dispatch(ctx: CommandContext, args: Buffer[]): DispatchResult {
  const { server, client } = ctx;
  const entry = resolveCommand(ctx, args);
  if (entry === undefined) return NO_COMMIT;
  const top = entry.container ?? entry;
  if (!client.authenticated && !entry.noAuth && !top.noAuth) {
    reject(ctx, ERRORS.noAuth, entry);
    return { commit: undefined, entry };
  }
  if (refusesKeyspace(client, entry)) {
    reject(ctx, MONITOR_ERRORS.keyspace, entry);
    return { commit: undefined, entry };
  }
  if (server.cluster !== undefined || server.migrationLocks.size > 0) {
    const refusal = clusterRefusal(ctx, entry, args);
    if (refusal !== undefined) return redirect(ctx, entry, refusal);
  }
  if (server.replication !== undefined && (server.loading || server.replication.isReplica())) {
    const writes = entry.isWrite || (top.spec.name === 'exec' && (client.multi?.queued.some((queued) => queued.isWrite) ?? false));
    const refusal = server.replication.refusal(writes, top.spec.flags.includes('loading'));
    if (refusal !== undefined) {
      reject(ctx, refusal, entry);
      return { commit: undefined, entry };
    }
  }
  if (client.subscribed && client.protocol === 2 && (entry.container !== undefined || !SUBSCRIBED_MODE_COMMANDS.has(entry.spec.name))) {
    reject(ctx, subscribedModeError(entry.fullName), entry);
    return { commit: undefined, entry };
  }
  if (client.multi && !MULTI_PASS_THROUGH.has(top.spec.name)) {
    queueCommand(ctx, entry, args);
    return { commit: undefined, entry };
  }
  if (entry.isWrite || top.spec.name === 'exec') {
    const failure = server.engine.failure();
    if (failure && (entry.isWrite || (client.multi?.queued.some((queued) => queued.isWrite) ?? false))) {
      reject(ctx, misconf(failure.message), entry);
      return { commit: undefined, entry };
    }
  }
  const commit = execute(ctx, entry, args);
  serveBlockedClients(server);
  return { commit, entry };
}

/**
 * Serves the clients blocked on keys the last command made ready (blocking.ts): each one's
 * command runs again in its own context, as Redis 7.2 reprocesses it, and commits on its own; the
 * reply waits for that commit. No MONITOR line, slowlog entry or call count: the command was
 * counted when it blocked.
 */
function serveBlockedClients(server: ServerState): void {
  if (!hasReadyKeys(server)) return; // the common case: no closures made per command
  const lookup = (db: number, key: Buffer) => {
    const record = server.keyspace.get(db, key);
    if (server.keyspace.hasStaged()) void commitServerStaged(server)?.catch(() => undefined); // a lazy expiry's delete
    return record;
  };
  serveReadyKeys(server, lookup, (waiter: Waiter) => {
    const ctx = waiter.context;
    ctx.client.connection.runUnblocked(() => {
      const blocked = rerunWaiter(server, waiter, () => {
        try {
          waiter.entry.spec.handler(ctx, waiter.args);
        } catch (error) {
          const text = handlerErrorText(server, error);
          server.stats.errorReplies++;
          server.metrics.recordErrorReply(text);
          ctx.out.error(text);
          if (server.keyspace.hasStaged()) server.keyspace.discardStaged();
        }
      });
      if (blocked) {
        if (server.keyspace.hasStaged()) server.keyspace.discardStaged();
        return undefined;
      }
      return commitStaged(ctx);
    });
  });
}

/**
 * Runs one handler and turns a CommandError into its error reply; does not commit. EXEC runs its
 * queued commands through this and lets dispatch commit them all at once.
 */
export function runHandler(ctx: CommandContext, entry: CommandEntry, args: Buffer[]): boolean {
  const { server, client } = ctx;
  const { metrics } = server;
  const started = metrics.startTimer();
  client.lastCommand = entry.fullName;
  server.stats.commandsProcessed++;
  let ok = true;
  try {
    entry.spec.handler(ctx, args);
  } catch (error) {
    const text = handlerErrorText(server, error);
    server.stats.errorReplies++;
    metrics.recordErrorReply(text);
    ctx.out.error(text);
    ok = false;
  }
  const durationUs = metrics.recordCall(metrics.recordOf(entry), started, !ok);
  if (server.monitors.size > 0) feedMonitors(server, client, entry, args);
  if (durationUs >= 0 && server.slowlog.wants(durationUs) && !(entry.container ?? entry).spec.flags.includes('skip_slowlog')) {
    server.slowlog.maybeRecord(args, durationUs, client);
  }
  return ok;
}

/**
 * The error reply for what a handler threw: a CommandError's text, or for a storage error met
 * while reading (an operating error: a damaged block, a missing file) storageReadError's, counted
 * and logged at most once per STORAGE_ERROR_LOG_INTERVAL_MS. Anything else is a bug: rethrown, so
 * the process dies (STYLE.md).
 */
function handlerErrorText(server: ServerState, error: unknown): string {
  if (error instanceof CommandError) return error.message;
  if (!(error instanceof StorageError)) throw error;
  server.stats.storageReadErrors++;
  const nowMs = Date.now();
  if (nowMs - lastStorageErrorLogMs >= STORAGE_ERROR_LOG_INTERVAL_MS) {
    lastStorageErrorLogMs = nowMs;
    server.logger.error({ error: error.message, code: error.code, total: server.stats.storageReadErrors }, 'a command failed on a storage error');
  }
  return storageReadError(error.message);
}

const STORAGE_ERROR_LOG_INTERVAL_MS = 1_000;
let lastStorageErrorLogMs = 0;

/** Runs the handler and commits what it staged (a failed command's staged ops are dropped). */
export function execute(ctx: CommandContext, entry: CommandEntry, args: Buffer[]): Promise<void> | undefined {
  if (!runHandler(ctx, entry, args) && ctx.server.keyspace.hasStaged()) ctx.server.keyspace.discardStaged();
  const commit = commitStaged(ctx);
  const waits = ctx.server.replyWaitsFor;
  if (waits === undefined) return commit;
  ctx.server.replyWaitsFor = undefined;
  return commit === undefined ? waits : Promise.all([commit, waits]).then(() => undefined);
}

let lastTrackedCommit: Promise<void> | undefined;
// replies of reads made while the same commit is pending wait for one shared promise
let lastPendingCommit: Promise<unknown> | undefined;
let lastPendingWait: Promise<void> | undefined;

/** One engine write for everything staged; the reply waits for it (or for an earlier pending one). */
export function commitStaged(ctx: CommandContext): Promise<void> | undefined {
  return commitServerStaged(ctx.server);
}

function commitServerStaged(server: ServerState): Promise<void> | undefined {
  let commit: Promise<void> | undefined;
  try {
    commit = server.keyspace.commit();
  } catch (error) {
    if (server.keyspace.hasStaged()) server.keyspace.discardStaged();
    server.stats.commitsFailed++;
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
  if (commit !== undefined) {
    // the commits of one event-loop turn share the engine's group promise: track it once
    if (commit !== lastTrackedCommit) {
      lastTrackedCommit = commit;
      server.trackCommit(commit);
    }
    return commit;
  }
  const pending = server.pendingCommit();
  if (pending === undefined) return undefined;
  if (pending !== lastPendingCommit) {
    lastPendingCommit = pending;
    lastPendingWait = pending.then(() => undefined);
  }
  return lastPendingWait;
}

