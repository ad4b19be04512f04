// src/types/timeseries/reply.test.ts: the exact bytes of the TS.* replies through tskv's RespWriter,
// in RESP2 and RESP3, following RedisTimeSeries 1.12's reply.c and tests/flow/test_ts_resp3.py.
import { describe, expect, it } from 'vitest';
import { RespWriter } from '../../../protocol/index.js';
import { writeInfo, type SeriesInfo } from './info-reply.js';
import { writeLastSample, writeMGet, writeMRange, writeMRangeGrouped, writeQueryIndex, writeSamples, type ReplyWriter } from './reply.js';

function reply(protocol: 2 | 3, write: (out: ReplyWriter) => void): string {
  const writer = new RespWriter(protocol);
  write(writer);
  return writer.take().toString('latin1');
}

const lines = (...parts: string[]) => parts.map((part) => `${part}\r\n`).join('');
const NONE = { withLabels: false, selectedLabels: undefined };
const WITH = { withLabels: true, selectedLabels: undefined };

describe('samples', () => {
  it('writes values as RTS simple strings in RESP2 and as doubles in RESP3', () => {
    const samples = [{ ts: 1, value: 0.5 }, { ts: 2, value: NaN }, { ts: 3, value: -Infinity }];
    expect(reply(2, (out) => writeSamples(out, samples))).toBe(lines('*3', '*2', ':1', '+5E-1', '*2', ':2', '+NaN', '*2', ':3', '+-Infinity'));
    expect(reply(3, (out) => writeSamples(out, samples))).toBe(lines('*3', '*2', ':1', ',0.5', '*2', ':2', ',nan', '*2', ':3', ',-inf'));
  });

  it('writes TS.GET of an empty series as an empty array', () => {
    expect(reply(2, (out) => writeLastSample(out, undefined))).toBe(lines('*0'));
    expect(reply(3, (out) => writeLastSample(out, { ts: 1000, value: 5 }))).toBe(lines('*2', ':1000', ',5'));
  });

  it('sends a timestamp past 2^53 as the nearest int64', () => {
    expect(reply(2, (out) => writeSamples(out, [{ ts: 2 ** 63, value: 1 }]))).toBe(lines('*1', '*2', ':9223372036854775807', '+1'));
  });
});

describe('TS.MGET', () => {
  const entries = [
    { key: Buffer.from('t1{1}'), labels: [['name', 'mush']] as Array<[string, string]>, sample: { ts: 1000, value: 5 } },
    { key: Buffer.from('t2{1}'), labels: [['name', 'mush']] as Array<[string, string]>, sample: undefined },
  ];

  it('writes [[key, labels, sample], ...] in RESP2', () => {
    expect(reply(2, (out) => writeMGet(out, entries, NONE))).toBe(lines('*2', '*3', '$5', 't1{1}', '*0', '*2', ':1000', '+5', '*3', '$5', 't2{1}', '*0', '*0'));
    expect(reply(2, (out) => writeMGet(out, entries.slice(0, 1), WITH))).toBe(lines('*1', '*3', '$5', 't1{1}', '*1', '*2', '$4', 'name', '$4', 'mush', '*2', ':1000', '+5'));
  });

  it('writes {key: [labels, sample]} in RESP3 (test_resp3)', () => {
    expect(reply(3, (out) => writeMGet(out, entries.slice(0, 1), NONE))).toBe(lines('%1', '$5', 't1{1}', '*2', '%0', '*2', ':1000', ',5'));
    expect(reply(3, (out) => writeMGet(out, entries.slice(0, 1), WITH))).toBe(lines('%1', '$5', 't1{1}', '*2', '%1', '$4', 'name', '$4', 'mush', '*2', ':1000', ',5'));
  });

  it('writes SELECTED_LABELS in the asked order, nil for missing, the stored name for found', () => {
    const selected = { withLabels: false, selectedLabels: ['METRIC', 'new_label'] };
    const entry = [{ key: Buffer.from('k1'), labels: [['a', '1'], ['metric', 'cpu']] as Array<[string, string]>, sample: undefined }];
    expect(reply(2, (out) => writeMGet(out, entry, selected))).toBe(lines('*1', '*3', '$2', 'k1', '*2', '*2', '$6', 'metric', '$3', 'cpu', '*2', '$9', 'new_label', '$-1', '*0'));
    expect(reply(3, (out) => writeMGet(out, entry, selected))).toBe(lines('%1', '$2', 'k1', '*2', '%2', '$6', 'metric', '$3', 'cpu', '$9', 'new_label', '_', '*0'));
  });
});

describe('TS.MRANGE', () => {
  const entries = [{ key: Buffer.from('t3{1}'), labels: [['name', 'bush']] as Array<[string, string]>, samples: [{ ts: 1, value: 2 }] }];

  it('writes [[key, labels, samples], ...] in RESP2', () => {
    expect(reply(2, (out) => writeMRange(out, entries, WITH, 'avg'))).toBe(lines('*1', '*3', '$5', 't3{1}', '*1', '*2', '$4', 'name', '$4', 'bush', '*1', '*2', ':1', '+2'));
  });

  it('writes {key: [labels, {aggregators: [...]}, samples]} in RESP3 (test_resp3_mrange)', () => {
    expect(reply(3, (out) => writeMRange(out, entries, WITH, undefined))).toBe(
      lines('%1', '$5', 't3{1}', '*3', '%1', '$4', 'name', '$4', 'bush', '%1', '$11', 'aggregators', '*0', '*1', '*2', ':1', ',2'),
    );
    expect(reply(3, (out) => writeMRange(out, entries, { withLabels: false, selectedLabels: ['fame'] }, 'std.p'))).toBe(
      lines('%1', '$5', 't3{1}', '*3', '%1', '$4', 'fame', '_', '%1', '$11', 'aggregators', '*1', '$5', 'std.p', '*1', '*2', ':1', ',2'),
    );
  });

  const groups = [
    {
      name: 'name=bush',
      labels: [['name', 'bush'], ['__reducer__', 'count'], ['__source__', 't3{1},t4{1}']] as Array<[string, string]>,
      reducer: 'count' as const,
      sources: [Buffer.from('t3{1}'), Buffer.from('t4{1}')],
      samples: [{ ts: 1, value: 2 }],
    },
  ];

  it('writes grouped results with all three labels in RESP2', () => {
    expect(reply(2, (out) => writeMRangeGrouped(out, groups, WITH))).toBe(
      lines('*1', '*3', '$9', 'name=bush', '*3', '*2', '$4', 'name', '$4', 'bush', '*2', '$11', '__reducer__', '$5', 'count', '*2', '$10', '__source__', '$11', 't3{1},t4{1}', '*1', '*2', ':1', '+2'),
    );
    expect(reply(2, (out) => writeMRangeGrouped(out, groups, NONE))).toBe(lines('*1', '*3', '$9', 'name=bush', '*0', '*1', '*2', ':1', '+2'));
  });

  it('writes grouped results as {l=v: [labels, {reducers}, {sources}, samples]} in RESP3 (test_resp3_mrange)', () => {
    const tail = ['%1', '$8', 'reducers', '*1', '$5', 'count', '%1', '$7', 'sources', '*2', '$5', 't3{1}', '$5', 't4{1}', '*1', '*2', ':1', ',2'];
    expect(reply(3, (out) => writeMRangeGrouped(out, groups, WITH))).toBe(lines('%1', '$9', 'name=bush', '*4', '%1', '$4', 'name', '$4', 'bush', ...tail));
    expect(reply(3, (out) => writeMRangeGrouped(out, groups, { withLabels: false, selectedLabels: ['name'] }))).toBe(lines('%1', '$9', 'name=bush', '*4', '%1', '$4', 'name', '$4', 'bush', ...tail));
    expect(reply(3, (out) => writeMRangeGrouped(out, groups, { withLabels: false, selectedLabels: ['fame'] }))).toBe(lines('%1', '$9', 'name=bush', '*4', '%1', '$4', 'fame', '_', ...tail));
    expect(reply(3, (out) => writeMRangeGrouped(out, groups, { withLabels: false, selectedLabels: ['__REDUCER__'] }))).toBe(lines('%1', '$9', 'name=bush', '*4', '%1', '$11', '__reducer__', '$5', 'count', ...tail));
  });
});

describe('TS.QUERYINDEX', () => {
  it('writes an array in RESP2 and a set in RESP3', () => {
    const keys = [Buffer.from('t1{1}'), Buffer.from('t2{1}')];
    expect(reply(2, (out) => writeQueryIndex(out, keys))).toBe(lines('*2', '$5', 't1{1}', '$5', 't2{1}'));
    expect(reply(3, (out) => writeQueryIndex(out, keys))).toBe(lines('~2', '$5', 't1{1}', '$5', 't2{1}'));
  });
});

describe('TS.INFO', () => {
  const info: SeriesInfo = {
    totalSamples: 1000,
    memoryUsage: 4242,
    firstTimestamp: 1,
    lastTimestamp: 1000,
    retentionTime: 0,
    chunkCount: 2,
    chunkSize: 128,
    chunkType: 'compressed',
    duplicatePolicy: undefined,
    labels: [['name', 'mush']],
    sourceKey: undefined,
    rules: [{ destKey: Buffer.from('t2{1}'), bucketDuration: 10, aggregation: 'count', alignment: 0 }],
    ignoreMaxTimeDiff: 0,
    ignoreMaxValDiff: 0,
  };
  const head = (integer: (name: string, value: number) => string[]) => [
    ...integer('totalSamples', 1000),
    ...integer('memoryUsage', 4242),
    ...integer('firstTimestamp', 1),
    ...integer('lastTimestamp', 1000),
    ...integer('retentionTime', 0),
    ...integer('chunkCount', 2),
    ...integer('chunkSize', 128),
    '+chunkType',
    '+compressed',
    '+duplicatePolicy',
  ];
  const field = (name: string, value: number) => [`+${name}`, `:${value}`];

  it('writes a flat array of 28 in RESP2', () => {
    expect(reply(2, (out) => writeInfo(out, { ...info, duplicatePolicy: 'last', sourceKey: Buffer.from('src') }))).toBe(
      lines('*28', ...head(field), '+last', '+labels', '*1', '*2', '$4', 'name', '$4', 'mush', '+sourceKey', '$3', 'src', '+rules', '*1', '*4', '$5', 't2{1}', ':10', '+COUNT', ':0', '+ignoreMaxTimeDiff', ':0', '+ignoreMaxValDiff', '$1', '0'),
    );
  });

  it('writes a map with DEBUG chunks in RESP3 (test_resp3)', () => {
    const debug = {
      keySelfName: Buffer.from('t1{1}'),
      chunks: [
        { startTimestamp: 1, endTimestamp: 510, samples: 510, sizeBytes: 128 },
        { startTimestamp: 0, endTimestamp: 0, samples: 0, sizeBytes: 128 },
      ],
    };
    const chunk = (start: number, end: number, samples: number, bytesPerSample: string) => ['%5', ...field('startTimestamp', start), ...field('endTimestamp', end), ...field('samples', samples), ...field('size', 128), '+bytesPerSample', bytesPerSample];
    expect(reply(3, (out) => writeInfo(out, { ...info, debug }))).toBe(
      lines(
        '%16', ...head(field), '_', '+labels', '%1', '$4', 'name', '$4', 'mush', '+sourceKey', '_', '+rules', '%1', '$5', 't2{1}', '*3', ':10', '+COUNT', ':0', '+ignoreMaxTimeDiff', ':0', '+ignoreMaxValDiff', ',0',
        '+keySelfName', '$5', 't1{1}', '+Chunks', '*2', ...chunk(1, 510, 510, ',0.250980406999588'), ...chunk(-1, -1, 0, ',0'),
      ),
    );
  });

  it('writes bytesPerSample as Redis 7.0 %.17g bulks in RESP2', () => {
    const debug = { keySelfName: Buffer.from('k'), chunks: [{ startTimestamp: 1, endTimestamp: 510, samples: 510, sizeBytes: 128 }] };
    expect(reply(2, (out) => writeInfo(out, { ...info, ignoreMaxValDiff: 0.1, debug }))).toContain(lines('+ignoreMaxValDiff', '$19', '0.10000000000000001', '+keySelfName'));
    expect(reply(2, (out) => writeInfo(out, { ...info, debug }))).toContain(lines('+bytesPerSample', '$19', '0.25098040699958801'));
  });
});
