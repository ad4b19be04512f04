// bench/cluster.ts: SET and GET throughput of a tskv cluster against a redis-server cluster of the
// same size, 1, 2 and 3 nodes on 127.0.0.1, driven by `redis-benchmark --cluster` in the same run.
// (With one node, redis-benchmark runs without --cluster, which refuses a one-node cluster.)
// `npm run bench:cluster [-- --quick] [--repeats N] [--sizes 1,2,3] [--pairings always,no]
//   [--pipelines 16] [--seconds S]`
//   tskv:  cluster/up.sh N (slots split evenly, pushed as a topology file), --appendfsync always|no
//   redis: N `redis-server --cluster-enabled yes` (appendonly yes + appendfsync always, or no
//          persistence), each given its slot range by CLUSTER ADDSLOTSRANGE, met by CLUSTER MEET,
//          then waited for until every node says cluster_state:ok
//   load:  redis-benchmark --cluster -t set|get -r 100000 -d 100 -c 50 -P <p> -n <N> --csv, N from
//          a probe so that a run lasts about --seconds (3; 1 with --quick); every cluster is
//          filled once (SET over -r's 100,000 keys, 300,000 requests) before its first GET row.
// Each (size, pairing, test) row is measured --repeats times (3; 1 with --quick), tskv and Redis
// interleaved so both see the same machine load; it prints the median req/s of each and the
// tskv/Redis ratio of the medians, plus the three ratios. Every server it starts is stopped by pid
// (tskv by cluster/down.sh) when its size is done, and killed on exit whatever happened.
// Not part of CI: its numbers depend on the machine (2 cores here, shared with the client).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePortRange, startCluster, type TestCluster } from '../test/helpers/cluster.js';
import { rawRequest } from '../test/helpers/server.js';

const run = promisify(execFile);
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
function option(name: string): string | undefined {
  const index = argv.indexOf(name);
  return index >= 0 ? argv[index + 1] : undefined;
}
function listOption(name: string, fallback: string[]): string[] {
  return (option(name) ?? fallback.join(',')).split(',').filter((item) => item !== '');
}
const REPEATS = Number(option('--repeats') ?? (quick ? 1 : 3));
const SIZES = listOption('--sizes', ['1', '2', '3']).map(Number);
const PAIRINGS = listOption('--pairings', ['always', 'no']) as ('always' | 'no')[];
const PIPELINES = listOption('--pipelines', ['16']).map(Number);
const TARGET_S = Number(option('--seconds') ?? (quick ? 1 : 3));
const TESTS = ['set', 'get'] as const;
const CLIENTS = 50;
const KEY_RANGE = 100_000;
const FILL_REQUESTS = 300_000;
const PROBE_REQUESTS = 10_000;
const REQUESTS_MAX = 3_000_000;
const BENCH_TIMEOUT_MS = 120_000;
const CLUSTER_OK_WAIT_MS = 30_000;
const SLOT_COUNT = 16384;

interface Target {
  name: string;
  size: number;
  port: number; // any node: redis-benchmark --cluster reads the others from CLUSTER NODES
  stop(): Promise<void>;
}

const redisChildren = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of redisChildren) child.kill('SIGKILL');
});

/** Redis's even split (as cluster/up.sh): node i serves [first, last]. */
function slotRange(index: number, count: number): [number, number] {
  const last = (index: number) => (index === count - 1 ? SLOT_COUNT - 1 : Math.floor((2 * (index + 1) * SLOT_COUNT - count) / (2 * count)));
  return [index === 0 ? 0 : last(index - 1) + 1, last(index)];
}

async function cli(port: number, args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-p', String(port), ...args], { timeout: 10_000 });
  return stdout;
}

async function waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + CLUSTER_OK_WAIT_MS;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${CLUSTER_OK_WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function startRedisCluster(count: number, pairing: 'always' | 'no'): Promise<Target> {
  // the bus ports (port + 10000) must be free too
  const base = await freePortRange(count);
  const busBase = await freePortRange(count);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tskv-bench-redis-cluster-'));
  const ports = Array.from({ length: count }, (_, index) => base + index);
  const children: ChildProcess[] = [];
  for (const [index, port] of ports.entries()) {
    const persistence = pairing === 'always' ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
    const child = spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...persistence,
      '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-port', String(busBase + index),
      '--appendfilename', `appendonly-${port}.aof`, '--appenddirname', `aof-${port}`,
    ], { stdio: 'ignore' });
    children.push(child);
    redisChildren.add(child);
  }
  await Promise.all(ports.map((port) => waitFor(`redis ${port} PONG`, async () => (await rawRequest(port, 'PING\r\n', 500)).startsWith('+PONG'))));
  for (const [index, port] of ports.entries()) {
    const [first, last] = slotRange(index, count);
    await cli(port, ['CLUSTER', 'ADDSLOTSRANGE', String(first), String(last)]);
    if (index > 0) await cli(port, ['CLUSTER', 'MEET', '127.0.0.1', String(ports[0]), String(busBase)]);
  }
  await waitFor('redis cluster_state:ok', async () => {
    for (const port of ports) {
      const info = await cli(port, ['CLUSTER', 'INFO']);
      if (!info.includes('cluster_state:ok') || !info.includes(`cluster_known_nodes:${count}`)) return false;
    }
    return true;
  });
  return {
    name: 'redis',
    size: count,
    port: ports[0] as number,
    stop: async () => {
      for (const child of children) {
        child.kill('SIGKILL');
        redisChildren.delete(child);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startTskvCluster(count: number, pairing: 'always' | 'no'): Promise<Target> {
  const cluster: TestCluster = await startCluster(count, ['--appendfsync', pairing]);
  await waitFor('tskv cluster_state:ok', async () => (await cli(cluster.ports[0] as number, ['CLUSTER', 'INFO'])).includes('cluster_state:ok'));
  return {
    name: 'tskv',
    size: count,
    port: cluster.ports[0] as number,
    stop: async () => {
      await cluster.down();
      rmSync(cluster.dir, { recursive: true, force: true });
    },
  };
}

/** One redis-benchmark --cluster run: req/s. */
async function benchmark(target: Target, test: string, pipeline: number, requests: number): Promise<number> {
  // redis-benchmark --cluster refuses a one-node cluster ("Invalid cluster: 1 node(s)"): that
  // node owns every slot, so plain redis-benchmark against it sends the same requests
  const { stdout } = await run('redis-benchmark', [
    ...(target.size > 1 ? ['--cluster'] : []), '-h', '127.0.0.1', '-p', String(target.port), '-t', test, '-r', String(KEY_RANGE), '-d', '100',
    '-c', String(CLIENTS), '-P', String(pipeline), '-n', String(requests), '--csv',
  ], { timeout: BENCH_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
  const row = stdout.split('\n').find((line) => line.startsWith(`"${test.toUpperCase()}"`));
  if (row === undefined) throw new Error(`no ${test} row from redis-benchmark against ${target.name}:\n${stdout}`);
  return Number(JSON.parse(`[${row}]`)[1]);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const commandLine = `redis-benchmark [--cluster when 2+ nodes] -h 127.0.0.1 -p <node> -t <set|get> -r ${KEY_RANGE} -d 100 -c ${CLIENTS} -P <p> -n <N> --csv`;
console.log(`cluster bench: sizes ${SIZES.join(',')}, pairings ${PAIRINGS.join(',')}, -P ${PIPELINES.join(',')}, ${REPEATS} repeat(s), ~${TARGET_S} s per run`);
console.log(`  ${commandLine}`);
console.log(`  machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load ${os.loadavg().map((load) => load.toFixed(1)).join(' ')}`);
const rows: string[] = ['| nodes | pairing | test | -P | tskv req/s | redis req/s | tskv / redis (median; each run) |', '| ---: | --- | --- | ---: | ---: | ---: | --- |'];
const started = Date.now();
for (const size of SIZES) {
  for (const pairing of PAIRINGS) {
    const targets = [await startTskvCluster(size, pairing), await startRedisCluster(size, pairing)];
    try {
      for (const target of targets) await benchmark(target, 'set', 16, FILL_REQUESTS); // every GET finds its key
      for (const test of TESTS) {
        for (const pipeline of PIPELINES) {
          // N from a probe on each: a run lasts about TARGET_S on the slower one
          const probes = await Promise.all(targets.map((target) => benchmark(target, test, pipeline, PROBE_REQUESTS)));
          const requests = Math.min(REQUESTS_MAX, Math.max(PROBE_REQUESTS, Math.round(Math.min(...probes) * TARGET_S)));
          const samples: number[][] = targets.map(() => []);
          for (let repeat = 0; repeat < REPEATS; repeat++) {
            for (const [index, target] of targets.entries()) samples[index]?.push(await benchmark(target, test, pipeline, requests));
          }
          const [mine, theirs] = samples as [number[], number[]];
          const ratios = mine.map((rps, index) => rps / (theirs[index] as number));
          const row = `| ${size} | ${pairing} | ${test.toUpperCase()} | ${pipeline} | ${Math.round(median(mine)).toLocaleString('en-US')} | ${Math.round(median(theirs)).toLocaleString('en-US')} | ${(median(mine) / median(theirs)).toFixed(2)} (${ratios.map((ratio) => ratio.toFixed(2)).join(', ')}) |`;
          rows.push(row);
          console.log(row);
        }
      }
    } finally {
      for (const target of targets) await target.stop();
    }
  }
}
console.log(`\n${rows.join('\n')}\n\n${((Date.now() - started) / 1000).toFixed(0)} s in all; load now ${os.loadavg().map((load) => load.toFixed(1)).join(' ')}`);
