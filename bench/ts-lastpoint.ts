// bench/ts-lastpoint.ts: TSBS's lastpoint alone (TS.MGET SELECTED_LABELS hostname metric FILTER
// metric=(all 10) hostname!=) on a server of its own: --hosts x 10 series with bench/ts.ts's labels,
// 50 samples each, then --queries TS.MGETs one after the other. Prints the server's CPU per TS.MGET
// (utime + stime from /proc, the number this bench is for) and the client's wall time per reply.
//   node --import tsx bench/ts-lastpoint.ts [--bundle dist/tskv.js] [--hosts 20] [--queries 300]
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort, SERVER_BUNDLE } from '../test/helpers/server.js';
import { CPU_METRICS } from './ts-load.js';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const BUNDLE = path.resolve(option('--bundle') ?? SERVER_BUNDLE);
const HOSTS = Number(option('--hosts') ?? 20);
const QUERIES = Number(option('--queries') ?? 300);
const TICKS = 50;
const CLOCK_TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}

const port = await freePort();
const dir = mkdtempSync(path.join(os.tmpdir(), 'tskv-bench-lastpoint-'));
const server = spawn(process.execPath, [BUNDLE, '--port', String(port), '--dir', dir, '--appendfsync', 'always', '--loglevel', 'warning'], { stdio: 'ignore' });
/** A client once the server answers (it takes a moment to open its data dir). */
async function connected(): Promise<Redis> {
  for (let attempt = 0; ; attempt++) {
    const candidate = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    candidate.on('error', () => undefined);
    try {
      await candidate.connect();
      return candidate;
    } catch (error) {
      candidate.disconnect();
      if (attempt >= 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
const client = await connected();
try {
  for (let host = 0; host < HOSTS; host++) {
    for (const metric of CPU_METRICS) await client.call('TS.CREATE', `cpu:host_${host}:${metric}`, 'LABELS', 'hostname', `host_${host}`, 'region', 'r', 'metric', metric);
  }
  for (let tick = 0; tick < TICKS; tick++) {
    const pipeline = client.pipeline();
    for (let host = 0; host < HOSTS; host++) pipeline.call('TS.MADD', ...CPU_METRICS.flatMap((metric) => [`cpu:host_${host}:${metric}`, String(1_451_606_400_000 + tick * 10_000), String(tick)]));
    await pipeline.exec();
  }
  const filter = `metric=(${CPU_METRICS.join(',')})`;
  const cpuBefore = cpuMs(server.pid!);
  const started = process.hrtime.bigint();
  for (let query = 0; query < QUERIES; query++) await client.call('TS.MGET', 'SELECTED_LABELS', 'hostname', 'metric', 'FILTER', filter, 'hostname!=');
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(`${path.basename(BUNDLE)}: ${HOSTS * CPU_METRICS.length} series, ${QUERIES} TS.MGET: server CPU ${((cpuMs(server.pid!) - cpuBefore) / QUERIES).toFixed(2)} ms per TS.MGET, client ${(wallMs / QUERIES).toFixed(2)} ms per reply; load average ${os.loadavg().map((load) => load.toFixed(1)).join(' ')}`);
} finally {
  client.disconnect();
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
}
