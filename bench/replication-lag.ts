// bench/replication-lag.ts: how far a replica trails its primary, from the moment a write's reply
// (durable on the primary) reaches the client to the moment a client of the replica reads it:
//   node build.mjs && node --import tsx bench/replication-lag.ts [--seconds S] [--writers W] [--appendfsync always|everysec]
// Starts a primary and a replica (--replicaof) on 127.0.0.1, both with --appendfsync (default
// always). Two phases of S seconds each (default 10): idle (the probe alone) and loaded (W writers,
// default 8, each looping on pipelines of 8 SETs of 100-byte values over 100,000 keys). The probe
// SETs probe=i on the primary, takes the time its OK arrives, then GETs probe on the replica one
// request at a time until it reads i (at most 5 s); lag = seen - acked, 0 when the replica already
// had it, recorded in microseconds in an hdr-histogram-js histogram; then it sleeps 2 ms. The
// resolution is one GET round trip on the replica (printed). Prints p50 / p90 / p99 / max per phase,
// the loaded phase's write rate, and the replica's INFO offsets at the end.
import { build } from 'hdr-histogram-js';
import { Redis } from 'ioredis';
import { startServer, type StartedServer } from '../test/helpers/server.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => (argv.includes(name) ? (argv[argv.indexOf(name) + 1] as string) : fallback);
const SECONDS = Number(option('--seconds', '10'));
const WRITERS = Number(option('--writers', '8'));
const APPENDFSYNC = option('--appendfsync', 'always');
const PIPELINE = 8;
const KEYS = 100_000;
const PROBE_POLL_MS_MAX = 5000;
const VALUE = 'v'.repeat(100);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

function connect(port: number): Redis {
  const redis = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
  redis.on('error', () => undefined);
  return redis;
}

async function info(redis: Redis): Promise<Map<string, string>> {
  const text = await redis.info('replication');
  return new Map(text.split('\r\n').filter((line) => line.includes(':')).map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)] as [string, string]));
}

interface PhaseResult {
  name: string;
  probes: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  pollUs: number;
  writesPerSec: number;
}

async function phase(name: string, primary: StartedServer, replica: StartedServer, writers: number): Promise<PhaseResult> {
  const histogram = build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const probeP = connect(primary.port);
  const probeR = connect(replica.port);
  const loaders = Array.from({ length: writers }, () => connect(primary.port));
  let stop = false;
  let writes = 0;
  const load = loaders.map(async (client) => {
    while (!stop) {
      const pipeline = client.pipeline();
      for (let index = 0; index < PIPELINE; index++) pipeline.set(`key:${Math.floor(Math.random() * KEYS)}`, VALUE);
      await pipeline.exec();
      writes += PIPELINE;
    }
  });
  const startedMs = Date.now();
  let polls = 0;
  let pollTotalUs = 0;
  let probe = 0;
  const tag = `${name}-`;
  while (Date.now() - startedMs < SECONDS * 1000) {
    probe++;
    const expected = `${tag}${probe}`;
    await probeP.set('probe', expected);
    const ackedUs = nowUs();
    let seenUs = 0;
    for (const deadline = Date.now() + PROBE_POLL_MS_MAX; Date.now() < deadline; ) {
      const before = nowUs();
      const value = await probeR.get('probe');
      const after = nowUs();
      polls++;
      pollTotalUs += after - before;
      if (value === expected) {
        seenUs = after;
        break;
      }
    }
    if (seenUs === 0) throw new Error(`probe ${probe} not on the replica after ${PROBE_POLL_MS_MAX} ms`);
    histogram.recordValue(Math.max(1, seenUs - ackedUs));
    await sleep(2);
  }
  const elapsedS = (Date.now() - startedMs) / 1000;
  stop = true;
  await Promise.all(load);
  for (const client of [probeP, probeR, ...loaders]) client.disconnect();
  return {
    name, probes: histogram.totalCount, p50: histogram.getValueAtPercentile(50), p90: histogram.getValueAtPercentile(90),
    p99: histogram.getValueAtPercentile(99), max: histogram.maxValue, pollUs: Math.round(pollTotalUs / Math.max(1, polls)), writesPerSec: Math.round(writes / elapsedS),
  };
}

async function main(): Promise<void> {
  const primary = await startServer({ args: ['--appendfsync', APPENDFSYNC] });
  const replica = await startServer({ args: ['--appendfsync', APPENDFSYNC, '--replicaof', '127.0.0.1', String(primary.port)] });
  try {
    const r = connect(replica.port);
    for (let round = 0; round < 200 && (await info(r)).get('master_link_status') !== 'up'; round++) await sleep(50);
    const results = [await phase('idle', primary, replica, 0), await phase('loaded', primary, replica, WRITERS)];
    const fields = await info(r);
    r.disconnect();
    const ms = (us: number) => (us / 1000).toFixed(2);
    console.log(`replication lag, primary ack -> read on the replica (appendfsync ${APPENDFSYNC}, ${SECONDS} s per phase, node ${process.version})`);
    console.log('| phase | writes/s on the primary | probes | p50 ms | p90 ms | p99 ms | max ms | one replica GET ms |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const result of results) {
      console.log(`| ${result.name}${result.name === 'loaded' ? ` (${WRITERS} writers x ${PIPELINE} pipelined SETs)` : ''} | ${result.writesPerSec} | ${result.probes} | ${ms(result.p50)} | ${ms(result.p90)} | ${ms(result.p99)} | ${ms(result.max)} | ${ms(result.pollUs)} |`);
    }
    console.log(`replica at the end: slave_repl_offset ${fields.get('slave_repl_offset')}, durable ${fields.get('tskv_slave_durable_offset')}, full syncs ${fields.get('tskv_full_syncs')}`);
  } finally {
    await replica.stop();
    await primary.stop();
  }
}

await main();
