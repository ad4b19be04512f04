// src/types/timeseries/groupby.ts: TS.MRANGE / TS.MREVRANGE ... GROUPBY label REDUCE reducer as
// RedisTimeSeries 1.12 computes it (resultset.c, tsdb.c MultiSerieReduce,
// multiseries_sample_iterator.c, multiseries_agg_dup_sample_iterator.c, utils/heap.c).
// How the caller runs a grouped query:
//   1. groupSeries(matching series in key byte order, label): one group per value of the label
//      (the first label of that exact name, case-sensitive), groups in value byte order, members
//      in key order; series without the label are left out.
//   2. Each member's samples: range-query.ts with the query's options (LATEST, filters,
//      AGGREGATION...) but always forward and without COUNT (RTS reduces forward even for
//      MREVRANGE, so 'last' per bucket is the latest sample there too).
//   3. reduceSamples(reducer, the members' samples): the reduced series, ascending.
//   4. Reply: the reduced samples reversed for MREVRANGE, then cut to COUNT; labels groupLabels().
// Invariants of reduceSamples: samples of equal timestamp are merged through RTS's binary heap in
// its order (it decides the order a sum adds in); NaN samples are skipped and a timestamp whose
// samples are all NaN gives NaN; the reducer context is created forward (twa, first and last are
// refused when parsing).
import { createAggregator } from './aggregators.js';
import type { Reducer } from './range-options.js';
import type { Label, Sample } from './sample.js';

export interface GroupMember {
  key: Buffer;
  labels: readonly Label[];
}

export interface SeriesGroup<T extends GroupMember> {
  /** The label's value (a C string: cut at its first NUL). */
  value: string;
  /** The reply name of the group: 'label=value'. */
  name: string;
  members: T[];
}

function cut(text: string): string {
  const end = text.indexOf('\0');
  return end < 0 ? text : text.slice(0, end);
}

/** ResultSet_AddSerie over `series` (given in key order): the groups in value byte order. */
export function groupSeries<T extends GroupMember>(series: Iterable<T>, label: string): SeriesGroup<T>[] {
  const groups = new Map<string, SeriesGroup<T>>();
  const name = cut(label);
  for (const member of series) {
    const found = member.labels.find(([labelName]) => cut(labelName) === name);
    if (found === undefined) continue;
    const value = cut(found[1]);
    let group = groups.get(value);
    if (group === undefined) {
      group = { value, name: `${name}=${value}`, members: [] };
      groups.set(value, group);
    }
    group.members.push(member);
  }
  return [...groups.values()].sort((a, b) => Buffer.compare(Buffer.from(a.value, 'latin1'), Buffer.from(b.value, 'latin1')));
}

/** createReducedSeriesLabels: [label, value], [__reducer__, r], [__source__, 'k1,k2']. */
export function groupLabels(label: string, group: SeriesGroup<GroupMember>, reducer: Reducer): Label[] {
  const sources = Buffer.concat(group.members.flatMap((member, index) => (index === 0 ? [member.key] : [Buffer.from(','), member.key])));
  return [
    [cut(label), group.value],
    ['__reducer__', reducer],
    ['__source__', sources.toString('latin1')],
  ];
}

interface HeapItem {
  sample: Sample;
  source: Iterator<Sample>;
}

/** RTS's utils/heap.c as MultiSeriesSampleIterator uses it (forward: smallest timestamp on top). */
class SampleHeap {
  private readonly items: HeapItem[] = [];
  /** heap_cmp_func: 1 when a is earlier, else -1 (never 0: equal timestamps compare as 'smaller'). */
  private compare(a: HeapItem, b: HeapItem): number {
    return a.sample.ts < b.sample.ts ? 1 : -1;
  }
  private swap(first: number, second: number): void {
    const items = this.items;
    [items[first], items[second]] = [items[second] as HeapItem, items[first] as HeapItem];
  }
  offer(item: HeapItem): void {
    const items = this.items;
    items.push(item);
    let index = items.length - 1;
    while (index !== 0) {
      const parent = Math.floor((index - 1) / 2);
      if (this.compare(items[index] as HeapItem, items[parent] as HeapItem) < 0) return;
      this.swap(index, parent);
      index = parent;
    }
  }
  poll(): HeapItem | undefined {
    const items = this.items;
    const top = items[0];
    if (top === undefined) return undefined;
    const last = items.pop() as HeapItem;
    if (items.length > 0) items[0] = last;
    if (items.length > 1) this.pushDown();
    return top;
  }
  private pushDown(): void {
    const items = this.items;
    let index = 0;
    for (;;) {
      const left = index * 2 + 1;
      const right = left + 1;
      let child: number;
      if (right >= items.length) {
        if (left >= items.length) return;
        child = left;
      } else {
        child = this.compare(items[left] as HeapItem, items[right] as HeapItem) < 0 ? right : left;
      }
      if (this.compare(items[index] as HeapItem, items[child] as HeapItem) >= 0) return;
      this.swap(index, child);
      index = child;
    }
  }
}

/** MultiSeriesSampleIterator: every member's samples merged by timestamp, in RTS's heap order. */
function* mergeByTimestamp(sources: Iterable<Iterable<Sample>>): Generator<Sample> {
  const heap = new SampleHeap();
  for (const samples of sources) {
    const source = samples[Symbol.iterator]();
    const first = source.next();
    if (!first.done) heap.offer({ sample: first.value, source });
  }
  for (let item = heap.poll(); item !== undefined; item = heap.poll()) {
    const sample = item.sample;
    const next = item.source.next();
    if (!next.done) heap.offer({ sample: next.value, source: item.source });
    yield sample;
  }
}

/** MultiSeriesAggDupSampleIterator: one sample per timestamp, its samples reduced. */
export function* reduceSamples(reducer: Reducer, sources: Iterable<Iterable<Sample>>): Generator<Sample> {
  const context = createAggregator(reducer);
  let pending: Sample | undefined;
  let allNaN = true;
  for (const sample of mergeByTimestamp(sources)) {
    if (pending !== undefined && sample.ts !== pending.ts) {
      yield finish(pending.ts);
      pending = undefined;
    }
    if (pending === undefined) {
      pending = sample;
      allNaN = true;
    }
    if (!Number.isNaN(sample.value)) {
      context.append(sample.value, sample.ts);
      allNaN = false;
    }
  }
  if (pending !== undefined) yield finish(pending.ts);

  function finish(ts: number): Sample {
    if (allNaN) return { ts, value: NaN };
    const value = context.finalize() ?? NaN;
    context.reset();
    return { ts, value };
  }
}
