// storage/wal-tail.test.ts: the in-memory tail of recent batches: contiguity, the byte bound,
// reads bounded by a sequence number and by bytes.
import { describe, expect, it } from 'vitest';
import { WalTail, type WalBatchRecord } from './wal-tail.js';

function batch(firstSeq: number, count: number, bytes = 10): WalBatchRecord {
  return { firstSeq, lastSeq: firstSeq + count - 1, payload: Buffer.alloc(bytes, firstSeq) };
}

describe('WalTail', () => {
  it('keeps nothing while its bound is 0', () => {
    const tail = new WalTail(0);
    tail.push(batch(1, 1));
    expect(tail.firstSeq()).toBeUndefined();
    expect(tail.holds(1)).toBe(false);
  });

  it('serves reads from a batch start up to a sequence number, and the next start as empty', () => {
    const tail = new WalTail(1000);
    tail.push(batch(1, 2));
    tail.push(batch(3, 1));
    tail.push(batch(4, 3));
    expect(tail.holds(1)).toBe(true);
    expect(tail.holds(2)).toBe(false); // inside a batch: not a start
    expect(tail.holds(7)).toBe(true); // the next one to come
    expect(tail.holds(8)).toBe(false);
    expect(tail.read(3, 6, 1000).map((entry) => entry.firstSeq)).toEqual([3, 4]);
    expect(tail.read(3, 5, 1000).map((entry) => entry.firstSeq)).toEqual([3]); // 4..6 is past 5
    expect(tail.read(7, 100, 1000)).toEqual([]);
  });

  it('returns at least one batch and otherwise stays within the byte bound of a read', () => {
    const tail = new WalTail(1000);
    for (let seq = 1; seq <= 5; seq++) tail.push(batch(seq, 1, 30));
    expect(tail.read(1, 5, 10)).toHaveLength(1);
    expect(tail.read(1, 5, 60)).toHaveLength(2);
  });

  it('drops the oldest batches past its byte bound, and a batch larger than the bound empties it', () => {
    const tail = new WalTail(50);
    for (let seq = 1; seq <= 10; seq++) tail.push(batch(seq, 1, 10));
    expect(tail.firstSeq()).toBe(6);
    expect(tail.heldBytes).toBe(50);
    expect(tail.holds(5)).toBe(false);
    tail.push(batch(11, 1, 51));
    expect(tail.firstSeq()).toBeUndefined();
    tail.push(batch(12, 1, 10));
    expect(tail.firstSeq()).toBe(12);
  });

  it('starts over at a batch that does not follow the last one', () => {
    const tail = new WalTail(1000);
    tail.push(batch(1, 1));
    tail.push(batch(5, 1));
    expect(tail.firstSeq()).toBe(5);
    expect(tail.holds(1)).toBe(false);
  });

  it('shrinks to a smaller bound at once, and stays correct across many drops', () => {
    const tail = new WalTail(100_000);
    for (let seq = 1; seq <= 5000; seq++) tail.push(batch(seq, 1, 10));
    tail.setBytesMax(100);
    expect(tail.firstSeq()).toBe(4991);
    expect(tail.read(4991, 5000, 1000)).toHaveLength(10);
  });
});
