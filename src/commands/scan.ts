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
import { CommandError, ERRORS } from '../command-error.js';
import type { CommandContext, CommandSpec } from '../command-table.js';
import { parseInt64, isWord } from '../arguments.js';
import { KEY_TYPE_NAMES, type KeyRecord } from '../keyspace.js';
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

export function parseScanOptions(args: readonly Buffer[], first: number): ScanOptions {
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
    } else if (isWord(option, 'type')) {
      options.typeName = value.toString('latin1').toLowerCase();
    } else {
      throw new CommandError(ERRORS.syntax);
    }
  }
  return options;
}

function makeFilter(options: ScanOptions): ((key: Buffer, record: KeyRecord) => boolean) | undefined {
  const { pattern, typeName } = options;
  if (pattern === undefined && typeName === undefined) return undefined;
  return (key, record) =>
    (pattern === undefined || globMatch(pattern, key)) &&
    (typeName === undefined || KEY_TYPE_NAMES.get(record.type)?.toLowerCase() === typeName);
}

function scan(ctx: CommandContext, args: Buffer[]): void {
  const cursor = parseScanCursor(args[1] as Buffer);
  if (cursor === undefined) throw new CommandError(INVALID_CURSOR);
  const options = parseScanOptions(args, 2);
  const page = ctx.server.keyspace.scanPage(ctx.client.db, cursor, options.countHint, makeFilter(options));
  const { out } = ctx;
  out.arrayHeader(2);
  out.bulk(page.next.toString());
  out.arrayHeader(page.keys.length);
  for (const key of page.keys) out.bulk(key);
}

export const scanCommands: CommandSpec[] = [
  {
    name: 'scan', arity: -2, flags: ['readonly'], firstKey: 0, lastKey: 0, keyStep: 0,
    group: 'generic', summary: 'Iterates over the key names in the database.', since: '2.8.0', handler: scan,
  },
];
