// bench/series-memory.ts: RSS as the number of time series grows (issue 16: "resident state per
// series is small and bounded; 1M series must fit in the default memory"), tskv against
// redis-server in one run.
// `node --import tsx bench/series-memory.ts [--series 1000000] [--checkpoints 5] [--bundle B]...
//   [--tskv-arg A]...` (--bundle repeatable; default dist/tskv.js)
// tskv (default config: appendfsync always, no maxmemory, as `npm start` runs it) gets one
// `TS.ADD s:<i> 1700000000000 <v> LABELS hostname host_<i % 10000> metric m<i / 10000> region
// r<i % 7>` per series, which creates it with three labels and one sample; redis-server (no
// persistence) one `ZADD s:<i> 1700000000000 1700000000000:<v>`, the sorted set per series Redis
// users keep without the module (bench/ts.ts). One connection, PIPELINE_WINDOW commands in flight.
// At each checkpoint it prints series/s over the last stretch and RSS (/proc/PID/status VmRSS);
// at the end, for tskv, INFO memory's parts. Not part of CI: 1M series take minutes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
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
const SERIES = Number(option('--series', '1000000'));
const CHECKPOINTS = Math.max(1, Number(option('--checkpoints', '5')));
const BUNDLES = argv.includes('--bundle') ? options('--bundle') : [SERVER_BUNDLE];
const TSKV_ARGS = options('--tskv-arg');
const PIPELINE_WINDOW = 2_000; // commands in flight on the one connection
const COMMANDS_PER_WRITE = 100;
const LOAD_TIMEOUT_MS = 1_800_000; // the whole load of one server
const TIMESTAMP = 1_700_000_000_000;
const TSKV_PARTS = ['used_memory', 'tskv_memtable_arena_bytes', 'tskv_memtable_index_bytes', 'tskv_cache_bytes', 'tskv_table_index_filter_bytes', 'tskv_js_heap_used', 'tskv_js_heap_total', 'tskv_external_other_bytes', 'tskv_rss_unaccounted_bytes'];

function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? 0 : Number(match[1]) * 1024;
}

function command(args: string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

function seriesCommand(kind: 'tskv' | 'redis', index: number): string {
  const value = String(index % 97);
  if (kind === 'redis') return command(['ZADD', `s:${index}`, String(TIMESTAMP), `${TIMESTAMP}:${value}`]);
  return command(['TS.ADD', `s:${index}`, String(TIMESTAMP), value, 'LABELS', 'hostname', `host_${index % 10_000}`, 'metric', `m${Math.floor(index / 10_000)}`, 'region', `r${index % 7}`]);
}

/**
 * Sends commands [from, to) on one connection, at most PIPELINE_WINDOW unanswered; fails on an
 * error reply. Every reply of these commands is one line (`:n`), so lines count replies.
 */
async function load(port: number, kind: 'tskv' | 'redis', from: number, to: number): Promise<void> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let unanswered = 0;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    for (let offset = chunk.indexOf(10); offset >= 0; offset = chunk.indexOf(10, offset + 1)) unanswered--;
    if (chunk[0] === 0x2d /* - */ || chunk.includes('\r\n-')) failure ??= new Error(`error reply: ${chunk.toString('latin1', 0, 200)}`);
    if (wake !== undefined && (unanswered < PIPELINE_WINDOW / 2 || failure !== undefined)) {
      const resolve = wake;
      wake = undefined;
      resolve();
    }
  });
  socket.on('error', (error) => (failure ??= error));
  const deadline = Date.now() + LOAD_TIMEOUT_MS;
  try {
    for (let start = from; start < to; start += COMMANDS_PER_WRITE) {
      let out = '';
      for (let index = start; index < Math.min(to, start + COMMANDS_PER_WRITE); index++) out += seriesCommand(kind, index);
      unanswered += Math.min(to, start + COMMANDS_PER_WRITE) - start;
      socket.write(out);
      if (unanswered > PIPELINE_WINDOW) await new Promise<void>((resolve) => (wake = resolve));
      if (failure !== undefined) throw failure;
      if (Date.now() > deadline) throw new Error('load timed out');
    }
    for (let round = 0; unanswered > 0 && failure === undefined && Date.now() < deadline; round++) await new Promise((resolve) => setTimeout(resolve, 10));
    if (failure !== undefined) throw failure;
  } finally {
    socket.destroy();
  }
}



const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

async function run(name: string, bundle: string | undefined): Promise<void> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), `bench-series-${name}-`));
  const child = bundle !== undefined
    ? spawn(process.execPath, ['--max-semi-space-size=4', bundle, '--port', String(port), '--dir', dir, ...TSKV_ARGS], { stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, MALLOC_MMAP_THRESHOLD_: '65536' } })
    : spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'ignore', 'ignore'] });
  try {
    await waitForPing(port, child);
    const kind = bundle === undefined ? 'redis' : 'tskv';
    const startRss = rssOf(child.pid!);
    const line: string[] = [`rss_mib@0=${mib(startRss)}`];
    for (let checkpoint = 1; checkpoint <= CHECKPOINTS; checkpoint++) {
      const from = Math.floor((SERIES * (checkpoint - 1)) / CHECKPOINTS);
      const to = Math.floor((SERIES * checkpoint) / CHECKPOINTS);
      const started = performance.now();
      await load(port, kind, from, to);
      const seconds = (performance.now() - started) / 1000;
      const rss = rssOf(child.pid!);
      line.push(`@${to}: ${Math.round((to - from) / seconds)}/s rss_mib=${mib(rss)} (${Math.round((rss - startRss) / to)} B/series)`);
    }
    console.log(`  ${name.padEnd(6)} ${line.join('  ')}`);
    if (kind === 'tskv') {
      const fields = infoFields(await rawRequest(port, '*2\r\n$4\r\nINFO\r\n$6\r\nmemory\r\n'));
      console.log(`         ${TSKV_PARTS.filter((part) => fields[part] !== undefined).map((part) => `${part.replace(/^tskv_/, '')}=${mib(fields[part]!)}`).join(' ')}`);
    }
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`bench:series-memory: ${SERIES} series, ${CHECKPOINTS} checkpoints; tskv ${TSKV_ARGS.join(' ') || '(defaults)'}`);
await run('redis', undefined);
for (const [index, bundle] of BUNDLES.entries()) {
  console.log(`  tskv${index + 1} = ${bundle}`);
  await run(`tskv${index + 1}`, bundle);
}
