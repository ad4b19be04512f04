// src/types/lzf.test.ts: the LZF codec: round trips, Redis's give-up rule, and malformed input.
// Byte-for-byte agreement with Redis's compressor is checked in src/types/dump-payload.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lzfCompress, lzfDecompress, lzfExpandedBytesMax } from './lzf.js';

/** Bytes with long repeats, so back references of every length and offset appear. */
const repetitive = fc
  .array(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 60 })), { maxLength: 40 })
  .map((runs) => Buffer.concat(runs.flatMap(([chunk, times]) => Array.from({ length: times }, () => Buffer.from(chunk)))));

function roundTrip(input: Buffer): void {
  const compressed = lzfCompress(input, input.length + 64);
  expect(compressed).toBeDefined();
  const out = Buffer.alloc(input.length);
  expect(lzfDecompress(compressed as Buffer, out)).toBe(input.length);
  expect(out.equals(input)).toBe(true);
  expect(input.length).toBeLessThanOrEqual(lzfExpandedBytesMax((compressed as Buffer).length));
}

describe('lzf', () => {
  it('round-trips random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 2000 }), (bytes) => roundTrip(Buffer.from(bytes))));
  });

  it('round-trips repetitive bytes, long matches and far offsets included', () => {
    fc.assert(fc.property(repetitive.filter((bytes) => bytes.length > 0), roundTrip));
    roundTrip(Buffer.alloc(100_000, 'x'));
    roundTrip(Buffer.concat([Buffer.alloc(9000, 'a'), Buffer.from('needle'), Buffer.alloc(9000, 'b'), Buffer.from('needle')]));
  });

  it('compresses 100 "a" into the 9 bytes Redis writes', () => {
    expect(lzfCompress(Buffer.alloc(100, 'a'), 96)?.toString('hex')).toBe('016161e05700016161');
  });

  it('gives up when the output would not fit, as lzf_compress returns 0', () => {
    const noise = Buffer.from(Array.from({ length: 64 }, (_, index) => (index * 97 + 13) & 0xff));
    expect(lzfCompress(noise, noise.length - 4)).toBeUndefined();
    expect(lzfCompress(Buffer.alloc(0), 10)).toBeUndefined();
  });

  it('refuses malformed input with 0', () => {
    const out = Buffer.alloc(16);
    expect(lzfDecompress(Buffer.from([5, 1, 2]), out)).toBe(0); // literal run past the end
    expect(lzfDecompress(Buffer.from([0x20]), out)).toBe(0); // back reference cut short
    expect(lzfDecompress(Buffer.from([0xe0, 1]), out)).toBe(0); // long back reference cut short
    expect(lzfDecompress(Buffer.from([0, 0x61, 0x20, 5]), out)).toBe(0); // reference before the start
    expect(lzfDecompress(Buffer.from([20, ...Buffer.alloc(21)]), Buffer.alloc(4))).toBe(0); // output too small
    expect(lzfDecompress(Buffer.from([0, 0x61, 0x20, 0]), Buffer.alloc(2))).toBe(0); // reference too long for the output
  });

  it('writes only what the input holds when the output is larger', () => {
    expect(lzfDecompress(Buffer.from([1, 0x61, 0x62]), Buffer.alloc(10))).toBe(2);
  });
});
