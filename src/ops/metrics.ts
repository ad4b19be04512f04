// src/ops/metrics.ts: what tskv measures about itself, and the INFO text for it.
//
//   dispatch ──recordCall(name, startedMs, failed)──► CommandRecord { calls, usec, failed, rejected, histogram }
//            ──recordOf(entry).rejectedCalls++ / recordErrorReply(text)
//   INFO     ◄── commandStatsFields / latencyStatsFields / errorStatsFields / tskvFields
//   /metrics ◄── metrics-http.ts reads the same records, plus server counters and engine.stats()
//
// What is counted where: per-command calls, time and latency histograms live here (recorded per
// call); the net and error counters already kept by ServerState.stats and the storage counters of
// engine.stats() are read through MetricsSources when a report is made, never copied per call.
// Names of the original design are kept: connections_open, rx_bytes_total, tx_bytes_total,
// backpressure_events_total, put_total, get_total, scan_total, errors_total, wal_appends_total,
// fsync_total, sstable_files, bloom_negative_total (+ compaction and stall counters).
//
// Invariants:
// - Settings are read live (CONFIG SET metrics / latency-tracking-info-percentiles apply at once).
// - Recording allocates nothing after a command's first call (its record and histogram are made
//   once); with latency tracking off (`--metrics no`) startTimer() returns 0 and recordCall only
//   counts: no clock read, no histogram, usec stays 0, and the slowlog sees no duration (-1).
// - Latencies are integer nanoseconds from performance.now(), clamped to 1 ns .. 1 s, printed in
//   microseconds with three decimals, as Redis 7 prints `latency_percentiles_usec_<cmd>`.
// - Inside a run (beginRun .. endRun: the commands of one socket read) a call starts when the
//   previous call ended, one clock read per call instead of two (3% of PING -P 16's CPU). Its
//   duration then also covers parsing and dispatching its request, tens of nanoseconds, and any
//   request refused in between; Redis times the command procedure alone.
// - instantaneous_* are sampled every 100 ms (instantaneous-metric.ts).
import { performance } from 'node:perf_hooks';
import type { EngineStats } from '../../storage/index.js';
import { INSTANTANEOUS_INTERVAL_MS, InstantaneousMetric } from './instantaneous-metric.js';
import { LatencyHistogram } from './latency-histogram.js';

export type InfoFields = Array<[string, string | number]>;

/** Which commands count as the GET, PUT (SET family) and SCAN of the original design. */
export const COMMAND_FAMILIES = {
  get: ['get', 'mget', 'getex', 'getdel', 'getrange'],
  put: ['set', 'setnx', 'setex', 'psetex', 'mset', 'msetnx', 'getset', 'append', 'setrange', 'incr', 'incrby', 'decr', 'decrby', 'incrbyfloat'],
  scan: ['scan'],
} as const;
export type CommandFamily = keyof typeof COMMAND_FAMILIES;
export const FAMILY_NAMES = Object.keys(COMMAND_FAMILIES) as CommandFamily[];

export const DEFAULT_PERCENTILES: readonly number[] = [50, 99, 99.9]; // latency-tracking-info-percentiles
export const FAMILY_PERCENTILES: readonly number[] = [50, 95, 99];

/** Counters ServerState already keeps, read when a report is made. */
export interface ServerCounters {
  connectionsOpen: number;
  connectionsReceived: number;
  rxBytes: number;
  txBytes: number;
  backpressureEvents: number;
  errors: number;
  commandsProcessed: number;
}

export interface MetricsSources {
  server(): ServerCounters;
  engine(): EngineStats;
}

export class CommandRecord {
  calls = 0;
  durationNs = 0;
  rejectedCalls = 0;
  failedCalls = 0;
  readonly histogram = new LatencyHistogram();
  constructor(
    readonly name: string, // full name: 'get', 'config|get'
    readonly family: CommandFamily | undefined,
  ) {}
}

/** The two settings, named as ServerConfig names them (a ServerConfig may be passed as is; read live). */
export interface MetricsSettings {
  metrics: boolean; // --metrics yes|no (Redis: latency-tracking)
  latencyTrackingInfoPercentiles: readonly number[];
}

export interface MetricsOptions {
  sources: MetricsSources;
  settings?: MetricsSettings;
}

export class Metrics {
  readonly settings: MetricsSettings;
  readonly sources: MetricsSources;
  readonly ops = new InstantaneousMetric();
  readonly rx = new InstantaneousMetric();
  readonly tx = new InstantaneousMetric();
  private readonly commands = new Map<string, CommandRecord>();
  private readonly byIndex: (CommandRecord | undefined)[] = []; // records by CommandEntry.index
  private runLapMs = 0; // inside a run (beginRun): when its last call ended; else 0
  private readonly errors = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(options: MetricsOptions) {
    this.sources = options.sources;
    this.settings = options.settings ?? { metrics: true, latencyTrackingInfoPercentiles: DEFAULT_PERCENTILES };
  }

  get latencyTracking(): boolean {
    return this.settings.metrics;
  }

  /** The record of one command (made on first use); callers may keep it. */
  command(fullName: string): CommandRecord {
    let record = this.commands.get(fullName);
    if (record === undefined) {
      record = new CommandRecord(fullName, familyOf(fullName));
      this.commands.set(fullName, record);
    }
    return record;
  }

  /** The record of a command table entry, found by its index (no string hashing on the hot path). */
  recordOf(entry: { readonly index: number; readonly fullName: string }): CommandRecord {
    return (this.byIndex[entry.index] ??= this.command(entry.fullName));
  }

  /**
   * Starts a run of calls made back to back (the commands of one socket read): inside it a
   * call's start is the previous call's end, so a call costs one clock read instead of two.
   */
  beginRun(): void {
    this.runLapMs = this.latencyTracking ? performance.now() : 0;
  }

  endRun(): void {
    this.runLapMs = 0;
  }

  /** performance.now() (or the run's last lap) when latency tracking is on, else 0; pass it to recordCall. */
  startTimer(): number {
    if (!this.latencyTracking) return 0;
    return this.runLapMs !== 0 ? this.runLapMs : performance.now();
  }

  /** Counts one executed call; returns its duration in µs, or -1 when latency tracking is off. */
  recordCall(command: string | CommandRecord, startedMs: number, failed: boolean): number {
    const record = typeof command === 'string' ? this.command(command) : command;
    record.calls++;
    if (failed) record.failedCalls++;
    if (startedMs === 0 || !this.latencyTracking) {
      this.runLapMs = 0; // tracking was switched off: the run's laps end here
      return -1;
    }
    const nowMs = performance.now();
    if (this.runLapMs !== 0) this.runLapMs = nowMs;
    const durationNs = Math.round((nowMs - startedMs) * 1e6);
    record.durationNs += durationNs;
    record.histogram.record(durationNs);
    return Math.floor(durationNs / 1000);
  }

  /** Any error reply, by its first word (ERR, WRONGTYPE, ...): INFO errorstats. */
  recordErrorReply(message: string): void {
    const space = message.indexOf(' ');
    const code = (space < 0 ? message : message.slice(0, space)).replace(/^-/, '').slice(0, 128);
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  commandRecords(): CommandRecord[] {
    return [...this.commands.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  familyCalls(family: CommandFamily): number {
    let calls = 0;
    for (const name of COMMAND_FAMILIES[family]) calls += this.commands.get(name)?.calls ?? 0;
    return calls;
  }

  /** The sum of the family's command histograms (made per report, not per call). */
  familyHistogram(family: CommandFamily): LatencyHistogram {
    const sum = new LatencyHistogram();
    for (const name of COMMAND_FAMILIES[family]) {
      const record = this.commands.get(name);
      if (record !== undefined) sum.add(record.histogram);
    }
    return sum;
  }

  serverCounters(): ServerCounters {
    return this.sources.server();
  }

  /** Takes one instantaneous sample of ops, input and output bytes (the 100 ms cron calls it). */
  sample(nowMs = Date.now()): void {
    const counters = this.sources.server();
    this.ops.sample(nowMs, counters.commandsProcessed);
    this.rx.sample(nowMs, counters.rxBytes);
    this.tx.sample(nowMs, counters.txBytes);
  }

  startSampling(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.sample(), INSTANTANEOUS_INTERVAL_MS);
    this.timer.unref();
  }

  stopSampling(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** CONFIG RESETSTAT: command, error and latency statistics and instantaneous samples. */
  reset(): void {
    this.commands.clear();
    this.byIndex.length = 0;
    this.errors.clear();
    this.ops.reset();
    this.rx.reset();
    this.tx.reset();
  }

  instantaneousFields(): InfoFields {
    return [
      ['instantaneous_ops_per_sec', Math.round(this.ops.perSecond())],
      ['instantaneous_input_kbps', (this.rx.perSecond() / 1024).toFixed(2)],
      ['instantaneous_output_kbps', (this.tx.perSecond() / 1024).toFixed(2)],
    ];
  }

  /** `cmdstat_get:calls=2,usec=15,usec_per_call=7.50,rejected_calls=0,failed_calls=0` */
  commandStatsFields(): InfoFields {
    const fields: InfoFields = [];
    for (const record of this.commandRecords()) {
      if (record.calls + record.rejectedCalls + record.failedCalls === 0) continue;
      const usec = Math.floor(record.durationNs / 1000);
      const perCall = record.calls === 0 ? 0 : usec / record.calls;
      fields.push([
        `cmdstat_${record.name}`,
        `calls=${record.calls},usec=${usec},usec_per_call=${perCall.toFixed(2)},rejected_calls=${record.rejectedCalls},failed_calls=${record.failedCalls}`,
      ]);
    }
    return fields;
  }

  /** `latency_percentiles_usec_get:p50=1.003,p99=1.003,p99.9=1.003` (Redis 7 INFO latencystats). */
  latencyStatsFields(): InfoFields {
    const fields: InfoFields = [];
    for (const record of this.commandRecords()) {
      if (record.histogram.totalCount === 0) continue;
      fields.push([`latency_percentiles_usec_${record.name}`, formatPercentiles(record.histogram, this.settings.latencyTrackingInfoPercentiles)]);
    }
    return fields;
  }

  /** `errorstat_ERR:count=3` (Redis 7 INFO errorstats). */
  errorStatsFields(): InfoFields {
    return [...this.errors.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([code, count]) => [`errorstat_${code}`, `count=${count}`]);
  }

  /** The `# tskv` INFO section: the original design's names, then family latencies. */
  tskvFields(): InfoFields {
    const server = this.sources.server();
    const engine = this.sources.engine();
    const fields: InfoFields = [
      ['connections_open', server.connectionsOpen], ['rx_bytes_total', server.rxBytes], ['tx_bytes_total', server.txBytes],
      ['backpressure_events_total', server.backpressureEvents], ['put_total', this.familyCalls('put')],
      ['get_total', this.familyCalls('get')], ['scan_total', this.familyCalls('scan')], ['errors_total', server.errors],
      ['wal_appends_total', engine.walAppends], ['wal_bytes_total', engine.walBytes], ['fsync_total', engine.fsyncs],
      ['sstable_files', engine.sstableFiles], ['sstable_bytes', engine.sstableBytes], ['bloom_negative_total', engine.bloomNegatives],
      ['memtable_bytes', engine.memtableBytes], ['flushes_total', engine.flushes], ['compactions_total', engine.compactions],
      ['compaction_bytes_read_total', engine.compactionBytesRead], ['compaction_bytes_written_total', engine.compactionBytesWritten],
      ['write_stalls_total', engine.stallCount], ['write_stall_ms_total', engine.stallMs], ['latency_tracking', this.latencyTracking ? 'yes' : 'no'],
    ];
    for (const family of FAMILY_NAMES) {
      const valuesNs = this.familyHistogram(family).percentilesNs(FAMILY_PERCENTILES);
      FAMILY_PERCENTILES.forEach((percentile, index) => {
        fields.push([`${family}_latency_p${percentile}_usec`, ((valuesNs[index] as number) / 1000).toFixed(3)]);
      });
    }
    return fields;
  }

}

function familyOf(fullName: string): CommandFamily | undefined {
  for (const family of FAMILY_NAMES) {
    if ((COMMAND_FAMILIES[family] as readonly string[]).includes(fullName)) return family;
  }
  return undefined;
}

/** `p50=1.003,p99=2.047,p99.9=9.983`: percentiles as `%f` trimmed, values µs with `%.3f`. */
export function formatPercentiles(histogram: LatencyHistogram, percentiles: readonly number[]): string {
  const valuesNs = histogram.percentilesNs(percentiles);
  return percentiles.map((percentile, index) => `p${String(percentile)}=${((valuesNs[index] as number) / 1000).toFixed(3)}`).join(',');
}

/** Parses latency-tracking-info-percentiles ("50 99 99.9"); undefined when invalid (0..100). */
export function parsePercentiles(text: string): number[] | undefined {
  const words = text.split(/\s+/).filter(Boolean);
  const values = words.map(Number);
  if (values.some((value) => !Number.isFinite(value) || value < 0 || value > 100)) return undefined;
  return values;
}
