// test/scan.test.ts: SCAN end to end: the u64 cursor (syntax as Redis's strtoul, validity across a
// restart), MATCH / COUNT / TYPE, expiry, databases, binary keys, keys added and removed mid-scan,
// through ioredis 6 (RESP3), ioredis 5 (RESP2) and the raw wire.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Redis as Redis5 } from 'ioredis5';
import { startServer, type StartedServer } from './helpers/server.js';
import { RawClient, formatReply, replyBytes, replyItems } from './helpers/raw-client.js';

let server: StartedServer;
let raw: RawClient;
let redis: Redis;

const U64_MAX = 2n ** 64n - 1n;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Full iteration on the raw wire; checks every cursor is a canonical u64 decimal. */
async function scanAll(client: RawClient, ...options: string[]): Promise<{ keys: string[]; pages: number }> {
  const keys: string[] = [];
  let cursor = '0';
  let pages = 0;
  do {
    const reply = await client.send(['SCAN', cursor, ...options]);
    const [next, items] = replyItems(reply);
    cursor = replyBytes(next!).toString();
    expect(cursor).toMatch(/^(0|[1-9][0-9]*)$/);
    expect(BigInt(cursor) <= U64_MAX).toBe(true);
    for (const item of replyItems(items!)) keys.push(replyBytes(item).toString('latin1'));
    pages++;
    expect(pages).toBeLessThan(100_000);
  } while (cursor !== '0');
  return { keys, pages };
}

async function fill(count: number, prefix = 'key:'): Promise<string[]> {
  const names = Array.from({ length: count }, (_, index) => `${prefix}${index}`);
  for (let start = 0; start < names.length; start += 1000) {
    await redis.mset(...names.slice(start, start + 1000).flatMap((name) => [name, 'v']));
  }
  return names;
}

beforeAll(async () => {
  server = await startServer();
  raw = await RawClient.connect(server.port);
  redis = new Redis({ port: server.port, host: '127.0.0.1' });
});

afterAll(async () => {
  raw?.close();
  redis?.disconnect();
  await server?.stop();
});

beforeEach(async () => {
  await raw.send(['FLUSHALL']);
});

describe('SCAN', () => {
  it('answers cursor 0 and no keys on an empty database', async () => {
    expect(formatReply(await raw.send(['SCAN', '0']))).toBe('["0", []]');
  });

  it('returns every key exactly once over a full iteration with the default COUNT', async () => {
    const names = await fill(1000);
    const { keys, pages } = await scanAll(raw);
    expect(new Set(keys)).toEqual(new Set(names));
    expect(keys.length).toBe(names.length);
    expect(pages).toBeGreaterThan(10);
  });

  it('returns whole pages near COUNT and everything with a huge COUNT', async () => {
    const names = await fill(500);
    const page = replyItems(await raw.send(['SCAN', '0', 'COUNT', '100']));
    expect(replyItems(page[1]!).length).toBeGreaterThanOrEqual(50);
    const all = await scanAll(raw, 'COUNT', '9223372036854775807');
    expect(new Set(all.keys)).toEqual(new Set(names));
  });

  it('reads cursors as strtoul does: "", sign, leading zeros, up to 2^64-1', async () => {
    await fill(10);
    for (const cursor of ['', '-1', '+5', '007', '18446744073709551615', '-18446744073709551615', '-0']) {
      const reply = await raw.send(['SCAN', cursor]);
      expect(reply.type, `cursor ${JSON.stringify(cursor)}`).toBe('array');
    }
    const nulCut = await raw.send(['SCAN', Buffer.from('0\x00garbage', 'latin1')]);
    expect(nulCut.type).toBe('array');
  });

  it('answers invalid cursor to spaces, hex, junk and values past 2^64-1', async () => {
    for (const cursor of ['abc', ' 1', '\t1', '1 ', '0x10', '1x', '+', '-', '18446744073709551616', '-18446744073709551616',
      '99999999999999999999999']) {
      expect(formatReply(await raw.send(['SCAN', cursor])), `cursor ${JSON.stringify(cursor)}`).toBe('-ERR invalid cursor');
    }
  });

  it('answers Redis errors for bad options', async () => {
    const cases: [string[], string][] = [
      [['SCAN', '0', 'COUNT', '0'], '-ERR syntax error'],
      [['SCAN', '0', 'COUNT', '-1'], '-ERR syntax error'],
      [['SCAN', '0', 'COUNT', 'x'], '-ERR value is not an integer or out of range'],
      [['SCAN', '0', 'COUNT', ' 1'], '-ERR value is not an integer or out of range'],
      [['SCAN', '0', 'MATCH'], '-ERR syntax error'],
      [['SCAN', '0', 'FOO', 'bar'], '-ERR syntax error'],
      [['SCAN', 'x', 'FOO'], '-ERR invalid cursor'],
      [['SCAN'], "-ERR wrong number of arguments for 'scan' command"],
    ];
    for (const [args, expected] of cases) expect(formatReply(await raw.send(args)), args.join(' ')).toBe(expected);
  });

  it('filters by MATCH with Redis globs, case-sensitively', async () => {
    await redis.mset('user:1', 'a', 'user:2', 'b', 'user:10', 'c', 'User:3', 'd', 'order:1', 'e', 'k*', 'f');
    expect(new Set((await scanAll(raw, 'MATCH', 'user:*')).keys)).toEqual(new Set(['user:1', 'user:2', 'user:10']));
    expect(new Set((await scanAll(raw, 'MATCH', 'user:?')).keys)).toEqual(new Set(['user:1', 'user:2']));
    expect(new Set((await scanAll(raw, 'MATCH', '[uU]ser:[^1]*')).keys)).toEqual(new Set(['user:2', 'User:3']));
    expect(new Set((await scanAll(raw, 'MATCH', 'k\\*')).keys)).toEqual(new Set(['k*']));
    expect((await scanAll(raw, 'MATCH', 'nothing*', 'COUNT', '3')).keys).toEqual([]);
  });

  it('filters by TYPE, case-insensitively, and an unknown type matches nothing', async () => {
    await fill(20);
    expect((await scanAll(raw, 'TYPE', 'string')).keys.length).toBe(20);
    expect((await scanAll(raw, 'TYPE', 'STRING')).keys.length).toBe(20);
    expect((await scanAll(raw, 'TYPE', 'list')).keys.length).toBe(0);
    expect((await scanAll(raw, 'TYPE', 'nosuchtype')).keys.length).toBe(0);
  });

  it('never returns an expired key', async () => {
    await fill(50, 'live:');
    const doomed = Array.from({ length: 50 }, (_, index) => `doomed:${index}`);
    for (const name of doomed) await redis.set(name, 'x', 'PX', 5);
    await sleep(30);
    const { keys } = await scanAll(raw);
    expect(keys.filter((key) => key.startsWith('doomed:'))).toEqual([]);
    expect(keys.length).toBe(50);
  });

  it('scans only the selected database', async () => {
    await fill(30, 'db0:');
    const other = await RawClient.connect(server.port);
    try {
      await other.send(['SELECT', '1']);
      await other.send(['MSET', 'db1:a', '1', 'db1:b', '2']);
      expect(new Set((await scanAll(other)).keys)).toEqual(new Set(['db1:a', 'db1:b']));
      expect((await scanAll(raw)).keys.length).toBe(30);
    } finally {
      other.close();
    }
  });

  it('returns binary keys byte for byte', async () => {
    const binary = [Buffer.from([0, 255, 13, 10]), Buffer.from([0x80]), Buffer.alloc(0), Buffer.from('plain')];
    for (const key of binary) await redis.set(key, 'v');
    const { keys } = await scanAll(raw);
    expect(new Set(keys)).toEqual(new Set(binary.map((key) => key.toString('latin1'))));
  });

  it('returns every key present throughout while others are added and removed', async () => {
    const stable = await fill(2000, 'stable:');
    const found = new Set<string>();
    let cursor = '0';
    let round = 0;
    do {
      const reply = await raw.send(['SCAN', cursor, 'COUNT', '50']);
      const [next, items] = replyItems(reply);
      cursor = replyBytes(next!).toString();
      for (const item of replyItems(items!)) found.add(replyBytes(item).toString('latin1'));
      await redis.mset(...Array.from({ length: 20 }, (_, index) => [`churn:${round}:${index}`, 'x']).flat());
      if (round > 0) await redis.del(...Array.from({ length: 20 }, (_, index) => `churn:${round - 1}:${index}`));
      round++;
    } while (cursor !== '0');
    for (const name of stable) expect(found.has(name), name).toBe(true);
  });

  it('works through ioredis scanStream (RESP3) and ioredis 5 (RESP2)', async () => {
    const names = await fill(300);
    const streamed = new Set<string>();
    await new Promise<void>((resolve, reject) => {
      const stream = redis.scanStream({ match: 'key:*', count: 40 });
      stream.on('data', (batch: string[]) => { for (const name of batch) streamed.add(name); });
      stream.on('end', () => resolve());
      stream.on('error', reject);
    });
    expect(streamed).toEqual(new Set(names));

    const resp2 = new Redis5({ port: server.port, host: '127.0.0.1' });
    try {
      const seen = new Set<string>();
      let cursor = '0';
      do {
        const [next, batch] = await resp2.scan(cursor, 'COUNT', 70);
        cursor = next;
        for (const name of batch) seen.add(name);
      } while (cursor !== '0');
      expect(seen).toEqual(new Set(names));
    } finally {
      resp2.disconnect();
    }
  });

  it('runs inside MULTI', async () => {
    await redis.set('only', '1');
    const replies = await raw.pipeline([['MULTI'], ['SCAN', '0', 'COUNT', '100'], ['EXEC']]);
    expect(replies.map(formatReply)).toEqual(['+OK', '+QUEUED', '[["0", ["only"]]]']);
  });

  it('continues a scan with the same cursor after a restart', async () => {
    const names = await fill(3000, 'restart:');
    const found = new Set<string>();
    let cursor = '0';
    for (let page = 0; page < 20; page++) {
      const [next, items] = replyItems(await raw.send(['SCAN', cursor, 'COUNT', '50']));
      cursor = replyBytes(next!).toString();
      for (const item of replyItems(items!)) found.add(replyBytes(item).toString('latin1'));
    }
    expect(cursor).not.toBe('0');
    raw.close();
    redis.disconnect();
    await server.stop();
    await server.restart();
    raw = await RawClient.connect(server.port);
    redis = new Redis({ port: server.port, host: '127.0.0.1' });
    do {
      const [next, items] = replyItems(await raw.send(['SCAN', cursor, 'COUNT', '500']));
      cursor = replyBytes(next!).toString();
      for (const item of replyItems(items!)) found.add(replyBytes(item).toString('latin1'));
    } while (cursor !== '0');
    expect(found).toEqual(new Set(names));
  });
});
