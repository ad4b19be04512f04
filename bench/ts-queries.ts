// bench/ts-queries.ts: TSBS's devops queries for bench/ts.ts, on tskv (TS.* as TSBS's
// RedisTimeSeries generator writes them: cmd/tsbs_generate_queries/databases/redistimeseries/
// devops.go) and on Redis sorted sets (ZRANGEBYSCORE / ZRANGE, the aggregation done here, in the
// client). Both sides end in the same canonical form (series or group name -> [ts, value] pairs),
// so bench/ts.ts can check that they agree.
//   lastpoint              TS.MGET SELECTED_LABELS hostname metric FILTER metric=(all 10) hostname!=
//                          | ZRANGE key -1 -1 for every series
//   single-groupby-1-1-1   1 metric, 1 host, 1 hour: TS.MRANGE AGGREGATION max 60000 FILTER metric=..
//                          hostname=.. | ZRANGEBYSCORE, max per minute
//   single-groupby-5-1-12  5 metrics, 1 host, 12 hours, the same, GROUPBY metric REDUCE max
//   double-groupby-1       1 metric, all hosts, 12 hours: AGGREGATION avg 3600000 GROUPBY hostname
//                          REDUCE avg | ZRANGEBYSCORE per host, mean per hour
//   high-cpu-1             1 host, 12 hours: FILTER_BY_VALUE 90 1000, GROUPBY metric REDUCE max
//   high-cpu-all           all hosts, 12 hours: FILTER_BY_VALUE 90 1000 (no GROUPBY)
// TSBS's lastpoint filters on measurement=cpu, a label this data does not have; metric=(all) picks
// the same series. Windows start at a seeded random millisecond inside the data.
import type { Redis } from 'ioredis';
import { CPU_METRICS, INTERVAL_MS, START_MS, seededRandom, seriesKey, type Dataset } from './ts-load.js';

export type Canonical = Map<string, [number, number][]>;

export interface QueryParams {
  host: number;
  from: number;
  to: number;
}

export interface QueryKind {
  name: string;
  windowMs: number; // 0: no time window
  tskv(client: Redis, data: Dataset, params: QueryParams): Promise<Canonical>;
  redis(client: Redis, data: Dataset, params: QueryParams): Promise<Canonical>;
}

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
const HIGH_CPU_MIN = 90;

/** MRANGE / MGET replies: [[name, labels, samples or one sample], ...] -> canonical. */
function fromMrange(reply: unknown): Canonical {
  const result: Canonical = new Map();
  for (const entry of reply as [string, unknown, [number, string][]][]) {
    result.set(entry[0], entry[2].map(([ts, value]) => [Number(ts), Number(value)]));
  }
  return result;
}

/** Members "ts:value" -> samples. */
function parseMembers(members: string[]): [number, number][] {
  return members.map((member) => {
    const colon = member.indexOf(':');
    return [Number(member.slice(0, colon)), Number(member.slice(colon + 1))];
  });
}

type Reduce = 'max' | 'avg';

/** Buckets aligned to 0, as TS.RANGE's AGGREGATION without ALIGN; only buckets with samples. */
function aggregate(samples: [number, number][], bucketMs: number, reduce: Reduce): [number, number][] {
  const out: [number, number][] = [];
  let bucket = -1;
  let acc = 0;
  let count = 0;
  const close = () => {
    if (count > 0) out.push([bucket, reduce === 'avg' ? acc / count : acc]);
  };
  for (const [ts, value] of samples) {
    const start = ts - (ts % bucketMs);
    if (start !== bucket) {
      close();
      bucket = start;
      acc = reduce === 'avg' ? 0 : -Infinity;
      count = 0;
    }
    acc = reduce === 'avg' ? acc + value : Math.max(acc, value);
    count++;
  }
  close();
  return out;
}

async function zrangeEach(client: Redis, keys: string[], from: number, to: number): Promise<[number, number][][]> {
  const pipeline = client.pipeline();
  for (const key of keys) pipeline.zrangebyscore(key, from, to);
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([error, members]) => {
    if (error) throw error;
    return parseMembers(members as string[]);
  });
}

function hostsOf(data: Dataset): number[] {
  return Array.from({ length: data.hosts }, (_, host) => host);
}

const ALL_METRICS = `metric=(${CPU_METRICS.join(',')})`;

export const QUERY_KINDS: QueryKind[] = [
  {
    name: 'lastpoint',
    windowMs: 0,
    async tskv(client) {
      const reply = (await client.call('TS.MGET', 'SELECTED_LABELS', 'hostname', 'metric', 'FILTER', ALL_METRICS, 'hostname!=')) as [string, unknown, [number, string] | []][];
      return new Map(reply.map(([key, , sample]) => [key, sample.length === 0 ? [] : [[Number(sample[0]), Number(sample[1])]]]));
    },
    async redis(client, data) {
      const pipeline = client.pipeline();
      for (const key of data.keys) pipeline.zrange(key, '-1', '-1');
      const replies = (await pipeline.exec()) ?? [];
      const result: Canonical = new Map();
      replies.forEach(([error, members], index) => {
        if (error) throw error;
        result.set(data.keys[index]!, parseMembers(members as string[]));
      });
      return result;
    },
  },
  {
    name: 'single-groupby-1-1-1',
    windowMs: HOUR_MS,
    async tskv(client, _data, { host, from, to }) {
      return fromMrange(await client.call('TS.MRANGE', from, to, 'AGGREGATION', 'max', MINUTE_MS, 'FILTER', `metric=${CPU_METRICS[0]}`, `hostname=host_${host}`));
    },
    async redis(client, _data, { host, from, to }) {
      const key = seriesKey(host, 0);
      const [samples] = await zrangeEach(client, [key], from, to);
      return new Map([[key, aggregate(samples!, MINUTE_MS, 'max')]]);
    },
  },
  {
    name: 'single-groupby-5-1-12',
    windowMs: 12 * HOUR_MS,
    async tskv(client, _data, { host, from, to }) {
      return fromMrange(await client.call('TS.MRANGE', from, to, 'AGGREGATION', 'max', MINUTE_MS, 'FILTER', `metric=(${CPU_METRICS.slice(0, 5).join(',')})`, `hostname=host_${host}`, 'GROUPBY', 'metric', 'REDUCE', 'max'));
    },
    async redis(client, _data, { host, from, to }) {
      const metrics = CPU_METRICS.slice(0, 5);
      const all = await zrangeEach(client, metrics.map((_, metric) => seriesKey(host, metric)), from, to);
      // one host: each metric group holds one series, so REDUCE max changes nothing
      return new Map(metrics.map((metric, index) => [`metric=${metric}`, aggregate(all[index]!, MINUTE_MS, 'max')]));
    },
  },
  {
    name: 'double-groupby-1',
    windowMs: 12 * HOUR_MS,
    async tskv(client, _data, { from, to }) {
      return fromMrange(await client.call('TS.MRANGE', from, to, 'AGGREGATION', 'avg', HOUR_MS, 'FILTER', `metric=${CPU_METRICS[0]}`, 'GROUPBY', 'hostname', 'REDUCE', 'avg'));
    },
    async redis(client, data, { from, to }) {
      const hosts = hostsOf(data);
      const all = await zrangeEach(client, hosts.map((host) => seriesKey(host, 0)), from, to);
      return new Map(hosts.map((host) => [`hostname=host_${host}`, aggregate(all[host]!, HOUR_MS, 'avg')]));
    },
  },
  {
    name: 'high-cpu-1',
    windowMs: 12 * HOUR_MS,
    async tskv(client, _data, { host, from, to }) {
      return fromMrange(await client.call('TS.MRANGE', from, to, 'FILTER_BY_VALUE', HIGH_CPU_MIN, 1000, 'FILTER', `metric=${CPU_METRICS[0]}`, `hostname=host_${host}`, 'GROUPBY', 'metric', 'REDUCE', 'max'));
    },
    async redis(client, _data, { host, from, to }) {
      const [samples] = await zrangeEach(client, [seriesKey(host, 0)], from, to);
      return new Map([[`metric=${CPU_METRICS[0]}`, samples!.filter(([, value]) => value >= HIGH_CPU_MIN)]]);
    },
  },
  {
    name: 'high-cpu-all',
    windowMs: 12 * HOUR_MS,
    async tskv(client, _data, { from, to }) {
      return fromMrange(await client.call('TS.MRANGE', from, to, 'FILTER_BY_VALUE', HIGH_CPU_MIN, 1000, 'FILTER', `metric=${CPU_METRICS[0]}`));
    },
    async redis(client, data, { from, to }) {
      const keys = hostsOf(data).map((host) => seriesKey(host, 0));
      const all = await zrangeEach(client, keys, from, to);
      return new Map(keys.map((key, index) => [key, all[index]!.filter(([, value]) => value >= HIGH_CPU_MIN)]));
    },
  },
];

/** Seeded parameters, the same list for both servers. */
export function queryParams(data: Dataset, kind: QueryKind, count: number, seed: number): QueryParams[] {
  const random = seededRandom(seed);
  const endMs = START_MS + (data.ticks - 1) * INTERVAL_MS;
  return Array.from({ length: count }, () => {
    const span = Math.max(0, endMs - START_MS - kind.windowMs);
    const from = START_MS + Math.floor(random() * (span + 1));
    return { host: Math.floor(random() * data.hosts), from, to: Math.min(endMs, from + kind.windowMs) };
  });
}

/** Where two answers differ, in words; undefined when they agree (values to 1e-9 relative). */
export function difference(a: Canonical, b: Canonical): string | undefined {
  const names = [...new Set([...a.keys(), ...b.keys()])].filter((name) => (a.get(name)?.length ?? 0) + (b.get(name)?.length ?? 0) > 0);
  for (const name of names) {
    const left = a.get(name) ?? [];
    const right = b.get(name) ?? [];
    if (left.length !== right.length) return `${name}: ${left.length} samples vs ${right.length}`;
    for (let index = 0; index < left.length; index++) {
      const [ts, value] = left[index]!;
      const [otherTs, otherValue] = right[index]!;
      if (ts !== otherTs || Math.abs(value - otherValue) > 1e-9 * Math.max(1, Math.abs(value))) {
        return `${name}[${index}]: (${ts}, ${value}) vs (${otherTs}, ${otherValue})`;
      }
    }
  }
  return undefined;
}
