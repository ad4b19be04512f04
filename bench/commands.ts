// bench/commands.ts: issue 5's speed figures, tskv against redis-server in the same run.
// `node build.mjs && node --import tsx bench/commands.ts [--quick] [--repeats N]`
//   durable:  tskv --appendfsync always  vs  redis-server --appendonly yes --appendfsync always
//   no fsync: tskv --appendfsync no      vs  redis-server --appendonly yes --appendfsync no
// redis-benchmark -c 50 -P 16 -r 100000 -d 100, one test per call, tskv and Redis interleaved:
//   INCR; MSET (redis-benchmark's mset test: 10 keys per MSET); GET on 100,000 keys that all carry
//   a TTL (loaded first with SET key:%012d ... EX 100000, the names redis-benchmark's -r picks).
// Then SCAN: 1,000,000 keys loaded by pipelined MSET into a fresh server of each kind (no fsync),
// a full `SCAN <cursor> COUNT 1000` walk timed on one connection (replies counted by a lean parser,
// not RawClient, which capped near 0.9M keys/s); keys/s = keys returned / seconds
// (after a 10 s pause, then until INFO's compaction and table counts hold still for 3 s).
// `--scan-only` runs just that part; `--bundle <path>` (repeatable) times those server bundles
// instead of dist/tskv.js, all loaded first and their walks interleaved (before/after comparisons
// on a noisy machine); `--no-redis` leaves redis-server out of the SCAN row; `--cpu-prof <dir>`
// starts each tskv with node --cpu-prof (the profile is written at its SIGTERM exit).
// `--as-shipped` runs tskv as `npm start` and the Docker image do (node --max-semi-space-size=4,
// MALLOC_MMAP_THRESHOLD_=65536, as bench/server.ts --as-shipped); without it tskv runs with node's
// and glibc's defaults, as every row before 2026-12-07 22:00 UTC was measured.
// Hashes and sets (issue 15), both policies, each against Redis and beside SET and GET in the same
// run: SET and GET on 100,000 keys; HSET and SADD (redis-benchmark's own tests: one hash / set
// growing to 100,000 fields / members); HGET and SISMEMBER on them; HGETALL and SMEMBERS of
// 10,000 hashes / sets of 10 fields / members each. Then DEL of a 1,000,000-field hash, timed
// from one client (the issue asks for under 1 ms). `--types-only` runs just that part.
// Sorted sets, lists and Pub/Sub (issue 17), durable only (fsync always), each against Redis and
// beside SET and GET in the same run: ZADD (redis-benchmark's own test: one zset growing to
// 100,000 members); ZRANGE 0 9 and ZRANGEBYSCORE <random> +inf LIMIT 0 10 on a 1,000,000-member
// zset (random scores 0 .. 1e6) loaded first; LPUSH (its own test: one list), LRANGE 0 99 on that
// list, RPOP (its own test; as many pops as pushes, so each pops an element); PUBLISH (one fixed
// 100-byte message) to 1 and to 50 subscribers: connections of this process that read and count
// the messages they get (by bytes: every message frame has the same length). A PUBLISH row checks
// that every subscriber got every message and prints delivered messages per second of wall time
// (from redis-benchmark's start until the last one arrived) beside redis-benchmark's rate.
// `--zsets-only` (issue 17's sorted set rows, under 3 min): SET, GET, ZADD, ZRANGE 0 9 and
// ZRANGEBYSCORE LIMIT on the 1,000,000-member zset, a quarter of the requests, each row also
// giving each server's CPU µs per request (utime + stime from /proc/PID/stat around the run); with
// `--bundle <path>` (repeatable) those tskv bundles run side by side, interleaved, each beside Redis.
// `--collections-only` runs just that part; `--publish-only` just SET and the PUBLISH rows (no zset load);
// `--lists-only` just SET, GET and the list rows (no zset load, no PUBLISH); with `--bundle <path>`
// (repeatable) these parts too run each build beside the same Redis. Each collection row also
// prints each server's CPU per request (utime + stime from /proc/PID/stat over its runs).
// Prints a markdown table (medians of the repeats) for bench/README.md. Not part of CI.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, rawRequest, REPO_DIR, SERVER_BUNDLE } from '../test/helpers/server.js';
import { RawClient, formatReply } from '../test/helpers/raw-client.js';

interface Sample { rps: number; p50Ms: number; p99Ms: number; cpuUsPerRequest?: number }
interface Server { name: string; port: number; process: ChildProcess; dir: string }
type Policy = 'always' | 'no';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const scanOnly = argv.includes('--scan-only');
const typesOnly = argv.includes('--types-only');
const collectionsOnly = argv.includes('--collections-only');
const publishOnly = argv.includes('--publish-only');
const zsetsOnly = argv.includes('--zsets-only');
const listsOnly = argv.includes('--lists-only');
const repeatsIndex = argv.indexOf('--repeats');
const repeats = repeatsIndex >= 0 ? Number(argv[repeatsIndex + 1]) : quick ? 1 : 3;
const bundles = argv.flatMap((arg, index) => (arg === '--bundle' && argv[index + 1] !== undefined ? [path.resolve(argv[index + 1] as string)] : []));
const withRedis = !argv.includes('--no-redis');
const cpuProfIndex = argv.indexOf('--cpu-prof');
const cpuProfDir = cpuProfIndex >= 0 ? argv[cpuProfIndex + 1] : undefined;
const AS_SHIPPED = argv.includes('--as-shipped');
const SHIPPED_NODE_ARGS = ['--max-semi-space-size=4']; // package.json's start script, the Dockerfile's ENTRYPOINT
const SHIPPED_ENV = { MALLOC_MMAP_THRESHOLD_: '65536' }; // and their environment
const CLIENTS = 50;
const PIPELINE = 16;
const KEYSPACE = 100_000;
const VALUE_BYTES = 100;
const TESTS = [
  { name: 'INCR', test: 'incr', requests: 400_000 },
  { name: 'MSET (10 keys)', test: 'mset', requests: 50_000 },
  { name: 'GET (keys with TTL)', test: 'get', requests: 1_000_000 },
] as const;
const SCAN_KEYS = quick ? 200_000 : 1_000_000;
const SCAN_COUNT = 1000;
const LOAD_KEYS_PER_MSET = 1000;
const LOAD_MSETS_IN_FLIGHT = 16;
/** After loading, let background flushes and compactions finish before timing SCAN. */
const SETTLE_MS = 10_000;

async function waitForPing(port: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if ((await rawRequest(port, 'PING\r\n', 500)).startsWith('+PONG')) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no PONG from port ${port}`);
}

async function startTskv(policy: Policy, bundle = SERVER_BUNDLE): Promise<Server> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tskv-bench-'));
  const profile = cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', cpuProfDir];
  const shipped = AS_SHIPPED ? SHIPPED_NODE_ARGS : [];
  const child = spawn(process.execPath, [...shipped, ...profile, bundle, '--port', String(port), '--dir', dir, '--appendfsync', policy, '--loglevel', 'warning'],
    { stdio: 'ignore', env: AS_SHIPPED ? { ...process.env, ...SHIPPED_ENV } : process.env });
  await waitForPing(port);
  const name = bundle === SERVER_BUNDLE ? `tskv ${policy}` : `tskv ${policy} ${path.relative(process.cwd(), bundle)}`;
  return { name, port, process: child, dir };
}

async function startRedis(policy: Policy): Promise<Server> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'redis-bench-'));
  const child = spawn('redis-server', ['--port', String(port), '--dir', dir, '--daemonize', 'no', '--save', '',
    '--appendonly', 'yes', '--appendfsync', policy], { stdio: 'ignore' });
  await waitForPing(port);
  return { name: `redis aof ${policy}`, port, process: child, dir };
}

async function stop(server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.process.once('exit', resolve));
  server.process.kill('SIGTERM');
  const timer = setTimeout(() => server.process.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
  rmSync(server.dir, { recursive: true, force: true });
}

const CLOCK_TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** utime + stime of a process so far, in clock ticks. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from #3 (state) on
  return Number(fields[11]) + Number(fields[12]); // #14 utime, #15 stime
}

/** run() with the server's CPU per request (µs) added to its sample. */
function withCpu(server: Server, requestCount: number, run: () => Sample): Sample {
  const pid = server.process.pid as number;
  const before = cpuTicks(pid);
  const sample = run();
  return { ...sample, cpuUsPerRequest: ((cpuTicks(pid) - before) / CLOCK_TICKS_PER_S) * 1e6 / requestCount };
}

function requests(base: number): number {
  return quick ? base / 10 : base;
}

function runBenchmark(server: Server, test: string, count: number): Sample {
  const csv = execFileSync('redis-benchmark', ['-p', String(server.port), '-r', String(KEYSPACE), '-d', String(VALUE_BYTES), '-t', test,
    '-c', String(CLIENTS), '-P', String(PIPELINE), '-n', String(count), '--csv'], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const row = csv.trim().split('\n').find((line) => !line.startsWith('"test"'));
  if (!row) throw new Error(`no result from redis-benchmark for ${test} on ${server.name}:\n${csv}`);
  const cells = row.split(',').map((cell) => cell.replace(/"/g, ''));
  return { rps: Number(cells[1]), p50Ms: Number(cells[4]), p99Ms: Number(cells[6]) };
}

/** One redis-benchmark run of an arbitrary command (its __rand_int__ drawn from 0 .. keyspace - 1). */
function runCommand(server: Server, command: readonly string[], count: number, keyspace: number): Sample {
  const csv = execFileSync('redis-benchmark', ['-p', String(server.port), '-r', String(keyspace), '-c', String(CLIENTS), '-P', String(PIPELINE),
    '-n', String(count), '--csv', ...command], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const row = csv.trim().split('\n').find((line) => !line.startsWith('"test"'));
  if (!row) throw new Error(`no result from redis-benchmark for ${command.join(' ')} on ${server.name}:\n${csv}`);
  const cells = row.split(',').map((cell) => cell.replace(/"/g, ''));
  return { rps: Number(cells[1]), p50Ms: Number(cells[4]), p99Ms: Number(cells[6]) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Loads `count` keys named `name(index)`: MSETs of 1000 keys, or one SET per key with `suffix` (e.g. EX). */
async function load(port: number, count: number, name: (index: number) => string, suffix: readonly string[] = []): Promise<void> {
  const client = await RawClient.connect(port);
  const value = 'x'.repeat(VALUE_BYTES);
  const perCommand = suffix.length > 0 ? 1 : LOAD_KEYS_PER_MSET;
  const commandsPerPipeline = suffix.length > 0 ? 1000 : LOAD_MSETS_IN_FLIGHT;
  try {
    for (let start = 0; start < count; start += perCommand * commandsPerPipeline) {
      const commands: string[][] = [];
      for (let first = start; first < Math.min(count, start + perCommand * commandsPerPipeline); first += perCommand) {
        if (suffix.length > 0) {
          commands.push(['SET', name(first), value, ...suffix]);
          continue;
        }
        const args = ['MSET'];
        for (let index = first; index < Math.min(count, first + perCommand); index++) args.push(name(index), value);
        commands.push(args);
      }
      for (const reply of await client.pipeline(commands)) {
        if (reply.type === 'error') throw new Error(`load failed: ${formatReply(reply)}`);
      }
    }
  } finally {
    client.close();
  }
}

/**
 * One full SCAN walk. The replies are counted by a minimal parser that skips each key by its
 * length (no Reply objects): the general RawClient parser topped out near 0.9M keys/s against
 * Redis itself, so it measured the client, not the server.
 */
async function timeScan(port: number): Promise<{ keys: number; seconds: number }> {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  let pending: Buffer = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    wake?.();
  });
  /** The header line at `at` ('*3', '$11', ...) as [number after the type byte, end]; undefined if incomplete. */
  const line = (at: number): [number, number] | undefined => {
    const end = pending.indexOf(13, at);
    return end < 0 || end + 1 >= pending.length ? undefined : [Number(pending.toString('latin1', at + 1, end)), end + 2];
  };
  /** A whole SCAN reply: [cursor, key count, bytes]; undefined until all of it is here. */
  const parse = (): [string, number, number] | undefined => {
    let header = line(0);
    if (header === undefined) return undefined;
    if (pending[0] !== 0x2a) throw new Error(`SCAN failed: ${pending.toString('latin1', 0, 200)}`);
    header = line(header[1]);
    if (header === undefined || pending.length < header[1] + header[0] + 2) return undefined;
    const cursor = pending.toString('latin1', header[1], header[1] + header[0]);
    header = line(header[1] + header[0] + 2);
    if (header === undefined) return undefined;
    const count = header[0];
    let at = header[1];
    for (let index = 0; index < count; index++) {
      const bulk = line(at);
      if (bulk === undefined) return undefined;
      at = bulk[1] + bulk[0] + 2;
      if (at > pending.length) return undefined;
    }
    return [cursor, count, at];
  };
  try {
    const started = process.hrtime.bigint();
    let cursor = '0';
    let keys = 0;
    do {
      socket.write(`*4\r\n$4\r\nSCAN\r\n$${cursor.length}\r\n${cursor}\r\n$5\r\nCOUNT\r\n$${String(SCAN_COUNT).length}\r\n${SCAN_COUNT}\r\n`);
      let reply = parse();
      while (reply === undefined) {
        await new Promise<void>((resolve) => { wake = resolve; });
        reply = parse();
      }
      pending = pending.subarray(reply[2]);
      cursor = reply[0];
      keys += reply[1];
    } while (cursor !== '0');
    return { keys, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } finally {
    socket.destroy();
  }
}

function machine(): string {
  const cpus = os.cpus();
  const redisVersion = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim().split(' ')[2];
  return `${cpus.length} x ${cpus[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${os.release()}, ` +
    `node ${process.version}, redis-server ${redisVersion}, tmpdir ${os.tmpdir()}`;
}

const ttlKeyName = (index: number) => `key:${String(index).padStart(12, '0')}`;

async function commandRows(policy: Policy): Promise<void> {
  const tskv = await startTskv(policy);
  const redis = await startRedis(policy);
  try {
    for (const server of [tskv, redis]) await load(server.port, KEYSPACE, ttlKeyName, ['EX', '100000']);
    for (const { name, test, requests: base } of TESTS) {
      const count = requests(base);
      const samples: { tskv: Sample[]; redis: Sample[] } = { tskv: [], redis: [] };
      for (let repeat = 0; repeat < repeats; repeat++) {
        samples.tskv.push(runBenchmark(tskv, test, count));
        samples.redis.push(runBenchmark(redis, test, count));
      }
      const [a, b] = [samples.tskv, samples.redis].map((list) => ({
        rps: median(list.map((s) => s.rps)), p50Ms: median(list.map((s) => s.p50Ms)), p99Ms: median(list.map((s) => s.p99Ms)),
      })) as [Sample, Sample];
      console.log(`| ${policy === 'always' ? 'durable (fsync always)' : 'no fsync'} | ${name} | ${a.rps.toFixed(0)} | ${b.rps.toFixed(0)} | ` +
        `${(a.rps / b.rps).toFixed(2)} | ${a.p50Ms.toFixed(3)} / ${a.p99Ms.toFixed(3)} | ${b.p50Ms.toFixed(3)} / ${b.p99Ms.toFixed(3)} |`);
    }
  } finally {
    await stop(tskv);
    await stop(redis);
  }
}

const TYPE_ROWS: readonly { name: string; run: (server: Server) => Sample }[] = [
  { name: 'SET', run: (server) => runBenchmark(server, 'set', requests(400_000)) },
  { name: 'GET', run: (server) => runBenchmark(server, 'get', requests(1_000_000)) },
  { name: 'HSET (1 hash, 100k fields)', run: (server) => runBenchmark(server, 'hset', requests(400_000)) },
  { name: 'HGET', run: (server) => runCommand(server, ['HGET', 'myhash', 'element:__rand_int__'], requests(1_000_000), KEYSPACE) },
  { name: 'HGETALL (10 fields)', run: (server) => runCommand(server, ['HGETALL', 'h:__rand_int__'], requests(400_000), AGGREGATES) },
  { name: 'SADD (1 set, 100k members)', run: (server) => runBenchmark(server, 'sadd', requests(400_000)) },
  { name: 'SISMEMBER', run: (server) => runCommand(server, ['SISMEMBER', 'myset', 'element:__rand_int__'], requests(1_000_000), KEYSPACE) },
  { name: 'SMEMBERS (10 members)', run: (server) => runCommand(server, ['SMEMBERS', 's:__rand_int__'], requests(400_000), AGGREGATES) },
];
const AGGREGATES = 10_000;
const AGGREGATE_ELEMENTS = 10;
const BIG_HASH_FIELDS = quick ? 100_000 : 1_000_000;

/** 10,000 hashes h:<12 digits> and sets s:<12 digits> of 10 fields / members, the names -r picks. */
async function loadAggregates(port: number): Promise<void> {
  const client = await RawClient.connect(port);
  try {
    for (let start = 0; start < AGGREGATES; start += 500) {
      const commands: string[][] = [];
      for (let index = start; index < Math.min(AGGREGATES, start + 500); index++) {
        const suffix = String(index).padStart(12, '0');
        const hash = ['HSET', `h:${suffix}`];
        const set = ['SADD', `s:${suffix}`];
        for (let element = 0; element < AGGREGATE_ELEMENTS; element++) {
          hash.push(`field:${element}`, 'x'.repeat(VALUE_BYTES));
          set.push(`member:${element}`);
        }
        commands.push(hash, set);
      }
      for (const reply of await client.pipeline(commands)) if (reply.type === 'error') throw new Error(`load failed: ${formatReply(reply)}`);
    }
  } finally {
    client.close();
  }
}

/** DEL of a hash of BIG_HASH_FIELDS fields: the round trip as one client sees it, in ms. */
async function timeBigDelete(port: number): Promise<number> {
  const client = await RawClient.connect(port);
  try {
    for (let start = 0; start < BIG_HASH_FIELDS; start += 1000 * 16) {
      const commands: string[][] = [];
      for (let first = start; first < Math.min(BIG_HASH_FIELDS, start + 1000 * 16); first += 1000) {
        const args = ['HSET', 'bighash'];
        for (let index = first; index < Math.min(BIG_HASH_FIELDS, first + 1000); index++) args.push(`f${index}`, 'v');
        commands.push(args);
      }
      for (const reply of await client.pipeline(commands)) if (reply.type === 'error') throw new Error(`load failed: ${formatReply(reply)}`);
    }
    const length = await client.send(['HLEN', 'bighash']);
    if (formatReply(length) !== `:${BIG_HASH_FIELDS}`) throw new Error(`HLEN says ${formatReply(length)}`);
    const started = process.hrtime.bigint();
    const reply = await client.send(['DEL', 'bighash']);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (formatReply(reply) !== ':1') throw new Error(`DEL said ${formatReply(reply)}`);
    return ms;
  } finally {
    client.close();
  }
}

async function typeRows(policy: Policy): Promise<void> {
  const tskv = await startTskv(policy);
  const redis = await startRedis(policy);
  try {
    for (const server of [tskv, redis]) await loadAggregates(server.port);
    for (const row of TYPE_ROWS) {
      const samples: { tskv: Sample[]; redis: Sample[] } = { tskv: [], redis: [] };
      for (let repeat = 0; repeat < repeats; repeat++) {
        samples.tskv.push(row.run(tskv));
        samples.redis.push(row.run(redis));
      }
      const [a, b] = [samples.tskv, samples.redis].map((list) => ({
        rps: median(list.map((s) => s.rps)), p50Ms: median(list.map((s) => s.p50Ms)), p99Ms: median(list.map((s) => s.p99Ms)),
      })) as [Sample, Sample];
      console.log(`| ${policy === 'always' ? 'durable (fsync always)' : 'no fsync'} | ${row.name} | ${a.rps.toFixed(0)} | ${b.rps.toFixed(0)} | ` +
        `${(a.rps / b.rps).toFixed(2)} | ${a.p50Ms.toFixed(3)} / ${a.p99Ms.toFixed(3)} | ${b.p50Ms.toFixed(3)} / ${b.p99Ms.toFixed(3)} |`);
    }
    if (policy === 'always') {
      const deletes = { tskv: [] as number[], redis: [] as number[] };
      for (let repeat = 0; repeat < repeats; repeat++) {
        deletes.tskv.push(await timeBigDelete(tskv.port));
        deletes.redis.push(await timeBigDelete(redis.port));
      }
      console.log(`DEL of a ${BIG_HASH_FIELDS}-field hash (round trip, ms): tskv ${deletes.tskv.map((ms) => ms.toFixed(3)).join(' / ')}` +
        ` (median ${median(deletes.tskv).toFixed(3)}); redis ${deletes.redis.map((ms) => ms.toFixed(3)).join(' / ')} (median ${median(deletes.redis).toFixed(3)})`);
    }
  } finally {
    await stop(tskv);
    await stop(redis);
  }
}

// ---- sorted sets, lists and Pub/Sub (issue 17) -----------------------------------------------

const runAsync = promisify(execFile);
const BIG_ZSET_MEMBERS = quick ? 100_000 : 1_000_000;
const BIG_ZSET_SCORES = 1_000_000; // scores are integers 0 .. 999,999; ZRANGEBYSCORE draws its minimum there
const MESSAGE = 'm'.repeat(VALUE_BYTES);
const DELIVERY_WAIT_MS = 120_000;

/** `bigzset`: BIG_ZSET_MEMBERS members m<i> with the same pseudo-random scores on every server. */
async function loadBigZset(port: number): Promise<void> {
  const client = await RawClient.connect(port);
  let seed = 12345;
  const nextScore = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % BIG_ZSET_SCORES;
  };
  try {
    for (let start = 0; start < BIG_ZSET_MEMBERS; start += LOAD_KEYS_PER_MSET * LOAD_MSETS_IN_FLIGHT) {
      const commands: string[][] = [];
      for (let first = start; first < Math.min(BIG_ZSET_MEMBERS, start + LOAD_KEYS_PER_MSET * LOAD_MSETS_IN_FLIGHT); first += LOAD_KEYS_PER_MSET) {
        const args = ['ZADD', 'bigzset'];
        for (let index = first; index < Math.min(BIG_ZSET_MEMBERS, first + LOAD_KEYS_PER_MSET); index++) args.push(String(nextScore()), `m${index}`);
        commands.push(args);
      }
      for (const reply of await client.pipeline(commands)) if (reply.type === 'error') throw new Error(`load failed: ${formatReply(reply)}`);
    }
    const count = formatReply(await client.send(['ZCARD', 'bigzset']));
    if (count !== `:${BIG_ZSET_MEMBERS}`) throw new Error(`ZCARD says ${count}`);
  } finally {
    client.close();
  }
}

/**
 * `count` connections subscribed to `channel`, counting the messages they read. Every message is
 * the same frame (`*3 message <channel> MESSAGE`), so a count is bytes / frame length.
 */
class Subscribers {
  private readonly frameBytes: number;
  private readonly sockets: net.Socket[] = [];
  private readonly bytes: number[] = [];
  private closedCount = 0;

  private constructor(readonly channel: string) {
    this.frameBytes = Buffer.byteLength(`*3\r\n$7\r\nmessage\r\n$${channel.length}\r\n${channel}\r\n$${MESSAGE.length}\r\n${MESSAGE}\r\n`);
  }

  static async open(port: number, channel: string, count: number): Promise<Subscribers> {
    const set = new Subscribers(channel);
    const confirmation = `*3\r\n$9\r\nsubscribe\r\n$${channel.length}\r\n${channel}\r\n:1\r\n`;
    await Promise.all(Array.from({ length: count }, (_, index) => new Promise<void>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      set.sockets.push(socket);
      set.bytes[index] = -confirmation.length;
      socket.once('error', reject);
      socket.once('close', () => set.closedCount++);
      socket.on('data', (chunk: Buffer) => {
        set.bytes[index]! += chunk.length;
        if (set.bytes[index]! >= 0) resolve();
      });
      socket.once('connect', () => socket.write(`*2\r\n$9\r\nSUBSCRIBE\r\n$${channel.length}\r\n${channel}\r\n`));
    })));
    return set;
  }

  /** Messages each subscriber has read (whole frames). */
  counts(): number[] {
    return this.bytes.map((bytes) => bytes / this.frameBytes);
  }

  /** Until every subscriber has read `each` messages in all; throws past DELIVERY_WAIT_MS, on a drop or a surplus. */
  async waitFor(each: number): Promise<void> {
    const deadline = Date.now() + DELIVERY_WAIT_MS;
    for (;;) {
      if (this.closedCount > 0) throw new Error(`${this.closedCount} subscribers of ${this.channel} were disconnected`);
      const counts = this.counts();
      if (counts.some((got) => got > each)) throw new Error(`a subscriber of ${this.channel} got more than ${each} messages`);
      if (counts.every((got) => got === each)) return;
      if (Date.now() > deadline) throw new Error(`subscribers of ${this.channel}: ${Math.min(...counts)} of ${each} messages after ${DELIVERY_WAIT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  close(): void {
    for (const socket of this.sockets) socket.destroy();
  }
}

/** One PUBLISH run: redis-benchmark's sample and the messages delivered per second of wall time. */
async function runPublish(server: Server, subscribers: Subscribers, count: number): Promise<Sample & { deliveredPerSecond: number }> {
  const before = Math.max(...subscribers.counts());
  const started = process.hrtime.bigint();
  const { stdout } = await runAsync('redis-benchmark', ['-p', String(server.port), '-c', String(CLIENTS), '-P', String(PIPELINE), '-n', String(count), '--csv',
    'PUBLISH', subscribers.channel, MESSAGE], { encoding: 'utf8', maxBuffer: 1 << 24 });
  await subscribers.waitFor(before + count);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const row = stdout.trim().split('\n').find((line) => !line.startsWith('"test"'));
  if (!row) throw new Error(`no result from redis-benchmark for PUBLISH on ${server.name}:\n${stdout}`);
  const cells = row.split(',').map((cell) => cell.replace(/"/g, ''));
  return { rps: Number(cells[1]), p50Ms: Number(cells[4]), p99Ms: Number(cells[6]), deliveredPerSecond: (count * subscribers.counts().length) / seconds };
}

const LIST_ROW_NAMES: readonly string[] = ['SET', 'GET', 'LPUSH (1 list)', 'LRANGE 0 99 (100 B elements)', 'RPOP (as many as LPUSH pushed)'];
const COLLECTION_ROWS: readonly { name: string; requests: number; run: (server: Server, count: number) => Sample }[] = [
  { name: 'SET', requests: requests(400_000), run: (server, count) => runBenchmark(server, 'set', count) },
  { name: 'GET', requests: requests(1_000_000), run: (server, count) => runBenchmark(server, 'get', count) },
  { name: 'ZADD (1 zset, 100k members)', requests: requests(400_000), run: (server, count) => runBenchmark(server, 'zadd', count) },
  { name: `ZRANGE 0 9 (${BIG_ZSET_MEMBERS} members)`, requests: requests(400_000), run: (server, count) => runCommand(server, ['ZRANGE', 'bigzset', '0', '9'], count, KEYSPACE) },
  { name: 'ZRANGEBYSCORE <rand> +inf LIMIT 0 10', requests: requests(400_000), run: (server, count) => runCommand(server, ['ZRANGEBYSCORE', 'bigzset', '__rand_int__', '+inf', 'LIMIT', '0', '10'], count, BIG_ZSET_SCORES) },
  { name: 'LPUSH (1 list)', requests: requests(400_000), run: (server, count) => runBenchmark(server, 'lpush', count) },
  { name: 'LRANGE 0 99 (100 B elements)', requests: requests(100_000), run: (server, count) => runCommand(server, ['LRANGE', 'mylist', '0', '99'], count, KEYSPACE) },
  { name: 'RPOP (as many as LPUSH pushed)', requests: requests(400_000), run: (server, count) => runBenchmark(server, 'rpop', count) },
];
const PUBLISH_ROWS = [
  { name: 'PUBLISH to 1 subscriber', subscribers: 1, requests: 200_000 },
  { name: 'PUBLISH to 50 subscribers', subscribers: 50, requests: 40_000 },
] as const;

function printRow(name: string, samples: { tskv: Sample[]; redis: Sample[] }): void {
  const [a, b] = [samples.tskv, samples.redis].map((list) => ({
    rps: median(list.map((s) => s.rps)), p50Ms: median(list.map((s) => s.p50Ms)), p99Ms: median(list.map((s) => s.p99Ms)),
  })) as [Sample, Sample];
  console.log(`| durable (fsync always) | ${name} | ${a.rps.toFixed(0)} | ${b.rps.toFixed(0)} | ` +
    `${(a.rps / b.rps).toFixed(2)} | ${a.p50Ms.toFixed(3)} / ${a.p99Ms.toFixed(3)} | ${b.p50Ms.toFixed(3)} / ${b.p99Ms.toFixed(3)} |`);
  const cpu = [samples.tskv, samples.redis].map((list) => list.flatMap((s) => (s.cpuUsPerRequest === undefined ? [] : [s.cpuUsPerRequest])));
  if (cpu[0]!.length > 0) {
    console.log(`  ${name}: server CPU µs/request (median): tskv ${median(cpu[0]!).toFixed(2)} (${cpu[0]!.map((v) => v.toFixed(2)).join(', ')}), ` +
      `redis ${median(cpu[1]!).toFixed(2)} (${cpu[1]!.map((v) => v.toFixed(2)).join(', ')})`);
  }
}

async function collectionRows(): Promise<void> {
  // with --bundle: each build beside the same Redis, interleaved within every repeat
  const tskvs: Server[] = [];
  for (const bundle of bundles.length > 0 ? bundles : [undefined]) tskvs.push(await startTskv('always', bundle));
  const redis = await startRedis('always');
  const label = (name: string, tskv: Server) => (tskvs.length > 1 ? `${name} [${tskv.name}]` : name);
  try {
    for (const server of publishOnly || listsOnly ? [] : [...tskvs, redis]) {
      const started = Date.now();
      await loadBigZset(server.port);
      console.log(`${server.name}: loaded a ${BIG_ZSET_MEMBERS}-member zset in ${((Date.now() - started) / 1000).toFixed(1)} s (ZADDs of ${LOAD_KEYS_PER_MSET}, ${LOAD_MSETS_IN_FLIGHT} in flight)`);
    }
    const rows = publishOnly ? COLLECTION_ROWS.slice(0, 1) : listsOnly ? COLLECTION_ROWS.filter((row) => LIST_ROW_NAMES.includes(row.name)) : COLLECTION_ROWS;
    for (const row of rows) {
      const samples = tskvs.map(() => ({ tskv: [] as Sample[], redis: [] as Sample[] }));
      for (let repeat = 0; repeat < repeats; repeat++) {
        tskvs.forEach((tskv, index) => {
          samples[index]!.tskv.push(withCpu(tskv, row.requests, () => row.run(tskv, row.requests)));
          samples[index]!.redis.push(withCpu(redis, row.requests, () => row.run(redis, row.requests)));
        });
      }
      tskvs.forEach((tskv, index) => printRow(label(row.name, tskv), samples[index]!));
    }
    for (const [row, tskv] of (listsOnly ? [] : PUBLISH_ROWS).flatMap((row) => tskvs.map((tskv) => [row, tskv] as const))) {
      const count = requests(row.requests);
      const [ours, theirs] = [await Subscribers.open(tskv.port, `bench:${row.subscribers}`, row.subscribers), await Subscribers.open(redis.port, `bench:${row.subscribers}`, row.subscribers)];
      try {
        const samples = { tskv: [] as Sample[], redis: [] as Sample[] };
        const delivered = { tskv: [] as number[], redis: [] as number[] };
        for (let repeat = 0; repeat < repeats; repeat++) {
          const a = await runPublish(tskv, ours, count);
          const b = await runPublish(redis, theirs, count);
          console.error(`${row.name}, repeat ${repeat + 1}: tskv ${a.rps.toFixed(0)} req/s, redis ${b.rps.toFixed(0)} req/s`);
          samples.tskv.push(a);
          samples.redis.push(b);
          delivered.tskv.push(a.deliveredPerSecond);
          delivered.redis.push(b.deliveredPerSecond);
        }
        printRow(label(row.name, tskv), samples);
        console.log(`  ${label(row.name, tskv)}: every subscriber got all ${count * repeats} messages; delivered messages/s (wall, from redis-benchmark's start): ` +
          `tskv ${median(delivered.tskv).toFixed(0)}, redis ${median(delivered.redis).toFixed(0)}, tskv/redis ${(median(delivered.tskv) / median(delivered.redis)).toFixed(2)}`);
      } finally {
        ours.close();
        theirs.close();
      }
    }
  } finally {
    for (const tskv of tskvs) await stop(tskv);
    await stop(redis);
  }
}

/** utime + stime of a process in µs. */
function cpuMicros(pid: number): number {
  return (cpuTicks(pid) * 1e6) / CLOCK_TICKS_PER_S;
}

/** A row's run and the server CPU µs per request it cost. */
function runCharged(server: Server, run: (server: Server) => Sample, count: number): Sample & { cpuUs: number } {
  const before = cpuMicros(server.process.pid!);
  const sample = run(server);
  return { ...sample, cpuUs: (cpuMicros(server.process.pid!) - before) / count };
}

/** `--zsets-only`: the sorted set rows of issue 17 beside SET and GET, with server CPU µs per request. */
async function zsetRows(): Promise<void> {
  const starts: (() => Promise<Server>)[] = bundles.length > 0 ? bundles.map((bundle) => () => startTskv('always', bundle)) : [() => startTskv('always')];
  starts.push(() => startRedis('always'));
  const servers: Server[] = [];
  const quarter = (base: number) => requests(base) / 4;
  const rows = [
    { name: 'SET', count: quarter(400_000), run: (server: Server, count: number) => runBenchmark(server, 'set', count) },
    { name: 'GET', count: quarter(1_000_000), run: (server: Server, count: number) => runBenchmark(server, 'get', count) },
    { name: 'ZADD (1 zset)', count: quarter(400_000), run: (server: Server, count: number) => runBenchmark(server, 'zadd', count) },
    { name: `ZRANGE 0 9 (${BIG_ZSET_MEMBERS} members)`, count: quarter(400_000),
      run: (server: Server, count: number) => runCommand(server, ['ZRANGE', 'bigzset', '0', '9'], count, KEYSPACE) },
    { name: 'ZRANGEBYSCORE <rand> +inf LIMIT 0 10', count: quarter(400_000),
      run: (server: Server, count: number) => runCommand(server, ['ZRANGEBYSCORE', 'bigzset', '__rand_int__', '+inf', 'LIMIT', '0', '10'], count, BIG_ZSET_SCORES) },
  ];
  try {
    for (const start of starts) {
      const server = await start();
      servers.push(server);
      const started = Date.now();
      await loadBigZset(server.port);
      console.log(`${server.name}: loaded a ${BIG_ZSET_MEMBERS}-member zset in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    console.log('| server | test | req/s | vs redis | CPU µs/req | redis CPU µs/req |');
    console.log('| --- | --- | ---: | ---: | ---: | ---: |');
    const redis = servers[servers.length - 1]!;
    for (const row of rows) {
      const samples = servers.map(() => [] as (Sample & { cpuUs: number })[]);
      for (let repeat = 0; repeat < repeats; repeat++) {
        for (const [index, server] of servers.entries()) samples[index]!.push(runCharged(server, (target) => row.run(target, row.count), row.count));
      }
      const rps = samples.map((list) => median(list.map((sample) => sample.rps)));
      const cpu = samples.map((list) => median(list.map((sample) => sample.cpuUs)));
      const redisRps = rps[rps.length - 1]!;
      const redisCpu = cpu[cpu.length - 1]!;
      for (const [index, server] of servers.entries()) {
        if (server === redis) continue;
        console.log(`| ${server.name} | ${row.name} | ${rps[index]!.toFixed(0)} | ${(rps[index]! / redisRps).toFixed(2)} | ${cpu[index]!.toFixed(1)} | ${redisCpu.toFixed(1)} |`);
      }
    }
  } finally {
    for (const server of servers) await stop(server);
  }
}

/** Until INFO's compaction count and table count stay put for 3 s (at most 120 s); Redis has neither. */
async function waitForQuietStorage(port: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  let last = '';
  let steadySince = Date.now();
  while (Date.now() < deadline && Date.now() - steadySince < 3_000) {
    const info = await rawRequest(port, 'INFO\r\n', 2_000);
    const state = ['compactions_total', 'sstable_files'].map((field) => new RegExp(`^${field}:(\\d+)`, 'm').exec(info)?.[1] ?? '').join('/');
    if (state !== last) {
      last = state;
      steadySince = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Loads every server, then interleaves their walks: repeat 1 on each, repeat 2 on each, ... */
async function scanRow(): Promise<void> {
  const starts: (() => Promise<Server>)[] = bundles.length > 0 ? bundles.map((bundle) => () => startTskv('no', bundle)) : [() => startTskv('no')];
  if (withRedis) starts.push(() => startRedis('no'));
  const servers: Server[] = [];
  try {
    for (const start of starts) {
      const server = await start();
      servers.push(server);
      const loadStarted = Date.now();
      await load(server.port, SCAN_KEYS, (index) => `scan:${index}`);
      console.log(`${server.name}: loaded ${SCAN_KEYS} keys in ${((Date.now() - loadStarted) / 1000).toFixed(1)} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    for (const server of servers) await waitForQuietStorage(server.port);
    const rates: number[][] = servers.map(() => []);
    for (let repeat = 0; repeat < repeats; repeat++) {
      for (const [index, server] of servers.entries()) {
        const walk = await timeScan(server.port);
        if (walk.keys < SCAN_KEYS) throw new Error(`${server.name}: SCAN returned ${walk.keys} of ${SCAN_KEYS} keys`);
        rates[index]!.push(walk.keys / walk.seconds);
      }
    }
    for (const [index, server] of servers.entries()) {
      console.log(`${server.name}: SCAN walks: ${rates[index]!.map((r) => r.toFixed(0)).join(', ')} keys/s; median ${median(rates[index]!).toFixed(0)}`);
    }
    const medians = rates.map(median);
    const last = medians[medians.length - 1]!;
    for (const [index, server] of servers.entries()) {
      if (withRedis && index === servers.length - 1) continue;
      const versus = withRedis ? `${last.toFixed(0)} keys/s | ${(medians[index]! / last).toFixed(2)}` : '- | -';
      console.log(`| SCAN COUNT ${SCAN_COUNT}, ${SCAN_KEYS} keys (${server.name}) | ${medians[index]!.toFixed(0)} keys/s | ${versus} |`);
    }
  } finally {
    for (const server of servers) await stop(server);
  }
}

async function main(): Promise<void> {
  console.log(`machine: ${machine()}`);
  console.log(`redis-benchmark -c ${CLIENTS} -P ${PIPELINE} -r ${KEYSPACE} -d ${VALUE_BYTES} -t <test> -n <n> --csv; medians of ${repeats}; ` +
    `bundle ${path.relative(REPO_DIR, SERVER_BUNDLE)}${AS_SHIPPED ? `; tskv as shipped (node ${SHIPPED_NODE_ARGS.join(' ')}, ${JSON.stringify(SHIPPED_ENV)})` : ''}`);
  if (zsetsOnly) {
    await zsetRows();
    return;
  }
  console.log('| pairing | test | tskv req/s | redis req/s | tskv/redis | tskv p50 / p99 ms | redis p50 / p99 ms |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  if (collectionsOnly || publishOnly || listsOnly) {
    await collectionRows();
    return;
  }
  if (!scanOnly && !typesOnly) for (const policy of ['always', 'no'] as const) await commandRows(policy);
  if (!scanOnly) for (const policy of ['always', 'no'] as const) await typeRows(policy);
  if (!scanOnly) await collectionRows();
  if (typesOnly) return;
  console.log('| walk | tskv | redis | tskv/redis |');
  console.log('| --- | --- | --- | --- |');
  await scanRow();
}

await main();
