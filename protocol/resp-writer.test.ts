// protocol/resp-writer.test.ts: golden bytes for every reply type in RESP2 and RESP3, the
// slab and by-reference bulks, Redis's double formatting, and redis-parser decoding RESP2.
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BULK_COPY_BYTES_MIN, REPLY, REPLY_OK, RespWriter, SLAB_BYTES, SLAB_GROWN_BYTES_MAX, formatDouble } from './resp-writer.js';

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

function encode(protocol: 2 | 3, write: (writer: RespWriter) => void): string {
  const writer = new RespWriter(protocol);
  write(writer);
  return writer.take().toString('latin1');
}

type Golden = [name: string, write: (writer: RespWriter) => void, resp2: string, resp3: string];
const GOLDEN: Golden[] = [
  ['simple', (w) => w.simple('OK'), '+OK\r\n', '+OK\r\n'],
  ['error', (w) => w.error('ERR syntax error'), '-ERR syntax error\r\n', '-ERR syntax error\r\n'],
  ['integer 0', (w) => w.integer(0), ':0\r\n', ':0\r\n'],
  ['integer 1', (w) => w.integer(1), ':1\r\n', ':1\r\n'],
  ['integer -42', (w) => w.integer(-42), ':-42\r\n', ':-42\r\n'],
  ['integer int64 max', (w) => w.integer(9223372036854775807n), ':9223372036854775807\r\n', ':9223372036854775807\r\n'],
  ['bulk buffer', (w) => w.bulk(Buffer.from([0, 13, 10, 255])), '$4\r\n\x00\r\n\xff\r\n', '$4\r\n\x00\r\n\xff\r\n'],
  ['bulk string', (w) => w.bulk('héllo'), '$6\r\nh\xc3\xa9llo\r\n', '$6\r\nh\xc3\xa9llo\r\n'],
  ['empty bulk', (w) => w.bulk(''), '$0\r\n\r\n', '$0\r\n\r\n'],
  ['null bulk', (w) => w.nullBulk(), '$-1\r\n', '_\r\n'],
  ['null array', (w) => w.nullArray(), '*-1\r\n', '_\r\n'],
  ['array', (w) => (w.arrayHeader(2), w.integer(7), w.simple('x')), '*2\r\n:7\r\n+x\r\n', '*2\r\n:7\r\n+x\r\n'],
  ['empty array', (w) => w.arrayHeader(0), '*0\r\n', '*0\r\n'],
  ['map', (w) => (w.mapHeader(1), w.bulk('k'), w.integer(12)), '*2\r\n$1\r\nk\r\n:12\r\n', '%1\r\n$1\r\nk\r\n:12\r\n'],
  ['set', (w) => (w.setHeader(2), w.bulk('a'), w.bulk('b')), '*2\r\n$1\r\na\r\n$1\r\nb\r\n', '~2\r\n$1\r\na\r\n$1\r\nb\r\n'],
  ['push', (w) => (w.pushHeader(1), w.bulk('m')), '*1\r\n$1\r\nm\r\n', '>1\r\n$1\r\nm\r\n'],
  ['double', (w) => w.double(1.5), '$3\r\n1.5\r\n', ',1.5\r\n'],
  ['double integer', (w) => w.double(10), '$2\r\n10\r\n', ',10\r\n'],
  ['double inf', (w) => w.double(Infinity), '$3\r\ninf\r\n', ',inf\r\n'],
  ['double -inf', (w) => w.double(-Infinity), '$4\r\n-inf\r\n', ',-inf\r\n'],
  ['double text', (w) => w.doubleText('0.10000000000000001'), '$19\r\n0.10000000000000001\r\n', ',0.10000000000000001\r\n'],
  ['double nan', (w) => w.double(NaN), '$3\r\nnan\r\n', ',nan\r\n'],
  ['boolean true', (w) => w.boolean(true), ':1\r\n', '#t\r\n'],
  ['boolean false', (w) => w.boolean(false), ':0\r\n', '#f\r\n'],
  ['verbatim', (w) => w.verbatim('Some string'), '$11\r\nSome string\r\n', '=15\r\ntxt:Some string\r\n'],
  ['verbatim markdown', (w) => w.verbatim('# x', 'mkd'), '$3\r\n# x\r\n', '=7\r\nmkd:# x\r\n'],
  ['big number', (w) => w.bigNumber('3492890328409238509324850943850943825024385'), '$43\r\n3492890328409238509324850943850943825024385\r\n', '(3492890328409238509324850943850943825024385\r\n'],
  ['big number from bigint', (w) => w.bigNumber(-12n), '$3\r\n-12\r\n', '(-12\r\n'],
  ['bulk array', (w) => w.bulkArray([Buffer.from('a'), null]), '*2\r\n$1\r\na\r\n$-1\r\n', '*2\r\n$1\r\na\r\n_\r\n'],
  ['raw constant', (w) => w.raw(REPLY_OK), '+OK\r\n', '+OK\r\n'],
];

describe('RespWriter golden bytes', () => {
  for (const [name, write, resp2, resp3] of GOLDEN) {
    it(`writes ${name} as Redis does in RESP2 and RESP3`, () => {
      expect(encode(2, write)).toBe(resp2);
      expect(encode(3, write)).toBe(resp3);
    });
  }

  it('follows a protocol switch from the next reply on, as after HELLO 3', () => {
    const writer = new RespWriter();
    writer.nullBulk();
    writer.protocol = 3;
    writer.nullBulk();
    expect(writer.take().toString()).toBe('$-1\r\n_\r\n');
  });

  it('turns CR and LF inside errors and simple strings into spaces', () => {
    expect(encode(2, (w) => w.error('ERR bad\r\nthing'))).toBe('-ERR bad  thing\r\n');
    expect(encode(2, (w) => w.simple('a\nb'))).toBe('+a b\r\n');
    expect(encode(2, (w) => w.error(Buffer.from('ERR x\ry')))).toBe('-ERR x y\r\n');
  });

  it('does not double the dash of an error already written with one', () => {
    expect(encode(2, (w) => w.error('-NOPROTO unsupported protocol version'))).toBe('-NOPROTO unsupported protocol version\r\n');
  });

  it('writes integers and lengths of every magnitude as decimal text', () => {
    const values = [0, 1, 9, 10, 99, 100, 12345, 2 ** 31 - 1, 2 ** 31, 2 ** 53 - 1, -1, -10, -(2 ** 53 - 1)];
    const writer = new RespWriter();
    for (const value of values) writer.integer(value);
    expect(writer.take().toString()).toBe(values.map((value) => `:${value}\r\n`).join(''));
    writer.arrayHeader(1234);
    writer.bulk(Buffer.alloc(100, 'x'));
    expect(writer.take().toString()).toBe(`*1234\r\n$100\r\n${'x'.repeat(100)}\r\n`);
  });

  it('refuses integers that are not safe integers, a programmer error', () => {
    expect(() => encode(2, (w) => w.integer(1.5))).toThrow();
    expect(() => encode(2, (w) => w.integer(2 ** 60))).toThrow();
    expect(() => encode(2, (w) => w.integer(2n ** 63n))).toThrow();
  });
});

describe('RespWriter buffers', () => {
  it('hands out the slab without copying and never overwrites bytes already taken', () => {
    const writer = new RespWriter();
    writer.simple('first');
    const first = writer.take();
    writer.simple('second');
    const second = writer.take();
    expect(first.buffer).toBe(second.buffer);
    expect(first.toString()).toBe('+first\r\n');
    expect(second.toString()).toBe('+second\r\n');
    expect(writer.bytesPending()).toBe(0);
    expect(writer.take().length).toBe(0);
  });

  it('writes a bulk of a slice of a larger buffer as bulk() writes the slice', () => {
    const source = Buffer.from(Array.from({ length: BULK_COPY_BYTES_MIN + 600 }, (_, index) => index % 251));
    const slices: [number, number][] = [[0, 0], [3, 1], [10, 32], [50, 255], [7, 256], [300, 257], [1, 4000], [5, BULK_COPY_BYTES_MIN], [0, source.length]];
    const sliced = new RespWriter();
    const viewed = new RespWriter();
    for (let round = 0; round < 40; round++) { // past one slab
      for (const [offset, length] of slices) {
        sliced.bulkSlice(source, offset, length);
        viewed.bulk(source.subarray(offset, offset + length));
      }
    }
    expect(sliced.bytesPending()).toBeGreaterThan(SLAB_BYTES);
    expect(sliced.take().equals(viewed.take())).toBe(true);
  });

  it('grows a slab none of whose bytes were taken, and starts it over on recycle() once all is taken', () => {
    const writer = new RespWriter();
    const value = Buffer.alloc(1000, 0x79);
    const expected: Buffer[] = [];
    for (let index = 0; index < 150; index++) { // ~150 KB: past SLAB_BYTES, within SLAB_GROWN_BYTES_MAX
      writer.bulk(value);
      expected.push(Buffer.from(`$1000\r\n${value.toString()}\r\n`));
    }
    const batch = writer.take();
    expect(batch.equals(Buffer.concat(expected))).toBe(true);
    expect(batch.byteOffset).toBe(0); // one slab from its start: no concat
    expect(batch.buffer.byteLength).toBeLessThanOrEqual(SLAB_GROWN_BYTES_MAX);
    writer.simple('pending');
    writer.recycle(); // refused: bytes are pending
    expect(writer.take().toString()).toBe('+pending\r\n');
    writer.recycle();
    writer.simple('again');
    const again = writer.take();
    expect(again.buffer).toBe(batch.buffer);
    expect(again.byteOffset).toBe(batch.byteOffset);
    expect(again.toString()).toBe('+again\r\n');
  });

  it('queues a large bulk by reference instead of copying it', () => {
    const value = Buffer.alloc(BULK_COPY_BYTES_MIN, 0x78);
    const writer = new RespWriter();
    writer.integer(5);
    writer.bulk(value);
    writer.integer(6);
    expect(writer.bytesPending()).toBe(4 + 8 + value.length + 2 + 4);
    const chunks = writer.takeChunks();
    expect(chunks).toContain(value);
    expect(Buffer.concat(chunks).toString()).toBe(`:5\r\n$${value.length}\r\n${value.toString()}\r\n:6\r\n`);
    expect(writer.bytesPending()).toBe(0);
  });

  it('starts a new slab when the current one is full and keeps the order', () => {
    const writer = new RespWriter();
    const values = Array.from({ length: 40 }, (_, index) => Buffer.alloc(BULK_COPY_BYTES_MIN - 1, 0x61 + (index % 26)));
    for (const value of values) writer.bulk(value);
    const expected = Buffer.concat(values.flatMap((value) => [Buffer.from(`$${value.length}\r\n`), value, Buffer.from('\r\n')]));
    expect(writer.bytesPending()).toBe(expected.length);
    expect(expected.length).toBeGreaterThan(SLAB_BYTES);
    expect(writer.take().equals(expected)).toBe(true);
  });

  it('writes a simple string longer than a slab', () => {
    const text = 'x'.repeat(SLAB_BYTES * 2);
    expect(encode(2, (w) => (w.integer(3), w.simple(text)))).toBe(`:3\r\n+${text}\r\n`);
  });

  it('copies raw bytes of every length in order, across slab boundaries', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 80 }), { maxLength: 3000 }), (chunks) => {
        const writer = new RespWriter();
        const parts = chunks.map((chunk) => Buffer.from(chunk));
        for (const part of parts) writer.raw(part);
        expect(writer.take().equals(Buffer.concat(parts))).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('keeps the shared reply constants intact', () => {
    expect(REPLY.ok.toString()).toBe('+OK\r\n');
    expect(REPLY.nullBulk.toString()).toBe('$-1\r\n');
    expect(REPLY.null.toString()).toBe('_\r\n');
  });
});

describe('formatDouble', () => {
  it('prints doubles as Redis 7.2 d2string does', () => {
    const cases: [number, string][] = [
      [0, '0'],
      [-0, '-0'],
      [1, '1'],
      [-3, '-3'],
      [1.5, '1.5'],
      [0.1 + 0.2, '0.30000000000000004'],
      [1 / 3, '0.3333333333333333'],
      [123.456, '123.456'],
      [0.0001, '0.0001'],
      [0.000001, '0.000001'],
      [1e-7, '1e-7'],
      [-1.5e-10, '-1.5e-10'],
      [1e18, '1000000000000000000'],
      [2 ** 62, '4611686018427387904'],
      [1e19, '1e+19'],
      [1.5e20, '1.5e+20'],
      [12345678901234567890, '12345678901234567000'],
      [1e21, '1e+21'],
      [1e100, '1e+100'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
      [5e-324, '5e-324'],
      [3.14e-5, '3.14e-5'],
      [2.5e-100, '2.5e-100'],
      [1.05e-5, '1.05e-5'],
      [0.00001, '0.00001'],
      [1.5e-6, '1.5e-6'],
      [0.001234, '0.001234'],
      [Infinity, 'inf'],
      [-Infinity, '-inf'],
      [NaN, 'nan'],
    ];
    for (const [value, text] of cases) expect(formatDouble(value), String(value)).toBe(text);
  });

  it('prints every finite double so that it reads back exactly', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        expect(Object.is(Number(formatDouble(value)), value)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('RespWriter and redis-parser', () => {
  type Reply =
    | { kind: 'simple'; text: string }
    | { kind: 'error'; text: string }
    | { kind: 'integer'; value: number }
    | { kind: 'bulk'; value: Buffer | null }
    | { kind: 'array'; items: Reply[] | null };

  const leaf: fc.Arbitrary<Reply> = fc.oneof(
    fc.string({ unit: fc.constantFrom(...'abc XYZ:+-_'), maxLength: 20 }).map((text): Reply => ({ kind: 'simple', text })),
    fc.string({ unit: fc.constantFrom(...'abc XYZ:+-_'), maxLength: 20 }).map((text): Reply => ({ kind: 'error', text: `ERR ${text}` })),
    fc.integer().map((value): Reply => ({ kind: 'integer', value })),
    fc.option(fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes))).map((value): Reply => ({ kind: 'bulk', value })),
  );
  const reply: fc.Arbitrary<Reply> = fc.letrec<{ reply: Reply }>((tie) => ({
    reply: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.option(fc.array(tie('reply'), { maxLength: 5 })).map((items): Reply => ({ kind: 'array', items })),
    ),
  })).reply;

  function write(writer: RespWriter, value: Reply): void {
    if (value.kind === 'simple') writer.simple(value.text);
    else if (value.kind === 'error') writer.error(value.text);
    else if (value.kind === 'integer') writer.integer(value.value);
    else if (value.kind === 'bulk') value.value === null ? writer.nullBulk() : writer.bulk(value.value);
    else if (value.items === null) writer.nullArray();
    else {
      writer.arrayHeader(value.items.length);
      for (const item of value.items) write(writer, item);
    }
  }

  function expected(value: Reply): unknown {
    if (value.kind === 'simple') return Buffer.from(value.text).toString('hex');
    if (value.kind === 'error') return `error:${value.text}`;
    if (value.kind === 'integer') return value.value;
    if (value.kind === 'bulk') return value.value === null ? null : value.value.toString('hex');
    return value.items === null ? null : value.items.map(expected);
  }

  function normalize(decoded: unknown): unknown {
    if (Buffer.isBuffer(decoded)) return decoded.toString('hex');
    if (decoded instanceof Error) return `error:${decoded.message}`;
    if (Array.isArray(decoded)) return decoded.map(normalize);
    return decoded;
  }

  it('writes RESP2 replies that redis-parser decodes to the values written', () => {
    fc.assert(
      fc.property(fc.array(reply, { minLength: 1, maxLength: 6 }), (replies) => {
        const writer = new RespWriter(2);
        for (const value of replies) write(writer, value);
        const decoded: unknown[] = [];
        const parser = new RedisParser({
          returnReply: (value) => decoded.push(normalize(value)),
          returnError: (error) => decoded.push(normalize(error)),
          returnFatalError: (error) => {
            throw error;
          },
          returnBuffers: true,
        });
        parser.execute(writer.take());
        expect(decoded).toEqual(replies.map(expected));
      }),
      { numRuns: 500 },
    );
  });
});
