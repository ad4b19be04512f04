import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EngineStats } from '../../storage/index.js';
import { Metrics, parsePercentiles, type ServerCounters } from './metrics.js';

function fakeEngineStats(overrides: Partial<EngineStats> = {}): EngineStats {
  return {
    walAppends: 11, walBytes: 1200, fsyncs: 7, sstableFiles: 3, sstableBytes: 9000, levelFiles: [3], bloomNegatives: 5,
    memtableBytes: 100, immutableMemtableBytes: 0, memtableEntries: 2, flushes: 1, flushBytesWritten: 9000, stallCount: 2,
    stallMs: 30, compactions: 4, compactionBytesRead: 10, compactionBytesWritten: 20, bytesWritten: 10_200, lastSequence: 40,
    openSnapshots: 0, replayedBatches: 0, failed: false, ...overrides,
  };
}

function fakeSources(counters: Partial<ServerCounters> = {}) {
  const server: ServerCounters = { connectionsOpen: 2, connectionsReceived: 9, rxBytes: 1000, txBytes: 2000, backpressureEvents: 1, errors: 3, commandsProcessed: 50, ...counters };
  return { server: () => server, engine: () => fakeEngineStats(), counters: server };
}

/** Records one call that took about `ns` (by back-dating its start). */
function recordTaking(metrics: Metrics, name: string, ns: number, failed = false): number {
  return metrics.recordCall(name, performance.now() - ns / 1e6, failed);
}

describe('Metrics', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('counts calls, failed calls and rejected calls per command', () => {
    const metrics = new Metrics({ sources: fakeSources() });
    recordTaking(metrics, 'get', 2_000);
    recordTaking(metrics, 'get', 4_000, true);
    metrics.command('get').rejectedCalls++; // as dispatch counts a refused call
    metrics.command('config|get').rejectedCalls++; // as dispatch counts a refused call
    const get = metrics.command('get');
    expect([get.calls, get.failedCalls, get.rejectedCalls]).toEqual([2, 1, 1]);
    expect(get.histogram.totalCount).toBe(2);
    expect(get.durationNs).toBeGreaterThanOrEqual(6_000);
  });

  it('prints INFO commandstats lines as Redis 7 does', () => {
    const metrics = new Metrics({ sources: fakeSources() });
    recordTaking(metrics, 'set', 10_000);
    metrics.command('config|get').rejectedCalls++; // as dispatch counts a refused call
    const fields = Object.fromEntries(metrics.commandStatsFields());
    expect(fields['cmdstat_set']).toMatch(/^calls=1,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0$/);
    expect(fields['cmdstat_config|get']).toBe('calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0');
  });

  it('prints INFO latencystats lines in Redis 7 format with the configured percentiles', () => {
    const metrics = new Metrics({ sources: fakeSources() });
    for (let index = 0; index < 100; index++) recordTaking(metrics, 'get', 1_000 + index * 10);
    metrics.command('del').rejectedCalls++; // rejected calls have no latency line
    const fields = metrics.latencyStatsFields();
    expect(fields.map(([name]) => name)).toEqual(['latency_percentiles_usec_get']);
    expect(fields[0]?.[1]).toMatch(/^p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$/);
    metrics.settings.latencyTrackingInfoPercentiles = parsePercentiles('50 99.99') ?? [];
    expect(metrics.latencyStatsFields()[0]?.[1]).toMatch(/^p50=\d+\.\d{3},p99\.99=\d+\.\d{3}$/);
  });

  it('returns the duration in microseconds for the slowlog', () => {
    const metrics = new Metrics({ sources: fakeSources() });
    expect(recordTaking(metrics, 'get', 25_000_000)).toBeGreaterThanOrEqual(25_000);
  });

  it('only counts, without reading the clock, when latency tracking is off', () => {
    const metrics = new Metrics({ sources: fakeSources(), settings: { metrics: false, latencyTrackingInfoPercentiles: [50] } });
    const started = metrics.startTimer();
    expect(started).toBe(0);
    expect(metrics.recordCall('get', started, false)).toBe(-1);
    expect(metrics.command('get').calls).toBe(1);
    expect(metrics.command('get').histogram.totalCount).toBe(0);
    expect(metrics.latencyStatsFields()).toEqual([]);
    expect(Object.fromEntries(metrics.commandStatsFields())['cmdstat_get']).toBe('calls=1,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0');
  });

  it('in a run of back-to-back calls, starts each call at the end of the previous one (one clock read per call)', () => {
    const metrics = new Metrics({ sources: fakeSources() });
    const clock = vi.spyOn(performance, 'now');
    clock.mockReturnValueOnce(10); // beginRun
    metrics.beginRun();
    expect(metrics.startTimer()).toBe(10);
    clock.mockReturnValueOnce(10.002);
    expect(metrics.recordCall('get', 10, false)).toBe(2); // 2 µs
    expect(metrics.startTimer()).toBe(10.002); // no clock read: the previous call's end
    clock.mockReturnValueOnce(10.005);
    expect(metrics.recordCall('set', 10.002, false)).toBe(3);
    expect(clock).toHaveBeenCalledTimes(3); // 1 + one per call
    metrics.endRun();
    clock.mockReturnValueOnce(20);
    expect(metrics.startTimer()).toBe(20); // outside a run: read again
    expect(metrics.command('get').durationNs + metrics.command('set').durationNs).toBe(5_000);
  });

  it('ends a run when latency tracking is switched off inside it', () => {
    const settings = { metrics: true, latencyTrackingInfoPercentiles: [50] };
    const metrics = new Metrics({ sources: fakeSources(), settings });
    const clock = vi.spyOn(performance, 'now').mockReturnValue(5);
    metrics.beginRun();
    const started = metrics.startTimer();
    settings.metrics = false;
    expect(metrics.startTimer()).toBe(0);
    expect(metrics.recordCall('config|set', started, false)).toBe(-1);
    settings.metrics = true;
    clock.mockReturnValue(7);
    expect(metrics.startTimer()).toBe(7); // the stale lap is gone
    metrics.endRun();
  });

  it('reads the settings live, so CONFIG SET metrics applies at once', () => {
    const settings = { metrics: true, latencyTrackingInfoPercentiles: [50, 99, 99.9] };
    const metrics = new Metrics({ sources: fakeSources(), settings });
    settings.metrics = false;
    expect(metrics.startTimer()).toBe(0);
    settings.metrics = true;
    expect(metrics.startTimer()).toBeGreaterThan(0);
  });

  it('sums GET, PUT and SCAN families for the original counters and their latencies', () => {
    const metrics = new Metrics({ sources: fakeSources() });
    recordTaking(metrics, 'get', 1_000);
    recordTaking(metrics, 'mget', 1_000);
    recordTaking(metrics, 'set', 2_000);
    recordTaking(metrics, 'mset', 2_000);
    recordTaking(metrics, 'incr', 2_000);
    recordTaking(metrics, 'scan', 3_000);
    recordTaking(metrics, 'ping', 3_000);
    expect([metrics.familyCalls('get'), metrics.familyCalls('put'), metrics.familyCalls('scan')]).toEqual([2, 3, 1]);
    expect(metrics.familyHistogram('put').totalCount).toBe(3);
  });

  it('names the # tskv section fields as the original design did', () => {
    const metrics = new Metrics({ sources: fakeSources() });
    recordTaking(metrics, 'get', 1_000);
    const fields = Object.fromEntries(metrics.tskvFields());
    for (const name of [
      'connections_open', 'rx_bytes_total', 'tx_bytes_total', 'backpressure_events_total', 'put_total', 'get_total', 'scan_total',
      'errors_total', 'wal_appends_total', 'fsync_total', 'sstable_files', 'bloom_negative_total', 'compactions_total',
      'write_stalls_total', 'write_stall_ms_total', 'get_latency_p50_usec', 'get_latency_p95_usec', 'get_latency_p99_usec',
      'put_latency_p50_usec', 'put_latency_p95_usec', 'put_latency_p99_usec',
    ]) {
      expect(fields, name).toHaveProperty(name);
    }
    expect(fields).toMatchObject({ connections_open: 2, rx_bytes_total: 1000, get_total: 1, wal_appends_total: 11, fsync_total: 7, sstable_files: 3, bloom_negative_total: 5, put_latency_p99_usec: '0.000' });
    expect(Number(fields['get_latency_p50_usec'])).toBeGreaterThan(0);
  });

  it('counts error replies by their first word for INFO errorstats', () => {
    const metrics = new Metrics({ sources: fakeSources() });
    metrics.recordErrorReply('ERR syntax error');
    metrics.recordErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value');
    metrics.recordErrorReply('ERR value is not an integer or out of range');
    expect(metrics.errorStatsFields()).toEqual([['errorstat_ERR', 'count=2'], ['errorstat_WRONGTYPE', 'count=1']]);
  });

  it('forgets command, error and latency statistics on reset', () => {
    const metrics = new Metrics({ sources: fakeSources() });
    recordTaking(metrics, 'get', 1_000);
    metrics.recordErrorReply('ERR x');
    metrics.reset();
    expect(metrics.commandStatsFields()).toEqual([]);
    expect(metrics.latencyStatsFields()).toEqual([]);
    expect(metrics.errorStatsFields()).toEqual([]);
  });

  it('samples instantaneous ops, input and output from the server counters', () => {
    const sources = fakeSources({ commandsProcessed: 0, rxBytes: 0, txBytes: 0 });
    const metrics = new Metrics({ sources });
    metrics.sample(1_000);
    sources.counters.commandsProcessed = 1_600; // 1600 commands in 100 ms: 16,000 / s
    sources.counters.rxBytes = 102_400;
    metrics.sample(1_100);
    const fields = Object.fromEntries(metrics.instantaneousFields());
    expect(fields['instantaneous_ops_per_sec']).toBe(1_000); // one sample of 16 so far
    expect(fields['instantaneous_input_kbps']).toBe('62.50');
    expect(fields['instantaneous_output_kbps']).toBe('0.00');
  });
});

describe('parsePercentiles', () => {
  it('reads latency-tracking-info-percentiles', () => {
    expect(parsePercentiles('50 99 99.9')).toEqual([50, 99, 99.9]);
    expect(parsePercentiles('')).toEqual([]);
    expect(parsePercentiles('50 101')).toBeUndefined();
    expect(parsePercentiles('abc')).toBeUndefined();
  });
});
