// src/commands/list-end-cache.test.ts: pops from the list end cache (types/list-end-cache.ts) in
// process, through dispatch, on real Engines (CrashableFileSystem). The model is a second server
// with the cache off: random pushes and pops at both ends (with and without COUNT, LMOVE,
// RPOPLPUSH, LMPOP) mixed with every other write that changes a list (LSET, LTRIM, LINSERT, LREM,
// DEL, SET over it, EXPIRE with the clock moved past it, RENAME, MOVE, COPY, DUMP + RESTORE,
// SWAPDB, FLUSHDB, FLUSHALL, MULTI / EXEC with pops inside, a command refused after its checks);
// every reply and every list's whole contents must be byte-identical after each step.
// Tiny bounds (runs of 4 elements, 2 lists) make fills, exhausted runs and eviction all happen.
// Then: a commit the engine refuses after a pop filled the cache, a read-only keyspace, a stack
// (no fill per pop), and the bounds.
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
import { listElementKey } from '../types/list.js';
import { configureListEndCache, listEndCacheStats } from '../types/list-end-cache.js';
import { registerAllCommands } from './index.js';

registerAllCommands();

const RUNS = 30;
const STEPS_MAX = 60;
const KEYS = ['l1', 'l2', 'l3'] as const;
const VALUES = ['a', 'b', 'c', 'dd', 'eee'] as const;

interface Node {
  engine: Engine;
  fs: CrashableFileSystem;
  server: ServerState;
  writer: ClientState;
  reader: ClientState;
  clock: { nowMs: number };
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
  configureListEndCache(keyspace, { enabled: cached, limits: { fillElementsMax: 4, listsMax: 2 } });
  return { engine, fs, server, writer: client(1), reader: client(2), clock };
}

/** Runs one command as client and returns its reply and its commit. */
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

function bulkOf(reply: string): Buffer | undefined {
  if (reply.startsWith('$-1')) return undefined;
  const header = reply.indexOf('\r\n');
  return Buffer.from(reply.slice(header + 2, header + 2 + Number(reply.slice(1, header))), 'latin1');
}

type Step =
  | { kind: 'command'; words: string[] }
  | { kind: 'multi'; commands: string[][] }
  | { kind: 'pops'; words: string[]; times: number }
  | { kind: 'restore'; source: string; target: string }
  | { kind: 'tick'; ms: number };

const key = fc.constantFrom(...KEYS, KEYS[0]); // l1 twice as often: longer lists, more pops in a row
const value = fc.constantFrom(...VALUES);
const side = fc.constantFrom('LEFT', 'RIGHT');
const index = fc.integer({ min: -4, max: 4 }).map(String);
const pop = fc.tuple(fc.constantFrom('LPOP', 'RPOP'), key, fc.constantFrom(undefined, '1', '2', '3', '6')).map(([name, k, c]) => (c === undefined ? [name, k] : [name, k, c]));
const writeWords: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(fc.constantFrom('LPUSH', 'RPUSH', 'LPUSHX', 'RPUSHX'), key, fc.array(value, { minLength: 1, maxLength: 8 })).map(([name, k, vs]) => [name, k, ...vs]) },
  { weight: 10, arbitrary: pop },
  { weight: 2, arbitrary: fc.tuple(key, key, side, side).map(([source, target, from, to]) => ['LMOVE', source, target, from, to]) },
  fc.tuple(key, key).map(([source, target]) => ['RPOPLPUSH', source, target]),
  fc.tuple(key, side, fc.constantFrom('1', '2')).map(([k, end, c]) => ['LMPOP', '1', k, end, 'COUNT', c]),
  { weight: 2, arbitrary: fc.tuple(key, index, value).map(([k, at, v]) => ['LSET', k, at, v]) },
  { weight: 2, arbitrary: fc.tuple(key, index, index).map(([k, a, b]) => ['LTRIM', k, a, b]) },
  { weight: 2, arbitrary: fc.tuple(key, fc.constantFrom('BEFORE', 'AFTER'), value, value).map(([k, where, pivot, v]) => ['LINSERT', k, where, pivot, v]) },
  { weight: 2, arbitrary: fc.tuple(key, fc.integer({ min: -2, max: 2 }), value).map(([k, c, v]) => ['LREM', k, String(c), v]) },
  fc.tuple(fc.constantFrom('DEL', 'UNLINK'), key).map(([name, k]) => [name, k]),
  key.map((k) => ['SET', k, 'string']),
  fc.tuple(key, fc.integer({ min: 1, max: 3 })).map(([k, seconds]) => ['EXPIRE', k, String(seconds)]),
  fc.tuple(key, key).map(([source, target]) => ['RENAME', source, target]),
  key.map((k) => ['MOVE', k, '1']),
  fc.tuple(key, key, fc.boolean()).map(([source, target, replace]) => ['COPY', source, target, ...(replace ? ['REPLACE'] : [])]),
  fc.constantFrom(['SWAPDB', '0', '1'], ['FLUSHDB'], ['FLUSHALL'], ['SELECT', '1'], ['SELECT', '0']).map((words) => [...words]),
  key.map((k) => ['LPOP', k, '-1']), // refused before it stages anything
);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 12, arbitrary: writeWords.map((words) => ({ kind: 'command' as const, words })) },
  { weight: 3, arbitrary: fc.array(fc.oneof(writeWords, pop), { minLength: 1, maxLength: 6 }).map((commands) => ({ kind: 'multi' as const, commands })) },
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('LPOP', 'RPOP'), key, fc.integer({ min: 2, max: 4 })).map(([name, k, times]) => ({ kind: 'pops' as const, words: [name, k], times })) },
  fc.tuple(key, key).map(([source, target]) => ({ kind: 'restore' as const, source, target })),
  fc.integer({ min: 500, max: 2_500 }).map((ms) => ({ kind: 'tick' as const, ms })),
);

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
    case 'pops': {
      const replies: string[] = [];
      for (let time = 0; time < taken.times; time++) replies.push(await run(node, writer, taken.words));
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
  }
}

/** Every list's whole contents in both databases. */
async function readAll(node: Node): Promise<string[]> {
  const replies: string[] = [];
  for (const db of [0, 1]) {
    node.reader.db = db;
    for (const k of KEYS) replies.push(await run(node, node.reader, ['LRANGE', k, '0', '-1']));
  }
  return replies;
}

describe('pops from the list end cache', () => {
  it('answer every command as the same server without the cache, across writes of every kind', async () => {
    let hits = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: STEPS_MAX / 2, maxLength: STEPS_MAX }), async (steps) => {
        const cached = await openNode(true);
        const plain = await openNode(false);
        try {
          for (const taken of steps) {
            const replies = await apply(cached, taken);
            expect(await apply(plain, taken), JSON.stringify(taken)).toEqual(replies);
            expect(await readAll(cached), JSON.stringify(taken)).toEqual(await readAll(plain));
          }
          expect(listEndCacheStats(plain.server.keyspace).lists).toBe(0);
          hits += listEndCacheStats(cached.server.keyspace).hits;
        } finally {
          await cached.engine.close();
          await plain.engine.close();
        }
      }),
      { numRuns: RUNS },
    );
    expect(hits).toBeGreaterThan(RUNS); // pops in a row did come from runs
  }, 120_000);

  // Each changes an element inside or at the edge of a filled run of l1 (a b c d e f; the tail run
  // d e f after two RPOPs of h and g, the second filling g f e d) without a pop: only the run's
  // update as the write is staged catches it.
  it.each([
    [['LSET', 'l1', '-1', 'X']], [['LSET', 'l1', '-2', 'X']], [['LSET', 'l1', '-3', 'X']],
    [['LINSERT', 'l1', 'BEFORE', 'e', 'X']], [['LREM', 'l1', '1', 'e']], [['LTRIM', 'l1', '0', '-2']],
    [['MULTI'], ['LSET', 'l1', '-1', 'X'], ['EXEC']], [['RPUSH', 'l1', 'X'], ['LREM', 'l1', '1', 'f']],
    [['DEL', 'l1'], ['RPUSH', 'l1', 'p', 'q', 'r']], [['LSET', 'l1', '-4', 'X']], [['LINSERT', 'l1', 'AFTER', 'e', 'X']],
  ])('sees %j in the next pops', async (...commands) => {
    const cached = await openNode(true);
    const plain = await openNode(false);
    for (const node of [cached, plain]) {
      await run(node, node.writer, ['RPUSH', 'l1', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
      expect(await run(node, node.writer, ['RPOP', 'l1'])).toBe('$1\r\nh\r\n');
      expect(await run(node, node.writer, ['RPOP', 'l1'])).toBe('$1\r\ng\r\n'); // fills g f e d
      for (const words of commands) await run(node, node.writer, words);
    }
    expect(listEndCacheStats(cached.server.keyspace).fills).toBe(1);
    for (let popped = 0; popped < 4; popped++) expect(await run(cached, cached.writer, ['RPOP', 'l1'])).toBe(await run(plain, plain.writer, ['RPOP', 'l1']));
    expect(await readAll(cached)).toEqual(await readAll(plain));
  });

  it('serves a queue\'s pops from runs, and a stack\'s from the engine without filling', async () => {
    const node = await openNode(true);
    configureListEndCache(node.server.keyspace, { limits: { fillElementsMax: 16 } });
    await run(node, node.writer, ['LPUSH', 'q', ...Array.from({ length: 40 }, (_, at) => String(at))]);
    for (let at = 0; at < 40; at++) expect(await run(node, node.writer, ['RPOP', 'q'])).toBe(`$${String(at).length}\r\n${at}\r\n`);
    expect(listEndCacheStats(node.server.keyspace)).toMatchObject({ fills: 3, hits: 36, lists: 0 }); // 1 point read, 3 fills (16 16 7), 36 hits; the last pop deleted q
    for (let at = 0; at < 10; at++) {
      await run(node, node.writer, ['LPUSH', 's', 'x', String(at)]);
      expect(await run(node, node.writer, ['LPOP', 's'])).toBe(`$${String(at).length}\r\n${at}\r\n`);
    }
    expect(listEndCacheStats(node.server.keyspace).fills).toBe(3);
  });

  it('does not answer from a fill of a commit the engine then refused', async () => {
    const node = await openNode(true, 'always');
    await run(node, node.writer, ['RPUSH', 'l1', 'a', 'b', 'c', 'd', 'e']);
    node.fs.injectFault({ op: 'sync', path: /\.log$/, code: 'EIO' });
    const refused = send(node, node.writer, ['LSET', 'l1', '-3', 'X']);
    expect(send(node, node.writer, ['RPOP', 'l1']).reply).toBe('$1\r\ne\r\n');
    expect(send(node, node.writer, ['RPOP', 'l1']).reply).toBe('$1\r\nd\r\n'); // would fill c (X) b a
    await expect(refused.commit).rejects.toThrow();
    expect(await run(node, node.reader, ['LRANGE', 'l1', '0', '-1'])).toBe('*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n');
    expect(listEndCacheStats(node.server.keyspace).hits).toBe(0);
  });

  it('caches nothing on a read-only keyspace (a replica), and forgets what it held before', async () => {
    const node = await openNode(true);
    const { keyspace, engine } = node.server;
    await run(node, node.writer, ['RPUSH', 'l1', 'a', 'b', 'c', 'd', 'e', 'f']);
    await run(node, node.writer, ['RPOP', 'l1']);
    await run(node, node.writer, ['RPOP', 'l1']); // fills d c b
    expect(listEndCacheStats(keyspace).lists).toBe(1);
    keyspace.setReadOnly(true);
    // what a primary's batch setting d to X does to the engine (engine.applyReplicated)
    const { version } = keyspace.get(0, Buffer.from('l1'))!;
    await engine.write([{ kind: 'put', key: listElementKey(version, 2 ** 52 + 3), value: Buffer.from('X') }]);
    keyspace.setReadOnly(false); // promoted
    expect(await run(node, node.writer, ['RPOP', 'l1'])).toBe('$1\r\nX\r\n');
    expect(await run(node, node.writer, ['RPOP', 'l1'])).toBe('$1\r\nc\r\n');
  });

  it('keeps within its bounds', async () => {
    const node = await openNode(true);
    configureListEndCache(node.server.keyspace, { limits: { fillElementsMax: 64, fillBytesMax: 1024, listsMax: 3, bytesMax: 4096 } });
    for (let list = 0; list < 6; list++) {
      const k = `big${list}`;
      await run(node, node.writer, ['RPUSH', k, ...Array.from({ length: 100 }, (_, at) => `${k}-${'v'.repeat(list * 10)}${at}`)]);
      await run(node, node.writer, ['RPOP', k]);
      expect(await run(node, node.writer, ['RPOP', k])).toBe(`$${k.length + 1 + list * 10 + 2}\r\n${k}-${'v'.repeat(list * 10)}98\r\n`);
      const stats = listEndCacheStats(node.server.keyspace);
      expect(stats.lists).toBeLessThanOrEqual(3);
      expect(stats.bytes).toBeLessThanOrEqual(4096);
    }
    const filled = listEndCacheStats(node.server.keyspace).fills;
    expect(filled).toBe(6);
    expect(await run(node, node.writer, ['RPOP', 'big5'])).toBe(`$${4 + 1 + 50 + 2}\r\nbig5-${'v'.repeat(50)}97\r\n`);
    expect(listEndCacheStats(node.server.keyspace).hits).toBeGreaterThan(0);
  });
});
