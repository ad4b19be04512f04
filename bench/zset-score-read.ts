// bench/zset-score-read.ts: issue 17's sorted set reads, A/B between server bundles, by server CPU:
//   node build.mjs && node --import tsx bench/zset-score-read.ts --bundle /tmp/base/dist/tskv.js \
//     --bundle dist/tskv.js [--members N] [--requests N] [--repeats R] [--cpu-prof DIR]
// Each bundle (default dist/tskv.js) gets a fresh server (--appendfsync no) loaded with one zset
// of N members (default 1,000,000; m<i> at pseudo-random integer scores 0 .. 999,999, the same on
// every server, by ZADDs of 1000, 16 in flight), then waits until INFO says no compaction runs
// (tskv_compaction_in_progress:0 on 3 polls in a row, at most SETTLE_POLLS_MAX a second apart),
// and prints its table count and memtable bytes then.
// Then, R rounds (default 3), the bundles alternating within each round: redis-benchmark -c 50
// -P 16 -n <requests> (default 100,000) of `ZRANGEBYSCORE z __rand_int__ +inf LIMIT 0 10`
// (-r 1000000) and of `ZRANGE z 0 9`, each server's CPU µs per request taken from
// /proc/<pid>/stat (utime + stime) around the run. Prints the medians. Servers are stopped by
// PID (SIGTERM, then SIGKILL after 30 s); `--cpu-prof DIR` writes their profiles at that exit.
// `--as-shipped` runs each server as `npm start` and the Docker image do (node
// --max-semi-space-size=4, MALLOC_MMAP_THRESHOLD_=65536, as bench/server.ts --as-shipped).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, rawRequest, SERVER_BUNDLE } from '../test/helpers/server.js';
import { RawClient, formatReply } from '../test/helpers/raw-client.js';

interface Server { name: string; port: number; process: ChildProcess; dir: string }

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : fallback);
const MEMBERS = option('--members', 1_000_000);
const REQUESTS = option('--requests', 100_000);
const REPEATS = option('--repeats', 3);
const cpuProfDir = argv.includes('--cpu-prof') ? argv[argv.indexOf('--cpu-prof') + 1] : undefined;
const AS_SHIPPED = argv.includes('--as-shipped');
const SHIPPED_NODE_ARGS = ['--max-semi-space-size=4']; // package.json's start script, the Dockerfile's ENTRYPOINT
const SHIPPED_ENV = { MALLOC_MMAP_THRESHOLD_: '65536' }; // and their environment
const bundles = argv.flatMap((arg, index) => (arg === '--bundle' && argv[index + 1] !== undefined ? [path.resolve(argv[index + 1]!)] : []));
const SCORES = 1_000_000;
const BATCH = 1000;
const IN_FLIGHT = 16;
const SETTLE_POLLS_MAX = 600; // one a second
const PING_WAIT_MS = 60_000;
const CLOCK_TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

const QUERIES = [
  { name: 'ZRANGEBYSCORE <rand> +inf LIMIT 0 10', args: ['ZRANGEBYSCORE', 'z', '__rand_int__', '+inf', 'LIMIT', '0', '10'] },
  { name: 'ZRANGE 0 9', args: ['ZRANGE', 'z', '0', '9'] },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function start(bundle: string): Promise<Server> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tskv-zread-'));
  const profile = cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', cpuProfDir];
  const shipped = AS_SHIPPED ? SHIPPED_NODE_ARGS : [];
  const child = spawn(process.execPath, [...shipped, ...profile, bundle, '--port', String(port), '--dir', dir, '--appendfsync', 'no', '--loglevel', 'warning'],
    { stdio: 'ignore', env: AS_SHIPPED ? { ...process.env, ...SHIPPED_ENV } : process.env });
  const server = { name: path.relative(process.cwd(), bundle), port, process: child, dir };
  const deadline = Date.now() + PING_WAIT_MS;
  while (!(await rawRequest(port, 'PING\r\n', 500).catch(() => '')).startsWith('+PONG')) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop(server);
      throw new Error(`no PONG from ${bundle}`);
    }
    await sleep(50);
  }
  return server;
}

async function stop(server: Server): Promise<void> {
  const exited = server.process.exitCode !== null ? Promise.resolve() : new Promise((resolve) => server.process.once('exit', resolve));
  server.process.kill('SIGTERM');
  const timer = setTimeout(() => server.process.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
  rmSync(server.dir, { recursive: true, force: true });
}

async function load(port: number): Promise<void> {
  const client = await RawClient.connect(port);
  let seed = 12345;
  const nextScore = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % SCORES;
  };
  try {
    for (let start = 0; start < MEMBERS; start += BATCH * IN_FLIGHT) {
      const commands: string[][] = [];
      for (let first = start; first < Math.min(MEMBERS, start + BATCH * IN_FLIGHT); first += BATCH) {
        const args = ['ZADD', 'z'];
        for (let index = first; index < Math.min(MEMBERS, first + BATCH); index++) args.push(String(nextScore()), `m${index}`);
        commands.push(args);
      }
      for (const reply of await client.pipeline(commands)) if (reply.type === 'error') throw new Error(`load failed: ${formatReply(reply)}`);
    }
    const count = formatReply(await client.send(['ZCARD', 'z']));
    if (count !== `:${MEMBERS}`) throw new Error(`ZCARD says ${count}`);
  } finally {
    client.close();
  }
}

async function settle(port: number): Promise<void> {
  let quiet = 0;
  for (let poll = 0; poll < SETTLE_POLLS_MAX && quiet < 3; poll++) {
    await sleep(1_000);
    const info = await rawRequest(port, 'INFO persistence\r\n', 5_000);
    quiet = /tskv_compaction_in_progress:0\b/.test(info) ? quiet + 1 : 0;
  }
}

function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from #3 (state) on
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_S; // #14 utime, #15 stime
}

/** One redis-benchmark run: requests per second and the server's CPU µs per request. */
function run(server: Server, args: readonly string[]): { rps: number; cpuUs: number } {
  const before = cpuMicros(server.process.pid!);
  const csv = execFileSync('redis-benchmark', ['-p', String(server.port), '-r', String(SCORES), '-c', '50', '-P', '16', '-n', String(REQUESTS), '--csv', ...args],
    { encoding: 'utf8', maxBuffer: 1 << 24 });
  const cpuUs = (cpuMicros(server.process.pid!) - before) / REQUESTS;
  const row = csv.trim().split('\n').find((line) => !line.startsWith('"test"'));
  if (!row) throw new Error(`no result from redis-benchmark on ${server.name}:\n${csv}`);
  return { rps: Number(row.split(',')[1]!.replace(/"/g, '')), cpuUs };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const servers: Server[] = [];
  try {
    for (const bundle of bundles.length > 0 ? bundles : [SERVER_BUNDLE]) {
      const server = await start(bundle);
      servers.push(server);
      const started = Date.now();
      await load(server.port);
      await settle(server.port);
      const info = await rawRequest(server.port, 'INFO all\r\n', 5_000);
      const field = (name: string) => new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? '?';
      console.log(`${server.name}: ${MEMBERS} members loaded and settled in ${((Date.now() - started) / 1000).toFixed(1)} s;`
        + ` ${field('tskv_sstable_files')} tables, memtable ${field('tskv_memtable_bytes')} bytes`);
    }
    const samples = new Map<string, { rps: number[]; cpuUs: number[] }>();
    for (let round = 0; round < REPEATS; round++) {
      for (const query of QUERIES) {
        for (const server of servers) {
          const sample = run(server, query.args);
          const key = `${query.name}\t${server.name}`;
          const list = samples.get(key) ?? { rps: [], cpuUs: [] };
          list.rps.push(sample.rps);
          list.cpuUs.push(sample.cpuUs);
          samples.set(key, list);
        }
      }
    }
    if (AS_SHIPPED) console.log(`servers as shipped: node ${SHIPPED_NODE_ARGS.join(' ')}, ${JSON.stringify(SHIPPED_ENV)}`);
    console.log(`\n| query | server | requests/s | server CPU µs/req | (runs: µs) |\n| --- | --- | ---: | ---: | --- |`);
    for (const [key, list] of samples) {
      const [query, server] = key.split('\t');
      console.log(`| ${query} | ${server} | ${Math.round(median(list.rps))} | ${median(list.cpuUs).toFixed(1)} | ${list.cpuUs.map((us) => us.toFixed(1)).join(', ')} |`);
    }
  } finally {
    for (const server of servers) await stop(server);
  }
}

await main();
