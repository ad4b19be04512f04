// test/timeseries-write.test.ts: RedisTimeSeries 1.12's flow tests for the write commands, ported
// with their expected replies (tests/flow/test_ts_create.py, test_ts_alter.py, test_ts_add.py,
// test_ts_madd.py, test_ts_incrby.py, test_ts_get.py, test_duplicate_policy.py, test_ignore.py,
// test_ooo.py), run against the built server over a raw RESP2 socket (redis-py's view of replies,
// test/helpers/ts-flow.ts). Where a flow test only checks that an error is raised, the port also
// checks RedisTimeSeries's exact text (src/module.c, src/query_language.c).
// Skipped or adapted, and why:
// - RDB / DUMP / RESTORE / DEBUG RELOAD (test_uncompressed's and test_ignore_restore's dump,
//   test_ignore_rdb_load): tskv refuses DUMP of a series (test/timeseries-generic.test.ts); the
//   restart part of test_ignore_rdb_load is kept (a real restart instead of env.stop/start).
// - test_madd_some_failed_replicas: replicas and the AOF parser; its commands are kept and the
//   master's replies checked.
// - Chunk layout (TS.INFO chunkCount, memoryUsage >= 4136, DEBUG's per-chunk sizes): tskv keeps
//   raw samples until a background sealer folds them into chunks, so chunk counts and sizes differ;
//   the ports assert the samples (what the chunk tests are about) and not the layout.
// - Timestamps past 2^53 - 1 (test_ts_upsert's MAX_INT64 - j): tskv keeps timestamps as exact JS
//   numbers and refuses larger ones; the port uses 2^53 - 1 - j.
// - test_extensive_ts_madd reads lemire_canada.txt (111,126 doubles): the port writes 3,000
//   seeded random doubles (random bit patterns, so every exponent range) the same way.
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

/** _fill_data: ts = value over [start, start + 100) and [start + 1000, start + 1100). */
async function fillData(key: string): Promise<[number, number][]> {
  const start = 1600001540000;
  const ranges: [number, number][] = [[start, start + 100], [start + 1000, start + 1100]];
  const commands = ranges.flatMap(([from, to]) => range(from, to).map((ts) => ['TS.ADD', key, ts, ts]));
  const replies = await r.pipeline(commands);
  expect(replies.filter((reply) => reply instanceof Error)).toEqual([]);
  return ranges;
}

/** Sends commands in one pipeline and expects none to fail. */
async function all(commands: (string | number)[][]): Promise<Py[]> {
  const replies = await r.pipeline(commands);
  const failed = replies.filter((reply) => reply instanceof Error);
  expect(failed.map((error) => (error as Error).message)).toEqual([]);
  return replies as Py[];
}

describe('test_ts_create.py', () => {
  test('test_create_params: each bad option has its own error', async () => {
    const cases: [(string | number)[], string][] = [
      [['RETENTION', 'retention'], "ERR TSDB: Couldn't parse RETENTION"],
      [['CHUNK_SIZE', 'chunk_size'], "ERR TSDB: Couldn't parse CHUNK_SIZE"],
      [['ENCODING'], "ERR wrong number of arguments for 'ts.create' command"],
      [['ENCODING', 'bad-encoding-type'], 'ERR TSDB: unknown ENCODING parameter'],
      [['LABELS', 'key', 'val', 'RETENTION', 'abc'], "ERR TSDB: Couldn't parse RETENTION"],
      [['LABELS', 'key', 'val', 'RETENTION', '-2'], "TSDB: Couldn't parse RETENTION"],
      [['LABELS', 'key', 'val', 'CHUNK_SIZE', 'abc'], "ERR TSDB: Couldn't parse CHUNK_SIZE"],
      [['LABELS', 'key', 'val', 'CHUNK_SIZE', '-2'], 'ERR TSDB: CHUNK_SIZE value must be a multiple of 8 in the range [48 .. 1048576]'],
      [['LABELS', 'key', 'val', 'CHUNK_SIZE', '4000000000'], 'ERR TSDB: CHUNK_SIZE value must be a multiple of 8 in the range [48 .. 1048576]'],
      [['LABELS', 'key', 'val', 'ENCODING', 'bad-encoding-type'], 'ERR TSDB: unknown ENCODING parameter'],
      [['LABELS', 'key', 'val', 'DUPLICATE_POLICY', 'bla'], 'ERR TSDB: Unknown DUPLICATE_POLICY'],
      [['LABELS', 'key', 'val', 'label', 'DUPLICATE_POLICY', 'bla'], 'ERR TSDB: Unknown DUPLICATE_POLICY'],
    ];
    for (const [options, text] of cases) expect(await flowError(r.cmd('TS.CREATE', 'invalid', ...options)), options.join(' ')).toBe(text);
    expect(await r.cmd('EXISTS', 'invalid')).toBe(0);
    expect(await r.cmd('TS.CREATE', 't1', 'LABELS', 'key', 'val')).toBe('OK');
    expect(await flowError(r.cmd('TS.CREATE', 't1', 'LABELS', 'key', 'val'))).toBe('ERR TSDB: key already exists');
    await r.cmd('TS.CREATE', 'a');
    expect(await flowError(r.cmd('TS.CREATE', 'a'))).toBe('ERR TSDB: key already exists');
    await r.cmd('SET', 'string', 'x');
    expect(await flowError(r.cmd('TS.CREATE', 'string'))).toBe('ERR TSDB: key already exists');
    expect(await flowError(r.cmd('TS.CREATE'))).toBe("ERR wrong number of arguments for 'ts.create' command");
  });

  test('test_create_retention', async () => {
    expect(await r.cmd('TS.CREATE', 'tester', 'RETENTION', 1000)).toBe('OK');
    expect(await r.cmd('TS.ADD', 'tester', 500, 10)).toBe(500);
    expect(await r.cmd('TS.RANGE', 'tester', '-', '+')).toEqual([[500, '10']]);
    expect((await r.info('tester')).totalSamples).toBe(1);
    expect(await r.cmd('TS.ADD', 'tester', 1001, 20)).toBe(1001);
    expect(await r.cmd('TS.RANGE', 'tester', '-', '+')).toEqual([[500, '10'], [1001, '20']]);
    expect((await r.info('tester')).totalSamples).toBe(2);
    expect(await r.cmd('TS.ADD', 'tester', 2000, 30)).toBe(2000);
    expect(await r.cmd('TS.RANGE', 'tester', '-', '+')).toEqual([[1001, '20'], [2000, '30']]);
    expect((await r.info('tester')).totalSamples).toBe(2);
    expect(await flowError(r.cmd('TS.CREATE', 'negative', 'RETENTION', -10))).toBe("TSDB: Couldn't parse RETENTION");
  });

  test('test_create_with_negative_chunk_size', async () => {
    expect(await flowError(r.cmd('TS.CREATE', 'tester', 'CHUNK_SIZE', -10))).toBe('ERR TSDB: CHUNK_SIZE value must be a multiple of 8 in the range [48 .. 1048576]');
  });

  test('test_check_retention_64bit', async () => {
    const huge = 4000000000;
    await r.cmd('TS.CREATE', 'tester', 'RETENTION', huge);
    expect((await r.info('tester')).retention).toBe(huge);
    await all(range(10).map((i) => ['TS.ADD', 'tester', Math.trunc((huge * i) / 4), i]));
    expect(await r.cmd('TS.RANGE', 'tester', 0, '+')).toEqual([[5000000000, '5'], [6000000000, '6'], [7000000000, '7'], [8000000000, '8'], [9000000000, '9']]);
  });

  test('test_uncompressed (without its DUMP / RESTORE)', async () => {
    await r.cmd('ts.create', 'not_compressed', 'UNCOMPRESSED');
    expect(await r.cmd('ts.add', 'not_compressed', 1, 3.5)).toBe(1);
    expect(await r.cmd('ts.get', 'not_compressed')).toEqual([1, '3.5']);
    expect(await r.cmd('ts.add', 'not_compressed', 2, 4.5)).toBe(2);
    expect(await r.cmd('ts.add', 'not_compressed', 3, 5.5)).toBe(3);
    expect(await r.cmd('ts.get', 'not_compressed')).toEqual([3, '5.5']);
    expect(await r.cmd('ts.range', 'not_compressed', 0, '+')).toEqual([[1, '3.5'], [2, '4.5'], [3, '5.5']]);
    const info = await r.info('not_compressed');
    expect(info.totalSamples).toBe(3);
    expect(info.chunkType).toBe('uncompressed');
    expect(await r.cmd('DEL', 'not_compressed')).toBe(1);
  });

  test('test_trim: retention hides old samples, compressed and uncompressed', async () => {
    for (const mode of ['UNCOMPRESSED', 'COMPRESSED']) {
      const count = 2000;
      await r.cmd('ts.create', 'trim_me', 'CHUNK_SIZE', 64 * 16, 'RETENTION', 10, mode);
      await r.cmd('ts.create', 'dont_trim_me', 'CHUNK_SIZE', 64 * 16, mode);
      await all(range(count).flatMap((i) => [['ts.add', 'trim_me', i, i * 1.1], ['ts.add', 'dont_trim_me', i, i * 1.1]]));
      expect((await r.info('dont_trim_me')).totalSamples).toBe(count);
      expect((await r.info('trim_me')).totalSamples).toBe(11);
      expect(await r.cmd('ts.range', 'trim_me', '-', '+')).toEqual(range(1989, 2000).map((i) => [i, String(i * 1.1)]));
      await r.cmd('DEL', 'trim_me', 'dont_trim_me');
    }
  });

  test('test_empty', async () => {
    await r.cmd('ts.create', 'empty');
    expect((await r.info('empty')).totalSamples).toBe(0);
    expect(await r.cmd('TS.range', 'empty', 0, '+')).toEqual([]);
    expect(await r.cmd('TS.get', 'empty')).toEqual([]);
    await r.cmd('ts.create', 'empty_uncompressed', 'uncompressed');
    expect((await r.info('empty_uncompressed')).totalSamples).toBe(0);
    expect(await r.cmd('TS.range', 'empty_uncompressed', 0, '+')).toEqual([]);
    expect(await r.cmd('TS.get', 'empty_uncompressed')).toEqual([]);
  });

  test('test_issue299', async () => {
    await r.cmd('ts.create', 'issue299');
    await all(range(1000).map((i) => ['ts.add', 'issue299', i * 10, i]));
    expect(((await r.cmd('ts.range', 'issue299', 0, '+', 'aggregation', 'avg', 10)) as Py[])[0]).toEqual([0, '0']);
    expect(((await r.cmd('ts.range', 'issue299', 0, '+', 'aggregation', 'avg', 100)) as Py[])[0]).toEqual([0, '4.5']);
    await r.cmd('del', 'issue299');
    await r.cmd('ts.create', 'issue299');
    await all(range(100, 1000).map((i) => ['ts.add', 'issue299', i * 10, i]));
    expect(((await r.cmd('ts.range', 'issue299', 0, '+', 'aggregation', 'avg', 10)) as Py[])[0]).toEqual([1000, '100']);
  });

  test('test_expire', async () => {
    expect(await r.cmd('ts.create', 'test')).toBe('OK');
    expect(await r.cmd('keys', '*')).toEqual(['test']);
    expect(await r.cmd('pexpire', 'test', 100)).toBe(1);
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && ((await r.cmd('keys', '*')) as Py[]).length > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await r.cmd('keys', '*')).toEqual([]);
  });

  test('test_ts_create_encoding', async () => {
    for (const encoding of ['compressed', 'uncompressed']) {
      await r.cmd('FLUSHALL');
      await r.cmd('ts.create', 't1', 'ENCODING', encoding);
      expect((await r.info('t1')).chunkType).toBe(encoding);
      await r.cmd('ts.create', 't1_bc', encoding);
      expect((await r.info('t1_bc')).chunkType).toBe(encoding);
    }
  });
});

describe('test_ts_alter.py', () => {
  test('test_alter_cmd', async () => {
    const start = 1511885909;
    const count = 1500;
    const end = start + count;
    expect(await r.cmd('TS.CREATE', 'tester', 'CHUNK_SIZE', '360', 'LABELS', 'name', 'brown', 'color', 'pink')).toBe('OK');
    await all(range(count).map((i) => ['TS.ADD', 'tester', start + i, 5]));
    const data = range(count).map((i) => [start + i, '5']);
    const check = async (from: number, expected: Py[], retention: number, chunkSize: number, labels: Record<string, string>) => {
      expect(await r.cmd('TS.range', 'tester', from, end)).toEqual(expected);
      const info = await r.info('tester');
      expect(info.retention).toBe(retention);
      expect(info.chunkSize).toBe(chunkSize);
      expect(info.labels).toEqual(labels);
    };
    expect(await r.cmd('TS.ALTER', 'tester', 'RETENTION', 500, 'CHUNK_SIZE', 128, 'LABELS', 'A', '1', 'B', '2', 'C', '3')).toBe('OK');
    await check(end - 501, data.slice(-501), 500, 128, { A: '1', B: '2', C: '3' });
    await r.cmd('TS.ALTER', 'tester', 'RETENTION', 200);
    await check(end - 201, data.slice(-201), 200, 128, { A: '1', B: '2', C: '3' });
    await r.cmd('TS.ALTER', 'tester', 'CHUNK_SIZE', 128);
    await check(end - 201, data.slice(-201), 200, 128, { A: '1', B: '2', C: '3' });
    await r.cmd('TS.ALTER', 'tester', 'RETENTION', 200, 'LABELS', 'A', '1');
    await check(end - 201, data.slice(-201), 200, 128, { A: '1' });
    expect(await r.cmd('TS.QUERYINDEX', 'A=1')).toEqual(['tester']);
    expect(await r.cmd('TS.QUERYINDEX', 'name=brown')).toEqual([]);
  });

  test('test_alter_key', async () => {
    await r.cmd('TS.CREATE', 'tester');
    const ranges = await fillData('tester');
    const overridden = ranges[0]![0] + 10;
    expect(await flowError(r.cmd('TS.ADD', 'tester', overridden, 10))).toBe(
      'ERR TSDB: Error at upsert, update is not supported when DUPLICATE_POLICY is set to BLOCK mode',
    );
    await r.cmd('TS.ALTER', 'tester', 'DUPLICATE_POLICY', 'LAST');
    expect(await r.cmd('TS.RANGE', 'tester', overridden, overridden)).toEqual([[overridden, String(overridden)]]);
    await r.cmd('TS.ADD', 'tester', overridden, 10);
    expect(await r.cmd('TS.RANGE', 'tester', overridden, overridden)).toEqual([[overridden, '10']]);
  });

  test('TS.ALTER errors: missing key, wrong type, bad options, ENCODING ignored', async () => {
    expect(await flowError(r.cmd('TS.ALTER', 'missing', 'RETENTION', 10))).toBe('ERR TSDB: the key does not exist');
    await r.cmd('SET', 'string', 'x');
    expect(await flowError(r.cmd('TS.ALTER', 'string', 'RETENTION', 10))).toBe('ERR WRONGTYPE Operation against a key holding the wrong kind of value');
    await r.cmd('TS.CREATE', 's', 'DUPLICATE_POLICY', 'MIN', 'IGNORE', 1, 2, 'LABELS', 'a', '1');
    expect(await flowError(r.cmd('TS.ALTER', 's', 'RETENTION', 'x'))).toBe("ERR TSDB: Couldn't parse RETENTION");
    expect(await flowError(r.cmd('TS.ALTER', 's', 'LABELS', 'a', ''))).toBe("ERR TSDB: Couldn't parse LABELS");
    expect(await flowError(r.cmd('TS.ALTER', 's', 'IGNORE', -1, 2))).toBe('ERR TSDB: IGNORE arguments cannot be negative');
    expect(await r.cmd('TS.ALTER', 's', 'ENCODING', 'UNCOMPRESSED')).toBe('OK');
    const info = await r.info('s');
    expect(info.chunkType).toBe('compressed');
    expect(info.duplicatePolicy).toBe('min');
    expect(info.labels).toEqual({ a: '1' });
    expect(await r.cmd('TS.ALTER', 's', 'LABELS')).toBe('OK');
    expect((await r.info('s')).labels).toEqual({});
    expect(await r.cmd('TS.QUERYINDEX', 'a=1')).toEqual([]);
  });
});

describe('test_ts_add.py', () => {
  test('test_issue_504', async () => {
    await r.cmd('ts.create', 'tester');
    const replies = await all(range(100, 3000).map((i) => ['ts.add', 'tester', i, i * 1.1]));
    expect(replies).toEqual(range(100, 3000));
    expect(await r.cmd('ts.add', 'tester', 99, 1)).toBe(99);
    expect(await r.cmd('ts.add', 'tester', 98, 1)).toBe(98);
    expect(((await r.cmd('ts.range', 'tester', '-', '+')) as Py[]).length).toBe(2902);
  });

  test('test_issue_588', async () => {
    await r.cmd('ts.create', 'test1', 'DUPLICATE_POLICY', 'min');
    await r.cmd('ts.add', 'test1', 1, -0.05);
    expect(await r.cmd('TS.RANGE', 'test1', '-', '+')).toEqual([[1, '-5E-2']]);
    await r.cmd('ts.add', 'test1', 1, -0.06);
    expect(Number(((await r.cmd('TS.RANGE', 'test1', '-', '+')) as Py[][])[0]![1])).toBe(-0.06);
    await r.cmd('ts.create', 'test2', 'DUPLICATE_POLICY', 'max');
    await r.cmd('ts.add', 'test2', 1, -0.06);
    expect(Number(((await r.cmd('TS.RANGE', 'test2', '-', '+')) as Py[][])[0]![1])).toBe(-0.06);
    await r.cmd('ts.add', 'test2', 1, -0.05);
    expect(Number(((await r.cmd('TS.RANGE', 'test2', '-', '+')) as Py[][])[0]![1])).toBe(-0.05);
  });

  test('test_automatic_timestamp', async () => {
    expect(await r.cmd('TS.CREATE', 'tester')).toBe('OK');
    const before = Date.now();
    const reply = (await r.cmd('TS.ADD', 'tester', '*', 1)) as number;
    const after = Date.now();
    expect(reply).toBeGreaterThanOrEqual(before - 5);
    expect(reply).toBeLessThanOrEqual(after + 5);
    expect(await r.cmd('TS.RANGE', 'tester', 0, after + 5)).toEqual([[reply, '1']]);
  });

  test('test_add_create_key', async () => {
    const ts = 1700000000.25;
    expect(await r.cmd('TS.ADD', 'tester1', Math.trunc(ts), String(ts), 'RETENTION', '666', 'LABELS', 'name', 'blabla')).toBe(Math.trunc(ts));
    let info = await r.info('tester1');
    expect(info.totalSamples).toBe(1);
    expect(info.retention).toBe(666);
    expect(info.labels).toEqual({ name: 'blabla' });
    expect(await r.cmd('TS.ADD', 'tester2', Math.trunc(ts), String(ts), 'LABELS', 'name', 'blabla2', 'location', 'earth')).toBe(Math.trunc(ts));
    info = await r.info('tester2');
    expect(info.totalSamples).toBe(1);
    expect(info.labels).toEqual({ location: 'earth', name: 'blabla2' });
    expect(info.fields.labels).toEqual([['name', 'blabla2'], ['location', 'earth']]); // stored order
  });

  test('test_ts_add_encoding', async () => {
    for (const encoding of ['compressed', 'uncompressed']) {
      await r.cmd('FLUSHALL');
      await r.cmd('ts.add', 't1', '*', '5.0', 'ENCODING', encoding);
      expect((await r.info('t1')).chunkType).toBe(encoding);
      await r.cmd('ts.add', 't1_bc', '*', '5.0', encoding);
      expect((await r.info('t1_bc')).chunkType).toBe(encoding);
    }
  });

  test('test_different_chunk_size', async () => {
    for (const size of ['0', '-1000', '100', '127', '40000000']) {
      expect(await flowError(r.cmd('TS.add', 'tester', '1636545188', '123', 'LABELS', 'id', 'abc1231232', 'CHUNK_SIZE', size))).toBe(
        'ERR TSDB: CHUNK_SIZE value must be a multiple of 8 in the range [48 .. 1048576]',
      );
    }
    expect(await r.cmd('EXISTS', 'tester')).toBe(0);
    expect(await r.cmd('TS.add', 'tester3', '1636545188', '123', 'LABELS', 'id', 'abc1231232', 'CHUNK_SIZE', '128')).toBe(1636545188);
    expect(await r.cmd('TS.add', 'tester2', '1636545188', '123', 'LABELS', 'id', 'abc1231232', 'CHUNK_SIZE', '40000')).toBe(1636545188);
    expect((await r.info('tester2')).chunkSize).toBe(40000);
  });

  test('test_valid_labels', async () => {
    expect(await flowError(r.cmd('TS.CREATE', 'tester', 'LABELS', 'name', ''))).toBe("ERR TSDB: Couldn't parse LABELS");
    for (const bad of ['', 'list)', 'li(st', 'lis,t']) {
      expect(await flowError(r.cmd('TS.ADD', 'tester2', '*', 1, 'LABELS', 'name', 'myName', 'location', bad))).toBe("ERR TSDB: Couldn't parse LABELS");
    }
    expect(await r.cmd('EXISTS', 'tester', 'tester2')).toBe(0);
  });

  test('test_valid_timestamp', async () => {
    expect(await flowError(r.cmd('TS.ADD', 'timestamp', '12434fd', '34'))).toBe('ERR TSDB: invalid timestamp');
    expect(await flowError(r.cmd('TS.ADD', 'timestamp', '-34', '22'))).toBe('ERR TSDB: invalid timestamp, must be a nonnegative integer');
    expect(await flowError(r.cmd('TS.ADD', 'timestamp', '*235', '45'))).toBe('ERR TSDB: invalid timestamp');
    expect(await flowError(r.cmd('TS.ADD', 'timestamp', '1', 'abc'))).toBe('ERR TSDB: invalid value');
    expect(await flowError(r.cmd('TS.ADD', 'timestamp', 'x', 'abc'))).toBe('ERR TSDB: invalid value'); // value is checked first
    expect(await r.cmd('EXISTS', 'timestamp')).toBe(0);
  });

  test('test_gorilla', async () => {
    await r.cmd('ts.create', 'monkey');
    const times = [0, 1, 2, 50, 51, 500, 501, 3000, 3001, 10000, 10001, 100000, 100001, 100002, 100004, 1000000, 1000001, 10000011000001, 10000011000002];
    await all(times.map((ts) => ['ts.add', 'monkey', String(ts), '1']));
    expect(await r.cmd('TS.range', 'monkey', 0, '+')).toEqual(times.map((ts) => [ts, '1']));
  });

  test('test_ts_add_negative', async () => {
    expect(await flowError(r.cmd('TS.CREATE', 'tester', 'ENCODING'))).toBe("ERR wrong number of arguments for 'ts.create' command");
    expect(await flowError(r.cmd('TS.CREATE', 'tester', 'ENCODING', 'bad-encoding'))).toBe('ERR TSDB: unknown ENCODING parameter');
  });

  test('test_ts_upsert (timestamps below 2^53)', async () => {
    const doubleMax = 1.7976931348623157e308;
    const tsMax = Number.MAX_SAFE_INTEGER;
    await r.cmd('ts.create', 't1', 'CHUNK_SIZE', 128, 'DUPLICATE_POLICY', 'LAST');
    await r.cmd('ts.create', 't2', 'CHUNK_SIZE', 128);
    let j = 1;
    const high: Py[] = [];
    for (; j <= 90; j++) {
      await all([['ts.add', 't1', tsMax - j, doubleMax - j], ['ts.add', 't2', tsMax - j, doubleMax - j]]);
      high.unshift([tsMax - j, '1.7976931348623157E308']);
    }
    const squares: Py[] = [];
    for (let d = 1; d <= 200; d++) {
      await r.cmd('ts.add', 't1', d * d, d * d);
      squares.push([d * d, String(d * d)]);
    }
    expect(await r.cmd('ts.range', 't1', '-', 200 * 200)).toEqual(squares);
    expect((await r.info('t1')).totalSamples).toBe(290);
    const random = seededRandom(5);
    const shuffled = [...squares];
    for (let index = shuffled.length - 1; index > 0; index--) {
      const other = Math.floor(random() * (index + 1));
      [shuffled[index], shuffled[other]] = [shuffled[other]!, shuffled[index]!];
    }
    await all(shuffled.map((sample) => ['ts.add', 't2', (sample as [number, string])[0], (sample as [number, string])[1]]));
    expect(await r.cmd('ts.range', 't2', '-', 200 * 200)).toEqual(squares);
    await all(range(0, 200 * 200 + 1, 7).map((k) => ['ts.add', 't1', k, k ** 3]));
    const all1 = (await r.cmd('ts.range', 't1', '-', '+')) as [number, string][];
    const expected = new Map<number, string>();
    for (const [ts, value] of squares as [number, string][]) expected.set(ts, value);
    for (const k of range(0, 200 * 200 + 1, 7)) expected.set(k, String(k ** 3));
    const wanted = [...expected.entries()].sort((a, b) => a[0] - b[0]).map(([ts, value]) => [ts, value]);
    expect(all1.slice(0, wanted.length)).toEqual(wanted);
    expect(all1.slice(wanted.length)).toEqual(high);
  });

  test('test_ts_upsert_downsampled', async () => {
    await r.cmd('TS.CREATE', 't1');
    await r.cmd('TS.CREATE', 't2');
    await r.cmd('TS.CREATERULE', 't1', 't2', 'AGGREGATION', 'max', 10);
    await r.cmd('ts.add', 't1', 1, 2);
    await r.cmd('ts.add', 't1', 3, 4);
    await r.cmd('ts.add', 't2', 10, 6);
    await r.cmd('ts.add', 't1', 11, 7);
    expect(await r.cmd('TS.range', 't2', '-', '+')).toEqual([[0, '4'], [10, '6']]);
    await r.cmd('ts.add', 't1', 21, 9);
    expect(await r.cmd('TS.range', 't2', '-', '+')).toEqual([[0, '4'], [10, '7']]);
    await r.cmd('TS.CREATE', 't3');
    await r.cmd('TS.CREATE', 't4');
    await r.cmd('ts.add', 't4', 10, 6);
    await r.cmd('ts.add', 't4', 20, 9);
    await r.cmd('ts.add', 't4', 23, 9);
    await r.cmd('TS.CREATERULE', 't3', 't4', 'AGGREGATION', 'max', 10);
    await r.cmd('ts.add', 't3', 10, 22);
    await r.cmd('ts.add', 't3', 25, 29);
    expect(await r.cmd('TS.range', 't4', '-', '+')).toEqual([[10, '22'], [20, '9'], [23, '9']]);
    await r.cmd('ts.add', 't3', 31, 3);
    expect(await r.cmd('TS.range', 't4', '-', '+')).toEqual([[10, '22'], [20, '29'], [23, '9']]);
  });

  test('test_ts_upsert_bug: a late sample next to a deleted tail', async () => {
    await r.cmd('ts.create', 't1', 'CHUNK_SIZE', 64, 'DUPLICATE_POLICY', 'LAST');
    const values: number[] = [];
    const view = new DataView(new ArrayBuffer(8));
    const mantissa = '1111111111111111111111111111111111111111100000000000'.split('');
    const exponent = '00000000000'.split('');
    let j = 1;
    const stamps: number[] = [];
    for (let c = 0; c < 11; c++) {
      view.setBigUint64(0, BigInt(`0b0${exponent.join('')}${mantissa.join('')}`));
      values.push(view.getFloat64(0));
      stamps.push(j);
      await r.cmd('ts.add', 't1', j, view.getFloat64(0));
      j += j === 13 ? 100 : j > 13 ? 500 : 2;
      exponent[exponent.length - c - 1] = '1';
      mantissa[mantissa.length - exponent.length + c] = '1';
    }
    const before = (await r.cmd('ts.range', 't1', '-', '+')) as [number, string][];
    expect(before.map(([ts]) => ts)).toEqual(stamps);
    before.forEach(([, value], index) => expect(Number(value)).toBe(values[index]));
    const cut = stamps[5]!;
    await r.cmd('ts.del', 't1', cut + 1, '+');
    const [kept] = (await r.cmd('ts.range', 't1', cut, cut)) as [number, string][];
    await r.cmd('ts.add', 't1', cut + 100, kept![1]);
    expect(await r.cmd('ts.range', 't1', cut, cut + 100)).toEqual([kept, [cut + 100, kept![1]]]);
  });

  test('TS.ADD argument and key errors', async () => {
    expect(await flowError(r.cmd('TS.ADD', 'k', 1))).toBe("ERR wrong number of arguments for 'ts.add' command");
    await r.cmd('SET', 'string', 'x');
    expect(await flowError(r.cmd('TS.ADD', 'string', 1, 1))).toBe('ERR TSDB: the key is not a TSDB key');
    await r.cmd('TS.CREATE', 'k');
    expect(await flowError(r.cmd('TS.ADD', 'k', 1, 1, 'ON_DUPLICATE'))).toBe("ERR TSDB: Couldn't parse DUPLICATE_POLICY");
    expect(await flowError(r.cmd('TS.ADD', 'k', 1, 1, 'ON_DUPLICATE', 'x'))).toBe('ERR TSDB: Unknown DUPLICATE_POLICY');
    expect(await r.cmd('TS.RANGE', 'k', '-', '+')).toEqual([]);
    // values fast_double_parser reads, and timestamps past the largest tskv keeps exactly
    expect(await r.cmd('TS.ADD', 'k', 1, '1e3')).toBe(1);
    for (const refused of ['nan', 'NaN', 'inf', '-inf', 'Infinity', '1e400', ' 1', '', '+1', '.5', '01']) {
      expect(await flowError(r.cmd('TS.ADD', 'k', 2, refused)), refused).toBe('ERR TSDB: invalid value');
    }
    expect(await r.cmd('TS.ADD', 'k', 3, '-1.5e-3')).toBe(3);
    expect(await r.cmd('TS.ADD', 'k', 4, '12abc')).toBe(4); // fast_double_parser stops at the first non-number byte
    expect(await r.cmd('TS.RANGE', 'k', '-', '+')).toEqual([[1, '1000'], [3, '-1.5E-3'], [4, '12']]);
    expect(await r.cmd('TS.ADD', 'k', Number.MAX_SAFE_INTEGER, 1)).toBe(Number.MAX_SAFE_INTEGER);
    expect(await flowError(r.cmd('TS.ADD', 'k', '9007199254740992', 1))).toBe('ERR TSDB: invalid timestamp, must be at most 9007199254740991');
    expect(await flowError(r.cmd('TS.ADD', 'k', '9223372036854775807', 1))).toBe('ERR TSDB: invalid timestamp, must be at most 9007199254740991');
    expect(await flowError(r.cmd('TS.ADD', 'k', '9223372036854775808', 1))).toBe('ERR TSDB: invalid timestamp');
  });
});

describe('test_ts_madd.py', () => {
  test('test_madd', async () => {
    for (const key of ['test_key1', 'test_key2', 'test_key3']) await r.cmd('ts.create', key);
    const replies = await all(range(1024).map((i) => ['ts.madd', 'test_key1', i + 1000, i, 'test_key2', i + 3000, i, 'test_key3', i + 6000, i]));
    expect(replies).toEqual(range(1024).map((i) => [i + 1000, i + 3000, i + 6000]));
    for (const [key, base] of [['test_key1', 1000], ['test_key2', 3000], ['test_key3', 6000]] as const) {
      expect(await r.cmd('ts.range', key, base, base + 1024)).toEqual(range(1024).map((i) => [base + i, String(i)]));
    }
  });

  test('test_ooo_madd', async () => {
    const start = 1600204334000;
    await r.cmd('ts.create', 'test_key1');
    const expected: Py[] = [];
    let last: Py = null;
    for (const i of range(0, 100, 3)) {
      const reply = await r.cmd('ts.madd', 'test_key1', start + i * 1000 + 2000, i, 'test_key1', start + i * 1000 + 1000, i, 'test_key1', start + i * 1000, i);
      expect(reply).toEqual([start + i * 1000 + 2000, start + i * 1000 + 1000, start + i * 1000]);
      expected.push([start + i * 1000, String(i)], [start + i * 1000 + 1000, String(i)], [start + i * 1000 + 2000, String(i)]);
      last = [start + i * 1000 + 2000, String(i)];
    }
    expect(await r.cmd('ts.get', 'test_key1')).toEqual(last);
    expect(await r.cmd('ts.range', 'test_key1', '-', '+')).toEqual(expected);
  });

  test('test_partial_madd', async () => {
    for (const key of ['test_key1', 'test_key2', 'test_key3']) await r.cmd('ts.create', key);
    const now = Date.now();
    const first = (await r.cmd('ts.madd', 'test_key1', '*', 10, 'test_key2', 2000, 20, 'test_key3', 3000, 30)) as number[];
    expect(first[0]).toBeGreaterThanOrEqual(now);
    expect(first.slice(1)).toEqual([2000, 3000]);
    const second = (await r.cmd('ts.madd', 'test_key1', now + 1000, 10, 'test_key2', 1000, 20, 'test_key3', 3001, 30)) as number[];
    expect(second).toEqual([now + 1000, 1000, 3001]);
    for (const key of ['test_key1', 'test_key2', 'test_key3']) expect(((await r.cmd('ts.range', key, '-', '+')) as Py[]).length).toBe(2);
  });

  test('test_extensive_ts_madd: doubles round-trip through RESP2 sample values', async () => {
    await r.cmd('ts.create', 'test_key1');
    await r.cmd('ts.create', 'test_key2');
    const random = seededRandom(7);
    const view = new DataView(new ArrayBuffer(8));
    const floats: number[] = [];
    while (floats.length < 3000) {
      view.setUint32(0, Math.floor(random() * 2 ** 32));
      view.setUint32(4, Math.floor(random() * 2 ** 32));
      const value = view.getFloat64(0);
      if (Number.isFinite(value)) floats.push(value);
    }
    const replies = await all(floats.map((value, index) => ['ts.madd', 'test_key1', index + 1, String(value), 'test_key2', index + 1, String(value)]));
    expect(replies).toEqual(floats.map((_value, index) => [index + 1, index + 1]));
    const returned = (await r.cmd('ts.range', 'test_key1', '-', '+')) as [number, string][];
    expect(returned.length).toBe(floats.length);
    returned.forEach(([ts, value], index) => {
      expect(ts).toBe(index + 1);
      expect(Number(value)).toBe(floats[index]);
    });
  });

  test('test_madd_some_failed_replicas: each triple answers on its own, the good ones are stored', async () => {
    await r.cmd('ts.create', 'test_key1', 'RETENTION', 100, 'ENCODING', 'UNCOMPRESSED', 'CHUNK_SIZE', 128, 'DUPLICATE_POLICY', 'block', 'LABELS', 'name', 'Or', 'color', 'pink');
    await r.cmd('set', 'test_key3', 'danni');
    expect(await r.cmd('ts.madd', 'test_key1', 123, 11, 'test_key1', 124, 12)).toEqual([123, 124]);
    const blocked = 'ERR TSDB: Error at upsert, update is not supported when DUPLICATE_POLICY is set to BLOCK mode';
    const notTsdb = 'ERR TSDB: the key is not a TSDB key';
    let replies = await r.raw('ts.madd', 'test_key1', 122, 11, 'test_key1', 123, 11, 'test_key1', 124, 12, 'test_key1', 125, 12);
    expect(replies).toEqual({ type: 'array', value: [
      { type: 'integer', value: 122n }, { type: 'error', value: blocked }, { type: 'error', value: blocked }, { type: 'integer', value: 125n },
    ] });
    expect(await r.cmd('ts.add', 'test_key4', 110, 500.5, 'RETENTION', 100, 'ENCODING', 'UNCOMPRESSED', 'CHUNK_SIZE', 128, 'ON_DUPLICATE', 'last', 'LABELS', 'name', 'Or', 'color', 'pink')).toBe(110);
    expect(await r.cmd('ts.incrby', 'test_key5', 110, 'TIMESTAMP', 50, 'RETENTION', 100, 'UNCOMPRESSED', 'CHUNK_SIZE', 128, 'LABELS', 'name', 'Or', 'color', 'pink')).toBe(50);
    expect(await r.cmd('ts.decrby', 'test_key6', 110, 'TIMESTAMP', 50, 'RETENTION', 100, 'UNCOMPRESSED', 'CHUNK_SIZE', 128, 'LABELS', 'name', 'Or', 'color', 'pink')).toBe(50);
    expect(await r.cmd('ts.createrule', 'test_key5', 'test_key6', 'AGGREGATION', 'sum', 10, 5)).toBe('OK');
    expect(await r.cmd('ts.del', 'test_key5', 100, 200)).toBe(0);
    expect(await r.cmd('ts.alter', 'test_key6', 'RETENTION', 100, 'CHUNK_SIZE', 128, 'DUPLICATE_POLICY', 'last', 'LABELS', 'name', 'Or', 'color', 'pink')).toBe('OK');
    replies = await r.raw('ts.madd', 'test_key3', 122, 11, 'test_key1', 123, 11, 'test_key1', 124, 12, 'test_key1', 125, 12);
    expect(replies).toEqual({ type: 'array', value: [
      { type: 'error', value: notTsdb }, { type: 'error', value: blocked }, { type: 'error', value: blocked }, { type: 'error', value: blocked },
    ] });
    replies = await r.raw('ts.madd', 'test_key3', 'aaaaa', 11, 'missing', 1, 1, 'test_key3', -222, 11, 'test_key3', -222, 'bbbbbbb');
    expect(replies).toEqual({ type: 'array', value: [
      { type: 'error', value: 'ERR TSDB: invalid timestamp' }, { type: 'error', value: notTsdb },
      { type: 'error', value: 'ERR TSDB: invalid timestamp, must be a nonnegative integer' }, { type: 'error', value: 'ERR TSDB: invalid value' },
    ] });
    expect(await r.cmd('ts.range', 'test_key1', '-', '+')).toEqual([[122, '11'], [123, '11'], [124, '12'], [125, '12']]);
    expect(await r.cmd('ts.range', 'test_key4', '-', '+')).toEqual([[110, '500.5']]);
    expect(await r.cmd('EXISTS', 'missing')).toBe(0);
    // arity
    expect(await flowError(r.cmd('ts.madd', 'test_key1', 1))).toBe("ERR wrong number of arguments for 'ts.madd' command");
    expect(await flowError(r.cmd('ts.madd', 'test_key1', 1, 2, 'test_key1'))).toBe("ERR wrong number of arguments for 'ts.madd' command");
  });
});

describe('test_ts_incrby.py', () => {
  test('test_incrby', async () => {
    await r.cmd('ts.create', 'tester');
    const start = Date.now();
    for (let i = 0; i < 20; i++) await r.cmd('ts.incrby', 'tester', '5');
    for (let i = 0; i < 20; i++) await r.cmd('ts.decrby', 'tester', '1.5');
    const now = Date.now();
    const result = (await r.cmd('TS.RANGE', 'tester', 0, now)) as [number, string][];
    expect(result.at(-1)![1]).toBe('70');
    expect(result.at(-1)![0]).toBeLessThanOrEqual(now);
    expect(result[0]![0]).toBeGreaterThanOrEqual(start);
    expect(result.length).toBeLessThanOrEqual(40);
  });

  test('test_incrby_with_timestamp', async () => {
    await r.cmd('ts.create', 'tester');
    for (let i = 0; i < 20; i++) expect(await r.cmd('ts.incrby', 'tester', '5', 'TIMESTAMP', i)).toBe(i);
    const result = (await r.cmd('TS.RANGE', 'tester', 0, 20)) as Py[][];
    expect(result.length).toBe(20);
    expect(result[19]![1]).toBe('100');
    const now = (await r.cmd('ts.incrby', 'tester', '5', 'TIMESTAMP', '*')) as number;
    expect(Math.abs(now - Date.now())).toBeLessThan(10_000);
    expect(await flowError(r.cmd('ts.incrby', 'tester', '5', 'TIMESTAMP', '10'))).toBe(
      'TSDB: timestamp must be equal to or higher than the maximum existing timestamp',
    );
  });

  test('test_incrby_with_update_latest', async () => {
    await r.cmd('ts.create', 'tester');
    for (let i = 1; i <= 20; i++) expect(await r.cmd('ts.incrby', 'tester', '5', 'TIMESTAMP', i)).toBe(i);
    let result = (await r.cmd('TS.RANGE', 'tester', 0, 20)) as Py[];
    expect(result.length).toBe(20);
    expect(result[19]).toEqual([20, '100']);
    expect(await r.cmd('ts.incrby', 'tester', '5', 'TIMESTAMP', 20)).toBe(20);
    result = (await r.cmd('TS.RANGE', 'tester', 0, 20)) as Py[];
    expect(result.length).toBe(20);
    expect(result[19]).toEqual([20, '105']);
    expect(await r.cmd('ts.decrby', 'tester', '10', 'TIMESTAMP', 20)).toBe(20);
    result = (await r.cmd('TS.RANGE', 'tester', 0, 20)) as Py[];
    expect(result[19]).toEqual([20, '95']);
  });

  test('TS.INCRBY errors and implicit create', async () => {
    expect(await flowError(r.cmd('ts.incrby', 'k'))).toBe("ERR wrong number of arguments for 'ts.incrby' command");
    await r.cmd('SET', 'string', 'x');
    expect(await flowError(r.cmd('ts.incrby', 'string', 1))).toBe('ERR WRONGTYPE Operation against a key holding the wrong kind of value');
    await r.cmd('ts.create', 'k');
    expect(await flowError(r.cmd('ts.incrby', 'k', 'abc'))).toBe('ERR TSDB: invalid increase/decrease value');
    expect(await flowError(r.cmd('ts.decrby', 'k', 1, 'TIMESTAMP', 'x'))).toBe('ERR TSDB: invalid timestamp');
    expect(await flowError(r.cmd('ts.incrby', 'k', 1, 'TIMESTAMP', '9007199254740993'))).toBe('ERR TSDB: invalid timestamp, must be at most 9007199254740991');
    expect(await flowError(r.cmd('ts.madd', 'k', '9007199254740993', 1))).toBe('ERR TSDB: invalid timestamp, must be at most 9007199254740991');
    expect(await flowError(r.cmd('ts.incrby', 'new', 1, 'RETENTION', 'x'))).toBe("ERR TSDB: Couldn't parse RETENTION");
    expect(await r.cmd('ts.incrby', 'new', 2.5, 'TIMESTAMP', 7, 'LABELS', 'l', 'v')).toBe(7);
    expect(await r.cmd('ts.range', 'new', '-', '+')).toEqual([[7, '2.5']]);
    expect((await r.info('new')).labels).toEqual({ l: 'v' });
  });
});

describe('test_ts_get.py', () => {
  test('test_latest_flag_get', async () => {
    expect(await r.cmd('TS.CREATE', 't1')).toBe('OK');
    expect(await r.cmd('TS.CREATE', 't2')).toBe('OK');
    expect(await r.cmd('TS.CREATERULE', 't1', 't2', 'AGGREGATION', 'SUM', 10)).toBe('OK');
    for (const [ts, value] of [[1, 1], [2, 3], [11, 7], [13, 1]]) await r.cmd('TS.add', 't1', ts!, value!);
    expect(await r.cmd('TS.range', 't1', 0, 20)).toEqual([[1, '1'], [2, '3'], [11, '7'], [13, '1']]);
    expect(await r.cmd('TS.get', 't2')).toEqual([0, '4']);
    expect(await r.cmd('TS.get', 't2', 'LATEST')).toEqual([10, '8']);
    expect(await r.cmd('TS.range', 't2', 0, 10)).toEqual([[0, '4']]);
    expect(await r.cmd('TS.range', 't1', 0, 20)).toEqual([[1, '1'], [2, '3'], [11, '7'], [13, '1']]);
    expect(await r.cmd('TS.get', 't1', 'LATEST')).toEqual([13, '1']); // ignored on a series that is no destination
  });

  test('TS.GET errors', async () => {
    expect(await flowError(r.cmd('TS.GET'))).toBe("ERR wrong number of arguments for 'ts.get' command");
    expect(await flowError(r.cmd('TS.GET', 'missing'))).toBe('ERR TSDB: the key does not exist');
    await r.cmd('SET', 'string', 'x');
    expect(await flowError(r.cmd('TS.GET', 'string'))).toBe('ERR WRONGTYPE Operation against a key holding the wrong kind of value');
    await r.cmd('TS.CREATE', 'k');
    expect(await flowError(r.cmd('TS.GET', 'k', 'LATES'))).toBe('ERR TSDB: wrong 3rd argument');
    expect(await flowError(r.cmd('TS.GET', 'k', 'LATEST', 'x'))).toBe("ERR wrong number of arguments for 'ts.get' command");
    expect(await flowError(r.cmd('TS.GET', 'missing', 'LATES'))).toBe('ERR TSDB: the key does not exist'); // the key first
  });
});

describe('test_duplicate_policy.py', () => {
  test('test_ts_add_unknow_duplicate_policy', async () => {
    expect(await flowError(r.cmd('TS.ADD', 'test', 1, 1.5, 'DUPLICATE_POLICY'))).toBe("ERR TSDB: Couldn't parse DUPLICATE_POLICY");
    expect(await flowError(r.cmd('TS.ADD', 'test', 1, 1.5, 'DUPLICATE_POLICY', '---------------'))).toBe('ERR TSDB: Unknown DUPLICATE_POLICY');
  });

  test('test_precendence_key', async () => {
    await r.cmd('TS.CREATE', 'tester', 'DUPLICATE_POLICY', 'LAST');
    await r.cmd('TS.CREATE', 'tester_no_dup');
    await fillData('tester');
    const ranges = await fillData('tester_no_dup');
    const ts = ranges[0]![0] + 10;
    await flowError(r.cmd('TS.ADD', 'tester_no_dup', ts, 666));
    expect(await r.cmd('TS.ADD', 'tester', ts, 666)).toBe(ts);
    expect(await r.cmd('TS.RANGE', 'tester_no_dup', ts, ts)).toEqual([[ts, String(ts)]]);
    expect(await r.cmd('TS.RANGE', 'tester', ts, ts)).toEqual([[ts, '666']]);
    const nonDup = ranges[0]![1] + 1;
    expect(await r.cmd('TS.ADD', 'tester_no_dup', nonDup, 666)).toBe(nonDup);
    expect(await r.cmd('TS.ADD', 'tester_no_dup', ts, 666, 'ON_DUPLICATE', 'LAST')).toBe(ts);
    expect(await r.cmd('TS.RANGE', 'tester_no_dup', ts, ts)).toEqual([[ts, '666']]);
    expect(await r.cmd('TS.ADD', 'tester', ts, 6660, 'ON_DUPLICATE', 'MAX')).toBe(ts);
    expect(await r.cmd('TS.RANGE', 'tester', ts, ts)).toEqual([[ts, '6660']]);
  });

  test('test_policies_correctness', async () => {
    const policies: Record<string, (a: number, b: number) => number> = {
      LAST: (_a, b) => b, FIRST: (a) => a, MIN: Math.min, MAX: Math.max, SUM: (a, b) => a + b,
    };
    const random = seededRandom(11);
    for (const chunkType of ['COMPRESSED', 'UNCOMPRESSED']) {
      await r.cmd('TS.CREATE', 'tester', chunkType);
      const ranges = await fillData('tester');
      const ts = ranges[0]![0] + 10;
      await flowError(r.cmd('TS.ADD', 'tester', ts, 1));
      for (const [policy, apply] of Object.entries(policies)) {
        const old = Number(((await r.cmd('TS.RANGE', 'tester', ts, ts)) as Py[][])[0]![1]);
        const value = Math.floor(random() * 1_005_001) - 5000;
        expect(await r.cmd('TS.ADD', 'tester', ts, value, 'ON_DUPLICATE', policy)).toBe(ts);
        expect(Number(((await r.cmd('TS.RANGE', 'tester', ts, ts)) as Py[][])[0]![1]), policy).toBe(apply(old, value));
      }
      await r.cmd('DEL', 'tester');
    }
  });
});

describe('test_ignore.py', () => {
  test('test_ignore_invalid_params', async () => {
    const parse = "ERR TSDB: Couldn't parse IGNORE";
    const negative = 'ERR TSDB: IGNORE arguments cannot be negative';
    const cases: [(string | number)[], string][] = [
      [['ts.create', 'key1', 'ignore'], parse],
      [['ts.create', 'key1', 'ignore', 'labels', 'label1'], parse],
      [['ts.create', 'key1', 'ignore', '3'], parse],
      [['ts.create', 'key1', 'ignore', '3', 'labels', 'label'], parse],
      [['ts.create', 'key1', 'ignore', '3.2', '5'], parse],
      [['ts.add', 'key1', 'ignore', '3.2', '5'], 'ERR TSDB: invalid timestamp'], // the flow test's TS.ADDs fail on their timestamp
      [['ts.create', 'key1', 'ignore', 'invalid', '5'], parse],
      [['ts.add', 'key1', 'ignore', 'invalid', '5'], 'ERR TSDB: invalid value'],
      [['ts.create', 'key1', 'ignore', '-3', '5'], negative],
      [['ts.add', 'key1', 'ignore', '-3', '5'], 'ERR TSDB: invalid timestamp'],
      [['ts.create', 'key1', 'ignore', '3', 'invalid'], parse],
      [['ts.add', 'key1', 'ignore', '3', 'invalid'], 'ERR TSDB: invalid timestamp'],
      [['ts.create', 'key1', 'ignore', '3', '-5'], negative],
      [['ts.add', 'key1', 'ignore', '3', '-5'], 'ERR TSDB: invalid timestamp'],
      [['ts.add', 'key1', 1, 1, 'ignore', '3', '-5'], negative],
      [['ts.add', 'key1', 1, 1, 'ignore', 'x', '5'], parse],
    ];
    for (const [command, text] of cases) expect(await flowError(r.cmd(...command)), command.join(' ')).toBe(text);
    expect(await r.cmd('EXISTS', 'key1')).toBe(0);
  });

  test('test_ignore_create', async () => {
    await r.cmd('TS.ADD', 'key0', '0', '0');
    expect(await r.cmd('TS.range', 'key0', 0, '+')).toEqual([[0, '0']]);
    await r.cmd('TS.CREATE', 'key1', 'IGNORE', '5', '5', 'DUPLICATE_POLICY', 'LAST');
    for (const [ts, value] of [['1000', '1'], ['1001', '2'], ['1006', '3'], ['1007', '8'], ['1008', '10'], ['1009', '15.0001']]) await r.cmd('TS.ADD', 'key1', ts!, value!);
    expect(await r.cmd('TS.range', 'key1', 0, '+')).toEqual([[1000, '1'], [1006, '3'], [1008, '10'], [1009, '15.0001']]);
    await r.cmd('TS.ADD', 'key2', '1000', '1', 'IGNORE', '5', '5', 'DUPLICATE_POLICY', 'LAST');
    for (const [ts, value] of [['1001', '2'], ['1006', '3'], ['1007', '8'], ['1008', '10'], ['1009', '21001.0000002']]) await r.cmd('TS.ADD', 'key2', ts!, value!);
    expect(await r.cmd('TS.range', 'key2', 0, '+')).toEqual([[1000, '1'], [1006, '3'], [1008, '10'], [1009, '21001.0000002']]);
    expect(await r.cmd('TS.ADD', 'key2', '1010', '21003')).toBe(1009);
    expect(await r.cmd('TS.ADD', 'key2', '1020', '22000')).toBe(1020);
    expect(await r.cmd('TS.ADD', 'key2', '1022', '21998')).toBe(1020);
    expect(await r.cmd('TS.ADD', 'key2', '1023', '21994')).toBe(1023);
    expect(await r.cmd('TS.range', 'key2', 0, '+')).toEqual([[1000, '1'], [1006, '3'], [1008, '10'], [1009, '21001.0000002'], [1020, '22000'], [1023, '21994']]);
    await r.cmd('TS.INCRBY', 'key3', '1', 'TIMESTAMP', '100', 'IGNORE', '100000', '5');
    await r.cmd('TS.INCRBY', 'key3', '3', 'TIMESTAMP', '100');
    expect(await r.cmd('TS.range', 'key3', 0, '+')).toEqual([[100, '1']]);
    await r.cmd('TS.INCRBY', 'key3', '7', 'TIMESTAMP', '100');
    expect(await r.cmd('TS.range', 'key3', 0, '+')).toEqual([[100, '8']]);
    await r.cmd('TS.DECRBY', 'key4', '1', 'TIMESTAMP', '100', 'IGNORE', '100000', '5');
    await r.cmd('TS.DECRBY', 'key4', '3', 'TIMESTAMP', '100');
    expect(await r.cmd('TS.range', 'key4', 0, '+')).toEqual([[100, '-1']]);
    await r.cmd('TS.DECRBY', 'key4', '7', 'TIMESTAMP', '100');
    expect(await r.cmd('TS.range', 'key4', 0, '+')).toEqual([[100, '-8']]);
  });

  test('test_ignore_duplicate_policy', async () => {
    await r.cmd('TS.CREATE', 'key1', 'IGNORE', '5', '5');
    const rows: [string, string][] = [['1000', '1'], ['1001', '2'], ['1006', '3'], ['1007', '8'], ['1008', '10'], ['1009', '15.0001']];
    for (const [ts, value] of rows) await r.cmd('TS.ADD', 'key1', ts, value);
    const expected = rows.map(([ts, value]) => [Number(ts), value]);
    expect(await r.cmd('TS.range', 'key1', 0, '+')).toEqual(expected);
    expect(await r.cmd('TS.ADD', 'key1', '1010', '16.0', 'ON_DUPLICATE', 'LAST')).toBe(1009);
    expect(await r.cmd('TS.range', 'key1', 0, '+')).toEqual(expected);
  });

  test('test_ignore_madd', async () => {
    await r.cmd('TS.CREATE', '{tag}key1', 'IGNORE', '5', '5', 'DUPLICATE_POLICY', 'LAST');
    await r.cmd('TS.CREATE', '{tag}key2');
    const rows: [string, string][] = [['1000', '1'], ['1001', '2'], ['1006', '3'], ['1007', '8'], ['1008', '10'], ['1009', '15.0001']];
    for (const [ts, value] of rows) await r.cmd('TS.MADD', '{tag}key1', ts, value, '{tag}key2', ts, value);
    expect(await r.cmd('TS.range', '{tag}key1', 0, '+')).toEqual([[1000, '1'], [1006, '3'], [1008, '10'], [1009, '15.0001']]);
    expect(await r.cmd('TS.range', '{tag}key2', 0, '+')).toEqual(rows.map(([ts, value]) => [Number(ts), value]));
    expect(await r.cmd('TS.MADD', '{tag}key1', '1010', '15.0001', '{tag}key2', '1010', '16.0')).toEqual([1009, 1010]);
    expect(await r.cmd('TS.ADD', '{tag}key1', '1012', '16')).toBe(1009);
  });

  test('test_ignore_restore: IGNORE settings in TS.INFO (DUMP is refused, so without the round trip)', async () => {
    await r.cmd('TS.CREATE', 'key1', 'IGNORE', '3', '5', 'DUPLICATE_POLICY', 'LAST');
    for (const [ts, value] of [['1000', '1'], ['1001', '2'], ['1004', '3'], ['1005', '8'], ['1006', '10'], ['1007', '15.0001']]) await r.cmd('TS.ADD', 'key1', ts!, value!);
    const expected = [[1000, '1'], [1004, '3'], [1006, '10'], [1007, '15.0001']];
    expect(await r.cmd('TS.range', 'key1', 0, '+')).toEqual(expected);
    await r.cmd('TS.ADD', 'key1', '1010', '16.0');
    expect(await r.cmd('TS.range', 'key1', 0, '+')).toEqual(expected);
    const info = await r.info('key1');
    expect(info.ignoreMaxTimeDiff).toBe(3);
    expect(info.ignoreMaxValDiff).toBe('5');
  });

  test('test_ignore_rdb_load: settings and samples survive a restart', async () => {
    expect(await r.cmd('TS.CREATE', 'key1', 'RETENTION', '1000', 'CHUNK_SIZE', '1024', 'ENCODING', 'UNCOMPRESSED', 'DUPLICATE_POLICY', 'LAST', 'IGNORE', '5', '10', 'LABELS', 'name', 'brown', 'color', 'pink')).toBe('OK');
    await r.cmd('TS.ADD', 'key1', 100, 99);
    await r.cmd('TS.ADD', 'key1', 110, 500.5);
    await r.cmd('TS.ADD', 'key1', 113, 502);
    expect(await r.cmd('TS.range', 'key1', 0, '+')).toEqual([[100, '99'], [110, '500.5']]);
    const info = await r.info('key1');
    r.close();
    await server.server.restart();
    r = await server.client();
    const after = await r.info('key1');
    expect(after.fields).toEqual({ ...info.fields, memoryUsage: after.memoryUsage });
    await r.cmd('TS.ADD', 'key1', 113, 502);
    expect(await r.cmd('TS.range', 'key1', 0, '+')).toEqual([[100, '99'], [110, '500.5']]);
  });

  test('test_ignore_alter', async () => {
    await r.cmd('TS.CREATE', 'key1', 'IGNORE', '3', '5', 'DUPLICATE_POLICY', 'LAST');
    for (const [ts, value] of [['1000', '1'], ['1001', '2'], ['1004', '3'], ['1005', '8'], ['1006', '10'], ['1007', '15.0001'], ['1010', '19']]) await r.cmd('TS.ADD', 'key1', ts!, value!);
    expect(await r.cmd('TS.range', 'key1', 0, '+')).toEqual([[1000, '1'], [1004, '3'], [1006, '10'], [1007, '15.0001']]);
    expect(await r.cmd('TS.ALTER', 'key1', 'IGNORE', '2', '4')).toBe('OK');
    const info = await r.info('key1');
    expect(info.ignoreMaxTimeDiff).toBe(2);
    expect(info.ignoreMaxValDiff).toBe('4');
    await r.cmd('TS.ADD', 'key1', '1010', '19');
    expect(await r.cmd('TS.range', 'key1', 0, '+')).toEqual([[1000, '1'], [1004, '3'], [1006, '10'], [1007, '15.0001'], [1010, '19']]);
  });

  test('IGNORE does not apply to a compaction destination', async () => {
    await r.cmd('TS.CREATE', 'src');
    await r.cmd('TS.CREATE', 'dst', 'IGNORE', 1000, 1000, 'DUPLICATE_POLICY', 'LAST');
    await r.cmd('TS.CREATERULE', 'src', 'dst', 'AGGREGATION', 'last', 10);
    await r.cmd('TS.ADD', 'dst', 1, 1);
    expect(await r.cmd('TS.ADD', 'dst', 2, 1)).toBe(2);
    expect(await r.cmd('TS.RANGE', 'dst', '-', '+')).toEqual([[1, '1'], [2, '1']]);
  });
});

describe('test_ooo.py', () => {
  test('test_ooo (quantity 5001)', async () => {
    for (const chunkType of ['COMPRESSED', 'UNCOMPRESSED']) {
      await r.cmd('ts.create', 'no_ooo', chunkType, 'CHUNK_SIZE', 136, 'DUPLICATE_POLICY', 'BLOCK');
      await r.cmd('ts.create', 'ooo', chunkType, 'CHUNK_SIZE', 136, 'DUPLICATE_POLICY', 'LAST');
      const quantity = 5001;
      await all(range(0, quantity, 5).map((i) => ['ts.add', 'no_ooo', i, i]));
      await all(range(0, quantity, 10).map((i) => ['ts.add', 'ooo', i, i]));
      await all(range(5, quantity, 10).map((i) => ['ts.add', 'ooo', i, i]));
      const ooo = (await r.cmd('ts.range', 'ooo', '-', '+')) as Py[];
      expect(ooo).toEqual(await r.cmd('ts.range', 'no_ooo', '-', '+'));
      expect(ooo.length).toBe(1001);
      expect(((await r.cmd('ts.range', 'ooo', 1000, 1000)) as Py[])[0]).toEqual([1000, '1000']);
      const last = (await r.cmd('ts.get', 'ooo')) as [number, string];
      await r.cmd('ts.add', 'ooo', 1000, 42);
      expect(((await r.cmd('ts.range', 'ooo', 1000, 1000)) as Py[])[0]).toEqual([1000, '42']);
      expect(await r.cmd('ts.get', 'ooo')).toEqual(last);
      await r.cmd('ts.add', 'ooo', last[0], 42);
      expect(await r.cmd('ts.get', 'ooo')).toEqual([last[0], '42']);
      await r.cmd('DEL', 'no_ooo', 'ooo');
    }
  });

  test('test_ooo_with_retention', async () => {
    const retention = 13;
    const batch = 100;
    await r.cmd('ts.create', 'ooo', 'CHUNK_SIZE', 128, 'RETENTION', retention, 'DUPLICATE_POLICY', 'LAST');
    expect(await all(range(batch).map((i) => ['ts.add', 'ooo', i, i]))).toEqual(range(batch));
    expect(await r.cmd('ts.range', 'ooo', 0, batch - retention - 2)).toEqual([]);
    expect(((await r.cmd('ts.range', 'ooo', '-', '+')) as Py[]).length).toBe(retention + 1);
    expect(await flowError(r.cmd('ts.add', 'ooo', 70, 70))).toBe('ERR TSDB: Timestamp is older than retention');
    expect(await all(range(batch, batch * 2).map((i) => ['ts.add', 'ooo', i, i]))).toEqual(range(batch, batch * 2));
    expect(await r.cmd('ts.range', 'ooo', 0, batch * 2 - retention - 2)).toEqual([]);
    expect(((await r.cmd('ts.range', 'ooo', '-', '+')) as Py[]).length).toBe(retention + 1);
    await r.cmd('ts.create', 'large', 'RETENTION', 1000000, 'DUPLICATE_POLICY', 'LAST');
    expect(await r.cmd('ts.add', 'large', 100, 0)).toBe(100);
    expect(await r.cmd('ts.add', 'large', 101, 0)).toBe(101);
    expect(await r.cmd('ts.add', 'large', 100, 0)).toBe(100);
  });

  test('test_ooo_split', async () => {
    const quantity = 5000;
    for (const chunkType of ['COMPRESSED', 'UNCOMPRESSED']) {
      await r.cmd('ts.create', 'split', chunkType);
      await r.cmd('ts.add', 'split', quantity, 42);
      await all(range(quantity).map((i) => ['ts.add', 'split', i, i * 1.01]));
      const res = (await r.cmd('ts.range', 'split', '-', '+')) as [number, string][];
      expect(res.length).toBe(quantity + 1);
      for (let i = 0; i < quantity - 1; i++) {
        expect(res[i]![0] + 1).toBe(res[i + 1]![0]);
        expect(Math.round((Number(res[i]![1]) + 1.01) * 100)).toBe(Math.round(Number(res[i + 1]![1]) * 100));
      }
      await r.cmd('DEL', 'split');
    }
  });

  test('test_rand_oom', async () => {
    const random = seededRandom(20);
    let ts = 1592917924000;
    const data: [number, string][] = [];
    const late: [number, string][] = [];
    const startLate = 500 + Math.floor(random() * 8500);
    const amount = 250 + Math.floor(random() * 750);
    for (let i = 0; i < 10000; i++) {
      const gauss = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      const value = (50 + 10.5 * gauss).toFixed(5);
      (i < startLate || i > startLate + amount ? data : late).push([ts, value]);
      ts += 20 + Math.floor(random() * 980);
    }
    await r.cmd('ts.create', 'tester');
    await all(data.map(([time, value]) => ['ts.add', 'tester', time, value]));
    await all(late.map(([time, value]) => ['ts.add', 'tester', time, value]));
    const expected = [...data, ...late].sort((a, b) => a[0] - b[0]);
    const res = (await r.cmd('ts.range', 'tester', '-', '+')) as [number, string][];
    expect(res.length).toBe(expected.length);
    res.forEach(([time, value], index) => {
      expect(time).toBe(expected[index]![0]);
      expect(Number(value)).toBe(Number(expected[index]![1]));
    });
  });
});
