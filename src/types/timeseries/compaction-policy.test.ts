// src/types/timeseries/compaction-policy.test.ts: the COMPACTION_POLICY module option, as
// RedisTimeSeries 1.12's parse_policies.c reads it (docs: 'max:1m:1h;avg:10s:1d:5s').
import { describe, expect, it } from 'vitest';
import { parseCompactionPolicy } from './compaction-policy.js';

describe('parseCompactionPolicy', () => {
  it('reads agg:bucket:retention[:alignment] rules with m s M h d units', () => {
    expect(parseCompactionPolicy('max:1m:1h;avg:10s:1d:5s;STD.S:2M:0')).toEqual([
      { aggregation: 'max', bucketDuration: 1, retentionMs: 3_600_000, alignment: 0 },
      { aggregation: 'avg', bucketDuration: 10_000, retentionMs: 86_400_000, alignment: 5_000 },
      { aggregation: 'std.s', bucketDuration: 120_000, retentionMs: 0, alignment: 0 },
    ]);
    expect(parseCompactionPolicy(';;min:1s:0m;')).toEqual([{ aggregation: 'min', bucketDuration: 1000, retentionMs: 0, alignment: 0 }]);
    expect(parseCompactionPolicy('')).toEqual([]);
  });

  it.each(['max:1m', 'max:1m:1h:1s:1s', 'maxx:1m:1h', 'max:1x:1h', 'max:1:1h', 'max:0:1h', 'max:0m:1h', 'max:1m:1', 'max:1mm:1h', 'max:-1m:1h', 'max:1m:1h:0', 'max:1m:1h;bad'])(
    'refuses %j as a whole',
    (text) => {
      expect(parseCompactionPolicy(text)).toBeUndefined();
    },
  );
});
