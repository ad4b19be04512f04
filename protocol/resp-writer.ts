// protocol/resp-writer.ts: encodes replies in RESP2 or RESP3, the protocol of the connection.
//   type       RESP3                     RESP2 (what Redis sends instead)
//   simple     +OK\r\n                   same
//   error      -ERR syntax error\r\n     same
//   integer    :42\r\n                   same
//   bulk       $3\r\nfoo\r\n             same
//   null bulk  _\r\n                     $-1\r\n
//   null array _\r\n                     *-1\r\n
//   array      *2\r\n...                 same
//   map        %1\r\n<key><value>        *2\r\n<key><value>
//   set        ~2\r\n...                 *2\r\n...
//   push       >3\r\n...                 *3\r\n...
//   double     ,1.5\r\n ,inf ,-inf ,nan  $3\r\n1.5\r\n (the same text, as a bulk)
//   boolean    #t\r\n #f\r\n             :1\r\n :0\r\n
//   verbatim   =7\r\ntxt:abc\r\n         $3\r\nabc\r\n
//   big number (123\r\n                  $3\r\n123\r\n
// Invariants:
// - Small replies are appended to a 64 KiB slab; take() hands out the slab's pending bytes as a
//   subarray without copying and later replies continue after them, so handed-out bytes are
//   never overwritten until the caller says none is held any more (recycle()): then the slab
//   starts over. A full slab none of whose bytes were handed out grows (up to
//   SLAB_GROWN_BYTES_MAX, its pending bytes copied); any other full slab is sealed and a new one
//   allocated.
// - A bulk of BULK_COPY_BYTES_MIN or more is queued by reference, not copied: the caller must
//   not mutate a Buffer after passing it (memtable values and REPLY constants are immutable).
// - Simple strings and errors never carry CR or LF: they become spaces, as in Redis's
//   addReplyErrorFormat, so a message can't break the framing.
import assert from 'node:assert/strict';

/** Pre-encoded replies; share them, never mutate them. */
export const REPLY = {
  ok: Buffer.from('+OK\r\n'),
  pong: Buffer.from('+PONG\r\n'),
  queued: Buffer.from('+QUEUED\r\n'),
  zero: Buffer.from(':0\r\n'),
  one: Buffer.from(':1\r\n'),
  nullBulk: Buffer.from('$-1\r\n'),
  nullArray: Buffer.from('*-1\r\n'),
  null: Buffer.from('_\r\n'),
  emptyArray: Buffer.from('*0\r\n'),
  emptyBulk: Buffer.from('$0\r\n\r\n'),
  crlf: Buffer.from('\r\n'),
} as const;
export const REPLY_OK = REPLY.ok;

export const SLAB_BYTES = 64 * 1024;
/** A slab none of whose bytes were handed out grows (doubling) up to this to hold a batch of replies. */
export const SLAB_GROWN_BYTES_MAX = 256 * 1024;
/** Bulks at least this long are queued by reference instead of copied into the slab. */
export const BULK_COPY_BYTES_MIN = 16 * 1024;

const TYPE = {
  simple: 0x2b, // +
  error: 0x2d, // -
  integer: 0x3a, // :
  bulk: 0x24, // $
  array: 0x2a, // *
  map: 0x25, // %
  set: 0x7e, // ~
  push: 0x3e, // >
  double: 0x2c, // ,
  boolean: 0x23, // #
  verbatim: 0x3d, // =
  bigNumber: 0x28, // (
} as const;
const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const HEADER_BYTES_MAX = 24; // type byte, up to 20 digits and sign, CR LF
const SHORT_COPY_BYTES = 32; // copied by a JS loop below this, natively above
const SMALL_DECIMAL_MAX = 2 ** 53; // headers below this (safe integers: ms timestamps too) are formatted without a string
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
const CR_OR_LF = /[\r\n]/;
const CR_OR_LF_ALL = /[\r\n]/g;

export class RespWriter {
  protocol: 2 | 3;
  private slab: Buffer = Buffer.allocUnsafe(SLAB_BYTES);
  private slabStart = 0; // first byte not yet taken
  private slabUsed = 0;
  private segments: Buffer[] = []; // sealed slab parts and large bulks, in order, before the slab's pending bytes
  private segmentBytes = 0;

  constructor(protocol: 2 | 3 = 2) {
    this.protocol = protocol;
  }

  /** Appends pre-encoded reply bytes, such as a REPLY constant. */
  raw(bytes: Buffer): void {
    if (bytes.length >= BULK_COPY_BYTES_MIN) {
      this.pushSegment(bytes);
      return;
    }
    this.ensure(bytes.length);
    if (bytes.length <= SHORT_COPY_BYTES) {
      // constant replies (+OK, +PONG, :1): a JS loop beats the native copy call
      const slab = this.slab;
      let at = this.slabUsed;
      for (let index = 0; index < bytes.length; index++) slab[at++] = bytes[index]!;
      this.slabUsed = at;
      return;
    }
    this.slabUsed += bytes.copy(this.slab, this.slabUsed);
  }

  simple(text: string | Buffer): void {
    this.line(TYPE.simple, text);
  }

  /** `message` is the whole text, e.g. 'ERR syntax error' or 'WRONGTYPE ...'; '-' is added. */
  error(message: string | Buffer): void {
    const prefixed = typeof message === 'string' ? message.startsWith('-') : message[0] === TYPE.error;
    if (prefixed) this.line(undefined, message);
    else this.line(TYPE.error, message);
  }

  integer(value: number | bigint): void {
    if (typeof value === 'number') {
      assert.ok(Number.isSafeInteger(value), 'an integer reply is a safe integer (use a bigint past 2^53)');
      if (value === 0) return this.raw(REPLY.zero);
      if (value === 1) return this.raw(REPLY.one);
    } else {
      assert.ok(value >= INT64_MIN && value <= INT64_MAX, 'an integer reply fits in 64 bits (use bigNumber past it)');
    }
    this.header(TYPE.integer, value);
  }

  bulk(value: Buffer | string): void {
    if (typeof value === 'string') {
      const bytes = Buffer.byteLength(value);
      if (bytes >= BULK_COPY_BYTES_MIN) return this.bulk(Buffer.from(value));
      this.header(TYPE.bulk, bytes);
      this.ensure(bytes + 2);
      this.slabUsed += this.slab.write(value, this.slabUsed, 'utf8');
      this.crlf();
      return;
    }
    this.header(TYPE.bulk, value.length);
    if (value.length >= BULK_COPY_BYTES_MIN) {
      this.pushSegment(value);
    } else {
      this.ensure(value.length + 2);
      this.slabUsed += value.copy(this.slab, this.slabUsed);
    }
    this.crlf();
  }

  /**
   * The bulk source[offset .. offset + length): a value inside a larger buffer (a memtable's
   * arena, a table's block), copied through a plain Uint8Array view (no Buffer view, about half
   * its cost; a JS loop up to SHORT_COPY_BYTES, ~2x slower than the native copy at 100 bytes);
   * queued by reference as a Buffer view from BULK_COPY_BYTES_MIN.
   */
  bulkSlice(source: Buffer, offset: number, length: number): void {
    if (length >= BULK_COPY_BYTES_MIN) return this.bulk(source.subarray(offset, offset + length));
    this.ensure(HEADER_BYTES_MAX + length + 2);
    this.header(TYPE.bulk, length);
    const slab = this.slab;
    let at = this.slabUsed;
    if (length <= SHORT_COPY_BYTES) {
      for (let index = offset; index < offset + length; index++) slab[at++] = source[index]!;
    } else {
      slab.set(new Uint8Array(source.buffer, source.byteOffset + offset, length), at);
      at += length;
    }
    slab[at++] = CR;
    slab[at++] = LF;
    this.slabUsed = at;
  }

  nullBulk(): void {
    this.raw(this.protocol === 3 ? REPLY.null : REPLY.nullBulk);
  }

  nullArray(): void {
    this.raw(this.protocol === 3 ? REPLY.null : REPLY.nullArray);
  }

  arrayHeader(count: number): void {
    this.header(TYPE.array, checkedCount(count));
  }

  /** `count` pairs follow: a key and a value each. */
  mapHeader(count: number): void {
    if (this.protocol === 3) this.header(TYPE.map, checkedCount(count));
    else this.header(TYPE.array, checkedCount(count) * 2);
  }

  setHeader(count: number): void {
    this.header(this.protocol === 3 ? TYPE.set : TYPE.array, checkedCount(count));
  }

  pushHeader(count: number): void {
    this.header(this.protocol === 3 ? TYPE.push : TYPE.array, checkedCount(count));
  }

  double(value: number): void {
    const text = formatDouble(value);
    if (this.protocol === 2) return this.bulk(text);
    this.ensure(text.length + 3);
    this.slab[this.slabUsed++] = TYPE.double;
    this.slabUsed += this.slab.write(text, this.slabUsed, 'latin1');
    this.crlf();
  }

  /** A double already formatted (Redis 7.0's "%.17g" replies): RESP3 `,text`, a bulk string in RESP2. */
  doubleText(text: string): void {
    if (this.protocol === 2) return this.bulk(text);
    this.line(TYPE.double, text);
  }

  boolean(value: boolean): void {
    if (this.protocol === 2) return this.raw(value ? REPLY.one : REPLY.zero);
    this.ensure(4);
    this.slab[this.slabUsed++] = TYPE.boolean;
    this.slab[this.slabUsed++] = value ? 0x74 : 0x66; // t, f
    this.crlf();
  }

  /** RESP3 verbatim string; `format` is three bytes, e.g. 'txt' or 'mkd'. */
  verbatim(text: string, format = 'txt'): void {
    if (this.protocol === 2) return this.bulk(text);
    assert.ok(/^[\x21-\x7e]{3}$/.test(format) && format.indexOf(':') === -1, 'a verbatim format is three printable bytes');
    const bytes = Buffer.byteLength(text);
    this.header(TYPE.verbatim, bytes + 4);
    this.ensure(bytes + 6);
    this.slabUsed += this.slab.write(`${format}:`, this.slabUsed, 'latin1');
    this.slabUsed += this.slab.write(text, this.slabUsed, 'utf8');
    this.crlf();
  }

  /** RESP3 big number, e.g. '3492890328409238509324850943850943825024385'. */
  bigNumber(value: string | bigint): void {
    const text = typeof value === 'bigint' ? value.toString() : value;
    assert.ok(/^-?[0-9]+$/.test(text), 'a big number is an optional minus and digits');
    if (this.protocol === 2) return this.bulk(text);
    this.line(TYPE.bigNumber, text);
  }

  /** An array of bulks, null entries as null bulks. */
  bulkArray(items: readonly (Buffer | null)[]): void {
    this.arrayHeader(items.length);
    for (const item of items) {
      if (item === null) this.nullBulk();
      else this.bulk(item);
    }
  }

  bytesPending(): number {
    return this.segmentBytes + this.slabUsed - this.slabStart;
  }

  /** All pending bytes as one Buffer (copied only when they span several segments). */
  take(): Buffer {
    if (this.segments.length === 0) {
      const bytes = this.slab.subarray(this.slabStart, this.slabUsed);
      this.slabStart = this.slabUsed;
      return bytes;
    }
    const bytes = this.bytesPending();
    return Buffer.concat(this.takeChunks(), bytes);
  }

  /**
   * The caller says every byte handed out so far is released (written to the socket, no view of
   * it kept): with nothing pending, the slab starts over, so a busy connection writes its replies
   * into the same memory instead of a new slab per SLAB_BYTES (their churn made the garbage
   * collector run full collections for the external memory).
   */
  recycle(): void {
    if (this.segments.length === 0 && this.slabUsed === this.slabStart) {
      this.slabStart = 0;
      this.slabUsed = 0;
    }
  }

  /** All pending bytes as the segments they are held in, for a vectored write. */
  takeChunks(): Buffer[] {
    this.seal();
    const chunks = this.segments;
    this.segments = [];
    this.segmentBytes = 0;
    return chunks;
  }

  private line(type: number | undefined, text: string | Buffer): void {
    const bytes = typeof text === 'string' ? Buffer.byteLength(text) : text.length;
    this.ensure(bytes + 3);
    if (type !== undefined) this.slab[this.slabUsed++] = type;
    const start = this.slabUsed;
    if (typeof text === 'string') {
      this.slabUsed += this.slab.write(CR_OR_LF.test(text) ? text.replace(CR_OR_LF_ALL, ' ') : text, start, 'utf8');
    } else {
      this.slabUsed += text.copy(this.slab, start);
      for (let index = start; index < this.slabUsed; index++) {
        if (this.slab[index] === CR || this.slab[index] === LF) this.slab[index] = SPACE;
      }
    }
    this.crlf();
  }

  private header(type: number, value: number | bigint): void {
    this.ensure(HEADER_BYTES_MAX);
    const slab = this.slab;
    slab[this.slabUsed++] = type;
    if (typeof value === 'number' && value >= 0 && value < SMALL_DECIMAL_MAX) {
      // digits written in place: no string for the lengths and counts of every reply
      let digits = 1;
      for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
      let at = this.slabUsed + digits;
      let rest = value;
      do {
        slab[--at] = 0x30 + (rest % 10);
        rest = Math.floor(rest / 10);
      } while (rest > 0);
      this.slabUsed += digits;
    } else {
      this.slabUsed += slab.write(value.toString(), this.slabUsed, 'latin1');
    }
    slab[this.slabUsed++] = CR;
    slab[this.slabUsed++] = LF;
  }

  private crlf(): void {
    this.ensure(2);
    this.slab[this.slabUsed++] = CR;
    this.slab[this.slabUsed++] = LF;
  }

  private ensure(bytes: number): void {
    if (this.slab.length - this.slabUsed >= bytes) return;
    const pending = this.slabUsed - this.slabStart;
    if (this.slabStart === 0 && pending + bytes <= SLAB_GROWN_BYTES_MAX) {
      // nothing of this slab was handed out: a larger one takes its pending bytes, so a batch of
      // replies past SLAB_BYTES stays one Buffer (no concat in take()) and recycle() reuses it
      const grown = Buffer.allocUnsafe(Math.min(SLAB_GROWN_BYTES_MAX, Math.max(2 * this.slab.length, pending + bytes)));
      this.slab.copy(grown, 0, 0, pending);
      this.slab = grown;
      return;
    }
    this.seal();
    this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, bytes));
    this.slabStart = 0;
    this.slabUsed = 0;
  }

  private seal(): void {
    if (this.slabUsed === this.slabStart) return;
    this.segments.push(this.slab.subarray(this.slabStart, this.slabUsed));
    this.segmentBytes += this.slabUsed - this.slabStart;
    this.slabStart = this.slabUsed;
  }

  private pushSegment(bytes: Buffer): void {
    this.seal();
    this.segments.push(bytes);
    this.segmentBytes += bytes.length;
  }
}

function checkedCount(count: number): number {
  assert.ok(Number.isSafeInteger(count) && count >= 0, 'an aggregate count is a non-negative integer');
  return count;
}

/**
 * A double as Redis 7.2+ prints it (d2string in src/util.c): nan, inf, -inf, 0, -0; integers
 * within +-2^62 in full; otherwise the shortest round-trip digits laid out as fpconv_dtoa's
 * emit_digits does (plain when the exponent is small, else 1.5e+20, 1e-7). fpconv's Grisu2 may
 * give one more digit than the shortest in rare cases; we always give the shortest.
 */
export function formatDouble(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  if (Number.isInteger(value) && Math.abs(value) <= 2 ** 62) {
    return Math.abs(value) <= Number.MAX_SAFE_INTEGER ? value.toString() : BigInt(value).toString();
  }
  const negative = value < 0;
  const [mantissa = '', exponentText = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  return (negative ? '-' : '') + emitDigits(digits, exponent - (digits.length - 1), negative);
}

/** fpconv_dtoa's emit_digits: `digits` times 10^k. */
function emitDigits(digits: string, k: number, negative: boolean): string {
  const count = digits.length;
  let exponent = Math.abs(k + count - 1);
  if (k >= 0 && exponent < count + 7) return digits + '0'.repeat(k);
  if (k < 0 && (k > -7 || exponent < 4)) {
    const offset = count + k;
    if (offset <= 0) return `0.${'0'.repeat(-offset)}${digits}`;
    return `${digits.slice(0, offset)}.${digits.slice(offset)}`;
  }
  const shown = Math.min(count, 18 - (negative ? 1 : 0));
  let text = digits[0] ?? '';
  if (shown > 1) text += `.${digits.slice(1, shown)}`;
  text += k + shown - 1 < 0 ? 'e-' : 'e+';
  const hundreds = Math.floor(exponent / 100);
  if (hundreds > 0) {
    text += String(hundreds);
    exponent -= hundreds * 100;
  }
  if (exponent > 9) text += String(Math.floor(exponent / 10));
  else if (hundreds > 0) text += '0';
  return text + String(exponent % 10);
}
