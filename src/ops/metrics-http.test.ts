import http from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EngineStats } from '../../storage/index.js';
import { DURATION_BUCKETS_SECONDS, MetricsExporter, startMetricsServer, type MetricsServer } from './metrics-http.js';
import { Metrics, type ServerCounters } from './metrics.js';

function makeMetrics(): Metrics {
  const engine: EngineStats = {
    walAppends: 11, walBytes: 1200, fsyncs: 7, sstableFiles: 3, sstableBytes: 9000, levelFiles: [3], bloomNegatives: 5,
    memtableBytes: 100, immutableMemtableBytes: 50, memtableEntries: 2, flushes: 1, flushBytesWritten: 9000, stallCount: 2,
    stallMs: 1500, compactions: 4, compactionBytesRead: 10, compactionBytesWritten: 20, bytesWritten: 10_200, lastSequence: 40,
    openSnapshots: 0, replayedBatches: 0, failed: false,
  };
  const server: ServerCounters = { connectionsOpen: 2, connectionsReceived: 9, rxBytes: 1000, txBytes: 2000, backpressureEvents: 1, errors: 3, commandsProcessed: 50 };
  const metrics = new Metrics({ sources: { server: () => server, engine: () => engine } });
  // the clock stands still while recording, so each call lasts exactly ns (a loaded machine's
  // pause between the two clock reads moved a 69 us GET past the 100 us bucket once)
  const now = performance.now();
  const clock = vi.spyOn(performance, 'now').mockReturnValue(now);
  const record = (name: string, ns: number) => metrics.recordCall(name, now - ns / 1e6, false);
  try {
    for (let index = 0; index < 50; index++) record('get', 20_000 + index * 1000);
    record('set', 2_000_000);
    record('config|get', 5_000);
  } finally {
    clock.mockRestore();
  }
  return metrics;
}

/** `name{labels} value` lines of the Prometheus text, by series (name plus labels). */
function series(text: string): Map<string, number> {
  const result = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    result.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return result;
}

describe('MetricsExporter', () => {
  it('exposes the original design\'s counters under their names, prefixed tskv_', async () => {
    const text = await new MetricsExporter(makeMetrics(), { defaultMetrics: false }).scrape();
    const values = series(text);
    expect(Object.fromEntries([...values].filter(([name]) => !name.includes('{')))).toMatchObject({
      tskv_connections_open: 2, tskv_rx_bytes_total: 1000, tskv_tx_bytes_total: 2000, tskv_backpressure_events_total: 1, tskv_put_total: 1,
      tskv_get_total: 50, tskv_scan_total: 0, tskv_errors_total: 3, tskv_wal_appends_total: 11, tskv_fsync_total: 7, tskv_sstable_files: 3,
      tskv_bloom_negative_total: 5, tskv_compactions_total: 4, tskv_write_stalls_total: 2, tskv_write_stall_seconds_total: 1.5,
      tskv_memtable_bytes: 150, tskv_engine_failed: 0,
    });
    expect(text).toContain('# TYPE tskv_rx_bytes_total counter');
    expect(text).toContain('# TYPE tskv_connections_open gauge');
    expect(values.get('tskv_command_calls_total{command="config|get"}')).toBe(1);
  });

  it('exposes per-command histograms with cumulative buckets Grafana can chart', async () => {
    const text = await new MetricsExporter(makeMetrics(), { defaultMetrics: false }).scrape();
    expect(text).toContain('# TYPE tskv_command_duration_seconds histogram');
    const values = series(text);
    const buckets = [...DURATION_BUCKETS_SECONDS.map(String), '+Inf'].map((le) => values.get(`tskv_command_duration_seconds_bucket{command="get",le="${le}"}`));
    expect(buckets.every((count) => count !== undefined)).toBe(true);
    for (let index = 1; index < buckets.length; index++) expect(buckets[index]).toBeGreaterThanOrEqual(buckets[index - 1] as number);
    expect(buckets.at(-1)).toBe(50);
    expect(values.get('tskv_command_duration_seconds_bucket{command="get",le="0.00001"}')).toBe(0);
    expect(values.get('tskv_command_duration_seconds_bucket{command="get",le="0.0001"}')).toBe(50);
    expect(values.get('tskv_command_duration_seconds_count{command="get"}')).toBe(50);
    expect(values.get('tskv_command_duration_seconds_sum{command="get"}')).toBeGreaterThan(50 * 20e-6);
    expect(values.get('tskv_command_duration_seconds_bucket{command="set",le="0.001"}')).toBe(0);
    expect(values.get('tskv_command_duration_seconds_bucket{command="set",le="0.0025"}')).toBe(1);
  });

  it('exposes GET, PUT and SCAN latency quantiles as a summary', async () => {
    const text = await new MetricsExporter(makeMetrics(), { defaultMetrics: false }).scrape();
    expect(text).toContain('# TYPE tskv_request_duration_seconds summary');
    const values = series(text);
    const p50 = values.get('tskv_request_duration_seconds{family="get",quantile="0.5"}') as number;
    const p99 = values.get('tskv_request_duration_seconds{family="get",quantile="0.99"}') as number;
    expect(p50).toBeGreaterThan(40e-6);
    expect(p99).toBeGreaterThanOrEqual(p50);
    expect(values.get('tskv_request_duration_seconds_count{family="put"}')).toBe(1);
    expect(values.get('tskv_request_duration_seconds{family="scan",quantile="0.5"}')).toBe(0);
  });

  it('adds prom-client\'s process and Node.js metrics by default, under prom-client\'s names', async () => {
    const text = await new MetricsExporter(makeMetrics()).scrape();
    expect(text).toContain('\nprocess_cpu_user_seconds_total ');
    expect(text).toContain('\nnodejs_eventloop_lag_seconds ');
  });

  it('names every series of its own tskv_', async () => {
    const text = await new MetricsExporter(makeMetrics(), { defaultMetrics: false }).scrape();
    const names = [...series(text).keys()].map((key) => key.replace(/\{.*$/, ''));
    expect(names.length).toBeGreaterThan(30);
    expect(names.filter((name) => !name.startsWith('tskv_'))).toEqual([]);
    const declared = text.split('\n').filter((line) => line.startsWith('# TYPE ')).map((line) => line.split(' ')[2]);
    expect(declared.filter((name) => !name?.startsWith('tskv_'))).toEqual([]);
  });
});

function get(port: number, urlPath: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path: urlPath, method }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type']), body }));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('startMetricsServer', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves /metrics over HTTP on the given address and nothing else', async () => {
    server = await startMetricsServer({ metrics: makeMetrics(), hosts: ['127.0.0.1'], port: 0, defaultMetrics: false });
    const port = server.ports[0] as number;
    const ok = await get(port, '/metrics');
    expect(ok.status).toBe(200);
    expect(ok.type).toContain('text/plain; version=0.0.4');
    expect(ok.body).toContain('tskv_get_total 50');
    expect((await get(port, '/')).status).toBe(404);
    expect((await get(port, '/metrics', 'POST')).status).toBe(405);
  });

  it('fails to start when the port is taken', async () => {
    server = await startMetricsServer({ metrics: makeMetrics(), hosts: ['127.0.0.1'], port: 0, defaultMetrics: false });
    await expect(startMetricsServer({ metrics: makeMetrics(), hosts: ['127.0.0.1'], port: server.ports[0] as number, defaultMetrics: false })).rejects.toThrow(/EADDRINUSE/);
  });
});
