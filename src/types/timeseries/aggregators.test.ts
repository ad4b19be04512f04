// src/types/timeseries/aggregators.test.ts: the aggregation contexts, with the bucket values of
// RedisTimeSeries 1.12's tests/flow (test_ts_range.py test_agg_*, _insert_agg_data) and its
// arithmetic quirks (NaN, DBL_MAX starts, long double averages), and encode/decode round trips.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AGGREGATION_TYPES, aggregationUpperName, parseAggregationType, type AggregationType } from './aggregator.js';
import { createAggregator, decodeAggregator } from './aggregators.js';
import { formatSampleValue } from './double-format.js';

/** _insert_agg_data's bucket 10: i // 10 * 100 + values[i % 10] for i in 10..19. */
const BUCKET = [31, 41, 59, 26, 53, 58, 97, 93, 23, 84].map((value) => 100 + value);

function aggregate(type: AggregationType, values: readonly number[], reverse = false): number | undefined {
  const aggregator = createAggregator(type, reverse);
  values.forEach((value, index) => aggregator.append(value, 10 + index));
  return aggregator.finalize();
}

describe('aggregators', () => {
  it.each([
    ['sum', '1565'],
    ['count', '10'],
    ['first', '131'],
    ['last', '184'],
    ['range', '74'],
    ['min', '123'],
    ['max', '197'],
    ['avg', '156.5'],
    ['var.p', '669.25'],
  ] as const)('%s of _insert_agg_data bucket is %s', (type, text) => {
    expect(formatSampleValue(aggregate(type, BUCKET) as number)).toBe(text);
  });

  it.each([
    ['std.p', 25.869],
    ['std.s', 27.269],
    ['var.s', 743.611],
  ] as const)('%s of _insert_agg_data bucket is about %d', (type, value) => {
    expect(Math.abs((aggregate(type, BUCKET) as number) - value)).toBeLessThan(0.001);
  });

  it('computes the variance with RTS formula, not a two-pass one', () => {
    const values = [1e8 + 1, 1e8 + 2, 1e8 + 3];
    const n = 3;
    const sum = values.reduce((a, b) => a + b, 0);
    const sum2 = values.reduce((a, b) => a + b * b, 0);
    const expected = (sum2 - (2 * sum * sum) / n + (sum / n) * (sum / n) * n) / n;
    expect(aggregate('var.p', values)).toBe(expected);
    expect(aggregate('var.s', values)).toBe((expected * n) / (n - 1));
    expect(aggregate('var.s', [5])).toBe(0);
    expect(aggregate('std.s', [5])).toBe(0);
  });

  it('averages near DBL_MAX in long double, as RTS on x86-64 (test_agg_avg)', () => {
    const max = Number.MAX_VALUE;
    expect(formatSampleValue(aggregate('avg', [max - 10, max - 8, max - 6]) as number)).toBe('1.7976931348623157E308');
    expect(formatSampleValue(aggregate('avg', [-max + 10, -max + 8, -max + 6]) as number)).toBe('-1.7976931348623157E308');
    expect(aggregate('avg', [max, max, 0, 0])).toBe(8.98846567431158e307); // RTS 1.12 compiled on x86-64
    expect(aggregate('avg', [1, 2, 4])).toBe(7 / 3);
  });

  it('keeps min and max starting at DBL_MAX and -DBL_MAX and skipping NaN', () => {
    expect(aggregate('min', [NaN, 3, NaN])).toBe(3);
    expect(aggregate('max', [NaN, NaN])).toBe(-Number.MAX_VALUE);
    expect(aggregate('min', [Infinity])).toBe(Number.MAX_VALUE);
    expect(aggregate('range', [NaN])).toBe(-Infinity);
    expect(aggregate('sum', [1, NaN])).toBeNaN();
    expect(aggregate('count', [NaN, NaN])).toBe(2);
  });

  it('follows iteration order for first and last (REVRANGE feeds latest first)', () => {
    expect(aggregate('first', [1, 2, 3], true)).toBe(1);
    expect(aggregate('last', [1, 2, 3], true)).toBe(3);
  });

  it('gives empty buckets NaN, sum and count 0, last its last value', () => {
    for (const type of AGGREGATION_TYPES) {
      const aggregator = createAggregator(type);
      aggregator.append(7, 1);
      aggregator.finalize();
      aggregator.reset();
      const empty = aggregator.finalizeEmpty();
      if (type === 'sum' || type === 'count') expect(empty).toBe(0);
      else if (type === 'last') expect(empty).toBe(7);
      else expect(empty).toBeNaN();
    }
  });

  it('fails to finalize an empty avg, std or var', () => {
    for (const type of ['avg', 'std.p', 'std.s', 'var.p', 'var.s'] as const) expect(createAggregator(type).finalize()).toBeUndefined();
    expect(createAggregator('sum').finalize()).toBe(0);
  });

  it('integrates twa from the previous sample to the next (test_agg_twa case 1)', () => {
    // samples 8..23, bucket [10, 20): the first query bucket gets 9 as previous and 23 as next
    const twa = createAggregator('twa');
    twa.addBucketParams(10, 20);
    twa.addPrevBucketLastSample(9, 9);
    for (const ts of [10, 13, 14]) twa.append(ts, ts);
    twa.addNextBucketFirstSample(23, 23);
    expect(twa.finalize()).toBe(15); // (10+10)*0 + (10+13)*3 + (13+14)*1 + (20+14)*6 over 2*10
  });

  it('names the types as RTS does', () => {
    expect(parseAggregationType(Buffer.from('Std.P'))).toBe('std.p');
    expect(parseAggregationType(Buffer.from('TWA'))).toBe('twa');
    expect(parseAggregationType(Buffer.from('avgg'))).toBeUndefined();
    expect(parseAggregationType(Buffer.from('av\0'))).toBeUndefined();
    expect(aggregationUpperName('var.s')).toBe('VAR.S');
  });
});

describe('encode / decodeAggregator', () => {
  const operation = fc.oneof(
    fc.record({ op: fc.constant('append' as const), value: fc.double(), ts: fc.nat(1000) }),
    fc.record({ op: fc.constant('reset' as const) }),
    fc.record({ op: fc.constant('prev' as const), value: fc.double(), ts: fc.nat(1000) }),
    fc.record({ op: fc.constant('params' as const), start: fc.nat(1000), end: fc.nat(1000) }),
  );

  it('restores a context that then behaves as the original', () => {
    fc.assert(
      fc.property(fc.constantFrom(...AGGREGATION_TYPES), fc.boolean(), fc.array(operation, { maxLength: 12 }), fc.array(fc.double(), { maxLength: 4 }), (type, reverse, operations, after) => {
        const original = createAggregator(type, reverse);
        for (const step of operations) {
          if (step.op === 'append') original.append(step.value, step.ts);
          else if (step.op === 'reset') original.reset();
          else if (step.op === 'prev') original.addPrevBucketLastSample(step.value, step.ts);
          else original.addBucketParams(step.start, step.end);
        }
        const restored = decodeAggregator(original.encode());
        expect(restored.type).toBe(type);
        expect(restored.reverse).toBe(reverse);
        expect(restored.fields()).toEqual(original.fields()); // NaN payloads may differ: V8 does not keep them
        for (const [index, value] of after.entries()) {
          original.append(value, 2000 + index);
          restored.append(value, 2000 + index);
        }
        expect(Object.is(restored.finalize(), original.finalize())).toBe(true);
        expect(Object.is(restored.clone().finalizeEmpty(), original.finalizeEmpty())).toBe(true);
      }),
    );
  });

  it('keeps a twa context whose integral became NaN (0/0 at a zero-width edge)', () => {
    const twa = createAggregator('twa');
    twa.addPrevBucketLastSample(0, 0);
    twa.append(0, 0);
    const restored = decodeAggregator(twa.encode());
    expect(restored.fields()[0]).toBeNaN();
    expect(restored.finalize()).toBe(0); // one sample, no span: its value
  });

  it('asserts on bytes it did not write', () => {
    const good = createAggregator('avg').encode();
    expect(() => decodeAggregator(Buffer.concat([good, Buffer.alloc(1)]))).toThrow();
    expect(() => decodeAggregator(Buffer.from([2, 4, 0]))).toThrow();
    expect(() => decodeAggregator(Buffer.from([1, 99, 0]))).toThrow();
  });
});
