// src/commands/transactions.ts: MULTI, EXEC, DISCARD, WATCH, UNWATCH (Redis src/multi.c, 7.x
// texts), over the MULTI / WATCH core in src/dispatch/transactions.ts.
// Invariants:
// - EXEC runs the queued commands through dispatch's runHandler, which commits nothing: dispatch
//   commits once after EXEC, so one EXEC is one WAL batch.
import { commandAt, type CommandContext, type CommandSpec } from '../dispatch/command-table.js';
import { runHandler } from '../dispatch/dispatch.js';
import { CommandError } from '../dispatch/errors.js';
import { TRANSACTION_ERRORS, discardTransaction, unwatchAll, watchFailed, watchKeys } from '../dispatch/transactions.js';

function multi(ctx: CommandContext): void {
  if (ctx.client.multi !== undefined) throw new CommandError(TRANSACTION_ERRORS.nested);
  ctx.client.multi = { queued: [], aborted: false };
  ctx.out.simple('OK');
}

function discard(ctx: CommandContext): void {
  if (ctx.client.multi === undefined) throw new CommandError(TRANSACTION_ERRORS.discardWithoutMulti);
  discardTransaction(ctx.client, ctx.server.keyspace);
  ctx.out.simple('OK');
}

function exec(ctx: CommandContext): void {
  const { client, server } = ctx;
  const queue = client.multi;
  if (queue === undefined) throw new CommandError(TRANSACTION_ERRORS.execWithoutMulti);
  const failed = watchFailed(client, server.keyspace, Date.now());
  discardTransaction(client, server.keyspace); // queued commands run outside MULTI, watching nothing
  if (queue.aborted) throw new CommandError(TRANSACTION_ERRORS.execAbort);
  if (failed) {
    ctx.out.nullArray();
    return;
  }
  ctx.out.arrayHeader(queue.queued.length);
  client.inExec = true;
  try {
    for (const queued of queue.queued) runHandler(ctx, commandAt(queued.entryIndex), queued.args);
  } finally {
    client.inExec = false;
  }
}

function watch(ctx: CommandContext, args: Buffer[]): void {
  const { client, server } = ctx;
  if (client.multi !== undefined) throw new CommandError(TRANSACTION_ERRORS.watchInsideMulti);
  watchKeys(client, server.keyspace, args.slice(1));
  ctx.out.simple('OK');
}

function unwatch(ctx: CommandContext): void {
  unwatchAll(ctx.client, ctx.server.keyspace);
  ctx.out.simple('OK');
}

const base = { firstKey: 0, lastKey: 0, keyStep: 0, group: 'transactions' } as const;

export const transactionCommands: CommandSpec[] = [
  { ...base, name: 'multi', arity: 1, flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    summary: 'Starts a transaction.', since: '1.2.0', handler: multi },
  { ...base, name: 'exec', arity: 1, flags: ['noscript', 'loading', 'stale', 'skip_slowlog'],
    summary: 'Executes all commands in a transaction.', since: '1.2.0', handler: exec },
  { ...base, name: 'discard', arity: 1, flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    summary: 'Discards a transaction.', since: '2.0.0', handler: discard },
  { ...base, name: 'watch', arity: -2, flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    firstKey: 1, lastKey: -1, keyStep: 1,
    summary: 'Monitors changes to keys to determine the execution of a transaction.', since: '2.2.0', handler: watch },
  { ...base, name: 'unwatch', arity: 1, flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    summary: 'Forgets about watched keys of a transaction.', since: '2.2.0', handler: unwatch },
];
