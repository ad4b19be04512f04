// bench/zset-ranks.ts: what the sorted set reads that Redis answers in O(log N) cost on tskv's
// score index (src/types/zset-index.ts), against redis-server in the same run:
//   node build.mjs && node --import tsx bench/zset-ranks.ts [--members N] [--repeats R]
// Loads one zset of N members (default 1,000,000; random scores, member m<i>) by pipelined ZADDs
// of 1000 into a fresh tskv (--appendfsync no) and a fresh redis-server, then on tskv DEBUG
// COMPACT and waits until INFO's compactions_total holds still, so the index sits in tables as
// it would after a while (a scan of the memtable is several times slower per entry). Each query
// runs R times (default 5) from one connection, alone; prints the median ms per query and the
// reply's length, and checks both servers answered the same.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, rawRequest, REPO_DIR, SERVER_BUNDLE } from '../test/helpers/server.js';
import { RawClient, formatReply } from '../test/helpers/raw-client.js';
import { startRealRedis } from '../test/helpers/real-redis.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : fallback);
const MEMBERS = option('--members', 1_000_000);
const REPEATS = option('--repeats', 5);
const BATCH = 1000;
const IN_FLIGHT = 16;
const SETTLE_POLLS_MAX = 600; // one a second

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const scores = Array.from({ length: MEMBERS }, () => Math.floor(Math.random() * 1e9) / 1000);
const sortedIndexes = Array.from({ length: MEMBERS }, (_, index) => index).sort((a, b) => scores[a]! - scores[b]! || (`m${a}` < `m${b}` ? -1 : 1));
const memberAt = (rank: number) => `m${sortedIndexes[rank]!}`;
const middle = Math.floor(MEMBERS / 2);

const QUERIES: Array<[string, string[]]> = [
  ['ZREVRANGE 0 9 (top 10)', ['ZREVRANGE', 'z', '0', '9', 'WITHSCORES']],
  ['ZRANGE -10 -1', ['ZRANGE', 'z', '-10', '-1']],
  ['ZRANGE 0 9', ['ZRANGE', 'z', '0', '9']],
  ['ZRANGE N/2 N/2+9', ['ZRANGE', 'z', String(middle), String(middle + 9)]],
  ['ZREVRANGEBYSCORE +inf -inf LIMIT 0 10', ['ZREVRANGEBYSCORE', 'z', '+inf', '-inf', 'LIMIT', '0', '10']],
  ['ZRANGEBYSCORE 500000 +inf LIMIT 0 10', ['ZRANGEBYSCORE', 'z', '500000', '+inf', 'LIMIT', '0', '10']],
  ['ZRANK of rank 10', ['ZRANK', 'z', memberAt(10)]],
  ['ZRANK of rank N/2', ['ZRANK', 'z', memberAt(middle)]],
  ['ZRANK of rank N-10', ['ZRANK', 'z', memberAt(MEMBERS - 10)]],
  ['ZREVRANK of rank N-10', ['ZREVRANK', 'z', memberAt(MEMBERS - 10)]],
  ['ZCOUNT of 1% (narrow)', ['ZCOUNT', 'z', '100000', '110000']],
  ['ZCOUNT of 99% (wide)', ['ZCOUNT', 'z', '5000', '+inf']],
  ['ZCOUNT of 50%', ['ZCOUNT', 'z', '-inf', '500000']],
  ['ZSCORE', ['ZSCORE', 'z', memberAt(middle)]],
];

async function load(client: RawClient): Promise<void> {
  const batches: string[][] = [];
  for (let start = 0; start < MEMBERS; start += BATCH) {
    const args = ['ZADD', 'z'];
    for (let index = start; index < Math.min(MEMBERS, start + BATCH); index++) args.push(String(scores[index]), `m${index}`);
    batches.push(args);
  }
  for (let at = 0; at < batches.length; at += IN_FLIGHT) {
    for (const reply of await client.pipeline(batches.slice(at, at + IN_FLIGHT))) if (reply.type === 'error') throw new Error(formatReply(reply));
  }
}

async function settle(port: number): Promise<void> {
  await rawRequest(port, 'DEBUG COMPACT\r\n', 5_000);
  let last = '';
  for (let poll = 0; poll < SETTLE_POLLS_MAX; poll++) {
    await sleep(1_000);
    const info = await rawRequest(port, 'INFO tskv\r\n', 5_000);
    const now = /compactions_total:(\d+)/.exec(info)?.[1] ?? '';
    if (now === last && poll > 2) return;
    last = now;
  }
}

async function time(client: RawClient, args: string[]): Promise<{ ms: number; reply: string }> {
  const samples: number[] = [];
  let reply = '';
  for (let round = 0; round < REPEATS; round++) {
    const started = performance.now();
    reply = formatReply(await client.send(args));
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return { ms: samples[Math.floor(samples.length / 2)]!, reply };
}

async function main(): Promise<void> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tskv-zset-ranks-'));
  const server: ChildProcess = spawn(process.execPath, [SERVER_BUNDLE, '--port', String(port), '--dir', dir, '--appendfsync', 'no', '--loglevel', 'warning'], { stdio: 'ignore', cwd: REPO_DIR });
  const redis = await startRealRedis();
  try {
    for (let poll = 0; poll < 100 && !(await rawRequest(port, 'PING\r\n', 500)).startsWith('+PONG'); poll++) await sleep(100);
    const [tskv, oracle] = await Promise.all([RawClient.connect(port), RawClient.connect(redis.port)]);
    let started = Date.now();
    await load(tskv);
    console.log(`tskv: loaded ${MEMBERS} members in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    started = Date.now();
    await settle(port);
    console.log(`tskv: compacted in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await load(oracle);
    console.log(`\n| query (${MEMBERS.toLocaleString('en')} members) | tskv ms | redis ms | reply items |\n| --- | ---: | ---: | ---: |`);
    for (const [name, args] of QUERIES) {
      const [ours, theirs] = [await time(tskv, args), await time(oracle, args)];
      if (ours.reply !== theirs.reply) throw new Error(`${name}: tskv ${ours.reply.slice(0, 200)} / redis ${theirs.reply.slice(0, 200)}`);
      const items = ours.reply.startsWith('[') ? ours.reply.split(', ').length : 1;
      console.log(`| ${name} | ${ours.ms.toFixed(2)} | ${theirs.ms.toFixed(2)} | ${items} |`);
    }
    tskv.close();
    oracle.close();
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
