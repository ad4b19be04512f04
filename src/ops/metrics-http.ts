// src/ops/metrics-http.ts: Prometheus text on `--metrics-port P` at /metrics (off by default), made
// with prom-client, served by node:http on the server's bind addresses.
//
//   GET /metrics -> 200 text/plain; version=0.0.4   (anything else: 404; a method other than GET/HEAD: 405)
//
// Every tskv series is computed when scraped, from Metrics (per-command records), the server's
// counters and engine.stats(); nothing is recorded per command for Prometheus. prom-client's own
// metric classes are observed per event, so tskv's series are small derived metrics registered in
// a prom-client Registry (which formats and serves them), next to prom-client's default process
// and Node.js metrics (CPU, heap, event loop lag), which keep prom-client's names (process_*,
// nodejs_*) so the usual Node.js dashboards read them.
// Series, each named METRIC_PREFIX + (the original design's name), e.g. tskv_rx_bytes_total:
//   counters  rx_bytes_total tx_bytes_total backpressure_events_total put_total get_total scan_total
//             errors_total commands_processed_total connections_received_total wal_appends_total
//             wal_bytes_total fsync_total bloom_negative_total flushes_total compactions_total
//             compaction_bytes_read_total compaction_bytes_written_total write_stalls_total
//             write_stall_seconds_total command_calls_total{command} command_failed_calls_total{command}
//             command_rejected_calls_total{command}
//   gauges    connections_open sstable_files sstable_bytes memtable_bytes engine_failed instantaneous_ops_per_sec
//   histogram command_duration_seconds{command,le}  (buckets from the HDR counts; Grafana:
//             histogram_quantile(0.99, sum by (le) (rate(tskv_command_duration_seconds_bucket{command="get"}[1m]))))
//   summary   request_duration_seconds{family="get|put|scan",quantile}  (HDR percentiles since start)
// Invariants:
// - Engine stats and server counters are read once per scrape (snapshot), not once per series.
// - close() stops listening and resolves once the sockets are closed.
import http from 'node:http';
import { collectDefaultMetrics, Registry, type Metric } from 'prom-client';
import type { EngineStats } from '../../storage/index.js';
import { FAMILY_NAMES, type Metrics, type ServerCounters } from './metrics.js';

export const DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
];
export const METRIC_PREFIX = 'tskv_';
export const SUMMARY_QUANTILES: readonly number[] = [0.5, 0.95, 0.99, 0.999];
const BUCKETS_NS = DURATION_BUCKETS_SECONDS.map((seconds) => Math.round(seconds * 1e9));

type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';
interface Sample {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

/** A series computed at scrape time; prom-client's Registry only needs name, help, type and get(). */
class DerivedMetric {
  readonly aggregator = 'sum';
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricType,
    private readonly read: () => Sample[],
  ) {}
  async get(): Promise<{ name: string; help: string; type: MetricType; aggregator: string; values: Sample[] }> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.read() };
  }
  reset(): void {}
}

interface Snapshot {
  server: ServerCounters;
  engine: EngineStats;
}

export class MetricsExporter {
  readonly registry = new Registry();
  private snapshot: Snapshot | undefined;

  constructor(
    private readonly metrics: Metrics,
    options: { defaultMetrics?: boolean } = {},
  ) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.registerAll();
  }

  /** The Prometheus text of every series. */
  async scrape(): Promise<string> {
    this.snapshot = { server: this.metrics.sources.server(), engine: this.metrics.sources.engine() };
    try {
      return await this.registry.metrics();
    } finally {
      this.snapshot = undefined;
    }
  }

  private current(): Snapshot {
    return this.snapshot ?? { server: this.metrics.sources.server(), engine: this.metrics.sources.engine() };
  }

  private add(name: string, help: string, type: MetricType, read: () => Sample[]): void {
    this.registry.registerMetric(new DerivedMetric(METRIC_PREFIX + name, help, type, read) as unknown as Metric);
  }

  private single(name: string, help: string, type: 'counter' | 'gauge', read: (snapshot: Snapshot) => number): void {
    this.add(name, help, type, () => [{ labels: {}, value: read(this.current()) }]);
  }

  private registerAll(): void {
    const m = this.metrics;
    this.single('connections_open', 'Clients connected now.', 'gauge', (s) => s.server.connectionsOpen);
    this.single('connections_received_total', 'Connections accepted since start.', 'counter', (s) => s.server.connectionsReceived);
    this.single('rx_bytes_total', 'Bytes read from clients.', 'counter', (s) => s.server.rxBytes);
    this.single('tx_bytes_total', 'Bytes written to clients.', 'counter', (s) => s.server.txBytes);
    this.single('backpressure_events_total', 'Times a client\'s reading paused at a pipeline or reply bound.', 'counter', (s) => s.server.backpressureEvents);
    this.single('errors_total', 'Error replies sent.', 'counter', (s) => s.server.errors);
    this.single('commands_processed_total', 'Commands executed.', 'counter', (s) => s.server.commandsProcessed);
    this.single('put_total', 'SET-family commands executed.', 'counter', () => m.familyCalls('put'));
    this.single('get_total', 'GET-family commands executed.', 'counter', () => m.familyCalls('get'));
    this.single('scan_total', 'SCAN commands executed.', 'counter', () => m.familyCalls('scan'));
    this.single('instantaneous_ops_per_sec', 'Commands per second, mean of the last 16 samples taken every 100 ms.', 'gauge', () => m.ops.perSecond());
    this.single('wal_appends_total', 'WAL appends (one per group commit).', 'counter', (s) => s.engine.walAppends);
    this.single('wal_bytes_total', 'Bytes appended to the WAL.', 'counter', (s) => s.engine.walBytes);
    this.single('fsync_total', 'WAL fsyncs.', 'counter', (s) => s.engine.fsyncs);
    this.single('sstable_files', 'Live SSTable files.', 'gauge', (s) => s.engine.sstableFiles);
    this.single('sstable_bytes', 'Bytes in live SSTable files.', 'gauge', (s) => s.engine.sstableBytes);
    this.single('memtable_bytes', 'Approximate bytes in the active and immutable memtables.', 'gauge', (s) => s.engine.memtableBytes + s.engine.immutableMemtableBytes);
    this.single('bloom_negative_total', 'SSTable reads avoided by a Bloom filter.', 'counter', (s) => s.engine.bloomNegatives);
    this.single('flushes_total', 'Memtable flushes to SSTables.', 'counter', (s) => s.engine.flushes);
    this.single('compactions_total', 'Compactions finished.', 'counter', (s) => s.engine.compactions);
    this.single('compaction_bytes_read_total', 'Bytes read by compactions.', 'counter', (s) => s.engine.compactionBytesRead);
    this.single('compaction_bytes_written_total', 'Bytes written by compactions.', 'counter', (s) => s.engine.compactionBytesWritten);
    this.single('write_stalls_total', 'Times writes were stalled waiting for a flush or compaction.', 'counter', (s) => s.engine.stallCount);
    this.single('write_stall_seconds_total', 'Time writes spent stalled.', 'counter', (s) => s.engine.stallMs / 1000);
    this.single('engine_failed', '1 once a write or fsync failed and the engine refuses writes.', 'gauge', (s) => (s.engine.failed ? 1 : 0));
    const perCommand = (read: (record: ReturnType<Metrics['commandRecords']>[number]) => number) => () =>
      m.commandRecords().map((record) => ({ labels: { command: record.name }, value: read(record) }));
    this.add('command_calls_total', 'Calls executed, per command (INFO commandstats calls).', 'counter', perCommand((r) => r.calls));
    this.add('command_failed_calls_total', 'Calls that replied with an error, per command.', 'counter', perCommand((r) => r.failedCalls));
    this.add('command_rejected_calls_total', 'Calls refused before running (arity, NOAUTH, ...), per command.', 'counter', perCommand((r) => r.rejectedCalls));
    this.add('command_duration_seconds', 'Command execution time (handler only, as Redis times it).', 'histogram', () => this.durationHistogram());
    this.add('request_duration_seconds', 'GET, PUT (SET family) and SCAN execution time quantiles since start.', 'summary', () => this.familySummary());
  }

  private durationHistogram(): Sample[] {
    const samples: Sample[] = [];
    for (const record of this.metrics.commandRecords()) {
      const histogram = record.histogram;
      if (histogram.totalCount === 0) continue;
      const counts = histogram.cumulativeCounts(BUCKETS_NS);
      DURATION_BUCKETS_SECONDS.forEach((le, index) => {
        samples.push({ metricName: `${METRIC_PREFIX}command_duration_seconds_bucket`, labels: { command: record.name, le }, value: counts[index] as number });
      });
      samples.push({ metricName: `${METRIC_PREFIX}command_duration_seconds_bucket`, labels: { command: record.name, le: '+Inf' }, value: histogram.totalCount });
      samples.push({ metricName: `${METRIC_PREFIX}command_duration_seconds_sum`, labels: { command: record.name }, value: histogram.sumNs / 1e9 });
      samples.push({ metricName: `${METRIC_PREFIX}command_duration_seconds_count`, labels: { command: record.name }, value: histogram.totalCount });
    }
    return samples;
  }

  private familySummary(): Sample[] {
    const samples: Sample[] = [];
    for (const family of FAMILY_NAMES) {
      const histogram = this.metrics.familyHistogram(family);
      const valuesNs = histogram.percentilesNs(SUMMARY_QUANTILES.map((quantile) => quantile * 100));
      SUMMARY_QUANTILES.forEach((quantile, index) => {
        samples.push({ labels: { family, quantile }, value: (valuesNs[index] as number) / 1e9 });
      });
      samples.push({ metricName: `${METRIC_PREFIX}request_duration_seconds_sum`, labels: { family }, value: histogram.sumNs / 1e9 });
      samples.push({ metricName: `${METRIC_PREFIX}request_duration_seconds_count`, labels: { family }, value: histogram.totalCount });
    }
    return samples;
  }
}

export interface MetricsServer {
  readonly ports: number[];
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  metrics: Metrics;
  hosts: readonly string[]; // the server's --bind addresses
  port: number; // 0 = any free port (tests)
  defaultMetrics?: boolean;
  onError?: (error: Error) => void;
}

/** Serves /metrics on every host at one port; resolves once listening. */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const exporter = new MetricsExporter(options.metrics, { defaultMetrics: options.defaultMetrics ?? true });
  const handler = (request: http.IncomingMessage, response: http.ServerResponse) => {
    const url = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (url !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: tskv serves Prometheus metrics at /metrics\n');
      return;
    }
    exporter.scrape().then(
      (text) => response.writeHead(200, { 'content-type': exporter.registry.contentType }).end(request.method === 'HEAD' ? undefined : text),
      (error: unknown) => {
        options.onError?.(error instanceof Error ? error : new Error(String(error)));
        response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n');
      },
    );
  };
  const servers: http.Server[] = [];
  const ports: number[] = [];
  try {
    for (const host of options.hosts) {
      const server = http.createServer(handler);
      server.keepAliveTimeout = 5_000;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: ports[0] ?? options.port, host }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address();
      if (typeof address === 'object' && address !== null) ports.push(address.port);
      servers.push(server);
    }
  } catch (error) {
    for (const server of servers) server.close();
    throw error;
  }
  return {
    ports,
    close: async () => {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
    },
  };
}
