// bench/compaction-server.ts: GET latency through the server while a compaction runs, against the
// same GETs when none runs (issue: p99 during compaction at most 2x p99 without).
// Fills tskv (--appendfsync no) with --keys random keys via redis-benchmark SET (-d 100), waits for
// background compaction to settle, then per round: a quiet GET run, and a GET run started right
// after DEBUG COMPACT (a full compaction of every table, checked to be running during the run via
// INFO tskv compactions_total). Prints each round and the medians. Loopback only; the server is
// stopped by PID; every loop is bounded in count and seconds.
//   node --import tsx bench/compaction-server.ts --keys 2000000 --rounds 3
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const ARGS = new Map<string, string>();
for (let index = 2; index + 1 < process.argv.length; index += 2) ARGS.set(process.argv[index]!.replace(/^--/, ''), process.argv[index + 1]!);
const KEYS = Number(ARGS.get('keys') ?? 2_000_000);
const ROUNDS = Number(ARGS.get('rounds') ?? 3);
const GETS = Number(ARGS.get('gets') ?? 100_000);
const WAIT_POLLS_MAX = 1_200; // x 100 ms

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

function cli(port: number, ...args: string[]): string {
  return execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
}

function tskvField(port: number, name: string): number {
  const line = cli(port, 'info', 'tskv').split('\n').find((text) => text.startsWith(`${name}:`));
  return Number(line?.split(':')[1] ?? NaN);
}

/** redis-benchmark --csv: "test","rps","avg","min","p50","p95","p99","max". */
function benchmark(port: number, test: string, count: number, extra: string[] = []): { rps: number; p50: number; p99: number } {
  const out = execFileSync('redis-benchmark', ['-p', String(port), '-t', test, '-n', String(count), '-r', String(KEYS), '-d', '100', '-c', '50', '--csv', ...extra], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const row = out.trim().split('\n').at(-1)!.split(',').map((cell) => cell.replace(/"/g, ''));
  return { rps: Number(row[1]), p50: Number(row[4]), p99: Number(row[6]) };
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitQuiet(port: number): Promise<void> {
  let last = -1;
  for (let poll = 0; poll < WAIT_POLLS_MAX; poll++) {
    const done = tskvField(port, 'compactions_total');
    if (done === last) return;
    last = done;
    await sleep(1_000);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tskv-compaction-server-'));
  const server: ChildProcess = spawn(process.execPath, ['dist/tskv.js', '--port', String(port), '--dir', dir, '--appendfsync', 'no', '--loglevel', 'warning'], { stdio: 'ignore' });
  try {
    for (let poll = 0; poll < 100; poll++) {
      try {
        if (cli(port, 'ping') === 'PONG') break;
      } catch {
        await sleep(100);
      }
    }
    const fillStarted = Date.now();
    benchmark(port, 'set', KEYS, ['-P', '16']);
    console.log(`filled ${KEYS} SETs (-r ${KEYS}) in ${((Date.now() - fillStarted) / 1000).toFixed(1)} s; dbsize ${cli(port, 'dbsize')}`);
    await waitQuiet(port);
    const quiet: number[] = [];
    const during: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const calm = benchmark(port, 'get', GETS);
      quiet.push(calm.p99);
      const before = tskvField(port, 'compactions_total');
      cli(port, 'debug', 'compact');
      const busy = benchmark(port, 'get', GETS);
      const runningAtEnd = tskvField(port, 'compactions_total') === before;
      during.push(busy.p99);
      console.log(
        `round ${round + 1}: quiet GET ${calm.rps.toFixed(0)} req/s p50 ${calm.p50} p99 ${calm.p99} ms | during DEBUG COMPACT ${busy.rps.toFixed(0)} req/s p50 ${busy.p50} p99 ${busy.p99} ms (compaction still running at the end: ${runningAtEnd})`,
      );
      await waitQuiet(port);
    }
    const ratio = median(during) / median(quiet);
    console.log(`median GET p99: quiet ${median(quiet)} ms, during compaction ${median(during)} ms, ratio ${ratio.toFixed(2)} (goal <= 2)`);
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
