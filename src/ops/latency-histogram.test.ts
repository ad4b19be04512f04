import { Float64Histogram } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { createHdrHistogram, LATENCY_NS_MAX, LATENCY_SLOT_COUNT, LatencyHistogram, slotIndex } from './latency-histogram.js';

describe('LatencyHistogram', () => {
  it('puts every value in the slot hdr-histogram-js would use', () => {
    const hdr = createHdrHistogram();
    const mismatches: number[] = [];
    for (let value = 1; value <= LATENCY_NS_MAX; value = Math.floor(value * 1.007) + 1) {
      if (slotIndex(value) !== hdr.countsArrayIndex(value)) mismatches.push(value);
    }
    for (const value of [1, 127, 128, 255, 256, 257, 511, 512, 65_535, 65_536, LATENCY_NS_MAX]) {
      if (slotIndex(value) !== hdr.countsArrayIndex(value)) mismatches.push(value);
    }
    expect(mismatches).toEqual([]);
    expect(slotIndex(LATENCY_NS_MAX)).toBeLessThan(LATENCY_SLOT_COUNT);
  });

  it('gives the percentiles hdr-histogram-js gives for the same values', () => {
    const ours = new LatencyHistogram();
    const theirs = new Float64Histogram(1, LATENCY_NS_MAX, 2);
    let seed = 42;
    for (let index = 0; index < 20_000; index++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      const value = 1 + (seed % 5_000_000) * (index % 7 === 0 ? 100 : 1);
      ours.record(value);
      theirs.recordValue(Math.min(value, LATENCY_NS_MAX));
    }
    const percentiles = [0, 50, 90, 99, 99.9, 100];
    expect(ours.percentilesNs(percentiles)).toEqual(percentiles.map((p) => theirs.getValueAtPercentile(p)));
    expect(ours.totalCount).toBe(20_000);
  });

  it('clamps values outside 1 ns .. 1 s instead of throwing', () => {
    const histogram = new LatencyHistogram();
    histogram.record(0);
    histogram.record(-5);
    histogram.record(5e12);
    histogram.record(2.7);
    expect(histogram.totalCount).toBe(4);
    const [low, high] = histogram.percentilesNs([0, 100]);
    expect(low).toBe(1);
    expect(high).toBeGreaterThanOrEqual(LATENCY_NS_MAX);
  });

  it('answers zeros when nothing was recorded', () => {
    expect(new LatencyHistogram().percentilesNs([50, 99])).toEqual([0, 0]);
  });

  it('counts values at or below each bucket boundary', () => {
    const histogram = new LatencyHistogram();
    for (const value of [5_000, 9_000, 20_000, 20_000, 700_000, 3_000_000_000]) histogram.record(value);
    expect(histogram.cumulativeCounts([1_000, 10_000, 25_000, 1_000_000, 1_000_000_000])).toEqual([0, 2, 4, 5, 6]);
    expect(histogram.cumulativeCounts([])).toEqual([]);
  });

  it('adds histograms and resets to empty', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    a.record(1_000);
    b.record(2_000);
    b.record(3_000);
    a.add(b);
    expect(a.totalCount).toBe(3);
    expect(a.sumNs).toBe(6_000);
    expect(a.cumulativeCounts([1_500, 10_000])).toEqual([1, 3]);
    a.reset();
    expect(a.totalCount).toBe(0);
    expect(a.cumulativeCounts([10_000])).toEqual([0]);
  });
});
