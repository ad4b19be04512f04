// test/timeseries-rules.test.ts: compaction rules and TS.DEL, ported from RedisTimeSeries 1.12's
// tests/flow/test_ts_createrule.py, test_ts_deleterule.py and test_ts_delete.py with their
// expected replies, against the built server (RESP2, redis-py's view: test/helpers/ts-flow.ts).
// Skipped or adapted, and why:
// - test_downsampling_extensive runs 10,000 samples per aggregation; the port runs 1,000 (the
//   same checks, 99 buckets instead of 999), to stay within the machine's share.
// - test_ts_del_last_chunk / test_ts_del_multi_chunk loop on TS.INFO DEBUG chunk counts; tskv
//   keeps new samples raw until its sealer folds them, so the port deletes across the same
//   sample counts and checks the samples, not the chunks.
// - test_bad_del's DUMP/RESTORE and test_del_with_rules_bug_4972_5/6 (RESTORE of RTS RDB payloads):
//   tskv has no RDB encoding for series.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { FlowServer, flowError, range, seededRandom, type FlowClient, type Py } from './helpers/ts-flow.js';

let server: FlowServer;
let r: FlowClient;

beforeAll(async () => {
  server = await FlowServer.start();
  r = await server.client();
});
afterAll(async () => {
  await server?.stop();
});
beforeEach(async () => {
  await r.cmd('FLUSHALL');
});

async function all(commands: (string | number)[][]): Promise<Py[]> {
  const replies = await r.pipeline(commands);
  expect(replies.filter((reply) => reply instanceof Error).map((error) => (error as Error).message)).toEqual([]);
  return replies as Py[];
}

const ALL_AGGREGATIONS = ['avg', 'twa', 'sum', 'min', 'max', 'count', 'range', 'first', 'last', 'std.p', 'std.s', 'var.p', 'var.s'];
const VALUES = [31, 41, 59, 26, 53, 58, 97, 93, 23, 84];

/** _insert_agg_data: key and key_agg_<agg>_10 with a rule, samples fromTS..toTS-1, then one closing sample. */
async function insertAggData(key: string, agg: string, chunkType = 'COMPRESSED', fromTS = 10, toTS = 50, createArgs: (string | number)[] = []): Promise<string> {
  const aggKey = `${key}_agg_${agg}_10`;
  expect(await r.cmd('TS.CREATE', key, chunkType, ...createArgs)).toBe('OK');
  expect(await r.cmd('TS.CREATE', aggKey, chunkType, ...createArgs)).toBe('OK');
  expect(await r.cmd('TS.CREATERULE', key, aggKey, 'AGGREGATION', agg, 10)).toBe('OK');
  await all(range(fromTS, toTS).map((i) => ['TS.ADD', key, i, Math.floor(i / 10) * 100 + VALUES[i % 10]!]));
  expect(await r.cmd('TS.ADD', key, toTS + 1000, 0)).toBe(toTS + 1000);
  return aggKey;
}

const key = 'tester{abc}';
const aggKey = `${key}_agg_max_10`;

describe('test_ts_createrule.py', () => {
  test('test_compaction_rules', async () => {
    await r.cmd('TS.CREATE', key, 'CHUNK_SIZE', '360');
    await r.cmd('TS.CREATE', aggKey);
    expect(await flowError(r.cmd('TS.CREATERULE', key, aggKey, 'AGGREGATION', 'avg', -10))).toBe('ERR TSDB: bucketDuration must be greater than zero');
    expect(await flowError(r.cmd('TS.CREATERULE', key, aggKey, 'AGGREGATION', 'avg', 0))).toBe('ERR TSDB: bucketDuration must be greater than zero');
    expect(await r.cmd('TS.CREATERULE', key, aggKey, 'AGGREGATION', 'avg', 10)).toBe('OK');
    const start = 1488823384;
    await all(range(1500).map((i) => ['TS.ADD', key, start + i, 5]));
    await r.cmd('TS.ADD', key, start + 1510, 5);
    expect(((await r.cmd('TS.RANGE', aggKey, start, start + 1500)) as Py[]).length).toBe(150);
    expect((await r.info(key)).rules).toEqual([[aggKey, 10, 'AVG', 0]]);
  });

  test('test_create_compaction_rule_with_wrong_aggregation', async () => {
    await r.cmd('TS.CREATE', key);
    await r.cmd('TS.CREATE', aggKey);
    expect(await flowError(r.cmd('TS.CREATERULE', key, aggKey, 'AGGREGATION', 'MAXX', 10))).toBe('ERR TSDB: Unknown aggregation type');
    expect(await flowError(r.cmd('TS.CREATERULE', key, aggKey, 'AGGREGATION', 'MA', 10))).toBe('ERR TSDB: Unknown aggregation type');
    expect(await flowError(r.cmd('TS.CREATERULE', key, aggKey, 'AGGREGATION', 'max', 'x'))).toBe("ERR TSDB: Couldn't parse AGGREGATION");
    expect(await flowError(r.cmd('TS.CREATERULE', key, aggKey, 'AGGREGATION', 'max', 10, 'x'))).toBe("ERR TSDB: Couldn't parse alignTimestamp");
    expect(await flowError(r.cmd('TS.CREATERULE', key, aggKey, 'AGGREGATION', 'max'))).toBe("ERR wrong number of arguments for 'ts.createrule' command");
    expect(await flowError(r.cmd('TS.CREATERULE', key, aggKey, 'AGGREGATIONS', 'max', 10))).toBe("ERR wrong number of arguments for 'ts.createrule' command");
  });

  test('test_create_compaction_rule_without_dest_series', async () => {
    await r.cmd('TS.CREATE', key);
    expect(await flowError(r.cmd('TS.CREATERULE', key, aggKey, 'AGGREGATION', 'MAX', 10))).toBe('ERR TSDB: the key does not exist');
    expect(await flowError(r.cmd('TS.CREATERULE', 'nope', key, 'AGGREGATION', 'MAX', 10))).toBe('ERR TSDB: the key does not exist');
  });

  test('test_create_compaction_rule_twice', async () => {
    await r.cmd('TS.CREATE', key);
    await r.cmd('TS.CREATE', aggKey);
    expect(await r.cmd('TS.CREATERULE', key, aggKey, 'AGGREGATION', 'MAX', 10)).toBe('OK');
    expect(await flowError(r.cmd('TS.CREATERULE', key, aggKey, 'AGGREGATION', 'MAX', 10))).toBe('ERR TSDB: the destination key already has a src rule');
  });

  test('test_create_compaction_rule_override_dest', async () => {
    await r.cmd('TS.CREATE', key);
    await r.cmd('TS.CREATE', 'tester2');
    await r.cmd('TS.CREATE', aggKey);
    await r.cmd('TS.CREATERULE', key, aggKey, 'AGGREGATION', 'MAX', 10);
    expect(await flowError(r.cmd('TS.CREATERULE', 'tester2', aggKey, 'AGGREGATION', 'MAX', 10))).toBe('ERR TSDB: the destination key already has a src rule');
  });

  test('test_create_compaction_rule_from_target', async () => {
    await r.cmd('TS.CREATE', key);
    await r.cmd('TS.CREATE', 'tester2');
    await r.cmd('TS.CREATE', aggKey);
    await r.cmd('TS.CREATERULE', key, aggKey, 'AGGREGATION', 'MAX', 10);
    expect(await flowError(r.cmd('TS.CREATERULE', aggKey, 'tester2', 'AGGREGATION', 'MAX', 10))).toBe('ERR TSDB: the source key already has a source rule');
    expect(await flowError(r.cmd('TS.CREATERULE', 'tester2', key, 'AGGREGATION', 'MAX', 10))).toBe('ERR TSDB: the destination key already has a dst rule');
  });

  test('test_create_compaction_rule_own', async () => {
    await r.cmd('TS.CREATE', key);
    expect(await flowError(r.cmd('TS.CREATERULE', key, key, 'AGGREGATION', 'MAX', 10))).toBe('ERR TSDB: the source key and destination key should be different');
  });

  test('test_create_compaction_zero_bucket_size', async () => {
    await r.cmd('TS.CREATE', 't1', 'LABELS', 'key', 'val');
    await r.cmd('TS.CREATE', 't2', 'LABELS', 'key', 'val');
    expect(await flowError(r.cmd('TS.CREATERULE', 't1', 't2', 'AGGREGATION', 'sum', 0))).toBe('ERR TSDB: bucketDuration must be greater than zero');
  });

  test('test_create_compaction_rule_and_del_dest_series', async () => {
    await r.cmd('TS.CREATE', key);
    await r.cmd('TS.CREATE', aggKey);
    await r.cmd('TS.CREATERULE', key, aggKey, 'AGGREGATION', 'AVG', 10);
    expect(await r.cmd('DEL', aggKey)).toBe(1);
    const start = 1488823384;
    expect(await all(range(1500).map((i) => ['TS.ADD', key, start + i, 5]))).toEqual(range(1500).map((i) => start + i));
    expect(await r.cmd('EXISTS', aggKey)).toBe(0);
  });

  test('test_std_var_func', async () => {
    const random = seededRandom(0);
    const items = range(100);
    for (let index = items.length - 1; index > 0; index--) {
      const other = Math.floor(random() * (index + 1));
      [items[index], items[other]] = [items[other]!, items[index]!];
    }
    const mean = items.reduce((a, b) => a + b, 0) / items.length;
    const variance = items.reduce((a, b) => a + (b - mean) ** 2, 0) / (items.length - 1);
    await r.cmd('TS.CREATE', 'raw{abc}');
    await r.cmd('TS.CREATE', 'std_key{abc}');
    await r.cmd('TS.CREATE', 'var_key{abc}');
    await r.cmd('TS.CREATERULE', 'raw{abc}', 'std_key{abc}', 'AGGREGATION', 'std.s', 100);
    await r.cmd('TS.CREATERULE', 'raw{abc}', 'var_key{abc}', 'AGGREGATION', 'var.s', 100);
    await all(items.map((item, i) => ['TS.ADD', 'raw{abc}', i, item]));
    await r.cmd('TS.ADD', 'raw{abc}', 100, 0);
    expect(Math.abs(Math.sqrt(variance) - Number(((await r.cmd('TS.GET', 'std_key{abc}')) as Py[])[1]))).toBeLessThan(0.001);
    expect(Math.abs(variance - Number(((await r.cmd('TS.GET', 'var_key{abc}')) as Py[])[1]))).toBeLessThan(0.001);
  });

  test('test_delete_key', async () => {
    await r.cmd('TS.CREATE', key, 'CHUNK_SIZE', '360');
    await r.cmd('TS.CREATE', aggKey);
    await r.cmd('TS.CREATERULE', key, aggKey, 'AGGREGATION', 'avg', 10);
    expect(await r.cmd('DEL', aggKey)).toBe(1);
    expect((await r.info(key)).rules).toEqual([]);
    await r.cmd('TS.CREATE', aggKey);
    await r.cmd('TS.CREATERULE', key, aggKey, 'AGGREGATION', 'avg', 11);
    expect(await r.cmd('DEL', key)).toBe(1);
    expect((await r.info(aggKey)).sourceKey).toBe(null);
    await r.cmd('TS.CREATE', key);
    expect(await r.cmd('TS.CREATERULE', key, aggKey, 'AGGREGATION', 'avg', 12)).toBe('OK');
    expect((await r.info(key)).rules).toEqual([[aggKey, 12, 'AVG', 0]]);
  });

  test('test_downsampling_current', async () => {
    for (const chunkType of ['COMPRESSED', 'UNCOMPRESSED']) {
      for (const agg of ALL_AGGREGATIONS) {
        await r.cmd('TS.CREATE', 'src{a}', chunkType, 'DUPLICATE_POLICY', 'LAST');
        await r.cmd('TS.CREATE', 'dest{a}', chunkType);
        await r.cmd('TS.CREATERULE', 'src{a}', 'dest{a}', 'AGGREGATION', agg, 10);
        const step = async (samples: [number, number][], count: number) => {
          for (const [ts, value] of samples) expect(await r.cmd('TS.ADD', 'src{a}', ts, value)).toBe(ts);
          const expected = ((await r.cmd('TS.RANGE', 'src{a}', 0, '+', 'aggregation', agg, 10)) as Py[]).slice(0, count);
          expect(((await r.cmd('TS.RANGE', 'dest{a}', 0, '+')) as Py[]).slice(0, count), `${agg} ${chunkType}`).toEqual(expected);
        };
        await step([[3, 3], [5, 5], [7, 7], [5, 2], [10, 10]], 1);
        await step([[11, 11], [15, 15], [14, 14], [20, 20]], 1);
        await step([[23, 23], [15, 22], [27, 27], [23, 25], [30, 30]], 3);
        expect((await r.info('dest{a}')).totalSamples).toBe(3);
        expect((await r.info('src{a}')).totalSamples).toBe(11);
        await r.cmd('DEL', 'src{a}', 'dest{a}');
      }
    }
  });

  test('test_downsampling_extensive (1,000 samples per aggregation)', async () => {
    const [fromTS, toTS] = [10, 1000];
    for (const chunkType of ['COMPRESSED', 'UNCOMPRESSED']) {
      for (const agg of ALL_AGGREGATIONS) {
        const target = await insertAggData(key, agg, chunkType, fromTS, toTS, ['DUPLICATE_POLICY', 'LAST']);
        const expected1 = await r.cmd('TS.RANGE', key, fromTS, toTS, 'aggregation', agg, 10);
        const actual1 = await r.cmd('TS.RANGE', target, fromTS, toTS);
        expect(actual1, `${agg} ${chunkType}`).toEqual(expected1);
        expect((expected1 as Py[]).length).toBe(99);
        await all(range(fromTS + 5, toTS - 4, 10).map((i) => ['TS.ADD', key, i, 42]));
        const expected2 = await r.cmd('TS.RANGE', key, fromTS, toTS, 'aggregation', agg, 10);
        const actual2 = await r.cmd('TS.RANGE', target, fromTS, toTS);
        expect(actual2, `${agg} ${chunkType} after upserts`).toEqual(expected2);
        if (['avg', 'twa', 'sum', 'min', 'range', 'std.p', 'std.s', 'var.p', 'var.s'].includes(agg)) expect(actual2).not.toEqual(actual1);
        await r.cmd('DEL', key, target);
      }
    }
  }, 180_000);

  test('test_downsampling_rules', async () => {
    await r.cmd('TS.CREATE', key);
    const rules = ['avg', 'sum', 'count', 'max', 'min'];
    const resolutions = [1, 3, 10, 1000];
    for (const rule of rules) {
      for (const resolution of resolutions) {
        await r.cmd('TS.CREATE', `${key}_${rule}_${resolution}`);
        await r.cmd('TS.CREATERULE', key, `${key}_${rule}_${resolution}`, 'AGGREGATION', rule, resolution);
      }
    }
    const count = 501;
    const values = range(count);
    await all(values.map((value, i) => ['TS.ADD', key, i, value]));
    await r.cmd('TS.ADD', key, 3000, 7.77);
    const calc = (rule: string, bucket: number[]) => {
      if (rule === 'avg') return bucket.reduce((a, b) => a + b, 0) / bucket.length;
      if (rule === 'sum') return bucket.reduce((a, b) => a + b, 0);
      if (rule === 'count') return bucket.length;
      if (rule === 'max') return Math.max(...bucket);
      return Math.min(...bucket);
    };
    for (const rule of rules) {
      for (const resolution of resolutions) {
        const actual = (await r.cmd('TS.RANGE', `${key}_${rule}_${resolution}`, 0, count)) as [number, string][];
        expect(actual.length).toBe(Math.ceil(count / resolution));
        // the flow test's _calc_downsampling_series shortens the last bucket oddly; these are the true buckets
        const expected = range(0, count, resolution).map((start) => calc(rule, values.slice(start, start + resolution)));
        expect(actual.map(([, value]) => Number(value)), `${rule} ${resolution}`).toEqual(expected);
        expect((await r.info(`${key}_${rule}_${resolution}`)).lastTimestamp).toBe(count - 1 - ((count - 1) % resolution));
      }
    }
    await r.cmd('TS.ADD', key, 6000, 0);
    for (const rule of rules) {
      for (const resolution of resolutions) {
        const actual = (await r.cmd('TS.RANGE', `${key}_${rule}_${resolution}`, 3000, 6000)) as [number, string][];
        expect(actual.length).toBe(1);
        expect(['7.77', '1']).toContain(actual[0]![1]);
      }
    }
  });

  test('test_downsampling_alignment', async () => {
    await r.cmd('TS.CREATE', 't1{1}');
    await r.cmd('TS.CREATE', 't2{1}');
    await r.cmd('TS.CREATERULE', 't1{1}', 't2{1}', 'AGGREGATION', 'sum', 10, 5);
    const same = async (to: number) => expect(await r.cmd('TS.RANGE', 't2{1}', 0, to)).toEqual(await r.cmd('TS.RANGE', 't1{1}', 0, to, 'ALIGN', 5, 'AGGREGATION', 'sum', 10));
    await r.cmd('TS.ADD', 't1{1}', 3, 4);
    await r.cmd('TS.ADD', 't1{1}', 9, 8);
    await same(4);
    await r.cmd('TS.ADD', 't1{1}', 16, 8);
    await same(9);
    expect(await r.cmd('TS.RANGE', 't2{1}', 0, 9)).toEqual([[0, '4'], [5, '8']]);
    await r.cmd('TS.ADD', 't1{1}', 2, 8).catch(() => undefined); // BLOCK: refused (new timestamps only below)
    await r.cmd('TS.ADD', 't1{1}', 6, 3);
    await same(9);
    await r.cmd('TS.ADD', 't1{1}', 15, 9);
    await r.cmd('TS.ADD', 't1{1}', 30, 7);
    await same(24);
    expect((await r.info('t1{1}')).rules).toEqual([['t2{1}', 10, 'SUM', 5]]);
  });

  test('test_backfill_downsampling', async () => {
    for (const chunkType of ['COMPRESSED', 'UNCOMPRESSED']) {
      for (const agg of ['sum', 'min', 'max', 'count', 'first', 'last']) {
        const target = await insertAggData(key, agg, chunkType, 10, 50, ['DUPLICATE_POLICY', 'LAST']);
        const same = async (to: number) => expect(await r.cmd('TS.RANGE', target, 10, to), `${agg} ${chunkType} ${to}`).toEqual(await r.cmd('TS.RANGE', key, 10, to, 'aggregation', agg, 10));
        await same(50);
        expect(await r.cmd('TS.ADD', key, 15, 50)).toBe(15);
        await same(50);
        await all([['TS.ADD', key, 1055, 50], ['TS.ADD', key, 1053, 55], ['TS.ADD', key, 1062, 60]]);
        await same(1060);
        await all([['TS.ADD', key, 1065, 65], ['TS.ADD', key, 1066, 66], ['TS.ADD', key, 1001, 42], ['TS.ADD', key, 1075, 50]]);
        await same(1070);
        await r.cmd('DEL', key, target);
      }
    }
  });

  test('test_rule_timebucket_64bit', async () => {
    await r.cmd('ts.create', 'test_key{test}', 'RETENTION', 2147483648);
    await r.cmd('ts.create', 'below{test}');
    await r.cmd('ts.create', 'above{test}');
    await r.cmd('ts.createrule', 'test_key{test}', 'below{test}', 'AGGREGATION', 'max', 2147483647);
    await r.cmd('ts.createrule', 'test_key{test}', 'above{test}', 'AGGREGATION', 'max', 2147483648);
    const rules = (await r.info('test_key{test}')).rules as Py[][];
    expect(rules[0]![1]).toBe(2147483647);
    expect(rules[1]![1]).toBe(2147483648);
  });

  test('test_create_rule_non_empty_src_series', async () => {
    for (const name of ['t1{1}', 't2{1}', 't3{1}']) await r.cmd('ts.create', name);
    for (const ts of [1, 2, 3, 11]) await r.cmd('ts.add', 't1{1}', ts, ts);
    await r.cmd('ts.createrule', 't1{1}', 't2{1}', 'AGGREGATION', 'avg', 10);
    expect(await r.cmd('ts.range', 't2{1}', '-', '+', 'LATEST')).toEqual([]);
    await r.cmd('ts.createrule', 't1{1}', 't3{1}', 'AGGREGATION', 'avg', 10, 5);
    expect(await r.cmd('ts.range', 't3{1}', '-', '+', 'LATEST')).toEqual([]);
    // the rule starts with the next sample's bucket: 12 joins bucket 10 alone
    await r.cmd('ts.add', 't1{1}', 12, 12);
    await r.cmd('ts.add', 't1{1}', 25, 25);
    expect(await r.cmd('ts.range', 't2{1}', '-', '+')).toEqual([[10, '12']]);
    expect(await r.cmd('ts.range', 't2{1}', '-', '+', 'LATEST')).toEqual([[10, '12'], [20, '25']]);
  });
});

describe('test_ts_deleterule.py', () => {
  test('test_delete_rule', async () => {
    await r.cmd('TS.CREATE', key);
    for (const [agg, bucket] of [['max', 10], ['min', 20], ['avg', 30], ['last', 40]] as const) {
      await r.cmd('TS.CREATE', `${key}_agg_${agg}_${bucket}`);
      expect(await r.cmd('TS.CREATERULE', key, `${key}_agg_${agg}_${bucket}`, 'AGGREGATION', agg.toUpperCase(), bucket)).toBe('OK');
    }
    expect(await flowError(r.cmd('TS.DELETERULE', key, 'non_existent'))).toBe('ERR TSDB: compaction rule does not exist');
    expect(await flowError(r.cmd('TS.DELETERULE', 'non_existent', key))).toBe('ERR TSDB: the key does not exist');
    expect(await flowError(r.cmd('TS.DELETERULE', key))).toBe("ERR wrong number of arguments for 'ts.deleterule' command");
    expect(((await r.info(key)).rules as Py[]).length).toBe(4);
    expect(await r.cmd('TS.DELETERULE', key, `${key}_agg_avg_30`)).toBe('OK');
    expect(((await r.info(key)).rules as Py[]).length).toBe(3);
    expect((await r.info(`${key}_agg_avg_30`)).sourceKey).toBe(null);
    expect(await r.cmd('TS.DELETERULE', key, `${key}_agg_max_10`)).toBe('OK');
    expect((await r.info(key)).rules).toEqual([[`${key}_agg_min_20`, 20, 'MIN', 0], [`${key}_agg_last_40`, 40, 'LAST', 0]]);
    // the former destination is an ordinary series again: it may get rules of its own
    expect(await r.cmd('TS.CREATE', 'other')).toBe('OK');
    expect(await r.cmd('TS.CREATERULE', `${key}_agg_max_10`, 'other', 'AGGREGATION', 'sum', 10)).toBe('OK');
  });
});

describe('test_ts_delete.py', () => {
  test('test_ts_del_uncompressed / compressed / in_range / out_range', async () => {
    for (const chunkType of ['uncompressed', 'compressed']) {
      await r.cmd('ts.create', 'test_key', chunkType);
      expect(await all(range(101).map((i) => ['ts.add', 'test_key', i, '1']))).toEqual(range(101));
      expect(await r.cmd('ts.range', 'test_key', 0, 100)).toEqual(range(101).map((i) => [i, '1']));
      expect(await r.cmd('ts.del', 'test_key', 50, 60)).toBe(11);
      expect(((await r.cmd('ts.range', 'test_key', 0, 100)) as Py[]).length).toBe(90);
      expect(await r.cmd('ts.del', 'test_key', 0, 100)).toBe(90);
      expect(await r.cmd('ts.range', 'test_key', 0, 100)).toEqual([]);
      expect((await r.info('test_key')).totalSamples).toBe(0);
      await r.cmd('DEL', 'test_key');
    }
    await r.cmd('ts.create', 'test_key');
    await all(range(101).map((i) => ['ts.add', 'test_key', i + 100, '1']));
    expect(await r.cmd('ts.del', 'test_key', 0, 500)).toBe(101);
    expect(await r.cmd('ts.range', 'test_key', 100, 200)).toEqual([]);
  });

  test('test_ts_del_first_sample_in_chunk', async () => {
    const random = seededRandom(3);
    await r.cmd('ts.create', 't1{1}', 'uncompressed', 'DUPLICATE_POLICY', 'LAST');
    await all(range(1, 301).map((i) => ['ts.add', 't1{1}', i, random()]));
    const before = (await r.cmd('ts.range', 't1{1}', '-', '+')) as Py[];
    expect(await r.cmd('ts.del', 't1{1}', 101, 258)).toBe(158);
    const madd: (string | number)[] = ['ts.madd'];
    for (const i of range(1, 259)) madd.push('t1{1}', String(i), String(random()));
    expect(((await r.cmd(...madd)) as Py[]).length).toBe(258);
    expect(((await r.cmd('ts.range', 't1{1}', '-', '+')) as Py[]).length).toBe(before.length);
  });

  test('test_ts_del_last_chunk (after sealing: DEBUG COMPACT folds raw samples into chunks)', async () => {
    await r.cmd('ts.create', 't1{1}', 'CHUNK_SIZE', 48, 'DUPLICATE_POLICY', 'LAST');
    await all(range(1, 300).map((i) => ['ts.add', 't1{1}', i, i]));
    await r.cmd('DEBUG', 'COMPACT');
    const chunks = (await r.info('t1{1}', 'DEBUG')).chunks;
    expect(chunks.length).toBeGreaterThan(1);
    expect(await r.cmd('ts.del', 't1{1}', 6, 299)).toBe(294);
    expect(await r.cmd('ts.get', 't1{1}')).toEqual([5, '5']);
    expect(await r.cmd('ts.range', 't1{1}', '-', '+')).toEqual(range(1, 6).map((i) => [i, String(i)]));
    expect(await r.cmd('ts.add', 't1{1}', 7, 7)).toBe(7);
    expect(await r.cmd('ts.revrange', 't1{1}', '-', '+', 'COUNT', 2)).toEqual([[7, '7'], [5, '5']]);
  });

  test('test_ts_del_last_sample_in_series', async () => {
    await r.cmd('ts.create', 't1{1}', 'DUPLICATE_POLICY', 'LAST');
    expect(await r.cmd('ts.get', 't1{1}')).toEqual([]);
    expect(await r.cmd('ts.del', 't1{1}', '0', '10')).toBe(0);
    expect(await r.cmd('ts.get', 't1{1}')).toEqual([]);
    await r.cmd('ts.add', 't1{1}', 1, 2);
    await r.cmd('ts.add', 't1{1}', 5, 10);
    expect(await r.cmd('ts.del', 't1{1}', '5', '5')).toBe(1);
    expect(await r.cmd('ts.get', 't1{1}')).toEqual([1, '2']);
    expect(await r.cmd('ts.del', 't1{1}', '1', '1')).toBe(1);
    expect(await r.cmd('ts.get', 't1{1}')).toEqual([]);
    expect((await r.info('t1{1}')).totalSamples).toBe(0);
  });

  test('test_ts_del_multi_chunk (sealed chunks)', async () => {
    for (const chunkType of ['compressed', 'uncompressed']) {
      await r.cmd('ts.create', 'test_key', chunkType, 'CHUNK_SIZE', 128);
      await all(range(1, 400).map((i) => ['ts.add', 'test_key', i, i * 1.37]));
      await r.cmd('DEBUG', 'COMPACT');
      expect((await r.info('test_key', 'DEBUG')).chunks.length).toBeGreaterThan(1);
      expect(await r.cmd('ts.del', 'test_key', 0, 398)).toBe(398);
      expect(await r.cmd('ts.range', 'test_key', 0, 400)).toEqual([[399, String(399 * 1.37)]]);
      await r.cmd('DEL', 'test_key');
    }
  });

  test('test_ts_del_with_plus', async () => {
    await r.cmd('ts.create', 't{1}');
    await r.cmd('ts.add', 't{1}', 1, 2);
    await r.cmd('ts.add', 't{1}', 100, 10);
    expect(await r.cmd('ts.del', 't{1}', '-', '+')).toBe(2);
    expect(await r.cmd('ts.range', 't{1}', '-', '+')).toEqual([]);
  });

  test('test_bad_del', async () => {
    expect(await flowError(r.cmd('ts.del', 'test_key', 100, 200))).toBe('ERR TSDB: the key does not exist');
    await r.cmd('ts.add', 'test_key', 120, '1');
    await r.cmd('ts.add', 'test_key', 140, '5');
    expect(await flowError(r.cmd('ts.del', 'test_key', 100))).toBe("ERR wrong number of arguments for 'ts.del' command");
    expect(await flowError(r.cmd('ts.del', 'test_key', 100, '200a'))).toBe('ERR TSDB: wrong toTimestamp');
    expect(await flowError(r.cmd('ts.del', 'test_key', 'x', 200))).toBe('ERR TSDB: wrong fromTimestamp');
    expect(await flowError(r.cmd('ts.del', 'nope', 'x', 200))).toBe('ERR TSDB: wrong fromTimestamp'); // range before key
    expect(await r.cmd('ts.del', 'test_key', 200, 100)).toBe(0);
    expect(await r.cmd('ts.del', 'test_key', 100, 300)).toBe(2);
    await r.cmd('SET', 'BAD_X', 'NOT_TS');
    expect(await flowError(r.cmd('TS.DEL', 'BAD_X', 100, 200))).toBe('ERR WRONGTYPE Operation against a key holding the wrong kind of value');
  });

  test('test_del_retention_with_rules', async () => {
    const beyond = 'ERR TSDB: When a series has compactions, deleting samples or compaction buckets beyond the series retention period is not possible';
    await r.cmd('ts.create', 'test_key_2{1}', 'RETENTION', 1, 'compressed');
    await r.cmd('ts.create', 'test_key_3{1}', 'compressed');
    await r.cmd('ts.createrule', 'test_key_2{1}', 'test_key_3{1}', 'AGGREGATION', 'avg', 10);
    expect(await all(range(1010).map((i) => ['ts.add', 'test_key_2{1}', i, 1]))).toEqual(range(1010));
    expect(await flowError(r.cmd('ts.del', 'test_key_2{1}', 1, 10))).toBe(beyond);
    await r.cmd('ts.create', 'test_key_4{4}', 'RETENTION', 25, 'compressed');
    await r.cmd('ts.create', 'test_key_5{4}', 'compressed');
    await r.cmd('ts.createrule', 'test_key_4{4}', 'test_key_5{4}', 'AGGREGATION', 'avg', 10);
    expect(await all(range(30).map((i) => ['ts.add', 'test_key_4{4}', i, 1]))).toEqual(range(30));
    // 9 is within retention (29 - 25 = 4), but its bucket [0, 10) starts before it
    expect(await flowError(r.cmd('ts.del', 'test_key_4{4}', 9, 10))).toBe(beyond);
    expect(await flowError(r.cmd('ts.del', 'test_key_4{4}', 9, 5))).toBe(beyond); // checked before from > to
    expect(await r.cmd('ts.del', 'test_key_4{4}', 10, 10)).toBe(1);
    expect(await r.cmd('ts.range', 'test_key_5{4}', '-', '+')).toEqual([[0, '1'], [10, '1']]);
  });

  test('test_del_with_rules', async () => {
    await r.cmd('ts.create', 'test_key_2{1}', 'RETENTION', 5000, 'compressed');
    await r.cmd('ts.create', 'test_key_3{1}', 'compressed');
    await r.cmd('ts.createrule', 'test_key_2{1}', 'test_key_3{1}', 'AGGREGATION', 'sum', 10);
    await all([...range(70), ...range(80, 1010)].map((i) => ['ts.add', 'test_key_2{1}', i, 1]));
    expect(await r.cmd('ts.range', 'test_key_3{1}', 0, 9)).toEqual([[0, '10']]);
    expect(await r.cmd('ts.del', 'test_key_2{1}', 0, 9)).toBe(10);
    expect(await r.cmd('ts.range', 'test_key_3{1}', 0, 9)).toEqual([]);
    expect(await r.cmd('ts.range', 'test_key_3{1}', 10, 19)).toEqual([[10, '10']]);
    expect(await r.cmd('ts.del', 'test_key_2{1}', 12, 14)).toBe(3);
    expect(await r.cmd('ts.range', 'test_key_3{1}', 10, 19)).toEqual([[10, '7']]);
    expect(await r.cmd('ts.range', 'test_key_3{1}', 20, 39)).toEqual([[20, '10'], [30, '10']]);
    expect(await r.cmd('ts.del', 'test_key_2{1}', 28, 31)).toBe(4);
    expect(await r.cmd('ts.range', 'test_key_3{1}', 20, 39)).toEqual([[20, '8'], [30, '8']]);
    expect(await r.cmd('ts.range', 'test_key_3{1}', 50, 89)).toEqual([[50, '10'], [60, '10'], [80, '10']]);
    expect(await r.cmd('ts.del', 'test_key_2{1}', 58, 79)).toBe(12);
    expect(await r.cmd('ts.del', 'test_key_2{1}', 80, 81)).toBe(2);
    expect(await r.cmd('ts.range', 'test_key_3{1}', 50, 89)).toEqual([[50, '8'], [80, '8']]);
    expect(await r.cmd('ts.range', 'test_key_3{1}', 990, 1009)).toEqual([[990, '10']]);
    expect(await r.cmd('ts.del', 'test_key_2{1}', 995, 1002)).toBe(8);
    expect(await r.cmd('ts.range', 'test_key_3{1}', 990, 1009)).toEqual([[990, '5']]);
    expect(await r.cmd('ts.add', 'test_key_2{1}', 1010, 1)).toBe(1010);
    expect(await r.cmd('ts.range', 'test_key_3{1}', 990, 1009)).toEqual([[990, '5'], [1000, '7']]);
    await r.cmd('ts.create', 'test_key_{4}', 'RETENTION', 5000, 'CHUNK_SIZE', '1024', 'compressed');
    await r.cmd('ts.create', 'test_key_{4}_agg', 'CHUNK_SIZE', '1024', 'compressed');
    await r.cmd('ts.createrule', 'test_key_{4}', 'test_key_{4}_agg', 'AGGREGATION', 'sum', 10);
    await all(range(2070).map((i) => ['ts.add', 'test_key_{4}', i, 1]));
    await r.cmd('DEBUG', 'COMPACT'); // the rewrite then cuts through sealed chunks too
    expect(((await r.cmd('ts.range', 'test_key_{4}_agg', 1010, 2059)) as Py[]).length).toBe(105);
    expect(await r.cmd('ts.del', 'test_key_{4}', 1019, 2050)).toBe(1032);
    expect(await r.cmd('ts.range', 'test_key_{4}_agg', 1010, 2059)).toEqual([[1010, '9'], [2050, '9']]);
  });

  test('test_del_with_rules_with_alignment', async () => {
    await r.cmd('ts.create', 'test_key_2{1}', 'RETENTION', 5000, 'compressed');
    await r.cmd('ts.create', 'test_key_3{1}', 'compressed');
    await r.cmd('ts.createrule', 'test_key_2{1}', 'test_key_3{1}', 'AGGREGATION', 'sum', 10, 5);
    await all([...range(65), ...range(75, 1005)].map((i) => ['ts.add', 'test_key_2{1}', i, 1]));
    expect(await r.cmd('ts.range', 'test_key_3{1}', 0, 4)).toEqual([[0, '5']]);
    expect(await r.cmd('ts.del', 'test_key_2{1}', 0, 4)).toBe(5);
    expect(await r.cmd('ts.range', 'test_key_3{1}', 0, 4)).toEqual([]);
    expect(await r.cmd('ts.del', 'test_key_2{1}', 11, 13)).toBe(3);
    expect(await r.cmd('ts.range', 'test_key_3{1}', 5, 14)).toEqual([[5, '7']]);
    expect(await r.cmd('ts.del', 'test_key_2{1}', 23, 26)).toBe(4);
    expect(await r.cmd('ts.range', 'test_key_3{1}', 15, 34)).toEqual([[15, '8'], [25, '8']]);
    expect(await r.cmd('ts.range', 'test_key_3{1}', 45, 84)).toEqual([[45, '10'], [55, '10'], [75, '10']]);
    expect(await r.cmd('ts.del', 'test_key_2{1}', 53, 74)).toBe(12);
    expect(await r.cmd('ts.del', 'test_key_2{1}', 75, 76)).toBe(2);
    expect(await r.cmd('ts.range', 'test_key_3{1}', 45, 84)).toEqual([[45, '8'], [75, '8']]);
    expect(await r.cmd('ts.del', 'test_key_2{1}', 990, 997)).toBe(8);
    expect(await r.cmd('ts.range', 'test_key_3{1}', 985, 1004)).toEqual([[985, '5']]);
    expect(await r.cmd('ts.add', 'test_key_2{1}', 1005, 1)).toBe(1005);
    expect(await r.cmd('ts.range', 'test_key_3{1}', 985, 1004)).toEqual([[985, '5'], [995, '7']]);
  });

  test('test_del_outside_retention_period', async () => {
    const beyond = 'ERR TSDB: When a series has compactions, deleting samples or compaction buckets beyond the series retention period is not possible';
    await r.cmd('ts.create', 't1{1}', 'RETENTION', 20);
    await r.cmd('ts.create', 't2{1}', 'RETENTION', 10);
    await r.cmd('ts.createrule', 't1{1}', 't2{1}', 'AGGREGATION', 'sum', 10);
    for (const ts of [13, 17, 22, 31]) await r.cmd('ts.add', 't1{1}', ts, ts);
    expect(await flowError(r.cmd('ts.del', 't1{1}', 5, 25))).toBe(beyond);
    expect(await flowError(r.cmd('ts.del', 't1{1}', 5, 25))).toBe(beyond);
    await r.cmd('ts.create', 't3{1}', 'RETENTION', 15);
    await r.cmd('ts.create', 't4{1}', 'RETENTION', 10);
    await r.cmd('ts.createrule', 't3{1}', 't4{1}', 'AGGREGATION', 'sum', 10);
    for (const ts of [13, 19, 22, 30]) await r.cmd('ts.add', 't3{1}', ts, ts);
    expect(await flowError(r.cmd('ts.del', 't3{1}', 19, 25))).toBe(beyond);
    await r.cmd('ts.create', 't5{1}');
    await r.cmd('ts.create', 't6{1}');
    await r.cmd('ts.createrule', 't5{1}', 't6{1}', 'AGGREGATION', 'sum', 10);
    for (const ts of [13, 19, 22, 30]) await r.cmd('ts.add', 't5{1}', ts, ts);
    expect(await r.cmd('ts.del', 't5{1}', 5, 30)).toBe(4);
  });

  test('test_del_with_rules_bug_4972 (1 to 4)', async () => {
    const setup = async () => {
      await r.cmd('FLUSHALL');
      await r.cmd('ts.create', 't1{1}', 'compressed', 'RETENTION', 0);
      await r.cmd('ts.create', 't2{1}', 'compressed', 'RETENTION', 0);
      await r.cmd('ts.createrule', 't1{1}', 't2{1}', 'AGGREGATION', 'avg', 10);
    };
    const adds = (...stamps: number[]) => all(stamps.map((ts) => ['ts.add', 't1{1}', ts, ts]));
    const ranges = async (source: Py, destination: Py) => {
      expect(await r.cmd('ts.range', 't1{1}', 0, 100)).toEqual(source);
      expect(await r.cmd('ts.range', 't2{1}', 0, 100)).toEqual(destination);
    };
    await setup();
    await adds(1, 3, 11);
    await r.cmd('ts.del', 't1{1}', 10, 13);
    await ranges([[1, '1'], [3, '3']], []);
    await adds(22);
    await ranges([[1, '1'], [3, '3'], [22, '22']], [[0, '2']]);
    await adds(24, 30, 40);
    await ranges([[1, '1'], [3, '3'], [22, '22'], [24, '24'], [30, '30'], [40, '40']], [[0, '2'], [20, '23'], [30, '30']]);

    await setup();
    await adds(1, 3);
    await r.cmd('ts.del', 't1{1}', 0, 8);
    await ranges([], []);
    await adds(11, 13, 24);
    await ranges([[11, '11'], [13, '13'], [24, '24']], [[10, '12']]);
    await adds(30, 40);
    await ranges([[11, '11'], [13, '13'], [24, '24'], [30, '30'], [40, '40']], [[10, '12'], [20, '24'], [30, '30']]);

    await setup();
    await adds(1, 3, 11);
    await r.cmd('ts.del', 't1{1}', 2, 13);
    await ranges([[1, '1']], []);
    await adds(22);
    await ranges([[1, '1'], [22, '22']], [[0, '1']]);
    await adds(24, 30, 40);
    await ranges([[1, '1'], [22, '22'], [24, '24'], [30, '30'], [40, '40']], [[0, '1'], [20, '23'], [30, '30']]);

    await setup();
    await adds(1, 3, 21);
    await r.cmd('ts.del', 't1{1}', 21, 21);
    await adds(8, 13);
    await ranges([[1, '1'], [3, '3'], [8, '8'], [13, '13']], [[0, '4']]);
  });

  test('test_ts_delete_with_rule_when_latest_timebucket_deleted', async () => {
    await r.cmd('TS.CREATE', 'samples{tag}');
    await r.cmd('TS.CREATE', 'compacted{tag}');
    await r.cmd('TS.CREATERULE', 'samples{tag}', 'compacted{tag}', 'AGGREGATION', 'avg', 1000);
    for (const [ts, value] of [[1000, 17], [2000, 19], [3000, 23]]) await r.cmd('TS.ADD', 'samples{tag}', ts!, value!);
    expect(await r.cmd('TS.DEL', 'samples{tag}', 3000, 3000)).toBe(1);
    expect(await r.cmd('TS.RANGE', 'compacted{tag}', '-', '+')).toEqual([[1000, '17']]);
    expect(await r.cmd('TS.RANGE', 'compacted{tag}', '-', '+', 'LATEST')).toEqual([[1000, '17'], [2000, '19']]);
    await r.cmd('TS.ADD', 'samples{tag}', 4000, 1);
    expect(await r.cmd('TS.RANGE', 'compacted{tag}', '-', '+')).toEqual([[1000, '17'], [2000, '19']]);
  });
});
