// bench/ts-load.ts: the data and the write load of bench/ts.ts (a TSBS-style devops cpu load).
// Data, after timescale/tsbs (pkg/data/usecases/devops/cpu.go, common/distribution.go and
// measurement.go): every host has 10 cpu metrics, each a clamped random walk: start uniform in
// [0, 100), steps normal (mean 0, sd 1), clamped to [0, 100], one sample every 10 s from
// 2016-01-01T00:00:00Z (TSBS's default start), sent as integers (TSBS's CPUMeasurement.ToPoint
// calls ToPointAllInt64, which truncates). TSBS draws from Go's math/rand; here a seeded mulberry32
// with Box-Muller normals, so the walk has TSBS's shape but not its exact numbers. Host i lives in
// one of TSBS's 9 regions (seeded choice). Series key `cpu:host_<i>:<metric>`, labels hostname,
// region, metric.
// Load: --clients connections, each owning the hosts h with h % clients == its index. A client
// walks the ticks in order and sends, per tick and host, one command per host row: tskv gets
// TS.MADD with the row's samples; Redis gets one ZADD per sample (`ZADD key ts "ts:value"`, the
// way Redis users keep a series in a sorted set). Commands are pipelined in batches of about
// batchSamples samples, one batch in flight per client; replies are counted by lines (a MADD of n
// samples answers 1 + n lines, a ZADD 1) and any line starting with '-' is an error.
// Late samples: with latePercent > 0, that share of samples (seeded choice) is held back and sent
// 6 to 30 ticks (1 to 5 minutes) later, after the on-time samples of the row it rides with; a
// sample due past the last tick goes with the last tick's row.
import net from 'node:net';

export const CPU_METRICS = [
  'usage_user', 'usage_system', 'usage_idle', 'usage_nice', 'usage_iowait',
  'usage_irq', 'usage_softirq', 'usage_steal', 'usage_guest', 'usage_guest_nice',
] as const;
export const REGIONS = ['us-east-1', 'us-west-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1', 'sa-east-1'] as const;
export const INTERVAL_MS = 10_000;
export const START_MS = Date.UTC(2016, 0, 1);
const LATE_TICKS_MIN = 6;
const LATE_TICKS_MAX = 30;
const BATCH_WAIT_MS_MAX = 120_000; // one batch's replies; past this the load fails

/** mulberry32: a small seeded generator, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Dataset {
  hosts: number;
  seriesCount: number; // hosts * 10; series s is host floor(s / 10), metric s % 10
  ticks: number;
  values: Uint8Array; // values[tick * seriesCount + s], integers 0..100
  keys: string[];
  regions: string[]; // per host
}

export function seriesKey(host: number, metric: number): string {
  return `cpu:host_${host}:${CPU_METRICS[metric]}`;
}

export function timestampOf(tick: number): number {
  return START_MS + tick * INTERVAL_MS;
}

export function makeDataset(seriesCount: number, days: number, seed: number): Dataset {
  if (seriesCount <= 0 || seriesCount % CPU_METRICS.length !== 0) throw new Error(`--series must be a positive multiple of ${CPU_METRICS.length}, got ${seriesCount}`);
  const hosts = seriesCount / CPU_METRICS.length;
  const ticks = Math.max(1, Math.round((days * 86_400_000) / INTERVAL_MS));
  const random = seededRandom(seed);
  const regions = Array.from({ length: hosts }, () => REGIONS[Math.floor(random() * REGIONS.length)]!);
  const keys = Array.from({ length: seriesCount }, (_, s) => seriesKey(Math.floor(s / CPU_METRICS.length), s % CPU_METRICS.length));
  const walk = Float64Array.from({ length: seriesCount }, () => random() * 100);
  const values = new Uint8Array(ticks * seriesCount);
  for (let tick = 0; tick < ticks; tick++) {
    const row = tick * seriesCount;
    for (let s = 0; s < seriesCount; s++) {
      const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      const next = Math.min(100, Math.max(0, walk[s]! + normal));
      walk[s] = next;
      values[row + s] = Math.trunc(next);
    }
  }
  return { hosts, seriesCount, ticks, values, keys, regions };
}

export type LoadTarget = 'tskv' | 'redis';

export interface LoadOptions {
  port: number;
  target: LoadTarget;
  clients: number;
  batchSamples: number;
  latePercent: number;
  seed: number;
  /** Called after every acknowledged batch with the samples acknowledged so far. */
  onProgress?: (samplesAcked: number) => void;
}

export interface LoadResult {
  samples: number;
  lateSamples: number;
  seconds: number;
  commands: number;
}

function bulk(text: string): string {
  return `$${text.length}\r\n${text}\r\n`;
}

/** One connection that writes a batch and resolves once the expected reply lines have come. */
class CountingConnection {
  private readonly socket: net.Socket;
  private linesDue = 0;
  private atLineStart = true;
  private errorText: string | undefined;
  private capturing = false;
  private wake: (() => void) | undefined;
  private failure: Error | undefined;

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (error) => {
      this.failure = error;
      this.wake?.();
    });
  }

  async ready(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.socket.once('connect', resolve).once('error', reject));
  }

  private onData(chunk: Buffer): void {
    let from = 0;
    if (this.capturing || (this.atLineStart && chunk[0] === 45 /* - */)) this.captureError(chunk, 0);
    for (let at = chunk.indexOf(10, from); at >= 0; at = chunk.indexOf(10, from)) {
      this.linesDue--;
      from = at + 1;
      if (from < chunk.length && chunk[from] === 45) this.captureError(chunk, from);
    }
    this.atLineStart = from === chunk.length;
    if (this.linesDue <= 0) this.wake?.();
  }

  private captureError(chunk: Buffer, from: number): void {
    if (this.errorText !== undefined && !this.capturing) return;
    const end = chunk.indexOf(13, from);
    this.errorText = (this.errorText ?? '') + chunk.toString('latin1', from, end < 0 ? chunk.length : end);
    this.capturing = end < 0;
  }

  async send(payload: string, lines: number): Promise<void> {
    this.linesDue += lines;
    const replied = new Promise<void>((resolve) => (this.wake = resolve));
    this.socket.write(payload, 'latin1');
    const timer = setTimeout(() => {
      this.failure ??= new Error(`no reply to a batch within ${BATCH_WAIT_MS_MAX} ms`);
      this.wake?.();
    }, BATCH_WAIT_MS_MAX);
    await replied;
    clearTimeout(timer);
    if (this.failure !== undefined) throw this.failure;
    if (this.errorText !== undefined) throw new Error(`error reply during the load: ${this.errorText}`);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The commands of one client, built batch by batch. */
class RowWriter {
  private readonly lateQueue = new Map<number, number[]>(); // due tick * hosts + host -> [series, tick, ...]
  private readonly random: () => number;
  private readonly keyBulks: string[];
  private readonly valueBulks: string[];
  lateSamples = 0;

  constructor(private readonly data: Dataset, private readonly options: LoadOptions, clientIndex: number) {
    this.random = seededRandom(options.seed * 7919 + clientIndex + 1);
    this.keyBulks = data.keys.map(bulk);
    this.valueBulks = Array.from({ length: 101 }, (_, value) => bulk(String(value)));
  }

  /** Appends host's row at tick to parts; returns [samples, reply lines, commands]. */
  row(parts: string[], host: number, tick: number): [number, number, number] {
    const { data, options } = this;
    const lateShare = options.latePercent / 100;
    const ts = String(timestampOf(tick));
    const tsBulk = bulk(ts);
    const samples: number[] = []; // series, tick pairs
    for (let metric = 0; metric < CPU_METRICS.length; metric++) {
      const s = host * CPU_METRICS.length + metric;
      if (lateShare > 0 && tick < data.ticks - 1 && this.random() < lateShare) {
        const due = Math.min(data.ticks - 1, tick + LATE_TICKS_MIN + Math.floor(this.random() * (LATE_TICKS_MAX - LATE_TICKS_MIN + 1)));
        const slot = due * data.hosts + host;
        const queued = this.lateQueue.get(slot);
        if (queued === undefined) this.lateQueue.set(slot, [s, tick]);
        else queued.push(s, tick);
        continue;
      }
      samples.push(s, tick);
    }
    const late = this.lateQueue.get(tick * data.hosts + host);
    if (late !== undefined) {
      this.lateQueue.delete(tick * data.hosts + host);
      this.lateSamples += late.length / 2;
      samples.push(...late);
    }
    const count = samples.length / 2;
    if (count === 0) return [0, 0, 0];
    if (options.target === 'tskv') {
      parts.push(`*${1 + 3 * count}\r\n$7\r\nTS.MADD\r\n`);
      for (let index = 0; index < samples.length; index += 2) {
        const s = samples[index]!;
        const sampleTick = samples[index + 1]!;
        parts.push(this.keyBulks[s]!, sampleTick === tick ? tsBulk : bulk(String(timestampOf(sampleTick))), this.valueBulks[data.values[sampleTick * data.seriesCount + s]!]!);
      }
      return [count, 1 + count, 1];
    }
    for (let index = 0; index < samples.length; index += 2) {
      const s = samples[index]!;
      const sampleTick = samples[index + 1]!;
      const sampleTs = sampleTick === tick ? ts : String(timestampOf(sampleTick));
      parts.push('*4\r\n$4\r\nZADD\r\n', this.keyBulks[s]!, sampleTick === tick ? tsBulk : bulk(sampleTs), bulk(`${sampleTs}:${data.values[sampleTick * data.seriesCount + s]!}`));
    }
    return [count, count, count];
  }
}

/** Writes every sample of the dataset to one server; resolves with the rate it was acknowledged at. */
export async function runLoad(data: Dataset, options: LoadOptions): Promise<LoadResult> {
  const clients = Math.max(1, Math.min(options.clients, data.hosts));
  const connections = Array.from({ length: clients }, () => new CountingConnection(options.port));
  await Promise.all(connections.map((connection) => connection.ready()));
  let acked = 0;
  let commands = 0;
  const writers = connections.map((_, index) => new RowWriter(data, options, index));
  const started = process.hrtime.bigint();
  try {
    await Promise.all(connections.map(async (connection, clientIndex) => {
      const writer = writers[clientIndex]!;
      let parts: string[] = [];
      let samples = 0;
      let lines = 0;
      const flush = async () => {
        await connection.send(parts.join(''), lines);
        acked += samples;
        options.onProgress?.(acked);
        parts = [];
        samples = 0;
        lines = 0;
      };
      for (let tick = 0; tick < data.ticks; tick++) {
        for (let host = clientIndex; host < data.hosts; host += clients) {
          const [rowSamples, rowLines, rowCommands] = writer.row(parts, host, tick);
          samples += rowSamples;
          lines += rowLines;
          commands += rowCommands;
          if (samples >= options.batchSamples) await flush();
        }
      }
      if (samples > 0) await flush();
    }));
  } finally {
    for (const connection of connections) connection.close();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const lateSamples = writers.reduce((sum, writer) => sum + writer.lateSamples, 0);
  return { samples: acked, lateSamples, seconds, commands };
}
