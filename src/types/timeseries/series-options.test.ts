// src/types/timeseries/series-options.test.ts: TS.CREATE / ALTER / ADD / INCRBY / GET / INFO / CREATERULE
// arguments, with the cases of RedisTimeSeries 1.12's tests/flow (test_ts_create.py,
// test_ts_range.py test_errors, test_ts_createrule.py) and the order its parser checks them in.
import { describe, expect, it } from 'vitest';
import {
  compactionDestinationKey,
  parseAddSample,
  parseCreateOptions,
  parseCreateRuleOptions,
  parseDuplicatePolicyOption,
  parseGetLatest,
  parseIncrByAmount,
  parseIncrByTimestamp,
  parseInfoDebug,
} from './series-options.js';
import { TS_ERRORS, TimeSeriesError } from './errors.js';

function argv(...args: Array<string | number>): Buffer[] {
  return args.map((arg) => Buffer.from(String(arg), 'latin1'));
}

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof TimeSeriesError) return error.message;
    throw error;
  }
  throw new Error('no error thrown');
}

describe('parseCreateOptions', () => {
  it('leaves absent options undefined', () => {
    expect(parseCreateOptions(argv('TS.CREATE', 'k'))).toEqual({
      retentionMs: undefined,
      chunkSizeBytes: undefined,
      encoding: undefined,
      duplicatePolicy: undefined,
      ignore: undefined,
      labels: undefined,
    });
  });

  it('reads every option in any order, keywords in any case', () => {
    const options = parseCreateOptions(
      argv('TS.CREATE', 'k', 'retention', 5000, 'ENCODING', 'Uncompressed', 'CHUNK_SIZE', 128, 'DUPLICATE_POLICY', 'SUM', 'IGNORE', 10, 0.5, 'LABELS', 'a', '1', 'b', '2'),
    );
    expect(options).toEqual({
      retentionMs: 5000,
      chunkSizeBytes: 128,
      encoding: 'uncompressed',
      duplicatePolicy: 'sum',
      ignore: { maxTimeDiff: 10, maxValDiff: 0.5 },
      labels: [
        ['a', '1'],
        ['b', '2'],
      ],
    });
  });

  it('takes the bare COMPRESSED / UNCOMPRESSED words, COMPRESSED winning', () => {
    expect(parseCreateOptions(argv('TS.CREATE', 'k', 'uncompressed')).encoding).toBe('uncompressed');
    expect(parseCreateOptions(argv('TS.CREATE', 'k', 'COMPRESSED')).encoding).toBe('compressed');
    expect(parseCreateOptions(argv('TS.CREATE', 'k', 'UNCOMPRESSED', 'COMPRESSED')).encoding).toBe('compressed');
    // the key itself is scanned too: a key named 'compressed' sets the encoding
    expect(parseCreateOptions(argv('TS.CREATE', 'compressed')).encoding).toBe('compressed');
  });

  it('makes LABELS take every later argument in pairs, dropping an odd last one', () => {
    const options = parseCreateOptions(argv('TS.CREATE', 'k', 'LABELS', 'a', '1', 'CHUNK_SIZE', '128', 'odd'));
    expect(options.labels).toEqual([
      ['a', '1'],
      ['CHUNK_SIZE', '128'],
    ]);
    expect(options.chunkSizeBytes).toBe(128); // and CHUNK_SIZE is found as an option as well
    expect(parseCreateOptions(argv('TS.ALTER', 'k', 'LABELS')).labels).toEqual([]);
  });

  it('keeps label bytes as latin1 strings', () => {
    const options = parseCreateOptions([Buffer.from('TS.CREATE'), Buffer.from('k'), Buffer.from('LABELS'), Buffer.from([0xff, 0x41]), Buffer.from('é')]);
    expect(options.labels).toEqual([['\u00ffA', Buffer.from('é').toString('latin1')]]);
  });

  it.each([
    [['RETENTION', 'retention'], TS_ERRORS.retentionParse],
    [['RETENTION'], TS_ERRORS.retentionParse],
    [['RETENTION', '-2'], TS_ERRORS.retentionNegative],
    [['RETENTION', '01'], TS_ERRORS.retentionParse],
    [['CHUNK_SIZE', 'chunk_size'], TS_ERRORS.chunkSizeParse],
    [['CHUNK_SIZE', '-2'], TS_ERRORS.chunkSizeRange],
    [['CHUNK_SIZE', '4000000000'], TS_ERRORS.chunkSizeRange],
    [['CHUNK_SIZE', '40'], TS_ERRORS.chunkSizeRange],
    [['CHUNK_SIZE', '100'], TS_ERRORS.chunkSizeRange],
    [['ENCODING', 'bad-encoding-type'], TS_ERRORS.encodingUnknown],
    [['ENCODING'], "ERR wrong number of arguments for 'ts.create' command"],
    [['DUPLICATE_POLICY', 'bla'], TS_ERRORS.duplicatePolicyUnknown],
    [['DUPLICATE_POLICY'], TS_ERRORS.duplicatePolicyParse],
    [['IGNORE', '1'], TS_ERRORS.ignoreParse],
    [['IGNORE', 'a', '1'], TS_ERRORS.ignoreParse],
    [['IGNORE', '1', 'nan'], TS_ERRORS.ignoreParse],
    [['IGNORE', '-1', '1'], TS_ERRORS.ignoreNegative],
    [['IGNORE', '1', '-0.5'], TS_ERRORS.ignoreNegative],
    [['LABELS', 'a', 'b(c'], TS_ERRORS.labelsParse],
    [['LABELS', 'a', ''], TS_ERRORS.labelsParse],
    [['LABELS', '', 'x'], TS_ERRORS.labelsParse],
    [['LABELS', 'key', 'val', 'label', 'DUPLICATE_POLICY', 'bla'], TS_ERRORS.duplicatePolicyUnknown],
  ])('refuses %j', (options, text) => {
    expect(errorOf(() => parseCreateOptions(argv('TS.CREATE', 'invalid', ...options)))).toBe(text);
  });

  it('checks LABELS first, then RETENTION, CHUNK_SIZE, ENCODING, DUPLICATE_POLICY, IGNORE', () => {
    const all = ['IGNORE', '-1', '1', 'DUPLICATE_POLICY', 'x', 'ENCODING', 'x', 'CHUNK_SIZE', 'x', 'RETENTION', 'x', 'LABELS', 'a', ','];
    expect(errorOf(() => parseCreateOptions(argv('TS.CREATE', 'k', ...all)))).toBe(TS_ERRORS.labelsParse);
    expect(errorOf(() => parseCreateOptions(argv('TS.CREATE', 'k', ...all.slice(0, -3))))).toBe(TS_ERRORS.retentionParse);
    expect(errorOf(() => parseCreateOptions(argv('TS.CREATE', 'k', ...all.slice(0, -5))))).toBe(TS_ERRORS.chunkSizeParse);
    expect(errorOf(() => parseCreateOptions(argv('TS.CREATE', 'k', ...all.slice(0, -7))))).toBe(TS_ERRORS.encodingUnknown);
    expect(errorOf(() => parseCreateOptions(argv('TS.CREATE', 'k', ...all.slice(0, -9))))).toBe(TS_ERRORS.duplicatePolicyUnknown);
    expect(errorOf(() => parseCreateOptions(argv('TS.CREATE', 'k', ...all.slice(0, -11))))).toBe(TS_ERRORS.ignoreNegative);
  });

  it('sends the negative RETENTION error without ERR, as RTS does', () => {
    const error = (() => {
      try {
        parseCreateOptions(argv('TS.CREATE', 'k', 'RETENTION', '-10'));
      } catch (caught) {
        return caught as TimeSeriesError;
      }
      return undefined;
    })();
    expect(error?.message).toBe("TSDB: Couldn't parse RETENTION");
    expect(error?.code).toBe('TSDB');
  });
});

describe('TS.ADD / TS.MADD samples', () => {
  it('reads the value first, then the timestamp', () => {
    expect(parseAddSample(Buffer.from('10'), Buffer.from('3.5'))).toEqual({ ts: 10, value: 3.5 });
    expect(parseAddSample(Buffer.from('*'), Buffer.from('1'))).toEqual({ ts: 'now', value: 1 });
    expect(errorOf(() => parseAddSample(Buffer.from('x'), Buffer.from('y')))).toBe(TS_ERRORS.invalidValue);
    expect(errorOf(() => parseAddSample(Buffer.from('x'), Buffer.from('1')))).toBe(TS_ERRORS.invalidTimestamp);
    expect(errorOf(() => parseAddSample(Buffer.from('-1'), Buffer.from('1')))).toBe(TS_ERRORS.negativeTimestamp);
    expect(errorOf(() => parseAddSample(Buffer.from('**'), Buffer.from('1')))).toBe(TS_ERRORS.invalidTimestamp);
    expect(errorOf(() => parseAddSample(Buffer.from('1.5'), Buffer.from('1')))).toBe(TS_ERRORS.invalidTimestamp);
  });

  it('reads ON_DUPLICATE anywhere, in any case', () => {
    expect(parseDuplicatePolicyOption(argv('TS.ADD', 'k', 1, 2, 'on_duplicate', 'Last'), 'ON_DUPLICATE')).toBe('last');
    expect(parseDuplicatePolicyOption(argv('TS.ADD', 'k', 1, 2), 'ON_DUPLICATE')).toBeUndefined();
    expect(errorOf(() => parseDuplicatePolicyOption(argv('TS.ADD', 'k', 1, 2, 'ON_DUPLICATE'), 'ON_DUPLICATE'))).toBe(TS_ERRORS.duplicatePolicyParse);
    expect(errorOf(() => parseDuplicatePolicyOption(argv('TS.ADD', 'k', 1, 2, 'ON_DUPLICATE', 'lastt'), 'ON_DUPLICATE'))).toBe(TS_ERRORS.duplicatePolicyUnknown);
  });
});

describe('TS.INCRBY / TS.DECRBY', () => {
  it('reads the amount with strtod rules', () => {
    expect(parseIncrByAmount(argv('TS.INCRBY', 'k', '1.5'))).toBe(1.5);
    expect(parseIncrByAmount(argv('TS.INCRBY', 'k', 'inf'))).toBe(Infinity);
    expect(errorOf(() => parseIncrByAmount(argv('TS.INCRBY', 'k', 'x')))).toBe(TS_ERRORS.invalidIncrement);
  });

  it('reads TIMESTAMP, * and absence meaning now', () => {
    expect(parseIncrByTimestamp(argv('TS.INCRBY', 'k', 1))).toBe('now');
    expect(parseIncrByTimestamp(argv('TS.INCRBY', 'k', 1, 'TIMESTAMP', '*'))).toBe('now');
    expect(parseIncrByTimestamp(argv('TS.INCRBY', 'k', 1, 'timestamp', '42'))).toBe(42);
    expect(errorOf(() => parseIncrByTimestamp(argv('TS.INCRBY', 'k', 1, 'TIMESTAMP', 'x')))).toBe(TS_ERRORS.invalidTimestamp);
    expect(errorOf(() => parseIncrByTimestamp(argv('TS.INCRBY', 'k', 1, 'TIMESTAMP')))).toBe(TS_ERRORS.invalidTimestamp);
  });
});

describe('TS.GET', () => {
  it('takes LATEST as its only option', () => {
    expect(parseGetLatest(argv('TS.GET', 'k'))).toBe(false);
    expect(parseGetLatest(argv('TS.GET', 'k', 'latest'))).toBe(true);
    expect(parseGetLatest(argv('TS.GET', 'latest', 'x'))).toBe(true); // RTS finds LATEST anywhere, the key included
    expect(errorOf(() => parseGetLatest(argv('TS.GET', 'k', 'x')))).toBe(TS_ERRORS.getThirdArgument);
    expect(errorOf(() => parseGetLatest(argv('TS.GET')))).toBe("ERR wrong number of arguments for 'ts.get' command");
    expect(errorOf(() => parseGetLatest(argv('TS.GET', 'k', 'LATEST', 'x')))).toBe("ERR wrong number of arguments for 'ts.get' command");
  });
});

describe('TS.INFO', () => {
  it('finds DEBUG from the key on, ignoring any other third argument', () => {
    expect(parseInfoDebug(argv('TS.INFO', 'k'))).toBe(false);
    expect(parseInfoDebug(argv('TS.INFO', 'k', 'debug'))).toBe(true);
    expect(parseInfoDebug(argv('TS.INFO', 'k', 'x'))).toBe(false);
    expect(parseInfoDebug(argv('TS.INFO', 'DEBUG'))).toBe(true);
    expect(errorOf(() => parseInfoDebug(argv('TS.INFO', 'k', 'DEBUG', 'x')))).toBe("ERR wrong number of arguments for 'ts.info' command");
  });
});

describe('TS.CREATERULE', () => {
  it('reads the aggregation, bucket and alignment', () => {
    expect(parseCreateRuleOptions(argv('TS.CREATERULE', 's', 'd', 'AGGREGATION', 'avg', 10))).toEqual({ aggregation: 'avg', bucketDuration: 10, alignment: 0 });
    expect(parseCreateRuleOptions(argv('TS.CREATERULE', 's', 'd', 'aggregation', 'STD.P', 10, 5))).toEqual({ aggregation: 'std.p', bucketDuration: 10, alignment: 5 });
  });

  it.each([
    [['AGGREGATION', 'avg', 5, 'high'], TS_ERRORS.alignTimestampParse],
    [['AGGREGATION', 'avg', 5, '-1'], TS_ERRORS.alignTimestampParse],
    [['AGGREGATION', 'avgg', 5], TS_ERRORS.aggregationUnknown],
    [['AGGREGATION', 'avg', 'x'], TS_ERRORS.aggregationParse],
    [['AGGREGATION', 'avg', 0], TS_ERRORS.bucketDurationInvalid],
    [['AGGREGATION', 'avg', -10], TS_ERRORS.bucketDurationInvalid],
    [['AGGREGATION', 'avg'], "ERR wrong number of arguments for 'ts.createrule' command"],
    [['AGGREGATIONS', 'avg', 5], "ERR wrong number of arguments for 'ts.createrule' command"],
  ])('refuses %j', (options, text) => {
    expect(errorOf(() => parseCreateRuleOptions(argv('TS.CREATERULE', 's', 'd', ...options)))).toBe(text);
  });

  it('names COMPACTION_POLICY destinations key_AGG_bucket[_align]', () => {
    expect(compactionDestinationKey(Buffer.from('temp'), { aggregation: 'std.p', bucketDuration: 60000, alignment: 0 }).toString()).toBe('temp_STD.P_60000');
    expect(compactionDestinationKey(Buffer.from('temp'), { aggregation: 'max', bucketDuration: 10, alignment: 5 }).toString()).toBe('temp_MAX_10_5');
  });
});
