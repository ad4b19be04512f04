// src/commands/key-access.ts: how the string, key and expiry families read and write keys, with
// Redis's lookup rules (src/db.c lookupKeyRead / lookupKeyWrite, checkType, checkStringLength).
// Invariants:
// - Read lookups (the ones Redis makes with lookupKeyRead) count keyspace hits and misses in the
//   server stats; write lookups do not.
// - A string command given a key of another type throws WRONGTYPE before it changes anything.
import { CommandError } from '../dispatch/errors.js';
import type { CommandContext, CommandFlag, CommandHandler, CommandSpec } from '../dispatch/command-table.js';
import { KEY_TYPE, typeOfValue, type KeyRecord } from '../keyspace/keyspace.js';
import { STRING_ENCODING } from '../types/string.js';
import type { EncodingLimits } from '../types/type-module.js';

export const KEY_ERRORS = {
  wrongType: 'WRONGTYPE Operation against a key holding the wrong kind of value',
  noSuchKey: 'ERR no such key',
  sameObject: 'ERR source and destination objects are the same',
  stringTooLong: 'ERR string exceeds maximum allowed size (proto-max-bulk-len)',
  offsetOutOfRange: 'ERR offset is out of range',
} as const;

/** lookupKeyRead: the live record, counting a hit or a miss. */
export function readKey(ctx: CommandContext, key: Buffer): KeyRecord | undefined {
  const record = ctx.server.keyspace.get(ctx.client.db, key);
  if (record === undefined) ctx.server.stats.keyspaceMisses++;
  else ctx.server.stats.keyspaceHits++;
  return record;
}

/** lookupKeyWrite: the live record, no stats. */
export function writeKey(ctx: CommandContext, key: Buffer): KeyRecord | undefined {
  return ctx.server.keyspace.get(ctx.client.db, key);
}

export function checkString(record: KeyRecord | undefined): KeyRecord | undefined {
  return checkType(record, KEY_TYPE.string);
}

/** checkType: WRONGTYPE for a key of another type, before the command changes anything. */
export function checkType(record: KeyRecord | undefined, type: number): KeyRecord | undefined {
  if (record !== undefined && record.type !== type) throw new CommandError(KEY_ERRORS.wrongType);
  return record;
}

/** lookupKeyRead + checkType(type). */
export function readTyped(ctx: CommandContext, key: Buffer, type: number): KeyRecord | undefined {
  return checkType(readKey(ctx, key), type);
}

/** lookupKeyWrite + checkType(type). */
export function writeTyped(ctx: CommandContext, key: Buffer, type: number): KeyRecord | undefined {
  return checkType(writeKey(ctx, key), type);
}

/** The encoding thresholds in force (CONFIG hash-max-listpack-entries ...). */
export function encodingLimits(ctx: CommandContext): EncodingLimits {
  const { config } = ctx.server;
  return {
    hashListpackEntries: config.hashMaxListpackEntries,
    hashListpackValue: config.hashMaxListpackValueBytes,
    setIntsetEntries: config.setMaxIntsetEntries,
    setListpackEntries: config.setMaxListpackEntries,
    setListpackValue: config.setMaxListpackValueBytes,
    listListpackSize: config.listMaxListpackSize,
    zsetListpackEntries: config.zsetMaxListpackEntries,
    zsetListpackValue: config.zsetMaxListpackValueBytes,
  };
}

/**
 * Writes an aggregate's record back after its elements changed: its metadata when the count or
 * the encoding changed (an emptied aggregate is deleted), else only WATCH is told.
 */
export function storeAggregate(ctx: CommandContext, key: Buffer, record: KeyRecord, before: KeyRecord | undefined): void {
  if (before !== undefined && before.version === record.version && before.count === record.count && before.encoding === record.encoding) {
    ctx.server.keyspace.touch(ctx.client.db, key);
    return;
  }
  ctx.server.keyspace.set(ctx.client.db, key, record);
}

/** lookupKeyRead + checkType(OBJ_STRING). */
export function readString(ctx: CommandContext, key: Buffer): KeyRecord | undefined {
  return checkString(readKey(ctx, key));
}

/**
 * lookupKeyRead + checkType(OBJ_STRING) without decoding a record (GET): the string's metadata
 * value (keyspace.getStored; its bytes from stringPayloadOffset), counting a hit or a miss.
 */
export function readStringStored(ctx: CommandContext, key: Buffer): Buffer | undefined {
  const stored = ctx.server.keyspace.getStored(ctx.client.db, key);
  if (stored === undefined) {
    ctx.server.stats.keyspaceMisses++;
    return undefined;
  }
  ctx.server.stats.keyspaceHits++;
  if (typeOfValue(stored) !== KEY_TYPE.string) throw new CommandError(KEY_ERRORS.wrongType);
  return stored;
}

/** lookupKeyWrite + checkType(OBJ_STRING). */
export function writeString(ctx: CommandContext, key: Buffer): KeyRecord | undefined {
  return checkString(writeKey(ctx, key));
}

/** Stages a string value; encoding STRING_ENCODING.raw when Redis would hold it raw (APPEND, SETRANGE). */
export function putString(ctx: CommandContext, key: Buffer, payload: Buffer, expireAtMs: number, encoding: number = STRING_ENCODING.compact): void {
  ctx.server.keyspace.set(ctx.client.db, key, { type: KEY_TYPE.string, encoding, expireAtMs, version: 0, count: 0, payload });
}

/** checkStringLength: a string of size + append bytes must fit proto-max-bulk-len. */
export function checkStringLength(ctx: CommandContext, size: number, append: number): void {
  if (size + append > ctx.server.config.protoMaxBulkLen) throw new CommandError(KEY_ERRORS.stringTooLong);
}

/** selectDb's range check against the configured number of databases. */
export function checkDatabaseIndex(ctx: CommandContext, db: number): void {
  if (db < 0 || db >= ctx.server.config.databases) throw new CommandError('ERR DB index is out of range');
}

export interface SpecOptions {
  name: string;
  arity: number;
  flags: readonly CommandFlag[];
  keys: readonly [number, number, number]; // first, last, step
  keyPositions?: (args: readonly Buffer[]) => number[]; // movable keys (SINTERCARD)
  summary: string;
  since: string;
  handler: CommandHandler;
}

export function defineSpec(group: string, options: SpecOptions): CommandSpec {
  const [firstKey, lastKey, keyStep] = options.keys;
  return {
    name: options.name, arity: options.arity, flags: options.flags, firstKey, lastKey, keyStep, group,
    ...(options.keyPositions === undefined ? {} : { keyPositions: options.keyPositions }),
    summary: options.summary, since: options.since, handler: options.handler,
  };
}
