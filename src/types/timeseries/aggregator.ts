// src/types/timeseries/aggregator.ts: the contract of one aggregation context of RedisTimeSeries
// 1.12 (src/compaction.c AggregationClass), the aggregation types and their names. A context
// holds one open bucket; queries (AGGREGATION, GROUPBY REDUCE) and compaction rules use it the
// same way: append each sample, finalize into the bucket's value, reset for the next bucket.
// Encoding (encode; aggregators.ts decodeAggregator), little-endian: u8 format (1), u8 type
// (RTS's TS_AGG_* code), u8 reverse, then the type's fields() as f64 each.
import { equalsIgnoreCase } from './arg-scan.js';
import type { Sample } from './sample.js';

/** RTS's TS_AGG_* codes (src/consts.h), stable: they are stored in rule contexts. */
export const AGGREGATION_CODES = {
  min: 1, max: 2, sum: 3, avg: 4, count: 5, first: 6, last: 7, range: 8,
  'std.p': 9, 'std.s': 10, 'var.p': 11, 'var.s': 12, twa: 13,
} as const;
export type AggregationType = keyof typeof AGGREGATION_CODES;
export const AGGREGATION_TYPES = Object.keys(AGGREGATION_CODES) as AggregationType[];
export const AGGREGATOR_FORMAT = 1;

/** StringLenAggTypeToEnum: the type named by the argument (ASCII case-insensitive), or undefined. */
export function parseAggregationType(arg: Buffer): AggregationType | undefined {
  return AGGREGATION_TYPES.find((type) => equalsIgnoreCase(arg, type));
}

/** AggTypeEnumToString: 'AVG', 'STD.P' (TS.INFO rules, compaction key names). */
export function aggregationUpperName(type: AggregationType): string {
  return type.toUpperCase();
}

/** One bucket's aggregation context. The twa hooks do nothing for the other types. */
export abstract class Aggregator {
  abstract readonly type: AggregationType;
  constructor(readonly reverse: boolean) {}
  abstract append(value: number, ts: number): void;
  /** append() of values[index], timestamps[index] for begin <= index < end, in order. */
  appendRun(values: ArrayLike<number>, timestamps: ArrayLike<number>, begin: number, end: number): void {
    for (let index = begin; index < end; index++) this.append(values[index]!, timestamps[index]!);
  }
  /** The bucket's value; undefined where RTS's finalize fails (avg, std, var of no sample). */
  abstract finalize(): number | undefined;
  finalizeEmpty(): number {
    return NaN;
  }
  abstract reset(): void;
  abstract clone(): Aggregator;
  addBucketParams(_startTs: number, _endTs: number): void {}
  addPrevBucketLastSample(_value: number, _ts: number): void {}
  addNextBucketFirstSample(_value: number, _ts: number): void {}
  lastSample(): Sample {
    return { ts: 0, value: 0 };
  }
  /** The context's state as numbers, in encoding order (encode, decodeAggregator). */
  abstract fields(): number[];
  abstract load(fields: number[]): void;
  encode(): Buffer {
    const fields = this.fields();
    const out = Buffer.alloc(3 + fields.length * 8);
    out[0] = AGGREGATOR_FORMAT;
    out[1] = AGGREGATION_CODES[this.type];
    out[2] = this.reverse ? 1 : 0;
    fields.forEach((field, index) => out.writeDoubleLE(field, 3 + index * 8));
    return out;
  }
}
