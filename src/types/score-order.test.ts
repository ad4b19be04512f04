// src/types/score-order.test.ts: the sortable score bytes keep numeric order (fast-check over all
// doubles, subnormals and infinities included), -0 sorts as +0, and both forms round-trip.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeSortableScore, encodeStoredScore, nextSortable, readSortableScore, readStoredScore } from './score-order.js';

const score = fc.oneof(
  fc.double({ noNaN: true }),
  fc.constantFrom(0, -0, Infinity, -Infinity, Number.MIN_VALUE, -Number.MIN_VALUE, 2.2250738585072014e-308, Number.MAX_VALUE, -Number.MAX_VALUE),
  fc.double({ noNaN: true, min: -1e-300, max: 1e-300 }), // subnormals
);
const hex = (value: number) => encodeSortableScore(value).toString('hex');

describe('sortable scores', () => {
  it('orders bytes as numbers', () => {
    fc.assert(
      fc.property(score, score, (a, b) => {
        const order = Math.sign(Buffer.compare(encodeSortableScore(a), encodeSortableScore(b)));
        expect(order).toBe(a < b ? -1 : a > b ? 1 : 0);
      }),
      { numRuns: 5000 },
    );
  });

  it('draws the table of the reference', () => {
    expect(hex(-Infinity)).toBe('000fffffffffffff');
    expect(hex(-1)).toBe('400fffffffffffff');
    expect(hex(-5e-324)).toBe('7ffffffffffffffe');
    expect(hex(-0)).toBe('8000000000000000');
    expect(hex(0)).toBe('8000000000000000');
    expect(hex(5e-324)).toBe('8000000000000001');
    expect(hex(1)).toBe('bff0000000000000');
    expect(hex(1.5)).toBe('bff8000000000000');
    expect(hex(Infinity)).toBe('fff0000000000000');
  });

  it('round-trips every score, -0 as +0', () => {
    fc.assert(
      fc.property(score, (value) => {
        const decoded = readSortableScore(encodeSortableScore(value), 0);
        expect(Object.is(decoded, value === 0 ? 0 : value)).toBe(true);
      }),
    );
  });

  it('keeps the sign of zero in the stored form', () => {
    expect(Object.is(readStoredScore(encodeStoredScore(-0)), -0)).toBe(true);
    fc.assert(fc.property(score, (value) => {
      expect(Object.is(readStoredScore(encodeStoredScore(value)), value)).toBe(true);
    }));
  });

  it('steps to the next sortable value', () => {
    expect(readSortableScore(nextSortable(encodeSortableScore(0))!, 0)).toBe(5e-324);
    expect(readSortableScore(nextSortable(encodeSortableScore(-5e-324))!, 0) === 0).toBe(true); // -0's bits: never a key
    expect(readSortableScore(nextSortable(encodeSortableScore(1))!, 0)).toBe(1 + Number.EPSILON);
    expect(nextSortable(Buffer.alloc(8, 0xff))).toBeUndefined();
  });

  it('refuses NaN', () => {
    expect(() => encodeSortableScore(Number.NaN)).toThrow();
    expect(() => encodeStoredScore(Number.NaN)).toThrow();
  });
});
