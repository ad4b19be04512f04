// src/commands/strings.ts: the string family's GET/SET side (Redis 7.0 src/t_string.c): GET, SET
// [NX|XX] [GET] [EX|PX|EXAT|PXAT|KEEPTTL], SETNX, SETEX, PSETEX, GETSET, GETDEL, GETEX, MGET, MSET,
// MSETNX; the rest of the family is in string-edits.ts and lcs.ts, gathered in stringCommands.
// Invariants:
// - Option parsing, expiry validation, then the GET part, then NX/XX, then the write: the same
//   order as Redis, so the same error wins when several apply.
// - SET without KEEPTTL or an expiry removes the key's TTL; values are stored as given (binary).
// - Keyspace events as Redis's: set (and expire when SET gives one), del, expire, persist.
import { isWord, parseSetExpire, type TimeUnit } from './arguments.js';
import { CommandError, ERRORS, wrongArity } from '../dispatch/errors.js';
import type { CommandContext, CommandSpec } from '../dispatch/command-table.js';
import { KEY_TYPE, stringPayloadOffset, typeOfValue } from '../keyspace/keyspace.js';
import { REPLY } from '../../protocol/index.js';
import { defineSpec, putString, readString, readStringStored, writeKey } from './key-access.js';
import { EVENT, notify } from '../dispatch/notify.js';
import { lcsCommands } from './lcs.js';
import { stringEditCommands } from './string-edits.js';

interface ExtendedOptions {
  nx: boolean;
  xx: boolean;
  get: boolean;
  keepTtl: boolean;
  persist: boolean;
  expire: { arg: Buffer; unit: TimeUnit; absolute: boolean } | undefined;
}

const EXPIRE_WORDS: ReadonlyArray<[string, TimeUnit, boolean]> = [
  ['ex', 'seconds', false], ['px', 'milliseconds', false], ['exat', 'seconds', true], ['pxat', 'milliseconds', true],
];

/** parseExtendedStringArgumentsOrReply: SET options from args[3], GETEX options from args[2]. */
function parseExtendedOptions(args: Buffer[], forSet: boolean): ExtendedOptions {
  const options: ExtendedOptions = { nx: false, xx: false, get: false, keepTtl: false, persist: false, expire: undefined };
  let expireWord: string | undefined;
  for (let index = forSet ? 3 : 2; index < args.length; index++) {
    const arg = args[index] as Buffer;
    const next = args[index + 1];
    const timed = EXPIRE_WORDS.find(([word]) => isWord(arg, word));
    if (forSet && isWord(arg, 'nx') && !options.xx) options.nx = true;
    else if (forSet && isWord(arg, 'xx') && !options.nx) options.xx = true;
    else if (forSet && isWord(arg, 'get')) options.get = true;
    else if (forSet && isWord(arg, 'keepttl') && expireWord === undefined) options.keepTtl = true;
    else if (!forSet && isWord(arg, 'persist') && expireWord === undefined) options.persist = true;
    else if (timed !== undefined && next !== undefined && !options.keepTtl && !options.persist && (expireWord === undefined || expireWord === timed[0])) {
      expireWord = timed[0];
      options.expire = { arg: next, unit: timed[1], absolute: timed[2] };
      index++;
    } else {
      throw new CommandError(ERRORS.syntax);
    }
  }
  return options;
}

function expireOf(ctx: CommandContext, options: ExtendedOptions, command: string): number | undefined {
  const { expire } = options;
  if (expire === undefined) return undefined;
  return parseSetExpire(expire.arg, expire.unit, expire.absolute, ctx.server.keyspace.now(), command);
}

function replyString(ctx: CommandContext, payload: Buffer | undefined): void {
  if (payload === undefined) ctx.out.nullBulk();
  else ctx.out.bulk(payload);
}

/** GET's reply straight from the string's metadata value: no record, no payload view. */
function replyStoredString(ctx: CommandContext, stored: Buffer | undefined): void {
  if (stored === undefined) return ctx.out.nullBulk();
  const offset = stringPayloadOffset(stored);
  ctx.out.bulkSlice(stored, offset, stored.length - offset);
}

/** setGenericCommand. okReply / abortReply undefined mean +OK and a null bulk. */
function setGeneric(
  ctx: CommandContext, options: ExtendedOptions, key: Buffer, value: Buffer, expireAtMs: number | undefined,
  replies: { ok?: Buffer; abort?: Buffer } = NO_REPLIES,
): void {
  if (options.get) replyString(ctx, readString(ctx, key)?.payload);
  // Only NX, XX and KEEPTTL need the record SET replaces; without them keyspace.set() reads its
  // header itself and, for an expired one, counts and tells its expiry as lookupKeyWrite would
  const found = options.nx || options.xx || options.keepTtl ? writeKey(ctx, key) : undefined;
  if ((options.nx && found !== undefined) || (options.xx && found === undefined)) {
    if (!options.get) {
      if (replies.abort === undefined) ctx.out.nullBulk();
      else ctx.out.raw(replies.abort);
    }
    return;
  }
  putString(ctx, key, value, expireAtMs ?? (options.keepTtl ? (found?.expireAtMs ?? 0) : 0));
  notify(ctx, EVENT.string, 'set', key);
  if (expireAtMs !== undefined) notify(ctx, EVENT.generic, 'expire', key);
  if (!options.get) ctx.out.raw(replies.ok ?? REPLY.ok);
}

const NO_OPTIONS: ExtendedOptions = { nx: false, xx: false, get: false, keepTtl: false, persist: false, expire: undefined };
const NO_REPLIES: { ok?: Buffer; abort?: Buffer } = {};

function set(ctx: CommandContext, args: Buffer[]): void {
  if (args.length === 3) return setGeneric(ctx, NO_OPTIONS, args[1] as Buffer, args[2] as Buffer, undefined);
  const options = parseExtendedOptions(args, true);
  const expireAtMs = expireOf(ctx, options, 'set');
  setGeneric(ctx, options, args[1] as Buffer, args[2] as Buffer, expireAtMs);
}

function setWithExpire(unit: TimeUnit, command: string) {
  return (ctx: CommandContext, args: Buffer[]): void => {
    const expireAtMs = parseSetExpire(args[2] as Buffer, unit, false, ctx.server.keyspace.now(), command);
    setGeneric(ctx, NO_OPTIONS, args[1] as Buffer, args[3] as Buffer, expireAtMs);
  };
}

function getex(ctx: CommandContext, args: Buffer[]): void {
  const options = parseExtendedOptions(args, false);
  const key = args[1] as Buffer;
  const record = readString(ctx, key);
  if (record === undefined) return ctx.out.nullBulk();
  const expireAtMs = expireOf(ctx, options, 'getex');
  ctx.out.bulk(record.payload);
  const { keyspace } = ctx.server;
  if (expireAtMs !== undefined && options.expire?.absolute === true && expireAtMs <= keyspace.now()) {
    keyspace.delete(ctx.client.db, key);
    notify(ctx, EVENT.generic, 'del', key);
  } else if (expireAtMs !== undefined) {
    putString(ctx, key, record.payload, expireAtMs);
    notify(ctx, EVENT.generic, 'expire', key);
  } else if (options.persist && record.expireAtMs !== 0) {
    putString(ctx, key, record.payload, 0);
    notify(ctx, EVENT.generic, 'persist', key);
  }
}

function getdel(ctx: CommandContext, args: Buffer[]): void {
  const key = args[1] as Buffer;
  const record = readString(ctx, key);
  if (record === undefined) return ctx.out.nullBulk();
  ctx.out.bulk(record.payload);
  ctx.server.keyspace.delete(ctx.client.db, key);
  notify(ctx, EVENT.generic, 'del', key);
}

function mget(ctx: CommandContext, args: Buffer[]): void {
  ctx.out.arrayHeader(args.length - 1);
  for (let index = 1; index < args.length; index++) {
    const stored = ctx.server.keyspace.getStored(ctx.client.db, args[index] as Buffer);
    if (stored === undefined) ctx.server.stats.keyspaceMisses++;
    else ctx.server.stats.keyspaceHits++;
    replyStoredString(ctx, stored !== undefined && typeOfValue(stored) === KEY_TYPE.string ? stored : undefined);
  }
}

function msetGeneric(ctx: CommandContext, args: Buffer[], nx: boolean): void {
  if (args.length % 2 === 0) throw new CommandError(wrongArity(nx ? 'msetnx' : 'mset'));
  if (nx) {
    for (let index = 1; index < args.length; index += 2) {
      if (writeKey(ctx, args[index] as Buffer) !== undefined) return ctx.out.raw(REPLY.zero);
    }
  }
  for (let index = 1; index < args.length; index += 2) {
    putString(ctx, args[index] as Buffer, args[index + 1] as Buffer, 0);
    notify(ctx, EVENT.string, 'set', args[index] as Buffer);
  }
  ctx.out.raw(nx ? REPLY.one : REPLY.ok);
}

const spec = defineSpec.bind(undefined, 'string');
const ONE_KEY = [1, 1, 1] as const;

export const stringCommands: CommandSpec[] = [
  spec({
    name: 'get', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY, summary: 'Returns the string value of a key.', since: '1.0.0',
    handler: (ctx, args) => replyStoredString(ctx, readStringStored(ctx, args[1] as Buffer)),
  }),
  spec({ name: 'set', arity: -3, flags: ['write', 'denyoom'], keys: ONE_KEY, summary: 'Sets the string value of a key, ignoring its type. The key is created if it doesn\'t exist.', since: '1.0.0', handler: set }),
  spec({
    name: 'setnx', arity: 3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, summary: 'Set the string value of a key only when the key doesn\'t exist.', since: '1.0.0',
    handler: (ctx, args) => setGeneric(ctx, { ...NO_OPTIONS, nx: true }, args[1] as Buffer, args[2] as Buffer, undefined, { ok: REPLY.one, abort: REPLY.zero }),
  }),
  spec({ name: 'setex', arity: 4, flags: ['write', 'denyoom'], keys: ONE_KEY, summary: 'Sets the string value and expiration time of a key. Creates the key if it doesn\'t exist.', since: '2.0.0', handler: setWithExpire('seconds', 'setex') }),
  spec({ name: 'psetex', arity: 4, flags: ['write', 'denyoom'], keys: ONE_KEY, summary: 'Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn\'t exist.', since: '2.6.0', handler: setWithExpire('milliseconds', 'psetex') }),
  spec({
    name: 'getset', arity: 3, flags: ['write', 'denyoom', 'fast'], keys: ONE_KEY, summary: 'Returns the previous string value of a key after setting it to a new value.', since: '1.0.0',
    handler: (ctx, args) => setGeneric(ctx, { ...NO_OPTIONS, get: true }, args[1] as Buffer, args[2] as Buffer, undefined),
  }),
  spec({ name: 'getdel', arity: 2, flags: ['write', 'fast'], keys: ONE_KEY, summary: 'Returns the string value of a key after deleting the key.', since: '6.2.0', handler: getdel }),
  spec({ name: 'getex', arity: -2, flags: ['write', 'fast'], keys: ONE_KEY, summary: 'Returns the string value of a key after setting its expiration time.', since: '6.2.0', handler: getex }),
  spec({ name: 'mget', arity: -2, flags: ['readonly', 'fast'], keys: [1, -1, 1], summary: 'Atomically returns the string values of one or more keys.', since: '1.0.0', handler: mget }),
  spec({ name: 'mset', arity: -3, flags: ['write', 'denyoom'], keys: [1, -1, 2], summary: 'Atomically creates or modifies the string values of one or more keys.', since: '1.0.1', handler: (ctx, args) => msetGeneric(ctx, args, false) }),
  spec({ name: 'msetnx', arity: -3, flags: ['write', 'denyoom'], keys: [1, -1, 2], summary: 'Atomically modifies the string values of one or more keys only when all keys don\'t exist.', since: '1.0.1', handler: (ctx, args) => msetGeneric(ctx, args, true) }),
  ...stringEditCommands,
  ...lcsCommands,
];
