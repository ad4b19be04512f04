// src/commands/scan.ts: SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] (Redis src/db.c
// scanGenericCommand and parseScanCursorOrReply, 7.0 texts).
// The cursor is the hash position (u64, decimal) of the next key in the keyspace's hash order
// (keyspace.ts draws the layout), so it needs no server-side state and stays valid across
// restarts: every key present for the whole scan is returned at least once; 0 starts and ends.
// Cursor syntax is C's strtoul as Redis uses it: the argument is read up to its first NUL byte; a
// leading white space, a trailing non-digit, or a value past 2^64-1 is '-ERR invalid cursor'; an
// optional sign is accepted ('-1' is 2^64-1, as strtoul wraps it); "" is 0.
// Invariants:
// - Options are parsed left to right and the first bad one answers (COUNT < 1 is a syntax error).
// - MATCH "*" is no pattern; TYPE compares case-insensitively with TYPE's names, and an unknown
//   type name matches nothing (Redis 7.0; 7.2 answers an error instead).
// - COUNT is a hint; a page never visits more than SCAN_COUNT_HINT_MAX keys.
// - The reply is encoded here in one Buffer (encodeScanReply), byte for byte what RespWriter's
//   arrayHeader + bulk would write in either protocol.
import assert from 'node:assert/strict';
import { CommandError, ERRORS } from '../dispatch/errors.js';
import type { CommandContext, CommandSpec } from '../dispatch/command-table.js';
import { parseInt64, isWord } from './arguments.js';
import { KEY_TYPE_NAMES } from '../keyspace/keyspace.js';
import { globMatch, isMatchAllPattern } from '../../protocol/index.js';

export const SCAN_COUNT_DEFAULT = 10;
/** Largest COUNT hint passed to the keyspace: bounds the time and memory of one page. */
export const SCAN_COUNT_HINT_MAX = 100_000;
export const SCAN_CURSOR_MAX = 0xffff_ffff_ffff_ffffn;
export const INVALID_CURSOR = 'ERR invalid cursor';

/** C isspace: space, \t, \n, \v, \f, \r. */
function isCSpace(byte: number | undefined): boolean {
  return byte === 0x20 || (byte !== undefined && byte >= 0x09 && byte <= 0x0d);
}

/** Redis parseScanCursorOrReply: the cursor, or undefined when Redis answers 'invalid cursor'. */
export function parseScanCursor(arg: Buffer): bigint | undefined {
  const nul = arg.indexOf(0);
  const end = nul < 0 ? arg.length : nul;
  if (end === 0) return 0n; // strtoul("") converts nothing and stops at the terminating NUL
  if (isCSpace(arg[0])) return undefined;
  let index = 0;
  let negative = false;
  if (arg[0] === 0x2b || arg[0] === 0x2d) {
    negative = arg[0] === 0x2d;
    index = 1;
  }
  const digitsStart = index;
  let value = 0n;
  let small = 0;
  for (; index < end; index++) {
    const byte = arg[index] as number;
    if (byte < 0x30 || byte > 0x39) return undefined;
    if (index - digitsStart < 15) {
      small = small * 10 + (byte - 0x30);
    } else {
      if (index - digitsStart === 15) value = BigInt(small);
      value = value * 10n + BigInt(byte - 0x30);
      if (value > SCAN_CURSOR_MAX) return undefined; // ERANGE
    }
  }
  if (index === digitsStart) return undefined; // a sign alone: nothing converted, the sign is left over
  if (end - digitsStart <= 15) value = BigInt(small);
  return negative ? (SCAN_CURSOR_MAX + 1n - value) & SCAN_CURSOR_MAX : value;
}

export interface ScanOptions {
  countHint: number;
  pattern: Buffer | undefined;
  typeName: string | undefined; // lower case
}

/** scanGenericCommand's options; TYPE only for SCAN itself (HSCAN / SSCAN call it a syntax error). */
export function parseScanOptions(args: readonly Buffer[], first: number, allowType = true): ScanOptions {
  const options: ScanOptions = { countHint: SCAN_COUNT_DEFAULT, pattern: undefined, typeName: undefined };
  for (let index = first; index < args.length; index += 2) {
    const option = args[index] as Buffer;
    const value = args[index + 1];
    if (value === undefined) throw new CommandError(ERRORS.syntax);
    if (isWord(option, 'count')) {
      const count = parseInt64(value);
      if (count < 1n) throw new CommandError(ERRORS.syntax);
      options.countHint = count > BigInt(SCAN_COUNT_HINT_MAX) ? SCAN_COUNT_HINT_MAX : Number(count);
    } else if (isWord(option, 'match')) {
      options.pattern = isMatchAllPattern(value) ? undefined : value;
    } else if (allowType && isWord(option, 'type')) {
      options.typeName = value.toString('latin1').toLowerCase();
    } else {
      throw new CommandError(ERRORS.syntax);
    }
  }
  return options;
}

function makeFilter(options: ScanOptions): ((key: Buffer, value: Buffer) => boolean) | undefined {
  const { pattern, typeName } = options;
  if (pattern === undefined && typeName === undefined) return undefined;
  return (key, value) =>
    (pattern === undefined || globMatch(pattern, key)) &&
    (typeName === undefined || KEY_TYPE_NAMES.get(value[0]!)?.toLowerCase() === typeName);
}

/** Decimal digits of a non-negative integer. */
function digitCount(value: number): number {
  if (value < 10) return 1;
  if (value < 100) return 2;
  let count = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) count++;
  return count;
}

const CR = 0x0d;
const LF = 0x0a;
/** Keys up to this long are copied by a JS loop rather than a native Buffer.copy call. */
const SHORT_KEY_BYTES = 32;

/** Writes `<type><value>\r\n` (value a non-negative integer) at `at`; returns the end. */
function writeHeader(out: Buffer, at: number, type: number, value: number): number {
  out[at] = type;
  if (value < 100) {
    let end = at + 1;
    if (value >= 10) out[end++] = 0x30 + Math.floor(value / 10);
    out[end++] = 0x30 + (value % 10);
    out[end++] = CR;
    out[end++] = LF;
    return end;
  }
  let end = at + 1 + digitCount(value);
  for (let rest = value, index = end - 1; index > at; index--, rest = Math.floor(rest / 10)) out[index] = 0x30 + (rest % 10);
  out[end++] = CR;
  out[end++] = LF;
  return end;
}

/**
 * SCAN's reply, [cursor, [key, ...]], as one Buffer: the same bytes in RESP2 and RESP3, written
 * in one pass with no string or Buffer per key.
 */
export function encodeScanReply(cursor: bigint, keys: readonly Buffer[]): Buffer {
  const cursorText = cursor.toString();
  let bytes = 4 + 3 + digitCount(cursorText.length) + cursorText.length + 2 + 3 + digitCount(keys.length);
  for (let index = 0; index < keys.length; index++) {
    const length = keys[index]!.length;
    bytes += 5 + digitCount(length) + length;
  }
  const out = Buffer.allocUnsafe(bytes);
  let at = writeHeader(out, 0, 0x2a, 2);
  at = writeHeader(out, at, 0x24, cursorText.length);
  at += out.write(cursorText, at, 'latin1');
  out[at++] = CR;
  out[at++] = LF;
  at = writeHeader(out, at, 0x2a, keys.length);
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index]!;
    const length = key.length;
    at = writeHeader(out, at, 0x24, length);
    if (length <= SHORT_KEY_BYTES) for (let offset = 0; offset < length; offset++) out[at++] = key[offset]!;
    else at += key.copy(out, at);
    out[at++] = CR;
    out[at++] = LF;
  }
  assert.equal(at, bytes, 'SCAN reply size');
  return out;
}

function scan(ctx: CommandContext, args: Buffer[]): void {
  const cursor = parseScanCursor(args[1] as Buffer);
  if (cursor === undefined) throw new CommandError(INVALID_CURSOR);
  const options = parseScanOptions(args, 2);
  const page = ctx.server.keyspace.scanPage(ctx.client.db, cursor, options.countHint, makeFilter(options));
  ctx.out.raw(encodeScanReply(page.next, page.keys));
}

export const scanCommands: CommandSpec[] = [
  {
    name: 'scan', arity: -2, flags: ['readonly'], firstKey: 0, lastKey: 0, keyStep: 0,
    group: 'generic', summary: 'Iterates over the key names in the database.', since: '2.8.0', handler: scan,
  },
];
