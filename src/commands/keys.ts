// src/commands/keys.ts: the generic key family (Redis 7.0 src/db.c, src/object.c): DEL, UNLINK,
// EXISTS, TYPE, TOUCH, RENAME, RENAMENX, COPY, MOVE, SWAPDB, KEYS, RANDOMKEY, OBJECT. DBSIZE,
// FLUSHDB and FLUSHALL are in server.ts; SCAN is in scan.ts.
// Invariants:
// - An expired key is absent for all of them (the keyspace hides it), and RENAME / COPY / MOVE
//   carry the key's absolute expiry with it.
// - KEYS writes its reply from the keyspace walk: the matching keys are collected as references
//   (no copy) and then written, header first, as one array.
// - Keyspace events as Redis's: del, rename_from + rename_to, move_from + move_to (each in its
//   db), copy_to (in the target db).
import { isWord, parseInt32 } from './arguments.js';
import { CommandError, ERRORS, unknownSubcommand } from '../dispatch/errors.js';
import type { CommandContext, CommandSpec } from '../dispatch/command-table.js';
import { KEY_TYPE_NAMES } from '../keyspace/keyspace.js';
import { typeModule } from '../types/index.js';
import { REPLY, globMatch, isMatchAllPattern } from '../../protocol/index.js';
import { KEY_ERRORS, checkDatabaseIndex, defineSpec, readKey, writeKey } from './key-access.js';
import { objectSubcommands } from './object.js';
import { EVENT, notify, notifyIn } from '../dispatch/notify.js';

function del(ctx: CommandContext, args: Buffer[]): void {
  let deleted = 0;
  for (let index = 1; index < args.length; index++) {
    if (!ctx.server.keyspace.delete(ctx.client.db, args[index] as Buffer)) continue;
    notify(ctx, EVENT.generic, 'del', args[index] as Buffer);
    deleted++;
  }
  ctx.out.integer(deleted);
}

/** EXISTS and TOUCH: how many of the keys (repeats counted) exist. */
function countExisting(ctx: CommandContext, args: Buffer[]): void {
  let found = 0;
  for (let index = 1; index < args.length; index++) {
    if (readKey(ctx, args[index] as Buffer) !== undefined) found++;
  }
  ctx.out.integer(found);
}

function type(ctx: CommandContext, args: Buffer[]): void {
  const record = readKey(ctx, args[1] as Buffer);
  ctx.out.simple(record === undefined ? 'none' : (KEY_TYPE_NAMES.get(record.type) ?? 'unknown'));
}

function rename(ctx: CommandContext, args: Buffer[], nx: boolean): void {
  const source = args[1] as Buffer;
  const target = args[2] as Buffer;
  const record = writeKey(ctx, source);
  if (record === undefined) throw new CommandError(KEY_ERRORS.noSuchKey);
  if (source.equals(target)) return ctx.out.raw(nx ? REPLY.zero : REPLY.ok);
  if (nx && writeKey(ctx, target) !== undefined) return ctx.out.raw(REPLY.zero);
  ctx.server.keyspace.relocate(ctx.client.db, source, ctx.client.db, target);
  typeModule(record.type).renamed?.(ctx.server.keyspace, ctx.client.db, source, target);
  notify(ctx, EVENT.generic, 'rename_from', source);
  notify(ctx, EVENT.generic, 'rename_to', target);
  ctx.out.raw(nx ? REPLY.one : REPLY.ok);
}

function copy(ctx: CommandContext, args: Buffer[]): void {
  let targetDb = ctx.client.db;
  let replace = false;
  for (let index = 3; index < args.length; index++) {
    const arg = args[index] as Buffer;
    if (isWord(arg, 'replace')) {
      replace = true;
    } else if (isWord(arg, 'db') && index + 1 < args.length) {
      targetDb = parseInt32(args[++index] as Buffer);
      checkDatabaseIndex(ctx, targetDb);
    } else {
      throw new CommandError(ERRORS.syntax);
    }
  }
  if (ctx.server.cluster !== undefined && (ctx.client.db !== 0 || targetDb !== 0)) throw new CommandError('ERR Copying to another database is not allowed in cluster mode');
  const source = args[1] as Buffer;
  const target = args[2] as Buffer;
  if (targetDb === ctx.client.db && source.equals(target)) throw new CommandError(KEY_ERRORS.sameObject);
  const record = readKey(ctx, source);
  if (record === undefined) return ctx.out.raw(REPLY.zero);
  const { keyspace } = ctx.server;
  if (keyspace.get(targetDb, target) !== undefined && !replace) return ctx.out.raw(REPLY.zero);
  keyspace.set(targetDb, target, typeModule(record.type).copy(keyspace, record));
  notifyIn(ctx, targetDb, EVENT.generic, 'copy_to', target);
  ctx.out.raw(REPLY.one);
}

function move(ctx: CommandContext, args: Buffer[]): void {
  if (ctx.server.cluster !== undefined) throw new CommandError('ERR MOVE is not allowed in cluster mode');
  const key = args[1] as Buffer;
  const targetDb = parseInt32(args[2] as Buffer);
  checkDatabaseIndex(ctx, targetDb);
  if (targetDb === ctx.client.db) throw new CommandError(KEY_ERRORS.sameObject);
  const record = writeKey(ctx, key);
  const { keyspace } = ctx.server;
  if (record === undefined || keyspace.get(targetDb, key) !== undefined) return ctx.out.raw(REPLY.zero);
  keyspace.relocate(ctx.client.db, key, targetDb, key);
  notify(ctx, EVENT.generic, 'move_from', key);
  notifyIn(ctx, targetDb, EVENT.generic, 'move_to', key);
  ctx.out.raw(REPLY.one);
}

function swapdb(ctx: CommandContext, args: Buffer[]): void {
  if (ctx.server.cluster !== undefined) throw new CommandError('ERR SWAPDB is not allowed in cluster mode');
  const first = parseInt32(args[1] as Buffer, 'ERR invalid first DB index');
  const second = parseInt32(args[2] as Buffer, 'ERR invalid second DB index');
  checkDatabaseIndex(ctx, first);
  checkDatabaseIndex(ctx, second);
  ctx.server.keyspace.swapDb(first, second);
  ctx.out.raw(REPLY.ok);
}

function keys(ctx: CommandContext, args: Buffer[]): void {
  const pattern = args[1] as Buffer;
  const all = isMatchAllPattern(pattern);
  const matched: Buffer[] = [];
  for (const { key } of ctx.server.keyspace.keys(ctx.client.db)) {
    if (all || globMatch(pattern, key)) matched.push(key);
  }
  ctx.out.arrayHeader(matched.length);
  for (const key of matched) ctx.out.bulk(key);
}

function randomkey(ctx: CommandContext): void {
  const key = ctx.server.keyspace.randomKey(ctx.client.db);
  if (key === undefined) ctx.out.nullBulk();
  else ctx.out.bulk(key);
}

const spec = defineSpec.bind(undefined, 'generic');
const ONE_KEY = [1, 1, 1] as const;
const ALL_KEYS = [1, -1, 1] as const;
const NO_KEYS = [0, 0, 0] as const;

export const keyCommands: CommandSpec[] = [
  spec({ name: 'del', arity: -2, flags: ['write'], keys: ALL_KEYS, summary: 'Deletes one or more keys.', since: '1.0.0', handler: del }),
  spec({ name: 'unlink', arity: -2, flags: ['write', 'fast'], keys: ALL_KEYS, summary: 'Asynchronously deletes one or more keys.', since: '4.0.0', handler: del }),
  spec({ name: 'exists', arity: -2, flags: ['readonly', 'fast'], keys: ALL_KEYS, summary: 'Determines whether one or more keys exist.', since: '1.0.0', handler: countExisting }),
  spec({ name: 'touch', arity: -2, flags: ['readonly', 'fast'], keys: ALL_KEYS, summary: 'Returns the number of existing keys out of those specified after updating the time they were last accessed.', since: '3.2.1', handler: countExisting }),
  spec({ name: 'type', arity: 2, flags: ['readonly', 'fast'], keys: ONE_KEY, summary: 'Determines the type of value stored at a key.', since: '1.0.0', handler: type }),
  spec({ name: 'rename', arity: 3, flags: ['write'], keys: [1, 2, 1], summary: 'Renames a key and overwrites the destination.', since: '1.0.0', handler: (ctx, args) => rename(ctx, args, false) }),
  spec({ name: 'renamenx', arity: 3, flags: ['write', 'fast'], keys: [1, 2, 1], summary: 'Renames a key only when the target key name doesn\'t exist.', since: '1.0.0', handler: (ctx, args) => rename(ctx, args, true) }),
  spec({ name: 'copy', arity: -3, flags: ['write', 'denyoom'], keys: [1, 2, 1], summary: 'Copies the value of a key to a new key.', since: '6.2.0', handler: copy }),
  spec({ name: 'move', arity: 3, flags: ['write', 'fast'], keys: ONE_KEY, summary: 'Moves a key to another database.', since: '1.0.0', handler: move }),
  spec({ name: 'swapdb', arity: 3, flags: ['write', 'fast'], keys: NO_KEYS, summary: 'Swaps two Redis databases.', since: '4.0.0', handler: swapdb }),
  spec({ name: 'keys', arity: 2, flags: ['readonly'], keys: NO_KEYS, summary: 'Returns all key names that match a pattern.', since: '1.0.0', handler: keys }),
  spec({ name: 'randomkey', arity: 1, flags: ['readonly'], keys: NO_KEYS, summary: 'Returns a random key name from the database.', since: '1.0.0', handler: randomkey }),
  {
    ...spec({
      name: 'object', arity: -2, flags: [], keys: NO_KEYS, summary: 'A container for object introspection commands.', since: '2.2.3',
      handler: (_ctx, args) => {
        throw new CommandError(unknownSubcommand(args[1] ?? Buffer.alloc(0), 'object'));
      },
    }),
    subcommands: objectSubcommands,
  },
];
