// protocol/resp-reader.ts: turns request bytes into commands, as Redis's processInputBuffer,
// processMultibulkBuffer and processInlineBuffer do (src/networking.c, Redis 7.2).
//   multibulk:  *<count>\r\n  then <count> times  $<length>\r\n<length bytes>\r\n
//   inline:     any other first byte; a line up to \n (a \r before it is dropped), split by
//               sdssplitargs (inline-split.ts)
// Rules kept from Redis:
// - Counts and lengths parse as string2ll (parseRedisInteger). A count <= 0 (*0, *-1, *-10) and
//   an inline line with no arguments are skipped, not returned.
// - A header line ends at its first CR; the byte after the CR is skipped unread, and the bytes
//   after a bulk are skipped unread too (Redis does not check that they are CR LF).
// - A NUL byte before a line's terminator stops the search, as strchr() stops on the NUL that
//   ends the C string: the line can then never complete, and the request fails once
//   inlineBytesMax bytes are buffered (Redis's 'Protocol desync' tests rely on this). Bytes fed
//   after that are only counted, not kept.
// - A header or inline line longer than inlineBytesMax (not counting its terminator) fails with
//   the 'too big' texts. Redis checks this only while the terminator is missing, so a line a
//   little over the limit may pass there if it arrives in one read; here the outcome does not
//   depend on how the bytes were split.
// - Counts over argsMax and lengths over bulkBytesMax (proto-max-bulk-len) are invalid; with
//   `unauthenticated` set, counts and lengths within those but over its caps fail with the
//   'unauthenticated' texts (Redis 7.2, CVE-2021-32675).
// Invariants:
// - feed() only queues the chunk; no byte is copied until a request needs it contiguous. A
//   chunk that starts a request is used in place (unless it is small and fits the room left in
//   the reader's own buffer); of a chunk continuing a request, only the bytes that request
//   needs are copied. Arguments are subarrays of the chunks or of the reader's own buffers:
//   don't mutate a chunk after feeding it.
// - Bytes the reader owns are never overwritten once written, since returned arguments may
//   alias them; growing allocates a new buffer (doubling, so copying stays linear).
// - A bulk of at least BULK_BIG_BYTES_MIN that is not yet all here gets one buffer of exactly
//   its length + 2 when its header is read, filled as chunks arrive (Redis's big-arg path).
// - A multibulk request that is all in the current buffer, with plain counts and lengths, is read
//   in one pass (readMultibulkInPlace); anything else takes the general, resumable path, which
//   alone raises errors. Both return the same arguments for the same bytes (tests feed both).
// - When next() returns undefined, everything fed has been looked at and the incomplete request
//   is within the limits; a protocol error is sticky: next() throws it again, feed() drops bytes.
import assert from 'node:assert/strict';

import { RespProtocolError, type RespProtocolReason } from './errors.js';
import { splitInlineArgs } from './inline-split.js';

export interface UnauthenticatedLimits {
  /** More arguments than this: 'unauthenticated multibulk length' (Redis: 10). */
  readonly argsMax: number;
  /** A longer bulk: 'unauthenticated bulk length' (Redis: 16384). */
  readonly bulkBytesMax: number;
}

export interface ReaderLimits {
  /** The longest header (*N, $N) or inline line, without its terminator (Redis: 64 KiB). */
  readonly inlineBytesMax: number;
  /** proto-max-bulk-len: the longest argument (Redis: 512 MiB). */
  readonly bulkBytesMax: number;
  /** The largest multibulk count (Redis 7: INT_MAX; 1024 * 1024 before 7.0). */
  readonly argsMax: number;
  /** Set until the client authenticates, when a password is required. */
  readonly unauthenticated?: UnauthenticatedLimits;
}

export const REDIS_READER_LIMITS = {
  inlineBytesMax: 64 * 1024,
  bulkBytesMax: 512 * 1024 * 1024,
  argsMax: 2 ** 31 - 1,
} as const satisfies ReaderLimits;

export const REDIS_UNAUTHENTICATED_LIMITS = {
  argsMax: 10,
  bulkBytesMax: 16 * 1024,
} as const satisfies UnauthenticatedLimits;

/** PROTO_MBULK_BIG_ARG: bulks at least this long get their own exactly sized buffer. */
export const BULK_BIG_BYTES_MIN = 32 * 1024;
const OWNED_BYTES_MIN = 16 * 1024;
const QUEUE_COMPACT_COUNT_MIN = 1024;
const SCAN_LOOP_BYTES_MAX = 32; // past this, search a subarray natively instead of looping
const CHUNK_COPY_BYTES_MAX = 1024; // a smaller chunk goes into room left in our own buffer
const INPLACE_DIGITS_MAX = 9; // readMultibulkInPlace leaves longer counts and lengths to the general path
const BULK_BYTES_MIN = 6; // "$0\r\n\r\n": the fewest bytes one argument takes

const BYTE = { nul: 0x00, lineFeed: 0x0a, carriageReturn: 0x0d, dollar: 0x24, star: 0x2a, minus: 0x2d, zero: 0x30, one: 0x31, nine: 0x39 } as const;
const MODE = { idle: 0, inline: 1, count: 2, bulks: 3 } as const;
type Mode = (typeof MODE)[keyof typeof MODE];
const EMPTY = Buffer.alloc(0);
const LONG_LONG_MAX = 9223372036854775807n;
const LONG_LONG_MIN = -9223372036854775808n;

export class RespReader {
  private limits: ReaderLimits;
  private buffer: Buffer = EMPTY;
  private offset = 0; // first byte of buffer not yet consumed
  private length = 0; // end of the valid bytes of buffer
  private owned = false; // buffer is ours: bytes may be appended past length
  private exact = false; // buffer was sized for one big bulk: pulls copy only what fits
  private readonly queue: Buffer[] = [];
  private queueHead = 0;
  private queuedBytes = 0;
  private fedBytes = 0;
  private absorbedBytes = 0; // stream offset of buffer[length]
  private returnedBytes = 0; // stream offset just past the last request returned or skipped
  private mode: Mode = MODE.idle;
  private lineScannedBytes = 0; // bytes of the current line already searched for its end
  private lineStuck = false; // a NUL came before the line's end: it can never complete
  private stuckBytes = 0; // bytes of a stuck line fed after the buffer, counted and dropped
  private argsLeftCount = 0;
  private args: Buffer[] = [];
  private bulkBytes = -1; // length of the bulk being read, -1 before its header
  private failure: RespProtocolError | undefined;

  constructor(limits: ReaderLimits) {
    checkLimits(limits);
    this.limits = limits;
  }

  /** Takes effect at the next header read, e.g. after AUTH drops `unauthenticated`. */
  setLimits(limits: ReaderLimits): void {
    checkLimits(limits);
    this.limits = limits;
  }

  feed(chunk: Buffer): void {
    if (this.failure !== undefined || chunk.length === 0) return;
    this.queue.push(chunk);
    this.queuedBytes += chunk.length;
    this.fedBytes += chunk.length;
  }

  /** Bytes fed but not yet returned in (or skipped as) a complete request. */
  bufferedBytes(): number {
    return this.fedBytes - this.returnedBytes;
  }

  /**
   * Bytes of input memory the reader keeps: all of its own buffer (used or not) or the unread
   * part of the chunk it reads in place, plus the chunks queued behind it.
   */
  heldBytes(): number {
    return (this.owned ? this.buffer.length : this.length - this.offset) + this.queuedBytes;
  }

  /** The next complete command's arguments, or undefined until more bytes are fed. */
  next(): Buffer[] | undefined {
    if (this.failure !== undefined) throw this.failure;
    for (;;) {
      if (this.mode === MODE.idle) {
        if (this.offset === this.length && !this.pull(1)) return undefined;
        if (this.buffer[this.offset] === BYTE.star) {
          const command = this.readMultibulkInPlace();
          if (command !== undefined) {
            this.returnedBytes = this.streamOffset();
            return command;
          }
          this.mode = MODE.count;
        } else {
          this.mode = MODE.inline;
        }
      }
      const command = this.mode === MODE.inline ? this.readInline() : this.readMultibulk();
      if (command === undefined) return undefined;
      this.mode = MODE.idle;
      this.returnedBytes = this.streamOffset();
      if (command.length > 0) return command;
    }
  }

  private readInline(): Buffer[] | undefined {
    const newline = this.findLineEnd(BYTE.lineFeed, 'tooBigInline', 0);
    if (newline === -1) return undefined;
    let end = newline;
    if (end > this.offset && this.buffer[end - 1] === BYTE.carriageReturn) end--;
    const args = splitInlineArgs(this.buffer.subarray(this.offset, end));
    if (args === null) throw this.fail('unbalancedQuotes');
    this.consumeLine(newline + 1);
    return args;
  }

  private readMultibulk(): Buffer[] | undefined {
    if (this.mode === MODE.count) {
      const carriageReturn = this.findLineEnd(BYTE.carriageReturn, 'tooBigMultibulkCount', 1);
      if (carriageReturn === -1) return undefined;
      const count = parseRedisInteger(this.buffer, this.offset + 1, carriageReturn);
      if (count === null || count > this.limits.argsMax) throw this.fail('invalidMultibulkLength', this.limits.argsMax);
      const unauthenticated = this.limits.unauthenticated;
      if (unauthenticated !== undefined && count > unauthenticated.argsMax) {
        throw this.fail('unauthenticatedMultibulkLength', unauthenticated.argsMax);
      }
      this.consumeLine(carriageReturn + 2);
      if (count <= 0) return [];
      this.argsLeftCount = count;
      this.args = [];
      this.bulkBytes = -1;
      this.mode = MODE.bulks;
    }
    while (this.argsLeftCount > 0) {
      if (this.bulkBytes < 0 && !this.readBulkHeader()) return undefined;
      if (!this.ensureBytes(this.bulkBytes + 2)) return undefined;
      this.args.push(this.buffer.subarray(this.offset, this.offset + this.bulkBytes));
      this.offset += this.bulkBytes + 2;
      this.bulkBytes = -1;
      this.exact = false;
      this.argsLeftCount--;
    }
    const command = this.args;
    this.args = [];
    return command;
  }

  /**
   * readMultibulk's common case in one pass: the whole command is already in `buffer`, and its
   * count and every length are plain decimals (no sign, no leading zero) within every limit.
   * Returns undefined, having changed nothing, for anything else: the general path then reads
   * the command or fails it with the right error.
   */
  private readMultibulkInPlace(): Buffer[] | undefined {
    const buffer = this.buffer;
    const end = this.length;
    const count = plainDecimal(buffer, this.offset + 1, end);
    if (count <= 0) return undefined; // not plain, or *0 (skipped by the general path)
    const { argsMax, bulkBytesMax, unauthenticated } = this.limits;
    if (count > argsMax || (unauthenticated !== undefined && count > unauthenticated.argsMax)) return undefined;
    let pos = decimalEnd + 2; // the CR and the byte after it, unread as in the general path
    if (count * BULK_BYTES_MIN > end - pos) return undefined; // cannot all be here
    const bulkMax = unauthenticated !== undefined && unauthenticated.bulkBytesMax < bulkBytesMax ? unauthenticated.bulkBytesMax : bulkBytesMax;
    const args = new Array<Buffer>(count);
    for (let index = 0; index < count; index++) {
      if (pos >= end || buffer[pos] !== BYTE.dollar) return undefined;
      const bytes = plainDecimal(buffer, pos + 1, end);
      if (bytes < 0 || bytes > bulkMax) return undefined;
      pos = decimalEnd + 2;
      if (bytes + 2 > end - pos) return undefined;
      args[index] = buffer.subarray(pos, pos + bytes);
      pos += bytes + 2;
    }
    this.offset = pos;
    return args;
  }

  private readBulkHeader(): boolean {
    const carriageReturn = this.findLineEnd(BYTE.carriageReturn, 'tooBigBulkCount', 1);
    if (carriageReturn === -1) return false;
    const first = this.buffer[this.offset]!;
    if (first !== BYTE.dollar) throw this.fail('expectedDollar', undefined, first);
    const bytes = parseRedisInteger(this.buffer, this.offset + 1, carriageReturn);
    if (bytes === null || bytes < 0 || bytes > this.limits.bulkBytesMax) {
      throw this.fail('invalidBulkLength', this.limits.bulkBytesMax);
    }
    const unauthenticated = this.limits.unauthenticated;
    if (unauthenticated !== undefined && bytes > unauthenticated.bulkBytesMax) {
      throw this.fail('unauthenticatedBulkLength', unauthenticated.bulkBytesMax);
    }
    this.consumeLine(carriageReturn + 2);
    this.bulkBytes = bytes;
    if (bytes >= BULK_BIG_BYTES_MIN && this.length - this.offset < bytes + 2) this.allocateExact(bytes + 2);
    return true;
  }

  /**
   * Index of the terminator of the line starting at offset, once `afterBytes` more bytes
   * follow it; -1 if that needs more input. Throws when the line is over inlineBytesMax.
   */
  private findLineEnd(terminator: number, tooBig: RespProtocolReason, afterBytes: number): number {
    const max = this.limits.inlineBytesMax;
    for (;;) {
      if (this.lineStuck) {
        // only the line's length matters now: count the queued chunks and let go of them, or
        // a client sending a byte per read would pin one read buffer per byte until the limit
        this.stuckBytes += this.queuedBytes;
        this.dropQueue();
        if (this.length - this.offset + this.stuckBytes > max) throw this.fail(tooBig, max);
        return -1;
      }
      const from = this.offset + this.lineScannedBytes;
      const found = indexOfBetween(this.buffer, terminator, from, this.length);
      const end = found === -1 ? this.length : found;
      if (indexOfBetween(this.buffer, BYTE.nul, from, end) !== -1) {
        this.lineStuck = true;
        continue;
      }
      if (end - this.offset > max) throw this.fail(tooBig, max);
      this.lineScannedBytes = end - this.offset;
      if (found !== -1 && found + afterBytes < this.length) return found;
      const needBytes = found !== -1 ? found + afterBytes + 1 - this.length : this.peekLineBytes(terminator, afterBytes);
      if (!this.pull(needBytes)) return -1;
    }
  }

  /** Bytes of the next queued chunk that the current line needs: up to its end, or all. */
  private peekLineBytes(terminator: number, afterBytes: number): number {
    const chunk = this.queue[this.queueHead];
    if (chunk === undefined) return 1;
    const window = Math.min(chunk.length, this.limits.inlineBytesMax + 1);
    const found = indexOfBetween(chunk, terminator, 0, window);
    return found === -1 ? chunk.length : found + afterBytes + 1;
  }

  private consumeLine(nextOffset: number): void {
    this.offset = nextOffset;
    this.lineScannedBytes = 0;
    this.lineStuck = false;
    this.stuckBytes = 0;
  }

  private ensureBytes(count: number): boolean {
    while (this.length - this.offset < count) {
      if (!this.pull(count - (this.length - this.offset))) return false;
    }
    return true;
  }

  /**
   * Makes the next queued chunk readable: in place when nothing is pending, else by copying
   * `needBytes` of it (or what fits an exact buffer) and leaving the rest queued, so that the
   * request after the one straddling the chunks is read in place again.
   */
  private pull(needBytes: number): boolean {
    const chunk = this.queue[this.queueHead];
    if (chunk === undefined) return false;
    this.queue[this.queueHead] = EMPTY;
    this.queueHead++;
    this.queuedBytes -= chunk.length;
    if (this.exact) {
      const copied = chunk.copy(this.buffer, this.length);
      assert.ok(copied > 0, 'an exact buffer is pulled into only while it has room');
      this.length += copied;
      this.absorbedBytes += copied;
      if (copied < chunk.length) this.unshift(chunk.subarray(copied));
    } else if (this.offset === this.length && !(this.owned && chunk.length <= CHUNK_COPY_BYTES_MAX && this.buffer.length - this.length >= chunk.length)) {
      this.buffer = chunk;
      this.offset = 0;
      this.length = chunk.length;
      this.owned = false;
      this.absorbedBytes += chunk.length;
    } else {
      const takeBytes = Math.max(1, Math.min(needBytes, chunk.length));
      if (takeBytes < chunk.length) this.unshift(chunk.subarray(takeBytes));
      this.append(takeBytes < chunk.length ? chunk.subarray(0, takeBytes) : chunk);
    }
    this.compactQueue();
    return true;
  }

  private append(chunk: Buffer): void {
    this.absorbedBytes += chunk.length;
    if (this.owned && this.buffer.length - this.length >= chunk.length) {
      this.length += chunk.copy(this.buffer, this.length);
      return;
    }
    const pending = this.length - this.offset;
    const grown = Buffer.allocUnsafe(Math.max(OWNED_BYTES_MIN, 2 * (pending + chunk.length)));
    this.buffer.copy(grown, 0, this.offset, this.length);
    chunk.copy(grown, pending);
    this.buffer = grown;
    this.offset = 0;
    this.length = pending + chunk.length;
    this.owned = true;
  }

  private allocateExact(bytes: number): void {
    const pending = this.length - this.offset;
    const target = Buffer.allocUnsafe(bytes);
    this.buffer.copy(target, 0, this.offset, this.length);
    this.buffer = target;
    this.offset = 0;
    this.length = pending;
    this.owned = true;
    this.exact = true;
  }

  private unshift(chunk: Buffer): void {
    this.queueHead--;
    this.queue[this.queueHead] = chunk;
    this.queuedBytes += chunk.length;
  }

  private compactQueue(): void {
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    } else if (this.queueHead >= QUEUE_COMPACT_COUNT_MIN && this.queueHead * 2 >= this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }

  private streamOffset(): number {
    return this.absorbedBytes - (this.length - this.offset);
  }

  private fail(reason: RespProtocolReason, limit?: number, got?: number): RespProtocolError {
    this.failure = new RespProtocolError(reason, this.returnedBytes, limit, got);
    this.dropQueue();
    return this.failure;
  }

  private dropQueue(): void {
    this.queue.length = 0;
    this.queueHead = 0;
    this.queuedBytes = 0;
  }
}

/**
 * Redis's string2ll: an optional '-', then "0" alone or a digit 1-9 and more digits; no '+',
 * spaces or leading zeros; within a signed 64-bit integer. Returns null otherwise. Values past
 * 2^53 come back rounded, which keeps their sign and order against any limit we compare.
 */
export function parseRedisInteger(bytes: Uint8Array, start: number, end: number): number | null {
  if (end <= start || end - start > 20) return null;
  if (end - start === 1 && bytes[start] === BYTE.zero) return 0;
  let index = start;
  const negative = bytes[index] === BYTE.minus;
  if (negative) index++;
  if (index === end) return null;
  const first = bytes[index]!;
  if (first < BYTE.one || first > BYTE.nine) return null;
  const digitCount = end - index;
  if (digitCount > 19) return null;
  let value = 0;
  for (; index < end; index++) {
    const digit = bytes[index]! - BYTE.zero;
    if (digit < 0 || digit > 9) return null;
    value = value * 10 + digit;
  }
  if (digitCount < 16) return negative ? -value : value;
  const exact = BigInt(String.fromCharCode(...bytes.subarray(start, end))); // rounds once, as a literal would
  if (exact > LONG_LONG_MAX || exact < LONG_LONG_MIN) return null;
  return Number(exact);
}

/** Where the CR after the last plainDecimal() is (a module variable: the hot path allocates nothing). */
let decimalEnd = 0;

/**
 * The decimal at buffer[start ..] when it is plain (1 to INPLACE_DIGITS_MAX digits, no leading
 * zero unless it is "0") and ends in a CR with at least one byte after it, setting decimalEnd to
 * the CR; -1 otherwise. A subset of what parseRedisInteger accepts, read without a second pass.
 */
function plainDecimal(buffer: Buffer, start: number, end: number): number {
  let value = 0;
  let pos = start;
  for (; pos < end; pos++) {
    const digit = buffer[pos]! - BYTE.zero;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  const digits = pos - start;
  if (digits === 0 || digits > INPLACE_DIGITS_MAX || pos + 1 >= end || buffer[pos] !== BYTE.carriageReturn) return -1;
  if (digits > 1 && buffer[start] === BYTE.zero) return -1;
  decimalEnd = pos;
  return value;
}

/** Index of `byte` in bytes[from, to), or -1; never searches past `to`. */
function indexOfBetween(bytes: Buffer, byte: number, from: number, to: number): number {
  const loopEnd = Math.min(to, from + SCAN_LOOP_BYTES_MAX); // header lines are short: loop first
  for (let index = from; index < loopEnd; index++) if (bytes[index] === byte) return index;
  if (loopEnd >= to) return -1;
  const found = bytes.subarray(loopEnd, to).indexOf(byte);
  return found === -1 ? -1 : loopEnd + found;
}

function checkLimits(limits: ReaderLimits): void {
  assert.ok(Number.isSafeInteger(limits.inlineBytesMax) && limits.inlineBytesMax > 0, 'inlineBytesMax is a positive integer');
  assert.ok(Number.isSafeInteger(limits.bulkBytesMax) && limits.bulkBytesMax >= 0, 'bulkBytesMax is a non-negative integer');
  assert.ok(Number.isSafeInteger(limits.argsMax) && limits.argsMax > 0, 'argsMax is a positive integer');
  const unauthenticated = limits.unauthenticated;
  if (unauthenticated === undefined) return;
  assert.ok(Number.isSafeInteger(unauthenticated.argsMax) && unauthenticated.argsMax > 0, 'unauthenticated.argsMax is a positive integer');
  assert.ok(Number.isSafeInteger(unauthenticated.bulkBytesMax) && unauthenticated.bulkBytesMax >= 0, 'unauthenticated.bulkBytesMax is a non-negative integer');
}
