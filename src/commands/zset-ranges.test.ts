// src/commands/zset-ranges.test.ts: ZRANGE by rank from the zset head cache (types/zset-head-cache.ts)
// in process, through dispatch, on real Engines (CrashableFileSystem). The model is a second
// server with the cache off: random writes of every kind that changes a sorted set (ZADD and its
// flags, ZINCRBY, ZREM, the pops, ZMPOP, ZREMRANGEBY*, ZRANGESTORE, Z*STORE, DEL, UNLINK, SET over
// it, EXPIRE with the clock moved past it, lazy and active expiry, PERSIST, RENAME, MOVE, COPY,
// DUMP + RESTORE, SWAPDB, FLUSHDB, FLUSHALL, MULTI / EXEC with reads inside, a command that fails
// after staging) interleaved with rank reads on both databases, in RESP2 and RESP3; every reply
// must be byte-identical.
// Tiny bounds (3 entries per end, 2 zsets) make the head, the tail and eviction all happen. Each
// step also checks WATCH's hook: a key whose contents a step changed was told to onKeyModified
// (or its database to onDbFlushed). Then: a commit the engine refuses after a read filled the
// cache from it, a read-only keyspace, the bounds, and INFO's figures.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { CrashableFileSystem, Engine } from '../../storage/index.js';
import { RespWriter } from '../../protocol/index.js';
import { ClientState } from '../dispatch/client-state.js';
import type { CommandContext } from '../dispatch/command-table.js';
import { defaultConfig } from '../ops/config.js';
import { dispatch } from '../dispatch/dispatch.js';
import { Keyspace, KeyspaceGarbage } from '../keyspace/keyspace.js';
import { ServerState } from '../dispatch/server-state.js';
import { encodeStoredScore } from '../types/score-order.js';
import { memberKey, scoreKey } from '../types/zset.js';
import { configureZsetHeadCache, memberBulksCached, zsetHeadCacheStats } from '../types/zset-head-cache.js';
import { registerAllCommands } from './index.js';

registerAllCommands();

const RUNS = 25;
const STEPS_MAX = 40;
const KEYS = ['z1', 'z2', 'z3'] as const;
const MEMBERS = ['a', 'b', 'c', 'd', 'e', 'f', 'g'] as const;
const READS: readonly string[][] = [
  ['ZRANGE', '%', '0', '0'], ['ZRANGE', '%', '0', '2', 'WITHSCORES'], ['ZRANGE', '%', '1', '2'], ['ZRANGE', '%', '0', '-1', 'WITHSCORES'],
  ['ZRANGE', '%', '-2', '-1', 'WITHSCORES'], ['ZREVRANGE', '%', '0', '1', 'WITHSCORES'], ['ZRANGE', '%', '0', '2', 'REV'], ['ZRANGE', '%', '-1', '-1'],
];

interface Node {
  engine: Engine;
  fs: CrashableFileSystem;
  server: ServerState;
  writer: ClientState;
  reader: ClientState;
  reader3: ClientState; // RESP3
  clock: { nowMs: number };
  touched: Set<string>; // 'db:key' told to onKeyModified, or 'db:*' to onDbFlushed, since the last step
}

const opened: Engine[] = [];
afterEach(async () => {
  for (const engine of opened.splice(0)) await engine.close().catch(() => undefined);
});

const quiet = () => undefined;
const connection = {
  closeAfterReply: quiet, destroy: quiet, socketFd: () => -1, queryBufferBytes: () => 0, queryBufferFreeBytes: () => 0, replyBytesPending: () => 0,
  commandsPending: () => 0, sendOutOfBand: quiet, runUnblocked: quiet, handOver: quiet,
};

async function openNode(cached: boolean, syncPolicy: 'always' | 'no' = 'no'): Promise<Node> {
  const fs = new CrashableFileSystem();
  const garbage = new KeyspaceGarbage();
  const engine = await Engine.open({ dir: '/db', fs, syncPolicy, compactionFilter: garbage.filter });
  opened.push(engine);
  const clock = { nowMs: 1_700_000_000_000 };
  const keyspace = await Keyspace.open(engine, { garbage, nowMs: () => clock.nowMs });
  const server = new ServerState({ config: defaultConfig(), engine, keyspace, logger: { debug: quiet, info: quiet, warn: quiet, error: quiet } });
  const client = (id: number) => new ClientState({ id, address: `127.0.0.1:${id}`, localAddress: '127.0.0.1:2', authenticated: true, nowMs: clock.nowMs, connection });
  const node: Node = { engine, fs, server, writer: client(1), reader: client(2), reader3: client(3), clock, touched: new Set() };
  node.reader3.protocol = 3;
  configureZsetHeadCache(keyspace, { enabled: cached, limits: { entriesMax: 3, zsetsMax: 2 } });
  const previousModified = keyspace.onKeyModified;
  keyspace.onKeyModified = (db, key) => {
    previousModified?.(db, key);
    node.touched.add(`${db}:${key.toString('latin1')}`);
  };
  const previousFlushed = keyspace.onDbFlushed;
  keyspace.onDbFlushed = (db) => {
    previousFlushed?.(db);
    node.touched.add(`${db}:*`);
  };
  return node;
}

/** Runs one command as client and returns its reply (in the client's protocol) and its commit. */
function send(node: Node, client: ClientState, words: readonly (string | Buffer)[]): { reply: string; commit: Promise<void> | undefined } {
  const out = new RespWriter(client.protocol);
  const ctx: CommandContext = { server: node.server, client, out };
  const { commit } = dispatch(ctx, words.map((word) => (typeof word === 'string' ? Buffer.from(word, 'latin1') : word)));
  commit?.catch(() => undefined);
  return { reply: out.take().toString('latin1'), commit };
}

async function run(node: Node, client: ClientState, words: readonly (string | Buffer)[]): Promise<string> {
  const { reply, commit } = send(node, client, words);
  await commit;
  return reply;
}

/** The bulk payload of a RESP2 bulk reply, or undefined for a null. */
function bulkOf(reply: string): Buffer | undefined {
  if (reply.startsWith('$-1')) return undefined;
  const header = reply.indexOf('\r\n');
  return Buffer.from(reply.slice(header + 2, header + 2 + Number(reply.slice(1, header))), 'latin1');
}

type Step =
  | { kind: 'command'; words: string[] }
  | { kind: 'multi'; commands: string[][] }
  | { kind: 'restore'; source: string; target: string }
  | { kind: 'tick'; ms: number }
  | { kind: 'activeExpire' };

const key = fc.constantFrom(...KEYS);
const member = fc.constantFrom(...MEMBERS);
const score = fc.oneof(fc.integer({ min: -3, max: 4 }).map(String), fc.constantFrom('-0', '1.5', '+inf', '-inf'));
const count = fc.integer({ min: 1, max: 4 }).map(String);
const writeWords: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(key, fc.array(fc.tuple(score, member), { minLength: 1, maxLength: 4 })).map(([k, pairs]) => ['ZADD', k, ...pairs.flat()]) },
  { weight: 2, arbitrary: fc.tuple(key, fc.constantFrom('NX', 'XX', 'GT', 'LT', 'CH', 'XX CH', 'GT CH'), score, member).map(([k, flag, s, m]) => ['ZADD', k, ...flag.split(' '), s, m]) },
  fc.tuple(key, score, member).map(([k, s, m]) => ['ZINCRBY', k, s, m]),
  fc.tuple(key, fc.array(member, { minLength: 1, maxLength: 3 })).map(([k, ms]) => ['ZREM', k, ...ms]),
  fc.tuple(fc.constantFrom('ZPOPMIN', 'ZPOPMAX'), key, count).map(([name, k, c]) => [name, k, c]),
  fc.tuple(key, fc.constantFrom('MIN', 'MAX'), count).map(([k, end, c]) => ['ZMPOP', '1', k, end, 'COUNT', c]),
  fc.tuple(key, fc.integer({ min: -3, max: 3 }), fc.integer({ min: -3, max: 3 })).map(([k, a, b]) => ['ZREMRANGEBYRANK', k, String(a), String(b)]),
  fc.tuple(key, score, score).map(([k, a, b]) => ['ZREMRANGEBYSCORE', k, a, b]),
  fc.tuple(key, member).map(([k, m]) => ['ZREMRANGEBYLEX', k, '-', `[${m}`]),
  fc.tuple(key, key).map(([target, source]) => ['ZRANGESTORE', target, source, '0', '2']),
  fc.tuple(fc.constantFrom('ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE'), key, key, key).map(([name, target, a, b]) => [name, target, '2', a, b]),
  fc.tuple(fc.constantFrom('DEL', 'UNLINK'), key).map(([name, k]) => [name, k]),
  key.map((k) => ['SET', k, 'string']),
  fc.tuple(key, fc.integer({ min: 1, max: 3 })).map(([k, seconds]) => ['EXPIRE', k, String(seconds)]),
  key.map((k) => ['PERSIST', k]),
  fc.tuple(key, key).map(([source, target]) => ['RENAME', source, target]),
  key.map((k) => ['MOVE', k, '1']),
  fc.tuple(key, key, fc.boolean()).map(([source, target, replace]) => ['COPY', source, target, ...(replace ? ['REPLACE'] : [])]),
  fc.tuple(key, key).map(([source, target]) => ['COPY', source, target, 'DB', '1']),
  fc.constantFrom(['SWAPDB', '0', '1'], ['FLUSHDB'], ['FLUSHALL'], ['SELECT', '1'], ['SELECT', '0']).map((words) => [...words]),
  key.map((k) => ['ZADD', k, 'nan', 'a']), // refused before it stages anything
  key.map((k) => ['ZINCRBY', k, '+inf', 'a']), // inf then -inf: NaN, refused after the read
);
const readWords: fc.Arbitrary<string[]> = fc.tuple(fc.constantFrom(...READS), key).map(([read, k]) => read.map((word) => (word === '%' ? k : word)));
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: writeWords.map((words) => ({ kind: 'command' as const, words })) },
  { weight: 2, arbitrary: fc.array(fc.oneof(writeWords, readWords), { minLength: 1, maxLength: 5 }).map((commands) => ({ kind: 'multi' as const, commands })) },
  fc.tuple(key, key).map(([source, target]) => ({ kind: 'restore' as const, source, target })),
  fc.integer({ min: 500, max: 2_500 }).map((ms) => ({ kind: 'tick' as const, ms })),
  fc.constant({ kind: 'activeExpire' as const }),
);

/** Applies a step to a node and returns the replies it gave. */
async function apply(node: Node, taken: Step): Promise<string[]> {
  const { writer } = node;
  switch (taken.kind) {
    case 'command':
      return [await run(node, writer, taken.words)];
    case 'multi': {
      const replies = [await run(node, writer, ['MULTI'])];
      for (const words of taken.commands) replies.push(await run(node, writer, words));
      replies.push(await run(node, writer, ['EXEC']));
      return replies;
    }
    case 'restore': {
      const payload = bulkOf(await run(node, writer, ['DUMP', taken.source]));
      if (payload === undefined) return ['(nothing to dump)'];
      return [await run(node, writer, ['RESTORE', taken.target, '0', payload, 'REPLACE'])];
    }
    case 'tick':
      node.clock.nowMs += taken.ms;
      return [];
    case 'activeExpire': {
      const { keyspace } = node.server;
      const deleted = keyspace.activeExpireCycle(200);
      await keyspace.commit();
      return [String(deleted)];
    }
  }
}

/** Every rank read of every key in both databases, as the reader clients answer them (RESP2, RESP3). */
async function readAll(node: Node): Promise<string[]> {
  const replies: string[] = [];
  for (const reader of [node.reader, node.reader3]) {
    for (const db of [0, 1]) {
      reader.db = db;
      for (const read of READS) for (const k of KEYS) replies.push(await run(node, reader, read.map((word) => (word === '%' ? k : word))));
    }
  }
  return replies;
}

/** What each key holds, for the WATCH check: 'db:key' -> its type and whole contents. */
async function contents(node: Node): Promise<Map<string, string>> {
  const held = new Map<string, string>();
  for (const db of [0, 1]) {
    node.reader.db = db;
    for (const k of KEYS) {
      const type = await run(node, node.reader, ['TYPE', k]);
      const body = type === '+zset\r\n' ? await run(node, node.reader, ['ZRANGE', k, '0', '-1', 'WITHSCORES']) : await run(node, node.reader, ['DUMP', k]);
      held.set(`${db}:${k}`, type + body);
    }
  }
  return held;
}

describe('ZRANGE by rank with the head cache', () => {
  it('answers every read as the same server without the cache, across writes of every kind', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: STEPS_MAX }), async (steps) => {
        const cached = await openNode(true);
        const plain = await openNode(false);
        try {
          for (const taken of steps) {
            const before = await contents(plain);
            cached.touched.clear();
            const replies = await apply(cached, taken);
            expect(await apply(plain, taken)).toEqual(replies);
            expect(await readAll(cached)).toEqual(await readAll(plain));
            const after = await contents(plain);
            for (const [id, held] of after) {
              if (before.get(id) === held) continue;
              const db = id.slice(0, id.indexOf(':'));
              expect(cached.touched.has(id) || cached.touched.has(`${db}:*`) || cached.touched.has('all:*'), `WATCH told of ${id} after ${JSON.stringify(taken)}`).toBe(true);
            }
          }
          expect(zsetHeadCacheStats(plain.server.keyspace).zsets).toBe(0);
        } finally {
          await cached.engine.close();
          await plain.engine.close();
        }
      }),
      { numRuns: RUNS },
    );
  }, 60_000);

  // Each changes the order or the scores of z1 (a=1 b=2 c=3 d=4) and keeps its count: the entry's
  // count check does not catch it, only the drop as its elements are staged does.
  it.each([
    [['ZINCRBY', 'z1', '10', 'a']], [['ZADD', 'z1', '0', 'd']], [['ZADD', 'z1', 'XX', 'CH', '5', 'b']], [['ZADD', 'z1', 'GT', '9', 'a']],
    [['ZADD', 'z1', 'LT', '-1', 'c']], [['ZADD', 'z1', 'INCR', '-5', 'd']], [['ZADD', 'z1', '2', 'a', '1', 'b']],
    [['MULTI'], ['ZREM', 'z1', 'a'], ['ZADD', 'z1', '0', 'q'], ['EXEC']],
    [['MULTI'], ['ZPOPMIN', 'z1'], ['ZADD', 'z1', '0', 'q'], ['EXEC']],
    [['MULTI'], ['ZMPOP', '1', 'z1', 'MIN'], ['ZADD', 'z1', '1.5', 'q'], ['EXEC']],
    [['MULTI'], ['ZREMRANGEBYRANK', 'z1', '0', '0'], ['ZINCRBY', 'z1', '-9', 'q'], ['EXEC']],
    [['MULTI'], ['ZREMRANGEBYSCORE', 'z1', '4', '4'], ['ZADD', 'z1', '-1', 'q'], ['ZRANGE', 'z1', '0', '0'], ['EXEC']],
  ])('drops a zset whose elements %j changed without changing its count', async (...commands) => {
    const cached = await openNode(true);
    const plain = await openNode(false);
    for (const node of [cached, plain]) {
      await run(node, node.writer, ['ZADD', 'z1', '1', 'a', '2', 'b', '3', 'c', '4', 'd']);
      expect(await run(node, node.reader, ['ZRANGE', 'z1', '0', '2', 'WITHSCORES'])).toBe('*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n');
      expect(await run(node, node.reader, ['ZREVRANGE', 'z1', '0', '1', 'WITHSCORES'])).toMatch(/^\*4\r\n\$1\r\nd\r\n/);
      expect(await run(node, node.reader, ['ZRANGE', 'z1', '0', '1'])).toBe('*2\r\n$1\r\na\r\n$1\r\nb\r\n');
      for (const words of commands) await run(node, node.writer, words);
    }
    expect(zsetHeadCacheStats(cached.server.keyspace).hits).toBe(1); // ZRANGE z 0 1, from the head
    expect(await readAll(cached)).toEqual(await readAll(plain));
  });

  // The refused writes keep the count (b moves to the front), so the entry's count check does not catch them.
  it('does not answer from a fill of a commit the engine then refused', async () => {
    const node = await openNode(true, 'always');
    await run(node, node.writer, ['ZADD', 'z1', '1', 'a', '2', 'b']);
    node.fs.injectFault({ op: 'sync', path: /\.log$/, code: 'EIO' });
    const refused = send(node, node.writer, ['ZADD', 'z1', '0', 'b']);
    expect(send(node, node.reader, ['ZRANGE', 'z1', '0', '1']).reply).toBe('*2\r\n$1\r\nb\r\n$1\r\na\r\n'); // read before the fsync: not acknowledged yet
    await expect(refused.commit).rejects.toThrow();
    expect(await run(node, node.reader, ['ZRANGE', 'z1', '0', '1'])).toBe('*2\r\n$1\r\na\r\n$1\r\nb\r\n');
  });

  it('does not answer from a fill inside an EXEC whose commit the engine refused', async () => {
    const node = await openNode(true, 'always');
    await run(node, node.writer, ['ZADD', 'z1', '1', 'a', '2', 'b']);
    expect(await run(node, node.reader, ['ZRANGE', 'z1', '0', '1'])).toBe('*2\r\n$1\r\na\r\n$1\r\nb\r\n');
    node.fs.injectFault({ op: 'sync', path: /\.log$/, code: 'EIO' });
    for (const words of [['MULTI'], ['ZADD', 'z1', '0', 'b'], ['ZRANGE', 'z1', '0', '1']]) send(node, node.writer, words);
    const exec = send(node, node.writer, ['EXEC']);
    expect(exec.reply).toBe('*2\r\n:0\r\n*2\r\n$1\r\nb\r\n$1\r\na\r\n');
    expect(send(node, node.reader, ['ZRANGE', 'z1', '0', '1']).reply).toBe('*2\r\n$1\r\nb\r\n$1\r\na\r\n');
    await expect(exec.commit).rejects.toThrow();
    expect(await run(node, node.reader, ['ZRANGE', 'z1', '0', '1'])).toBe('*2\r\n$1\r\na\r\n$1\r\nb\r\n');
  });

  it('caches nothing on a read-only keyspace (a replica), and forgets what it held before', async () => {
    const node = await openNode(true);
    const { keyspace, engine } = node.server;
    await run(node, node.writer, ['ZADD', 'z1', '1', 'a', '2', 'b']);
    expect(await run(node, node.reader, ['ZRANGE', 'z1', '0', '0'])).toBe('*1\r\n$1\r\na\r\n');
    keyspace.setReadOnly(true);
    // what a primary's batch moving b to the front does to the engine (engine.applyReplicated)
    const { version } = keyspace.get(0, Buffer.from('z1'))!;
    await engine.write([
      { kind: 'delete', key: scoreKey(version, 2, Buffer.from('b')) },
      { kind: 'put', key: scoreKey(version, 0, Buffer.from('b')), value: Buffer.alloc(0) },
      { kind: 'put', key: memberKey(version, Buffer.from('b')), value: encodeStoredScore(0) },
    ]);
    expect(await run(node, node.reader, ['ZRANGE', 'z1', '0', '0'])).toBe('*1\r\n$1\r\nb\r\n');
    expect(zsetHeadCacheStats(keyspace).hits).toBe(0);
    keyspace.setReadOnly(false); // promoted
    expect(await run(node, node.reader, ['ZRANGE', 'z1', '0', '0'])).toBe('*1\r\n$1\r\nb\r\n');
    expect(await run(node, node.reader, ['ZRANGE', 'z1', '0', '0'])).toBe('*1\r\n$1\r\nb\r\n');
    expect(zsetHeadCacheStats(keyspace)).toMatchObject({ zsets: 1, hits: 1 });
  });

  it('gives a cached run of ranks as its members\' bulk strings in one Buffer, and nothing past the cached ends', async () => {
    const node = await openNode(true);
    const { keyspace } = node.server;
    await run(node, node.writer, ['ZADD', 'z1', '1', 'a', '2', 'bb', '3', 'c', '4', 'd', '5', 'e']);
    const record = () => keyspace.get(0, Buffer.from('z1'))!;
    expect(memberBulksCached(keyspace, record(), 0, 1, true)).toBeUndefined(); // nothing filled yet
    expect(await run(node, node.reader, ['ZRANGE', 'z1', '0', '1'])).toBe('*2\r\n$1\r\na\r\n$2\r\nbb\r\n'); // fills the head
    expect(await run(node, node.reader, ['ZRANGE', 'z1', '-2', '-1', 'WITHSCORES'])).toMatch(/^\*4\r\n/); // fills the tail
    expect(memberBulksCached(keyspace, record(), 0, 1, true)?.toString('latin1')).toBe('$1\r\na\r\n$2\r\nbb\r\n');
    expect(memberBulksCached(keyspace, record(), 1, 1, true)?.toString('latin1')).toBe('$2\r\nbb\r\n');
    expect(memberBulksCached(keyspace, record(), 3, 4, true)?.toString('latin1')).toBe('$1\r\nd\r\n$1\r\ne\r\n');
    expect(memberBulksCached(keyspace, record(), 1, 3, true)).toBeUndefined(); // spans the gap between the ends
    expect(memberBulksCached(keyspace, record(), 0, 1, false)).toBeUndefined(); // the engine has failed
    expect(await run(node, node.reader, ['ZRANGE', 'z1', '0', '1'])).toBe('*2\r\n$1\r\na\r\n$2\r\nbb\r\n');
    await run(node, node.writer, ['ZADD', 'z1', '0', 'bb']); // same count, new order: dropped as staged
    expect(memberBulksCached(keyspace, record(), 0, 1, true)).toBeUndefined();
    expect(await run(node, node.reader, ['ZRANGE', 'z1', '0', '1'])).toBe('*2\r\n$2\r\nbb\r\n$1\r\na\r\n');
  });

  it('keeps within its bounds and answers repeated reads from memory', async () => {
    const node = await openNode(true);
    configureZsetHeadCache(node.server.keyspace, { limits: { entriesMax: 128, zsetsMax: 3, bytesMax: 64 * 1024 } });
    for (let index = 0; index < 6; index++) {
      const k = `big${index}`;
      const members = Array.from({ length: 200 }, (_, at) => [String(at), `${k}-${'m'.repeat(index * 20)}${at}`]).flat();
      await run(node, node.writer, ['ZADD', k, ...members]);
      await run(node, node.reader, ['ZRANGE', k, '0', '99']);
      await run(node, node.reader, ['ZRANGE', k, '-10', '-1']);
      const stats = zsetHeadCacheStats(node.server.keyspace);
      expect(stats.zsets).toBeLessThanOrEqual(3);
      expect(stats.bytes).toBeLessThanOrEqual(64 * 1024);
    }
    expect(await run(node, node.reader, ['ZRANGE', 'big0', '0', '1'])).toBe('*2\r\n$6\r\nbig0-0\r\n$6\r\nbig0-1\r\n'); // filled again if evicted
    const before = zsetHeadCacheStats(node.server.keyspace);
    expect(await run(node, node.reader, ['ZRANGE', 'big0', '1', '1'])).toBe('*1\r\n$6\r\nbig0-1\r\n');
    expect(await run(node, node.reader, ['ZRANGE', 'big0', '-1', '-1'])).toBe('*1\r\n$8\r\nbig0-199\r\n'); // the tail: filled, not yet hit
    expect(await run(node, node.reader, ['ZREVRANGE', 'big0', '0', '0'])).toBe('*1\r\n$8\r\nbig0-199\r\n');
    expect(zsetHeadCacheStats(node.server.keyspace).hits).toBe(before.hits + 2);
    expect(await run(node, node.reader, ['ZRANGE', 'big0', '0', '199'])).toMatch(/^\*200\r\n/); // past the head: read, not cached
    expect(await run(node, node.reader, ['ZRANGE', 'big5', '0', '1'])).toBe(`*2\r\n$${'big5-'.length + 101}\r\nbig5-${'m'.repeat(100)}0\r\n$${'big5-'.length + 101}\r\nbig5-${'m'.repeat(100)}1\r\n`); // too big to keep
    const info = await run(node, node.reader, ['INFO', 'memory']);
    expect(info).toMatch(new RegExp(`tskv_zset_cache_bytes:${zsetHeadCacheStats(node.server.keyspace).bytes}\r\n`));
    expect(info).toMatch(/tskv_zset_cache_bytes_max:65536\r\n/);
  });
});
