// src/commands/scan.test.ts: SCAN's one-Buffer reply encoder against RespWriter, in both
// protocols: the same bytes for any cursor and any keys (empty, binary, long, many).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RespWriter } from '../../protocol/index.js';
import { SCAN_CURSOR_MAX, encodeScanReply } from './scan.js';

function viaWriter(protocol: 2 | 3, cursor: bigint, keys: readonly Buffer[]): Buffer {
  const out = new RespWriter(protocol);
  out.arrayHeader(2);
  out.bulk(cursor.toString());
  out.arrayHeader(keys.length);
  for (const key of keys) out.bulk(key);
  return Buffer.concat(out.takeChunks());
}

describe('encodeScanReply', () => {
  it('writes what arrayHeader and bulk write, in RESP2 and RESP3', () => {
    const key = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 90, maxLength: 20_000 })).map((bytes) => Buffer.from(bytes));
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: SCAN_CURSOR_MAX }), fc.array(key, { maxLength: 30 }), (cursor, keys) => {
        const encoded = encodeScanReply(cursor, keys);
        expect(encoded.equals(viaWriter(2, cursor, keys))).toBe(true);
        expect(encoded.equals(viaWriter(3, cursor, keys))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('encodes the end of a scan with no keys', () => {
    expect(encodeScanReply(0n, []).toString()).toBe('*2\r\n$1\r\n0\r\n*0\r\n');
  });

  it('encodes a thousand keys and the largest cursor', () => {
    const keys = Array.from({ length: 1000 }, (_, index) => Buffer.from(`key:${index}`));
    expect(encodeScanReply(SCAN_CURSOR_MAX, keys).equals(viaWriter(2, SCAN_CURSOR_MAX, keys))).toBe(true);
  });
});
