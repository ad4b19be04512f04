// src/types/crc64.test.ts: Redis's CRC-64 against its published check value and in pieces.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc64 } from './crc64.js';

describe('crc64', () => {
  it('gives Redis self-test value for "123456789"', () => {
    expect(crc64(Buffer.from('123456789'))).toBe(0xe9c6d914c4b8d9can);
  });

  it('is 0 for no bytes', () => {
    expect(crc64(Buffer.alloc(0))).toBe(0n);
  });

  it('continues from a previous crc exactly as over the joined bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (bytes, cut) => {
        const at = bytes.length === 0 ? 0 : cut % bytes.length;
        expect(crc64(bytes.subarray(at), crc64(bytes.subarray(0, at)))).toBe(crc64(bytes));
      }),
    );
  });
});
