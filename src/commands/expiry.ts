// src/commands/expiry.ts: the expiry family (Redis 7.0 src/expire.c): EXPIRE, PEXPIRE, EXPIREAT,
// PEXPIREAT with NX | XX | GT | LT, TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST.
// Invariants:
// - An expiry is an absolute time in ms stored with the key (the engine entry's expireAtMs), so
//   it is the same after a restart; a time at or before now deletes the key at once.
// - No TTL counts as infinite: GT never beats it, LT always does (Redis 7 semantics).
// - Keyspace events as Redis's: expire, or del for a time already past; persist.
import { parseExpireWhen, type TimeUnit } from './arguments.js';
import { CommandError } from '../dispatch/errors.js';
import type { CommandContext, CommandSpec } from '../dispatch/command-table.js';
import { REPLY } from '../../protocol/index.js';
import { defineSpec, readKey, writeKey } from './key-access.js';
import { EVENT, notify } from '../dispatch/notify.js';

interface ExpireFlags {
  nx: boolean;
  xx: boolean;
  gt: boolean;
  lt: boolean;
}

/** parseExtendedExpireArgumentsOrReply. */
function parseExpireFlags(args: Buffer[]): ExpireFlags {
  const flags: ExpireFlags = { nx: false, xx: false, gt: false, lt: false };
  for (let index = 3; index < args.length; index++) {
    const option = (args[index] as Buffer).toString('latin1');
    const word = option.toLowerCase();
    if (word === 'nx' || word === 'xx' || word === 'gt' || word === 'lt') flags[word] = true;
    else throw new CommandError(`ERR Unsupported option ${option}`);
  }
  if (flags.nx && (flags.xx || flags.gt || flags.lt)) throw new CommandError('ERR NX and XX, GT or LT options at the same time are not compatible');
  if (flags.gt && flags.lt) throw new CommandError('ERR GT and LT options at the same time are not compatible');
  return flags;
}

/** expireGenericCommand: basetime is now for EXPIRE / PEXPIRE, 0 for the *AT forms. */
function expireGeneric(relative: boolean, unit: TimeUnit, command: string) {
  return (ctx: CommandContext, args: Buffer[]): void => {
    const flags = parseExpireFlags(args);
    const { keyspace } = ctx.server;
    const now = keyspace.now();
    const when = parseExpireWhen(args[2] as Buffer, unit, relative ? now : 0, command);
    const key = args[1] as Buffer;
    const record = writeKey(ctx, key);
    if (record === undefined) return ctx.out.raw(REPLY.zero);
    const current = record.expireAtMs === 0 ? -1 : record.expireAtMs;
    const refused =
      (flags.nx && current !== -1) ||
      (flags.xx && current === -1) ||
      (flags.gt && (current === -1 || when <= current)) ||
      (flags.lt && current !== -1 && when >= current);
    if (refused) return ctx.out.raw(REPLY.zero);
    if (when <= now) {
      keyspace.delete(ctx.client.db, key);
      notify(ctx, EVENT.generic, 'del', key);
    } else {
      keyspace.set(ctx.client.db, key, { ...record, expireAtMs: when });
      notify(ctx, EVENT.generic, 'expire', key);
    }
    ctx.out.raw(REPLY.one);
  };
}

/** ttlGenericCommand: -2 no key, -1 no expiry, else the remaining (or absolute) time. */
function ttlGeneric(milliseconds: boolean, absolute: boolean) {
  return (ctx: CommandContext, args: Buffer[]): void => {
    const record = readKey(ctx, args[1] as Buffer);
    if (record === undefined) return ctx.out.integer(-2);
    if (record.expireAtMs === 0) return ctx.out.integer(-1);
    const ttl = Math.max(0, absolute ? record.expireAtMs : record.expireAtMs - ctx.server.keyspace.now());
    ctx.out.integer(milliseconds ? ttl : Math.floor((ttl + 500) / 1000));
  };
}

function persist(ctx: CommandContext, args: Buffer[]): void {
  const key = args[1] as Buffer;
  const record = writeKey(ctx, key);
  if (record === undefined || record.expireAtMs === 0) return ctx.out.raw(REPLY.zero);
  ctx.server.keyspace.set(ctx.client.db, key, { ...record, expireAtMs: 0 });
  notify(ctx, EVENT.generic, 'persist', key);
  ctx.out.raw(REPLY.one);
}

const spec = defineSpec.bind(undefined, 'generic');
const ONE_KEY = [1, 1, 1] as const;
const WRITE = ['write', 'fast'] as const;
const READ = ['readonly', 'fast'] as const;

export const expiryCommands: CommandSpec[] = [
  spec({ name: 'expire', arity: -3, flags: WRITE, keys: ONE_KEY, summary: 'Sets the expiration time of a key in seconds.', since: '1.0.0', handler: expireGeneric(true, 'seconds', 'expire') }),
  spec({ name: 'pexpire', arity: -3, flags: WRITE, keys: ONE_KEY, summary: 'Sets the expiration time of a key in milliseconds.', since: '2.6.0', handler: expireGeneric(true, 'milliseconds', 'pexpire') }),
  spec({ name: 'expireat', arity: -3, flags: WRITE, keys: ONE_KEY, summary: 'Sets the expiration time of a key to a Unix timestamp.', since: '1.2.0', handler: expireGeneric(false, 'seconds', 'expireat') }),
  spec({ name: 'pexpireat', arity: -3, flags: WRITE, keys: ONE_KEY, summary: 'Sets the expiration time of a key to a Unix milliseconds timestamp.', since: '2.6.0', handler: expireGeneric(false, 'milliseconds', 'pexpireat') }),
  spec({ name: 'ttl', arity: 2, flags: READ, keys: ONE_KEY, summary: 'Returns the expiration time in seconds of a key.', since: '1.0.0', handler: ttlGeneric(false, false) }),
  spec({ name: 'pttl', arity: 2, flags: READ, keys: ONE_KEY, summary: 'Returns the expiration time in milliseconds of a key.', since: '2.6.0', handler: ttlGeneric(true, false) }),
  spec({ name: 'expiretime', arity: 2, flags: READ, keys: ONE_KEY, summary: 'Returns the expiration time of a key as a Unix timestamp.', since: '7.0.0', handler: ttlGeneric(false, true) }),
  spec({ name: 'pexpiretime', arity: 2, flags: READ, keys: ONE_KEY, summary: 'Returns the expiration time of a key as a Unix milliseconds timestamp.', since: '7.0.0', handler: ttlGeneric(true, true) }),
  spec({ name: 'persist', arity: 2, flags: WRITE, keys: ONE_KEY, summary: 'Removes the expiration time of a key.', since: '2.2.0', handler: persist }),
];
