// bench/memory.ts: RSS after the same load on tskv and redis-server, in one run.
// `npm run bench:memory [-- --requests 1000000] [--repeats 3] [--tskv-arg --maxmemory --tskv-arg 200mb]
//   [--bundle /path/to/tskv.js]... [--settle-ms 3000]` (--bundle repeatable: each repeat measures
//   every bundle in turn)
// For each repeat: starts redis-server (--save '' --appendonly no) and tskv (--appendfsync no),
// one after the other on free ports, runs `redis-benchmark -t set -n N -r N -d 100 -P 16 -c 50`
// against each, waits SETTLE_MS, then reads RSS (/proc/PID/status VmRSS), DBSIZE and, for tskv,
// INFO memory's parts (where its RSS is: memtable arena and index, block cache, table indexes and
// filters, JS heap, other buffers, the node executable's pages, unaccounted). Prints one line per server per repeat and the
// median RSS ratio tskv / Redis. tskv runs with MALLOC_MMAP_THRESHOLD_=65536 and node
// --max-semi-space-size=4, as `npm start` and the Docker image run it; --env K=V (repeatable) sets
// more (or K= to unset), --node-arg A (repeatable) replaces the node flags. Not part of CI: each
// repeat takes a minute or so on this machine.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, rawRequest, SERVER_BUNDLE } from '../test/helpers/server.js';
import { infoFields, waitForPing } from './server-wait.js';

const argv = process.argv.slice(2);
function option(name: string, fallback: string): string {
  const index = argv.indexOf(name);
  return index >= 0 ? (argv[index + 1] ?? fallback) : fallback;
}
function options(name: string): string[] {
  return argv.flatMap((arg, index) => (arg === name && argv[index + 1] !== undefined ? [argv[index + 1] as string] : []));
}
const REQUESTS = Number(option('--requests', '1000000'));
const REPEATS = Number(option('--repeats', '3'));
const TSKV_ARGS = options('--tskv-arg');
const BUNDLES = argv.includes('--bundle') ? options('--bundle') : [SERVER_BUNDLE];
const NODE_ARGS = argv.includes('--node-arg') ? options('--node-arg') : ['--max-semi-space-size=4'];
const TSKV_ENV: Record<string, string> = { MALLOC_MMAP_THRESHOLD_: '65536' };
Object.assign(TSKV_ENV, Object.fromEntries(options('--env').map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)])));
for (const [key, value] of Object.entries(TSKV_ENV)) if (value === '') delete TSKV_ENV[key];
const SETTLE_MS = Number(option('--settle-ms', '3000'));
const LOAD_TIMEOUT_MS = 600_000;
const TSKV_PARTS = [
  'tskv_memtable_arena_bytes', 'tskv_memtable_index_bytes', 'tskv_cache_bytes', 'tskv_table_index_filter_bytes', 'tskv_js_heap_total', 'tskv_js_heap_resident',
  'tskv_external_other_bytes', 'tskv_rss_executable_bytes', 'tskv_rss_unaccounted_bytes',
];

interface Result { name: string; rssBytes: number; keys: number; parts: Record<string, number> }

function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? 0 : Number(match[1]) * 1024;
}

/** The last bytes a server wrote to stderr, shown when it fails to start (a bundle without node_modules beside it). */
const STDERR_TAIL_BYTES = 2048;

function stderrTail(child: ChildProcess): () => string {
  let tail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
  });
  return () => tail.trim();
}



async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function measure(name: string, bundle?: string): Promise<Result> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), `bench-memory-${name}-`));
  const child = bundle !== undefined
    ? spawn(process.execPath, [...NODE_ARGS, bundle, '--port', String(port), '--dir', dir, '--appendfsync', 'no', ...TSKV_ARGS], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...TSKV_ENV } })
    : spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr = stderrTail(child);
  try {
    await waitForPing(port, child, stderr);
    execFileSync('redis-benchmark', ['-p', String(port), '-t', 'set', '-n', String(REQUESTS), '-r', String(REQUESTS), '-d', '100', '-P', '16', '-c', '50', '-q', '--csv'], {
      timeout: LOAD_TIMEOUT_MS, stdio: ['ignore', 'ignore', 'ignore'],
    });
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const rssBytes = rssOf(child.pid!);
    const keys = Number(/:(\d+)/.exec(await rawRequest(port, '*1\r\n$6\r\nDBSIZE\r\n'))?.[1] ?? 0);
    const parts = bundle !== undefined ? infoFields(await rawRequest(port, '*2\r\n$4\r\nINFO\r\n$6\r\nmemory\r\n')) : {};
    return { name, rssBytes, keys, parts };
  } finally {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  console.log(`bench:memory: redis-benchmark -t set -n ${REQUESTS} -r ${REQUESTS} -d 100 -P 16 -c 50; tskv ${['--appendfsync no', ...TSKV_ARGS].join(' ')} ${JSON.stringify(TSKV_ENV)} node ${NODE_ARGS.join(' ')}`);
  const names = BUNDLES.map((bundle, index) => (BUNDLES.length === 1 ? 'tskv' : `tskv${index + 1}`));
  BUNDLES.forEach((bundle, index) => console.log(`  ${names[index]} = ${bundle}`));
  const ratios: Record<string, number[]> = {};
  const rss: Record<string, number[]> = { redis: [] };
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    const redis = await measure('redis');
    const results = [redis];
    for (const [index, bundle] of BUNDLES.entries()) results.push(await measure(names[index]!, bundle));
    for (const result of results) {
      (rss[result.name] ??= []).push(result.rssBytes);
      if (result !== redis) (ratios[result.name] ??= []).push(result.rssBytes / redis.rssBytes);
      const parts = TSKV_PARTS.filter((part) => result.parts[part] !== undefined).map((part) => `${part.replace(/^tskv_/, '')}=${mib(result.parts[part]!)}`);
      const gcRuns = result.parts['tskv_idle_gc_runs'] === undefined ? '' : ` idle_gc_runs=${result.parts['tskv_idle_gc_runs']}`;
      console.log(`  ${result.name.padEnd(5)} keys=${result.keys} rss_mib=${mib(result.rssBytes)}${parts.length > 0 ? ' ' + parts.join(' ') : ''}${gcRuns}`);
    }
  }
  for (const name of names) {
    const runs = ratios[name]!;
    console.log(`median rss_mib ${name}=${mib(median(rss[name]!))} redis=${mib(median(rss.redis!))} ratio=${median(runs).toFixed(2)} (runs: ${runs.map((ratio) => ratio.toFixed(2)).join(' ')})`);
  }
}

await main();
