// src/types/timeseries/test-series.ts: a test helper standing in for the storage: it holds a
// series' samples in memory and answers TS.RANGE / TS.REVRANGE through range-query.ts exactly as
// the contract there asks (retention cutoff, neighbours outside the range, LATEST).
import { formatSampleValue } from './double-format.js';
import { queryRange, rangeQuery } from './range-query.js';
import { parseRangeOptions } from './range-options.js';
import type { Sample } from './sample.js';

export interface TestSeriesOptions {
  retentionMs?: number;
  latest?: Sample;
}

/** Samples from [ts, value] pairs, sorted by time. */
export function samplesOf(pairs: ReadonlyArray<readonly [number, number]>): Sample[] {
  return pairs.map(([ts, value]) => ({ ts, value })).sort((a, b) => a.ts - b.ts);
}

/** The range's input as a storage would build it. */
export function rangeInput(series: readonly Sample[], from: number, to: number, reverse: boolean, options: TestSeriesOptions = {}) {
  const last = series.at(-1)?.ts ?? 0;
  const retention = options.retentionMs ?? 0;
  const cutoff = retention > 0 && last > retention ? last - retention : 0;
  const scanStart = Math.max(from, cutoff);
  const inRange = series.filter((sample) => sample.ts >= scanStart && sample.ts <= to);
  const before = series.filter((sample) => sample.ts < scanStart && sample.ts >= cutoff).at(-1);
  const after = series.find((sample) => sample.ts > to);
  return { samples: reverse ? inRange.reverse() : inRange, before, after, latest: options.latest };
}

/** TS.RANGE (or REVRANGE) key <args...> over `series`, values as RESP2 texts. */
export function range(series: readonly Sample[], args: ReadonlyArray<string | number>, reverse = false, options: TestSeriesOptions = {}): Array<[number, string]> {
  const parsed = parseRangeOptions([Buffer.from(reverse ? 'TS.REVRANGE' : 'TS.RANGE'), Buffer.from('key'), ...args.map((arg) => Buffer.from(String(arg)))], 2);
  const input = rangeInput(series, parsed.from, parsed.to, reverse, options);
  return [...queryRange(rangeQuery(parsed, reverse), input)].map((sample) => [sample.ts, formatSampleValue(sample.value)]);
}
