// src/commands/lcs.ts: LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN] (Redis 7.0
// src/t_string.c lcsCommand): the longest common subsequence by the textbook dynamic program.
// Invariants:
// - Same table, same backtracking order (on a tie it moves left in b, as Redis does), so the
//   returned string and match ranges equal Redis's, not just their length.
// - The table (4 bytes per cell) may not exceed proto-max-bulk-len, as in Redis.
import { isWord, parseInt64 } from './arguments.js';
import { CommandError, ERRORS } from '../dispatch/errors.js';
import type { CommandContext, CommandSpec } from '../dispatch/command-table.js';
import { KEY_TYPE } from '../keyspace/keyspace.js';
import { defineSpec, readKey } from './key-access.js';

interface LcsOptions {
  len: boolean;
  idx: boolean;
  withMatchLen: boolean;
  minMatchLen: number;
}

function parseOptions(args: Buffer[]): LcsOptions {
  const options: LcsOptions = { len: false, idx: false, withMatchLen: false, minMatchLen: 0 };
  for (let index = 3; index < args.length; index++) {
    const arg = args[index] as Buffer;
    if (isWord(arg, 'idx')) options.idx = true;
    else if (isWord(arg, 'len')) options.len = true;
    else if (isWord(arg, 'withmatchlen')) options.withMatchLen = true;
    else if (isWord(arg, 'minmatchlen') && index + 1 < args.length) {
      const value = parseInt64(args[++index] as Buffer);
      options.minMatchLen = value < 0n ? 0 : Number(value);
    } else throw new CommandError(ERRORS.syntax);
  }
  if (options.idx && options.len) throw new CommandError('ERR If you want both the length and indexes, please just use IDX.');
  return options;
}

interface Match {
  a: [number, number];
  b: [number, number];
  length: number;
}

/** The LCS table, row-major with (b.length + 1) columns. */
function buildTable(a: Buffer, b: Buffer): Uint32Array {
  const columns = b.length + 1;
  const table = new Uint32Array((a.length + 1) * columns);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cell = i * columns + j;
      if (a[i - 1] === b[j - 1]) table[cell] = table[cell - columns - 1]! + 1;
      else table[cell] = Math.max(table[cell - columns]!, table[cell - 1]!);
    }
  }
  return table;
}

/** Walks back from the end, collecting the LCS bytes and the ranges Redis would emit. */
function backtrack(a: Buffer, b: Buffer, table: Uint32Array, minMatchLen: number): { text: Buffer; matches: Match[] } {
  const columns = b.length + 1;
  let idx = table[a.length * columns + b.length]!;
  const text = Buffer.alloc(idx);
  const matches: Match[] = [];
  let aStart = a.length; // a.length = no range open
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let i = a.length;
  let j = b.length;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a[i - 1] === b[j - 1]) {
      text[idx - 1] = a[i - 1]!;
      if (aStart === a.length) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else {
        emit = true;
      }
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      if (table[(i - 1) * columns + j]! > table[i * columns + j - 1]!) i--;
      else j--;
      if (aStart !== a.length) emit = true;
    }
    if (emit) {
      const length = aEnd - aStart + 1;
      if (minMatchLen === 0 || length >= minMatchLen) matches.push({ a: [aStart, aEnd], b: [bStart, bEnd], length });
      aStart = a.length;
    }
  }
  return { text, matches };
}

function lcs(ctx: CommandContext, args: Buffer[]): void {
  const first = readKey(ctx, args[1] as Buffer);
  const second = readKey(ctx, args[2] as Buffer);
  if ((first !== undefined && first.type !== KEY_TYPE.string) || (second !== undefined && second.type !== KEY_TYPE.string)) {
    throw new CommandError('ERR The specified keys must contain string values');
  }
  const a = first?.payload ?? Buffer.alloc(0);
  const b = second?.payload ?? Buffer.alloc(0);
  const options = parseOptions(args);
  if ((a.length + 1) * (b.length + 1) * 4 > ctx.server.config.protoMaxBulkLen) {
    throw new CommandError('ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len');
  }
  const table = buildTable(a, b);
  const total = table[a.length * (b.length + 1) + b.length]!;
  if (options.len) return ctx.out.integer(total);
  const { text, matches } = backtrack(a, b, table, options.minMatchLen);
  if (!options.idx) return ctx.out.bulk(text);
  ctx.out.mapHeader(2);
  ctx.out.bulk('matches');
  ctx.out.arrayHeader(matches.length);
  for (const match of matches) {
    ctx.out.arrayHeader(options.withMatchLen ? 3 : 2);
    for (const range of [match.a, match.b]) {
      ctx.out.arrayHeader(2);
      ctx.out.integer(range[0]);
      ctx.out.integer(range[1]);
    }
    if (options.withMatchLen) ctx.out.integer(match.length);
  }
  ctx.out.bulk('len');
  ctx.out.integer(total);
}

export const lcsCommands: CommandSpec[] = [
  defineSpec('string', { name: 'lcs', arity: -3, flags: ['readonly'], keys: [1, 2, 1], summary: 'Finds the longest common substring.', since: '7.0.0', handler: lcs }),
];
