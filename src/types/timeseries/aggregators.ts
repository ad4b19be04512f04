// src/types/timeseries/aggregators.ts: the aggregation contexts of RedisTimeSeries 1.12 other than
// twa (src/compaction.c), their factory and their decoding (aggregator.ts has the contract).
// Invariants, RTS's arithmetic kept exactly:
// - min/max/range start from DBL_MAX / -DBL_MAX and skip NaN (a NaN-only bucket gives those);
//   sum adds in order; count counts every sample; first keeps the first appended (the latest
//   sample in REVRANGE), last the last appended, and last's reset keeps its value (EMPTY fill).
// - avg adds while no overflow is possible, else switches to a running mean in x87 long double
//   (80-bit, as on x86-64: avg(DBL_MAX, DBL_MAX, DBL_MAX) is DBL_MAX, not 1.7976931348623155e308).
// - var.p = (sum2 - 2*sum*sum/n + (sum/n)^2 * n) / n; var.s = var.p * n / (n - 1), 0 for n = 1;
//   std.* are their square roots; finalize of an empty avg/var/std fails (undefined).
// - Empty buckets (EMPTY, finalizeEmpty) are NaN, except sum and count (0) and last (its value).
import assert from 'node:assert/strict';
import { DOUBLE, LONG_DOUBLE, floatFromNumber, roundToFormat, addFloats, type BinaryFloat } from '../binary-float.js';
import { AGGREGATION_CODES, AGGREGATION_TYPES, AGGREGATOR_FORMAT, Aggregator, type AggregationType } from './aggregator.js';
import { Twa } from './twa-aggregator.js';

export { Aggregator, AGGREGATION_TYPES, parseAggregationType, aggregationUpperName, type AggregationType } from './aggregator.js';

const DBL_MAX = Number.MAX_VALUE;

class MaxMin extends Aggregator {
  minValue = DBL_MAX;
  maxValue = -DBL_MAX;
  constructor(readonly type: 'min' | 'max' | 'range', reverse: boolean) {
    super(reverse);
  }
  append(value: number): void {
    if (this.type !== 'min' && value > this.maxValue) this.maxValue = value;
    if (this.type !== 'max' && value < this.minValue) this.minValue = value;
  }
  override appendRun(values: ArrayLike<number>, _timestamps: ArrayLike<number>, begin: number, end: number): void {
    let { minValue, maxValue } = this;
    const withMax = this.type !== 'min';
    const withMin = this.type !== 'max';
    for (let index = begin; index < end; index++) {
      const value = values[index]!;
      if (withMax && value > maxValue) maxValue = value;
      if (withMin && value < minValue) minValue = value;
    }
    this.minValue = minValue;
    this.maxValue = maxValue;
  }
  finalize(): number {
    if (this.type === 'min') return this.minValue;
    if (this.type === 'max') return this.maxValue;
    return this.maxValue - this.minValue;
  }
  reset(): void {
    this.minValue = DBL_MAX;
    this.maxValue = -DBL_MAX;
  }
  clone(): MaxMin {
    return Object.assign(new MaxMin(this.type, this.reverse), this);
  }
  fields(): number[] {
    return [this.maxValue, this.minValue];
  }
  load([maxValue, minValue]: number[]): void {
    this.maxValue = maxValue as number;
    this.minValue = minValue as number;
  }
}

class SingleValue extends Aggregator {
  value = 0;
  constructor(readonly type: 'sum' | 'count' | 'last', reverse: boolean) {
    super(reverse);
  }
  append(value: number): void {
    if (this.type === 'sum') this.value += value;
    else if (this.type === 'count') this.value++;
    else this.value = value;
  }
  override appendRun(values: ArrayLike<number>, _timestamps: ArrayLike<number>, begin: number, end: number): void {
    if (end <= begin) return;
    if (this.type === 'count') this.value += end - begin;
    else if (this.type === 'last') this.value = values[end - 1]!;
    else for (let index = begin; index < end; index++) this.value += values[index]!; // in order, as append
  }
  finalize(): number {
    return this.value;
  }
  override finalizeEmpty(): number {
    return this.type === 'last' ? this.value : 0;
  }
  reset(): void {
    if (this.type !== 'last') this.value = 0; // LastValueReset keeps the value for EMPTY
  }
  clone(): SingleValue {
    return Object.assign(new SingleValue(this.type, this.reverse), this);
  }
  fields(): number[] {
    return [this.value];
  }
  load([value]: number[]): void {
    this.value = value as number;
  }
}

class First extends Aggregator {
  readonly type = 'first';
  value = 0;
  isReset = true;
  append(value: number): void {
    if (!this.isReset) return;
    this.isReset = false;
    this.value = value;
  }
  finalize(): number {
    return this.value;
  }
  reset(): void {
    this.value = 0;
    this.isReset = true;
  }
  clone(): First {
    return Object.assign(new First(this.reverse), this);
  }
  fields(): number[] {
    return [this.value, this.isReset ? 1 : 0];
  }
  load([value, isReset]: number[]): void {
    this.value = value as number;
    this.isReset = isReset === 1;
  }
}

/** x87 long double helpers for avg's overflow path (rational arithmetic, rounded once per step). */
function ldDivide(a: BinaryFloat, divisor: number): BinaryFloat {
  const b = floatFromNumber(divisor);
  if (a.kind !== 'finite' || b.kind !== 'finite' || b.mantissa === 0n) return floatFromNumber(toNumber(a) / divisor);
  if (a.mantissa === 0n) return a;
  return roundToFormat(a.negative !== b.negative, a.mantissa, b.mantissa, a.exponent - b.exponent, LONG_DOUBLE).value;
}

function ldMultiply(a: BinaryFloat, factor: number): BinaryFloat {
  const b = floatFromNumber(factor);
  if (a.kind !== 'finite' || b.kind !== 'finite') return floatFromNumber(toNumber(a) * factor);
  return roundToFormat(a.negative !== b.negative, a.mantissa * b.mantissa, 1n, a.exponent + b.exponent, LONG_DOUBLE).value;
}

/** A long double rounded to a double (or a double's exact value). */
function toNumber(a: BinaryFloat): number {
  if (a.kind === 'nan') return NaN;
  if (a.kind === 'inf') return a.negative ? -Infinity : Infinity;
  const rounded = roundToFormat(a.negative, a.mantissa, 1n, a.exponent, DOUBLE).value;
  if (rounded.kind === 'inf') return rounded.negative ? -Infinity : Infinity;
  const magnitude = Number(rounded.mantissa) * 2 ** rounded.exponent; // exact: 53 bits
  return rounded.negative ? -magnitude : magnitude;
}

class Avg extends Aggregator {
  readonly type = 'avg';
  val = 0;
  count = 0;
  isOverflow = false;
  append(value: number): void {
    this.count++;
    const sameSign = this.val < 0 === value < 0;
    if ((sameSign && Math.abs(this.val) > DBL_MAX - Math.abs(value)) || this.isOverflow) {
      // avg(t+1) = t*avg(t)/(t+1) + val/(t+1), in long double (hasLongDouble on x86-64)
      let mean = ldDivide(floatFromNumber(this.val), this.count);
      if (this.isOverflow) mean = ldMultiply(mean, this.count - 1);
      mean = addFloats(mean, ldDivide(floatFromNumber(value), this.count), LONG_DOUBLE);
      this.val = toNumber(mean);
      this.isOverflow = true;
    } else {
      this.val += value;
    }
  }
  finalize(): number | undefined {
    if (this.count === 0) return undefined;
    return this.isOverflow ? this.val : this.val / this.count;
  }
  reset(): void {
    this.val = 0;
    this.count = 0;
    this.isOverflow = false;
  }
  clone(): Avg {
    return Object.assign(new Avg(this.reverse), this);
  }
  fields(): number[] {
    return [this.val, this.count, this.isOverflow ? 1 : 0];
  }
  load([val, count, isOverflow]: number[]): void {
    this.val = val as number;
    this.count = count as number;
    this.isOverflow = isOverflow === 1;
  }
}

class Variance extends Aggregator {
  sum = 0;
  sumOfSquares = 0;
  count = 0;
  constructor(readonly type: 'std.p' | 'std.s' | 'var.p' | 'var.s', reverse: boolean) {
    super(reverse);
  }
  append(value: number): void {
    this.count++;
    this.sum += value;
    this.sumOfSquares += value * value;
  }
  finalize(): number | undefined {
    const n = this.count;
    if (n === 0) return undefined;
    const mean = this.sum / n;
    let variance = (this.sumOfSquares - (2 * this.sum * this.sum) / n + mean * mean * n) / n;
    if (this.type === 'var.s' || this.type === 'std.s') variance = n === 1 ? 0 : (variance * n) / (n - 1);
    return this.type.startsWith('std') ? Math.sqrt(variance) : variance;
  }
  reset(): void {
    this.sum = 0;
    this.sumOfSquares = 0;
    this.count = 0;
  }
  clone(): Variance {
    return Object.assign(new Variance(this.type, this.reverse), this);
  }
  fields(): number[] {
    return [this.sum, this.sumOfSquares, this.count];
  }
  load([sum, sumOfSquares, count]: number[]): void {
    this.sum = sum as number;
    this.sumOfSquares = sumOfSquares as number;
    this.count = count as number;
  }
}

/** A fresh context (RTS createContext); `reverse` matters to twa only (REVRANGE). */
export function createAggregator(type: AggregationType, reverse = false): Aggregator {
  switch (type) {
    case 'min':
    case 'max':
    case 'range':
      return new MaxMin(type, reverse);
    case 'sum':
    case 'count':
    case 'last':
      return new SingleValue(type, reverse);
    case 'first':
      return new First(reverse);
    case 'avg':
      return new Avg(reverse);
    case 'twa':
      return new Twa(reverse);
    default:
      return new Variance(type, reverse);
  }
}

const FIELD_COUNTS: Readonly<Record<AggregationType, number>> = {
  min: 2, max: 2, range: 2, sum: 1, count: 1, last: 1, first: 2, avg: 3,
  'std.p': 3, 'std.s': 3, 'var.p': 3, 'var.s': 3, twa: 9,
};

/** The context `encode` wrote; asserts on bytes it did not write (a damaged record is a bug). */
export function decodeAggregator(bytes: Buffer): Aggregator {
  assert.equal(bytes[0], AGGREGATOR_FORMAT, 'aggregator format');
  const type = AGGREGATION_TYPES.find((name) => AGGREGATION_CODES[name] === bytes[1]);
  assert.ok(type !== undefined, 'aggregator type');
  const count = FIELD_COUNTS[type];
  assert.equal(bytes.length, 3 + count * 8, 'aggregator length');
  const aggregator = createAggregator(type, bytes[2] === 1);
  const fields = Array.from({ length: count }, (_, index) => bytes.readDoubleLE(3 + index * 8));
  aggregator.load(fields);
  return aggregator;
}
