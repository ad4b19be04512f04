// protocol/resp-reader.test.ts: the request reader against Redis's framing rules, its limits and
// error texts (src/networking.c, tests/unit/protocol.tcl), and redis-parser as an oracle.
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scaled } from '../test/helpers/scale.js';
import { PROTOCOL_ERROR_TEXT, RespProtocolError } from './errors.js';
import {
  BULK_BIG_BYTES_MIN,
  REDIS_READER_LIMITS,
  REDIS_UNAUTHENTICATED_LIMITS,
  RespReader,
  parseRedisInteger,
  type ReaderLimits,
} from './resp-reader.js';

interface ReplyParser {
  execute(bytes: Buffer): void;
}
type ReplyParserConstructor = new (options: {
  returnReply: (reply: unknown) => void;
  returnError: (error: Error) => void;
  returnFatalError: (error: Error) => void;
  returnBuffers: boolean;
}) => ReplyParser;
const RedisParser = createRequire(import.meta.url)('redis-parser') as ReplyParserConstructor;

const UNAUTHENTICATED: ReaderLimits = { ...REDIS_READER_LIMITS, unauthenticated: REDIS_UNAUTHENTICATED_LIMITS };

function encodeCommand(args: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) parts.push(Buffer.from(`$${arg.length}\r\n`), arg, Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

interface Outcome {
  commands: string[][]; // arguments as hex, to compare with toEqual
  error: string | undefined;
}

/** Feeds `bytes` in pieces cut at `cuts`, draining next() after each piece. */
function readAll(bytes: Buffer, cuts: readonly number[] = [], limits: ReaderLimits = REDIS_READER_LIMITS): Outcome {
  const reader = new RespReader(limits);
  const outcome: Outcome = { commands: [], error: undefined };
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  let start = 0;
  for (const end of [...points, bytes.length]) {
    reader.feed(bytes.subarray(start, end));
    start = end;
    try {
      for (let command = reader.next(); command !== undefined; command = reader.next()) {
        outcome.commands.push(command.map((arg) => arg.toString('hex')));
      }
    } catch (error) {
      if (!(error instanceof RespProtocolError)) throw error;
      outcome.error = error.message;
      return outcome;
    }
  }
  return outcome;
}

function firstError(text: string, limits: ReaderLimits = REDIS_READER_LIMITS): string | undefined {
  return readAll(Buffer.from(text, 'latin1'), [], limits).error;
}

function everyByteCut(length: number): number[] {
  return Array.from({ length }, (_, index) => index);
}

const argArbitrary = fc.uint8Array({ maxLength: 48 }).map((bytes) => Buffer.from(bytes));
const commandArbitrary = fc.array(argArbitrary, { minLength: 1, maxLength: 8 });
const commandsArbitrary = fc.array(commandArbitrary, { minLength: 1, maxLength: 8 });
/** A plain assertion for hot loops, where expect() would dominate the run time. */
function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

const hex = (commands: Buffer[][]): string[][] => commands.map((args) => args.map((arg) => arg.toString('hex')));

describe('RespReader multibulk framing', () => {
  it('returns arguments that are subarrays of the chunk fed, without copying', () => {
    const chunk = Buffer.from('*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n');
    const reader = new RespReader(REDIS_READER_LIMITS);
    reader.feed(chunk);
    const command = reader.next();
    expect(command?.map(String)).toEqual(['GET', 'key']);
    expect(command?.[0]?.buffer).toBe(chunk.buffer);
    expect(reader.next()).toBeUndefined();
    expect(reader.bufferedBytes()).toBe(0);
  });

  it('reads pipelined multibulk and inline commands in order', () => {
    const bytes = Buffer.from('*1\r\n$4\r\nPING\r\nECHO hi\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\nPING\n');
    expect(readAll(bytes).commands.map((args) => args.map((arg) => Buffer.from(arg, 'hex').toString()))).toEqual([
      ['PING'],
      ['ECHO', 'hi'],
      ['ECHO', ''],
      ['PING'],
    ]);
  });

  it('skips empty lines, *0, *-1 and *-10 as Redis does', () => {
    const bytes = Buffer.from('\r\n\n   \r\n*0\r\n*-1\r\n*-10\r\n*1\r\n$4\r\nPING\r\n');
    const reader = new RespReader(REDIS_READER_LIMITS);
    reader.feed(bytes);
    expect(reader.next()?.map(String)).toEqual(['PING']);
    expect(reader.next()).toBeUndefined();
  });

  it('returns undefined until a command split across chunks is complete', () => {
    const reader = new RespReader(REDIS_READER_LIMITS);
    reader.feed(Buffer.from('*2\r\n$3\r\nS'));
    expect(reader.next()).toBeUndefined();
    expect(reader.bufferedBytes()).toBe(9);
    reader.feed(Buffer.from('ET\r\n$1'));
    expect(reader.next()).toBeUndefined();
    reader.feed(Buffer.from('\r\nx\r'));
    expect(reader.next()).toBeUndefined();
    reader.feed(Buffer.from('\n'));
    expect(reader.next()?.map(String)).toEqual(['SET', 'x']);
    expect(reader.bufferedBytes()).toBe(0);
  });

  it('skips the byte after a header CR and the two bytes after a bulk unread, like Redis', () => {
    expect(readAll(Buffer.from('*2\rX$3\r\nfooAB$1\rYzCD')).commands).toEqual([['666f6f', '7a']]);
  });

  it('round-trips random binary commands fed whole, split at random offsets and byte by byte', () => {
    fc.assert(
      fc.property(commandsArbitrary, fc.array(fc.nat(), { maxLength: 12 }), (commands, cuts) => {
        const bytes = Buffer.concat(commands.map(encodeCommand));
        const expected = { commands: hex(commands), error: undefined };
        expect(readAll(bytes)).toEqual(expected);
        expect(readAll(bytes, cuts)).toEqual(expected);
        expect(readAll(bytes, everyByteCut(bytes.length))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes multibulk input as redis-parser does', () => {
    fc.assert(
      fc.property(commandsArbitrary, fc.array(fc.nat(), { maxLength: 6 }), (commands, cuts) => {
        const bytes = Buffer.concat(commands.map(encodeCommand));
        const oracle: string[][] = [];
        const parser = new RedisParser({
          returnReply: (reply) => oracle.push((reply as Buffer[]).map((arg) => arg.toString('hex'))),
          returnError: (error) => {
            throw error;
          },
          returnFatalError: (error) => {
            throw error;
          },
          returnBuffers: true,
        });
        parser.execute(bytes);
        expect(readAll(bytes, cuts).commands).toEqual(oracle);
      }),
      { numRuns: 300 },
    );
  });

  it('reads a big bulk arriving in small chunks into one buffer of exactly its length plus CRLF', () => {
    const value = Buffer.alloc(BULK_BIG_BYTES_MIN * 3 + 7, 0x61);
    value[0] = 0x62;
    value[value.length - 1] = 0x63;
    const bytes = Buffer.concat([encodeCommand([Buffer.from('SET'), Buffer.from('k'), value]), Buffer.from('PING\r\n')]);
    const reader = new RespReader(REDIS_READER_LIMITS);
    const commands: Buffer[][] = [];
    for (let start = 0; start < bytes.length; start += 1000) {
      reader.feed(bytes.subarray(start, start + 1000));
      for (let command = reader.next(); command !== undefined; command = reader.next()) commands.push(command);
    }
    expect(commands.length).toBe(2);
    const argument = commands[0]?.[2];
    expect(argument?.equals(value)).toBe(true);
    expect(argument?.buffer.byteLength).toBe(value.length + 2);
    expect(commands[1]?.map(String)).toEqual(['PING']);
    expect(reader.bufferedBytes()).toBe(0);
  });

  it('round-trips commands with big bulks split at random offsets', () => {
    const big = fc.integer({ min: BULK_BIG_BYTES_MIN - 2, max: BULK_BIG_BYTES_MIN + 2000 }).map((length) => Buffer.alloc(length, length % 251));
    fc.assert(
      fc.property(fc.array(fc.oneof(argArbitrary, big), { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 40 }), (args, cuts) => {
        const bytes = Buffer.concat([encodeCommand(args), encodeCommand([Buffer.from('x')])]);
        expect(readAll(bytes, cuts)).toEqual({ commands: hex([args, [Buffer.from('x')]]), error: undefined });
      }),
      { numRuns: 60 },
    );
  });

  it('keeps arguments already returned intact while it reads on', () => {
    const reader = new RespReader(REDIS_READER_LIMITS);
    reader.feed(Buffer.from('*2\r\n$1\r\na\r\n$1\r\nb\r\n*1\r\n$3\r\nab'));
    const first = reader.next();
    expect(reader.next()).toBeUndefined();
    for (let index = 0; index < 100; index++) reader.feed(Buffer.from(`c\r\n*1\r\n$3\r\nab`));
    for (let command = reader.next(); command !== undefined; command = reader.next()) expect(command.map(String)).toEqual(['abc']);
    expect(first?.map(String)).toEqual(['a', 'b']);
  });
});

describe('RespReader inline requests', () => {
  it('splits an inline line with quotes and escapes', () => {
    const reader = new RespReader(REDIS_READER_LIMITS);
    reader.feed(Buffer.from('set "a b" \'c\\\'d\' "\\x41\\n"\r\n'));
    expect(reader.next()?.map(String)).toEqual(['set', 'a b', "c'd", 'A\n']);
  });

  it('ends an inline line at LF alone and drops only one CR before it', () => {
    expect(readAll(Buffer.from('PING\nPING\r\r\n')).commands).toEqual([['50494e47'], ['50494e47']]);
  });

  it('keeps empty quoted arguments of an inline line', () => {
    const reader = new RespReader(REDIS_READER_LIMITS);
    reader.feed(Buffer.from('set k ""\r\n'));
    expect(reader.next()?.map(String)).toEqual(['set', 'k', '']);
  });

  it('fails on unbalanced quotes in an inline line', () => {
    expect(firstError('set "a\r\n')).toBe(PROTOCOL_ERROR_TEXT.unbalancedQuotes);
    expect(firstError("set 'a\r\n")).toBe(PROTOCOL_ERROR_TEXT.unbalancedQuotes);
    expect(firstError('set "a"b\r\n')).toBe(PROTOCOL_ERROR_TEXT.unbalancedQuotes);
  });
});

describe('RespReader limits and error texts', () => {
  const limit = REDIS_READER_LIMITS.inlineBytesMax;

  it('fails with too big inline request past 64 KiB without a newline', () => {
    expect(firstError('A'.repeat(limit))).toBeUndefined();
    expect(firstError('A'.repeat(limit + 1))).toBe('Protocol error: too big inline request');
    expect(readAll(Buffer.from(`${'A'.repeat(limit)}\n`)).commands.length).toBe(1);
    expect(firstError(`${'A'.repeat(limit + 1)}\n`)).toBe('Protocol error: too big inline request');
  });

  it('fails with too big mbulk count string past 64 KiB without a CR', () => {
    expect(firstError(`*${'1'.repeat(limit - 1)}`)).toBeUndefined();
    expect(firstError(`*${'1'.repeat(limit)}`)).toBe('Protocol error: too big mbulk count string');
  });

  it('fails with too big bulk count string past 64 KiB without a CR', () => {
    expect(firstError(`*1\r\n$${'1'.repeat(limit - 1)}`)).toBeUndefined();
    expect(firstError(`*1\r\n$${'1'.repeat(limit)}`)).toBe('Protocol error: too big bulk count string');
  });

  it('fails with invalid multibulk length on a count past argsMax or not a number', () => {
    expect(firstError('*3000000000\r\n')).toBe('Protocol error: invalid multibulk length');
    expect(firstError('*20000000\r\n', { ...REDIS_READER_LIMITS, argsMax: 1024 * 1024 })).toBe('Protocol error: invalid multibulk length');
    for (const count of ['abc', '', '+1', '01', '1 ', '99999999999999999999']) {
      expect(firstError(`*${count}\r\n`)).toBe('Protocol error: invalid multibulk length');
    }
  });

  it('fails with invalid bulk length on a negative, oversized or non-numeric length', () => {
    expect(firstError('*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-10\r\n')).toBe('Protocol error: invalid bulk length');
    expect(firstError('*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$2000000000\r\n')).toBe('Protocol error: invalid bulk length');
    expect(firstError('*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$blabla\r\n')).toBe('Protocol error: invalid bulk length');
    expect(firstError('*1\r\n$1\r\nx\r\n', { ...REDIS_READER_LIMITS, bulkBytesMax: 0 })).toBe('Protocol error: invalid bulk length');
  });

  it("fails with expected '$', got the byte actually found", () => {
    expect(firstError('*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n')).toBe("Protocol error: expected '$', got 'f'");
    expect(firstError('*1\r\nfoo\r\n')).toBe("Protocol error: expected '$', got 'f'");
    expect(firstError('*1\r\n\r\n')).toBe("Protocol error: expected '$', got ' '");
  });

  it('fails with unauthenticated multibulk length past 10 arguments before AUTH', () => {
    expect(firstError('*100\r\n', UNAUTHENTICATED)).toBe('Protocol error: unauthenticated multibulk length');
    expect(firstError('*11\r\n', UNAUTHENTICATED)).toBe('Protocol error: unauthenticated multibulk length');
    expect(firstError('*10\r\n', UNAUTHENTICATED)).toBeUndefined();
    expect(firstError('*3000000000\r\n', UNAUTHENTICATED)).toBe('Protocol error: invalid multibulk length');
  });

  it('fails with unauthenticated bulk length past 16 KiB before AUTH', () => {
    expect(firstError('*1\r\n$100000000\r\n', UNAUTHENTICATED)).toBe('Protocol error: unauthenticated bulk length');
    expect(firstError('*1\r\n$16385\r\n', UNAUTHENTICATED)).toBe('Protocol error: unauthenticated bulk length');
    expect(firstError('*1\r\n$16384\r\n', UNAUTHENTICATED)).toBeUndefined();
    expect(firstError('*1\r\n$600000000\r\n', UNAUTHENTICATED)).toBe('Protocol error: invalid bulk length');
  });

  it('applies new limits from the next header on, as after AUTH', () => {
    const reader = new RespReader(UNAUTHENTICATED);
    reader.feed(Buffer.from('*2\r\n$4\r\nAUTH\r\n$1\r\np\r\n*11\r\n'));
    expect(reader.next()?.map(String)).toEqual(['AUTH', 'p']);
    reader.setLimits(REDIS_READER_LIMITS);
    expect(reader.next()).toBeUndefined();
  });

  it('fails like Redis after a NUL byte desyncs a request, once the limit is buffered', () => {
    for (const start of ['\x00', '*\x00', '$\x00', 'PING\x00\n', '*1\r\n$\x00\r\n']) {
      const reader = new RespReader(REDIS_READER_LIMITS);
      reader.feed(Buffer.from(start, 'latin1'));
      let error: unknown;
      for (let round = 0; round < 100 && error === undefined; round++) {
        reader.feed(Buffer.from(`${'A'.repeat(1024)}\n`));
        try {
          expect(reader.next()).toBeUndefined();
        } catch (caught) {
          error = caught;
        }
        expect(reader.bufferedBytes()).toBeLessThanOrEqual(limit + 1030);
      }
      expect(error).toBeInstanceOf(RespProtocolError);
      expect((error as Error).message).toMatch(/^Protocol error: too big (inline request|mbulk count string|bulk count string)$/);
    }
  });

  it('counts the bytes fed after a NUL byte against the limit without keeping them', () => {
    for (const start of ['\x00', '*\x00']) {
      const reader = new RespReader(REDIS_READER_LIMITS);
      reader.feed(Buffer.from(start, 'latin1'));
      expect(reader.next()).toBeUndefined();
      let fedBytes = start.length;
      while (fedBytes + 1000 <= limit) {
        reader.feed(Buffer.alloc(1000, 0x41)); // one read each: a byte-per-read client would pin a buffer per read
        fedBytes += 1000;
        expect(reader.next()).toBeUndefined();
        expect(reader.heldBytes()).toBe(start.length);
        expect(reader.bufferedBytes()).toBe(fedBytes);
      }
      reader.feed(Buffer.alloc(1000, 0x41));
      expect(() => reader.next()).toThrow(/^Protocol error: too big (inline request|mbulk count string)$/);
      expect(reader.heldBytes()).toBe(start.length);
    }
  });

  it('keeps throwing the same error after a protocol error', () => {
    const reader = new RespReader(REDIS_READER_LIMITS);
    reader.feed(Buffer.from('*1\r\n$4\r\nPING\r\n*x\r\n'));
    expect(reader.next()?.map(String)).toEqual(['PING']);
    expect(() => reader.next()).toThrow('Protocol error: invalid multibulk length');
    reader.feed(Buffer.from('*1\r\n$4\r\nPING\r\n'));
    expect(() => reader.next()).toThrow('Protocol error: invalid multibulk length');
  });

  it('reports the stream offset of the request that failed and the limit crossed', () => {
    const reader = new RespReader({ ...REDIS_READER_LIMITS, bulkBytesMax: 8 });
    reader.feed(Buffer.from('PING\r\n*1\r\n$9\r\n'));
    reader.next();
    try {
      reader.next();
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RespProtocolError);
      expect((error as RespProtocolError).offset).toBe(6);
      expect((error as RespProtocolError).limit).toBe(8);
      expect((error as RespProtocolError).reason).toBe('invalidBulkLength');
      expect((error as RespProtocolError).code).toBe('ERR_RESP_PROTOCOL');
    }
  });
});

describe('parseRedisInteger', () => {
  const parse = (text: string): number | null => parseRedisInteger(Buffer.from(text), 0, text.length);

  it('accepts what string2ll accepts', () => {
    expect(parse('0')).toBe(0);
    expect(parse('7')).toBe(7);
    expect(parse('-12')).toBe(-12);
    expect(parse('9223372036854775807')).toBe(9223372036854775807);
    expect(parse('-9223372036854775808')).toBe(-9223372036854775808);
  });

  it('rejects signs, spaces, leading zeros and 64-bit overflow as string2ll does', () => {
    for (const text of ['', '-', '-0', '+1', '01', ' 1', '1 ', '1a', '0x10', '9223372036854775808', '-9223372036854775809', '123456789012345678901']) {
      expect(parse(text)).toBeNull();
    }
  });
});

describe('RespReader fuzz', () => {
  const small: ReaderLimits = { inlineBytesMax: 40, bulkBytesMax: 24, argsMax: 4 };
  const smallUnauthenticated: ReaderLimits = { ...small, unauthenticated: { argsMax: 2, bulkBytesMax: 8 } };
  // The incomplete request left when next() returns undefined: a count line, argsMax headers and
  // bulks, each header line at most inlineBytesMax plus its CR and the byte after it.
  const bound = (limits: ReaderLimits): number => (limits.inlineBytesMax + 2) * (limits.argsMax + 1) + limits.argsMax * (limits.bulkBytesMax + 2);
  const texts = new Set<string>(Object.values(PROTOCOL_ERROR_TEXT).filter((text) => !text.endsWith('got ')));

  const validFrame = fc.oneof(
    fc.array(fc.uint8Array({ maxLength: 28 }), { minLength: 1, maxLength: 5 }).map((args) => encodeCommand(args.map((arg) => Buffer.from(arg)))),
    fc.constantFrom('PING\r\n', 'set a "b\\x41"\n', '\r\n', '*0\r\n', '*-1\r\n', "get 'x'\r\n").map((text) => Buffer.from(text)),
  );
  const mutation = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'insert', 'delete'));
  const mutated = fc.tuple(fc.array(validFrame, { minLength: 1, maxLength: 4 }), fc.array(mutation, { maxLength: 3 })).map(([frames, mutations]) => {
    const bytes = [...Buffer.concat(frames)];
    for (const [position, byte, kind] of mutations) {
      const index = position % (bytes.length + 1);
      if (kind === 'insert') bytes.splice(index, 0, byte);
      else if (kind === 'delete') bytes.splice(index, 1);
      else if (index < bytes.length) bytes[index] = byte;
    }
    return Buffer.from(bytes);
  });
  // Valid framing but for the way a count or length is written: leading zeros, signs, spaces,
  // long digit runs. Redis's string2ll rejects all of these but plain decimals.
  const headerVariant = fc.constantFrom('', '', '0', '00', '+', '-', ' ', '0000000000');
  const variantFrame = fc
    .tuple(fc.array(fc.uint8Array({ maxLength: 12 }), { minLength: 1, maxLength: 3 }), fc.array(headerVariant, { minLength: 4, maxLength: 4 }))
    .map(([args, variants]) => {
      const header = (type: string, value: number, index: number): string => `${type}${variants[index % variants.length]}${value}\r\n`;
      const parts = [Buffer.from(header('*', args.length, 0))];
      args.forEach((arg, index) => parts.push(Buffer.from(header('$', arg.length, index + 1)), Buffer.from(arg), Buffer.from('\r\n')));
      return Buffer.concat(parts);
    });
  const protocolBytes = fc.constantFrom(...Buffer.from('*$\r\n-0123456789 "\'\\x\x00aA'));
  const longLine = fc
    .tuple(fc.constantFrom('', '*', '*1\r\n$', 'GET '), fc.array(fc.constantFrom(...Buffer.from('0123456789 "\x00aA')), { minLength: 25, maxLength: 60 }), fc.constantFrom('', '\n', '\r\n'))
    .map(([head, body, tail]) => Buffer.concat([Buffer.from(head), Buffer.from(body), Buffer.from(tail)]));
  const input = fc.oneof(
    longLine,
    fc.array(fc.oneof(variantFrame, validFrame), { minLength: 1, maxLength: 3 }).map((frames) => Buffer.concat(frames)),
    fc.uint8Array({ maxLength: 160 }).map((bytes) => Buffer.from(bytes)),
    fc.array(protocolBytes, { maxLength: 160 }).map((bytes) => Buffer.from(bytes)),
    mutated,
  );

  it('throws nothing but RespProtocolError, never buffers past the limits and ignores how input is split', () => {
    fc.assert(
      fc.property(input, fc.array(fc.nat(), { maxLength: 6 }), fc.boolean(), (bytes, cuts, authenticated) => {
        const limits = authenticated ? small : smallUnauthenticated;
        const reader = new RespReader(limits);
        const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
        const split: Outcome = { commands: [], error: undefined };
        let start = 0;
        for (const end of [...points, bytes.length]) {
          reader.feed(bytes.subarray(start, end));
          start = end;
          try {
            for (let command = reader.next(); command !== undefined; command = reader.next()) {
              check(command.length > 0, 'an empty command was returned');
              split.commands.push(command.map((arg) => arg.toString('hex')));
            }
          } catch (error) {
            if (!(error instanceof RespProtocolError)) throw error;
            check(texts.has(error.message) || /^Protocol error: expected '\$', got '.'$/s.test(error.message), error.message);
            split.error = error.message;
            break;
          }
          check(reader.bufferedBytes() <= bound(limits), `${reader.bufferedBytes()} bytes buffered`);
        }
        const whole = readAll(bytes, [], limits);
        check(JSON.stringify(whole) === JSON.stringify(split), `whole ${JSON.stringify(whole)} split ${JSON.stringify(split)}`);
        // fed whole, complete requests take the one-pass path; a byte at a time, never
        const byteByByte = readAll(bytes, everyByteCut(bytes.length), limits);
        check(JSON.stringify(whole) === JSON.stringify(byteByByte), `whole ${JSON.stringify(whole)} byte by byte ${JSON.stringify(byteByByte)}`);
      }),
      { numRuns: scaled(30_000) },
    );
  }, scaled(20_000) + 40_000);
});
