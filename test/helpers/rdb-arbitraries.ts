// test/helpers/rdb-arbitraries.ts: fast-check generators shared by the tests of the compact RDB
// codecs (src/types/rdb-listpack, rdb-ziplist, rdb-zipmap, rdb-intset): entries that reach every
// encoding (integers of every width, strings around every length boundary, binary bytes), and the
// damage a decoder must survive (cuts, changed bytes, bytes inserted or removed).
import fc from 'fast-check';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Boundaries of the integer encodings of listpack, ziplist and intset. */
const INTEGER_EDGES = [0n, 12n, 13n, 127n, 128n, -128n, -129n, 4095n, -4096n, 32767n, -32768n, 8388607n, -8388608n, 2147483647n, -2147483648n, INT64_MAX, INT64_MIN];

export const integerText: fc.Arbitrary<Buffer> = fc
  .oneof(fc.constantFrom(...INTEGER_EDGES), fc.bigInt(INT64_MIN, INT64_MAX), fc.integer({ min: -5000, max: 5000 }).map(BigInt))
  .map((value) => Buffer.from(value.toString(), 'latin1'));

/** Strings around the length boundaries of the encodings and backlens (16378 + 5 = a 16383-byte entry). */
const longString: fc.Arbitrary<Buffer> = fc
  .tuple(fc.constantFrom(62, 63, 64, 252, 253, 254, 4095, 4096, 16378, 16383, 16384, 20_000), fc.integer({ min: 0, max: 255 }))
  .map(([length, byte]) => Buffer.alloc(length, byte));

export const entryBytes: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 80 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 3, arbitrary: integerText },
  { weight: 1, arbitrary: fc.constantFrom('007', '-0', '+1', '1 ', '12345678901234567890', '9223372036854775808').map((text) => Buffer.from(text)) },
  { weight: 1, arbitrary: longString },
);

export const entryLists: fc.Arbitrary<Buffer[]> = fc.array(entryBytes, { maxLength: 40 });

/** A damaged copy of blob: cut short, a byte changed, bytes inserted or removed. */
export function damaged(blob: Buffer): fc.Arbitrary<Buffer> {
  const length = blob.length;
  return fc.oneof(
    fc.integer({ min: 0, max: Math.max(0, length - 1) }).map((cut) => blob.subarray(0, cut)),
    fc.tuple(fc.nat(Math.max(0, length - 1)), fc.integer({ min: 0, max: 255 })).map(([index, byte]) => {
      const copy = Buffer.from(blob);
      if (length > 0) copy[index] = byte;
      return copy;
    }),
    fc.tuple(fc.nat(length), fc.uint8Array({ minLength: 1, maxLength: 6 })).map(([index, bytes]) => Buffer.concat([blob.subarray(0, index), bytes, blob.subarray(index)])),
    fc.tuple(fc.nat(length), fc.integer({ min: 1, max: 6 })).map(([index, count]) => Buffer.concat([blob.subarray(0, index), blob.subarray(index + count)])),
  );
}
