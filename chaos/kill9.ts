// chaos/kill9.ts: the kill -9 loop (`npm run chaos -- --cycles 200 --seconds 500 --clients 8`).
// Starts the real built server on a free port and a temp dir, drives pipelined SET / DEL / INCR /
// MULTI-EXEC (`--workload strings`), SET / HSET / HDEL / SADD / SREM / ZADD / ZREM / DEL / LPUSH /
// RPOP / LMOVE (`--workload types`) or TS.ADD / TS.MADD into series with compaction rules (`--workload ts`)
// from several clients with versioned values, SIGKILLs the server at a random moment, restarts it,
// reads every key back and checks it against what was sent (chaos/history.ts,
// chaos/aggregate-history.ts, chaos/list-history.ts, chaos/series-history.ts).
// Prints ONE line on stdout:
//   kill9: cycles=N keys_checked=K lost=L impossible=I median_recovery_ms=M ...
// (the ts workload adds series_samples and series_chunks: what the last check read back)
// Exit status 1 if impossible > 0, or lost > 0 under --appendfsync always; 2 if the loop itself
// could not run (the server did not start). Violations are described on stderr.
// Bounds: --cycles and --seconds (whichever comes first; one last restart and check always runs).
// Flags: --cycles N (10) --seconds S (60) --clients C (4) --appendfsync always|everysec|no
//        --depth D (16 ops per pipeline) --run-ms-max M (800) --preload N (0) --seed X
//        --workload strings|types|ts (strings; ts needs --server tskv)
//        --server tskv|redis (redis: a stock redis-server with AOF, to validate the checker)
//        --server-arg ARG (repeatable, passed through) --dir D (default: a fresh temp dir, removed)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ClientHistory, createRng, makeValue, type CheckTally, type Durability, type KeyCounts, type Rng, type Workload } from './history.js';
import { RespClient, isReplyError, type Reply } from './resp-client.js';
import { ServerProcess, type ServerKind } from './server-process.js';

export interface KillLoopOptions {
  cycles: number;
  seconds: number;
  clients: number;
  appendfsync: Durability;
  workload: Workload;
  depth: number;
  runMsMax: number;
  preload: number;
  seed: number;
  server: ServerKind;
  serverArgs: string[];
  dir?: string;
  log?: (line: string) => void;
}

export interface KillLoopResult {
  cycles: number;
  keysChecked: number;
  lost: number;
  impossible: number;
  medianRecoveryMs: number;
  maxRecoveryMs: number;
  ackedOps: number;
  maybeOps: number;
  errorReplies: number;
  /** The ts workload, at the last check: samples read back and chunks holding them (TS.INFO). */
  seriesSamples: number;
  seriesChunks: number;
  seconds: number;
  messages: string[];
  summary: string; // the one final line
}

export const DEFAULT_KILL_LOOP_OPTIONS: KillLoopOptions = {
  cycles: 10, seconds: 60, clients: 4, appendfsync: 'always', workload: 'strings', depth: 16, runMsMax: 800,
  preload: 0, seed: 1, server: 'tskv', serverArgs: [],
};
const KEYS_PER_CLIENT: Record<Workload, KeyCounts> = {
  strings: { strings: 64, counters: 16, groups: 8, hashes: 0, sets: 0, zsets: 0, listPairs: 0 },
  types: { strings: 32, counters: 0, groups: 0, hashes: 16, sets: 16, zsets: 12, listPairs: 8 },
  ts: { strings: 0, counters: 0, groups: 0, hashes: 0, sets: 0, zsets: 0, listPairs: 0 }, // the series: chaos/series-history.ts
};
const READ_CHUNK_KEYS = 1_000;
const PRELOAD_CHUNK_KEYS = 100;
const PRELOAD_SAMPLE_KEYS = 1_000; // preloaded keys re-read after each restart; all of them at the end
const FINAL_RESERVE_MS = 15_000; // time kept for the last restart and check

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One client's traffic until stopped or disconnected: pipelines of `depth` planned ops. */
async function driveClient(port: number, history: ClientHistory, depth: number, rng: Rng, stop: { stopped: boolean }): Promise<void> {
  let client: RespClient;
  try {
    client = await RespClient.connect(port);
  } catch {
    return; // the server may already be gone: a kill right at the start
  }
  try {
    while (!stop.stopped && !client.closed) {
      const ops = Array.from({ length: depth }, () => history.planOp(rng));
      const promises = client.pipeline(ops.flatMap((op) => op.commands));
      const settled = await Promise.allSettled(promises);
      let offset = 0;
      for (const op of ops) {
        const replies = settled.slice(offset, offset + op.commands.length).map((result) =>
          result.status === 'fulfilled' ? result.value : (result.reason as Error));
        offset += op.commands.length;
        op.settle(replies);
      }
    }
  } finally {
    client.close();
  }
}

function replyText(reply: Reply): string | null {
  if (reply === null) return null;
  if (typeof reply === 'string') return reply;
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  if (typeof reply === 'number') return String(reply);
  throw new Error(`unexpected reply to GET: ${JSON.stringify(reply)}`);
}

async function readKeys(client: RespClient, keys: readonly string[]): Promise<Map<string, string | null>> {
  const values = new Map<string, string | null>();
  for (let start = 0; start < keys.length; start += READ_CHUNK_KEYS) {
    const chunk = keys.slice(start, start + READ_CHUNK_KEYS);
    const replies = await Promise.all(client.pipeline(chunk.map((key) => ['GET', key])));
    replies.forEach((reply, index) => {
      if (isReplyError(reply)) throw new Error(`GET ${chunk[index]} answered ${reply.message}`);
      values.set(chunk[index]!, replyText(reply));
    });
  }
  return values;
}

async function preloadKeys(client: RespClient, count: number): Promise<void> {
  for (let start = 0; start < count; start += PRELOAD_CHUNK_KEYS * 64) {
    const commands: string[][] = [];
    for (let chunk = start; chunk < Math.min(count, start + PRELOAD_CHUNK_KEYS * 64); chunk += PRELOAD_CHUNK_KEYS) {
      const command = ['MSET'];
      for (let i = chunk; i < Math.min(count, chunk + PRELOAD_CHUNK_KEYS); i++) command.push(`p:${i}`, makeValue(`p:${i}`, i));
      commands.push(command);
    }
    for (const reply of await Promise.all(client.pipeline(commands))) {
      if (reply !== 'OK') throw new Error(`preload MSET answered ${String(reply)}`);
    }
  }
}

async function checkPreloaded(client: RespClient, keys: readonly number[], tally: CheckTally): Promise<void> {
  const values = await readKeys(client, keys.map((i) => `p:${i}`));
  for (const i of keys) {
    tally.keysChecked++;
    const value = values.get(`p:${i}`) ?? null;
    if (value !== makeValue(`p:${i}`, i)) {
      const verdict = value === null ? 'lost' : 'impossible';
      tally[verdict]++;
      if (tally.messages.length < 20) tally.messages.push(`${verdict}: preloaded p:${i} = ${value === null ? '(absent)' : value.slice(0, 40)}`);
    }
  }
}

/** The replies to each aggregate's and list pair's read commands (elements, then counts), by key. */
async function readAggregates(client: RespClient, history: ClientHistory): Promise<Map<string, Reply[]>> {
  const reads = history.aggregateReads();
  const replies = await Promise.all(client.pipeline(reads.flatMap((read) => read.commands)));
  const byKey = new Map<string, Reply[]>();
  let offset = 0;
  for (const read of reads) {
    byKey.set(read.key, replies.slice(offset, offset + read.commands.length));
    offset += read.commands.length;
  }
  return byKey;
}

/** The replies to the series' read commands (the `ts` workload), in order. */
async function readSeries(client: RespClient, history: ClientHistory): Promise<Reply[]> {
  if (history.series === undefined) return [];
  return Promise.all(client.pipeline(history.series.readCommands()));
}

/** The `ts` workload's series and rules, created before the first kill; every reply must be OK. */
async function createSeries(port: number, histories: readonly ClientHistory[]): Promise<void> {
  const client = await RespClient.connect(port);
  try {
    for (const history of histories) {
      const commands = history.series?.setupCommands() ?? [];
      const replies = await Promise.all(client.pipeline(commands));
      replies.forEach((reply, index) => {
        if (reply !== 'OK') throw new Error(`${commands[index]!.join(' ')} answered ${isReplyError(reply) ? reply.message : JSON.stringify(reply)}`);
      });
    }
  } finally {
    client.close();
  }
}

/** Reads every key back, checks it, and checks DBSIZE against the keys found. */
async function checkServer(port: number, histories: readonly ClientHistory[], preloadSample: readonly number[], preloadCount: number, tally: CheckTally): Promise<void> {
  const client = await RespClient.connect(port);
  try {
    let present = 0;
    for (const history of histories) {
      const values = await readKeys(client, history.keys());
      for (const value of values.values()) if (value !== null) present++;
      present += history.checkAndRebase(values, tally, await readAggregates(client, history), await readSeries(client, history));
    }
    await checkPreloaded(client, preloadSample, tally);
    const size = await client.call('DBSIZE');
    if (typeof size === 'number' && size !== present + preloadCount) {
      tally.impossible++;
      tally.messages.push(`impossible: DBSIZE answered ${size}, but ${present + preloadCount} keys were read back`);
    }
  } finally {
    client.close();
  }
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export async function runKillLoop(partial: Partial<KillLoopOptions> = {}): Promise<KillLoopResult> {
  const options: KillLoopOptions = { ...DEFAULT_KILL_LOOP_OPTIONS, ...partial };
  const log = options.log ?? (() => {});
  const startedAt = performance.now();
  const deadline = startedAt + options.seconds * 1000;
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tskv-kill9-'));
  const rng = createRng(options.seed);
  const server = new ServerProcess({ dir, appendfsync: options.appendfsync, kind: options.server, extraArgs: options.serverArgs });
  const histories = Array.from({ length: options.clients }, (_, c) => new ClientHistory(c, KEYS_PER_CLIENT[options.workload], options.workload));
  const tally: CheckTally = { keysChecked: 0, lost: 0, impossible: 0, messages: [] };
  const recoveries: number[] = [];
  let cycles = 0;
  try {
    await server.start();
    if (options.workload === 'ts') await createSeries(server.port, histories);
    if (options.preload > 0) {
      const client = await RespClient.connect(server.port);
      try {
        await preloadKeys(client, options.preload);
      } finally {
        client.close();
      }
    }
    while (cycles < options.cycles && performance.now() < deadline - FINAL_RESERVE_MS) {
      const stop = { stopped: false };
      const drivers = histories.map((history, c) =>
        driveClient(server.port, history, options.depth, createRng(options.seed * 1000 + cycles * 16 + c), stop));
      // A random moment: sometimes right away (mid-connect), mostly while pipelines are in flight.
      const runMs = rng() < 0.1 ? rng() * 20 : rng() * options.runMsMax;
      await sleep(Math.min(runMs, Math.max(0, deadline - FINAL_RESERVE_MS - performance.now())));
      await server.kill9();
      stop.stopped = true;
      await Promise.all(drivers);
      cycles++;
      const recoveryMs = await server.start();
      recoveries.push(recoveryMs);
      const sample = Array.from({ length: Math.min(options.preload, PRELOAD_SAMPLE_KEYS) }, () => Math.floor(rng() * options.preload));
      await checkServer(server.port, histories, sample, options.preload, tally);
      log(`cycle ${cycles}: recovery ${recoveryMs.toFixed(0)} ms, lost ${tally.lost}, impossible ${tally.impossible}`);
    }
    // The last check reads every preloaded key; the server is then stopped politely.
    await checkServer(server.port, histories, Array.from({ length: options.preload }, (_, i) => i), options.preload, tally);
    await server.stop();
  } finally {
    await server.dispose();
    if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
  }
  const sum = (pick: (history: ClientHistory) => number) => histories.reduce((total, history) => total + pick(history), 0);
  const result: KillLoopResult = {
    cycles,
    keysChecked: tally.keysChecked,
    lost: tally.lost,
    impossible: tally.impossible,
    medianRecoveryMs: median(recoveries),
    maxRecoveryMs: recoveries.length === 0 ? 0 : Math.max(...recoveries),
    ackedOps: sum((history) => history.ackedOps),
    maybeOps: sum((history) => history.maybeOps),
    errorReplies: sum((history) => history.errorReplies),
    seriesSamples: sum((history) => history.series?.lastCheck.samples ?? 0),
    seriesChunks: sum((history) => history.series?.lastCheck.chunks ?? 0),
    seconds: (performance.now() - startedAt) / 1000,
    messages: [...tally.messages, ...histories.flatMap((history) => history.lastErrorReply === undefined ? [] : [`client ${history.client} last error reply: ${history.lastErrorReply}`])],
    summary: '',
  };
  result.summary = `kill9: cycles=${result.cycles} keys_checked=${result.keysChecked} lost=${result.lost} impossible=${result.impossible}` +
    ` median_recovery_ms=${result.medianRecoveryMs.toFixed(1)} max_recovery_ms=${result.maxRecoveryMs.toFixed(1)}` +
    ` server=${options.server} workload=${options.workload} appendfsync=${options.appendfsync} clients=${options.clients} preload=${options.preload}` +
    ` acked_ops=${result.ackedOps} unanswered_ops=${result.maybeOps} error_replies=${result.errorReplies}` +
    (options.workload === 'ts' ? ` series_samples=${result.seriesSamples} series_chunks=${result.seriesChunks}` : '') +
    ` seconds=${result.seconds.toFixed(1)}`;
  return result;
}

export function parseKillLoopArgs(argv: readonly string[]): Partial<KillLoopOptions> {
  const options: Partial<KillLoopOptions> = {};
  const serverArgs: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index]!;
    const value = argv[++index];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    const integer = () => {
      const parsed = Number(value);
      if (!Number.isSafeInteger(parsed) || parsed < 0) throw new Error(`${flag} needs a non-negative integer, got ${value}`);
      return parsed;
    };
    switch (flag) {
      case '--cycles': options.cycles = integer(); break;
      case '--seconds': options.seconds = integer(); break;
      case '--clients': options.clients = Math.max(1, integer()); break;
      case '--depth': options.depth = Math.max(1, integer()); break;
      case '--run-ms-max': options.runMsMax = integer(); break;
      case '--preload': options.preload = integer(); break;
      case '--seed': options.seed = integer(); break;
      case '--dir': options.dir = value; break;
      case '--server-arg': serverArgs.push(value); break;
      case '--appendfsync':
        if (value !== 'always' && value !== 'everysec' && value !== 'no') throw new Error(`--appendfsync: always, everysec or no`);
        options.appendfsync = value;
        break;
      case '--workload':
        if (value !== 'strings' && value !== 'types' && value !== 'ts') throw new Error(`--workload: strings, types or ts`);
        options.workload = value;
        break;
      case '--server':
        if (value !== 'tskv' && value !== 'redis') throw new Error(`--server: tskv or redis`);
        options.server = value;
        break;
      default: throw new Error(`unknown flag ${flag}`);
    }
  }
  if (serverArgs.length > 0) options.serverArgs = serverArgs;
  if (options.workload === 'ts' && (options.server === 'redis' || process.env.CHAOS_SERVER === 'redis')) throw new Error('--workload ts needs --server tskv (redis-server has no TS.* commands)');
  return options;
}

async function main(): Promise<void> {
  let options: Partial<KillLoopOptions>;
  try {
    options = parseKillLoopArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`kill9: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const verbose = process.env.CHAOS_VERBOSE === '1';
  let result: KillLoopResult;
  try {
    result = await runKillLoop({ ...options, ...(verbose ? { log: (line: string) => process.stderr.write(`${line}\n`) } : {}) });
  } catch (error) {
    process.stderr.write(`kill9: the loop could not run: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(2);
  }
  for (const message of result.messages) process.stderr.write(`${message}\n`);
  process.stdout.write(`${result.summary}\n`);
  const policy = options.appendfsync ?? DEFAULT_KILL_LOOP_OPTIONS.appendfsync;
  process.exit(result.impossible > 0 || (policy === 'always' && result.lost > 0) ? 1 : 0);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await main();
}
