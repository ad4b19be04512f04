// test/transactions.test.ts: MULTI / EXEC / DISCARD / WATCH / UNWATCH end to end, with Redis 7's
// texts (checked on the raw wire) and through ioredis's transaction API; and the durability edge:
// the writes of one EXEC are one WAL batch, so after kill -9 all of them or none are there.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startServer, type StartedServer } from './helpers/server.js';
import { RawClient, formatReply, type Reply } from './helpers/raw-client.js';

let server: StartedServer;
let raw: RawClient;
let redis: Redis;
let other: Redis;

const show = (replies: Reply[]) => replies.map(formatReply);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  server = await startServer();
  raw = await RawClient.connect(server.port);
  redis = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
  other = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
  await Promise.all([redis.connect(), other.connect()]);
});

afterAll(async () => {
  raw?.close();
  redis?.disconnect();
  other?.disconnect();
  await server?.stop();
});

beforeEach(async () => {
  await raw.send(['FLUSHALL']);
});

describe('MULTI / EXEC / DISCARD on the wire', () => {
  it('queues commands and answers them in one array at EXEC', async () => {
    const replies = await raw.pipeline([['MULTI'], ['SET', 'a', '1'], ['INCR', 'a'], ['GET', 'a'], ['EXEC']]);
    expect(show(replies)).toEqual(['+OK', '+QUEUED', '+QUEUED', '+QUEUED', '[+OK, :2, "2"]']);
  });

  it('answers an empty EXEC with an empty array', async () => {
    expect(show(await raw.pipeline([['MULTI'], ['EXEC']]))).toEqual(['+OK', '[]']);
  });

  it('refuses EXEC and DISCARD without MULTI', async () => {
    expect(formatReply(await raw.send(['EXEC']))).toBe('-ERR EXEC without MULTI');
    expect(formatReply(await raw.send(['DISCARD']))).toBe('-ERR DISCARD without MULTI');
  });

  it('refuses a nested MULTI without aborting the transaction', async () => {
    const replies = await raw.pipeline([['MULTI'], ['MULTI'], ['SET', 'a', '1'], ['EXEC']]);
    expect(show(replies)).toEqual(['+OK', '-ERR MULTI calls can not be nested', '+QUEUED', '[+OK]']);
  });

  it('aborts EXEC after an unknown command was queued, and applies nothing', async () => {
    const replies = await raw.pipeline([['MULTI'], ['SET', 'a', '1'], ['NOSUCH', 'x'], ['EXEC'], ['EXISTS', 'a']]);
    expect(show(replies)).toEqual(['+OK', '+QUEUED', "-ERR unknown command 'NOSUCH', with args beginning with: 'x' ",
      '-EXECABORT Transaction discarded because of previous errors.', ':0']);
  });

  it('aborts EXEC after a wrong number of arguments was queued', async () => {
    const replies = await raw.pipeline([['MULTI'], ['SET', 'a'], ['SET', 'b', '1'], ['EXEC'], ['EXISTS', 'b']]);
    expect(show(replies)).toEqual(['+OK', "-ERR wrong number of arguments for 'set' command", '+QUEUED',
      '-EXECABORT Transaction discarded because of previous errors.', ':0']);
  });

  it('keeps running after a command fails at EXEC time (no rollback)', async () => {
    const replies = await raw.pipeline([['MULTI'], ['SET', 'a', 'x'], ['INCR', 'a'], ['SET', 'b', '2'], ['EXEC']]);
    expect(show(replies)).toEqual(['+OK', '+QUEUED', '+QUEUED', '+QUEUED',
      '[+OK, -ERR value is not an integer or out of range, +OK]']);
    expect(formatReply(await raw.send(['GET', 'b']))).toBe('"2"');
  });

  it('drops the queued writes on DISCARD', async () => {
    const replies = await raw.pipeline([['MULTI'], ['SET', 'a', '1'], ['DISCARD'], ['EXISTS', 'a'], ['EXEC']]);
    expect(show(replies)).toEqual(['+OK', '+QUEUED', '+OK', ':0', '-ERR EXEC without MULTI']);
  });

  it('refuses WATCH inside MULTI without aborting', async () => {
    const replies = await raw.pipeline([['MULTI'], ['WATCH', 'a'], ['SET', 'a', '1'], ['EXEC']]);
    expect(show(replies)).toEqual(['+OK', '-ERR WATCH inside MULTI is not allowed', '+QUEUED', '[+OK]']);
  });

  it('queues UNWATCH like any other command', async () => {
    const replies = await raw.pipeline([['MULTI'], ['UNWATCH'], ['EXEC']]);
    expect(show(replies)).toEqual(['+OK', '+QUEUED', '[+OK]']);
  });

  it('answers commands inside EXEC with the selected database', async () => {
    const replies = await raw.pipeline([['MULTI'], ['SELECT', '1'], ['SET', 'a', 'db1'], ['SELECT', '0'], ['EXEC'], ['GET', 'a']]);
    expect(show(replies)).toEqual(['+OK', '+QUEUED', '+QUEUED', '+QUEUED', '[+OK, +OK, +OK]', '$-1']);
  });
});

describe('WATCH', () => {
  it('runs EXEC when no watched key changed', async () => {
    await redis.set('w', '1');
    await redis.watch('w');
    expect(await redis.multi().set('w', '2').exec()).toEqual([[null, 'OK']]);
    expect(await redis.get('w')).toBe('2');
  });

  it('answers a null EXEC when another client changed a watched key', async () => {
    await redis.set('w', '1');
    await redis.watch('w');
    await other.set('w', 'changed');
    expect(await redis.multi().set('w', 'mine').exec()).toBeNull();
    expect(await redis.get('w')).toBe('changed');
  });

  it('answers a null EXEC when the client itself changed the key before MULTI', async () => {
    const replies = await raw.pipeline([['WATCH', 'w'], ['SET', 'w', '1'], ['MULTI'], ['GET', 'w'], ['EXEC']]);
    expect(show(replies)).toEqual(['+OK', '+OK', '+OK', '+QUEUED', '*-1']);
  });

  it('notices a watched key that did not exist being created', async () => {
    await redis.watch('fresh');
    await other.set('fresh', 'x');
    expect(await redis.multi().get('fresh').exec()).toBeNull();
  });

  it('notices deletion and expiry changes by another client', async () => {
    await redis.set('w', '1');
    await redis.watch('w');
    await other.expire('w', 1000);
    expect(await redis.multi().get('w').exec()).toBeNull();
    await redis.set('w', '1');
    await redis.watch('w');
    await other.del('w');
    expect(await redis.multi().get('w').exec()).toBeNull();
  });

  it('notices a watched absent key written with an expiry already past, as Redis 7.0 does', async () => {
    await redis.del('past');
    await redis.watch('past');
    expect(await other.set('past', '0', 'PXAT', Date.now() - 1)).toBe('OK'); // the key is expired at once
    expect(await redis.multi().get('past').exec()).toBeNull(); // still a write: WATCH fires
    expect(await redis.exists('past')).toBe(0);
  });

  it('answers a null EXEC when a watched key expired since WATCH', async () => {
    await redis.set('w', '1', 'PX', 30);
    await redis.watch('w');
    await sleep(60);
    expect(await redis.multi().set('w', '2').exec()).toBeNull();
  });

  it('ignores a key that was already expired at WATCH time and stays absent', async () => {
    await redis.set('gone', '1', 'PX', 5);
    await sleep(30);
    await redis.watch('gone');
    await sleep(20);
    expect(await redis.multi().set('other', '2').exec()).toEqual([[null, 'OK']]);
  });

  it('answers a null EXEC after FLUSHDB removed a watched key', async () => {
    await redis.set('w', '1');
    await redis.watch('w');
    await other.flushdb();
    expect(await redis.multi().set('w', '2').exec()).toBeNull();
  });

  it('answers a null EXEC after FLUSHALL removed a watched key', async () => {
    await redis.set('w', '1');
    await redis.watch('w');
    await other.flushall();
    expect(await redis.multi().set('w', '2').exec()).toBeNull();
  });

  it('is not disturbed by writes to other keys or other databases', async () => {
    await redis.set('w', '1');
    await redis.watch('w');
    await other.set('unrelated', '1');
    await other.select(1);
    await other.set('w', 'in db 1');
    await other.select(0);
    expect(await redis.multi().get('w').exec()).toEqual([[null, '1']]);
  });

  it('forgets watched keys on UNWATCH, EXEC and DISCARD', async () => {
    await redis.set('w', '1');
    await redis.watch('w');
    await redis.unwatch();
    await other.set('w', '2');
    expect(await redis.multi().get('w').exec()).toEqual([[null, '2']]);

    await redis.watch('w');
    await redis.multi().get('w').exec();
    await other.set('w', '3');
    expect(await redis.multi().get('w').exec()).toEqual([[null, '3']]);

    const replies = await raw.pipeline([['WATCH', 'w'], ['MULTI'], ['DISCARD']]);
    expect(show(replies)).toEqual(['+OK', '+OK', '+OK']);
    await other.set('w', '4');
    expect(show(await raw.pipeline([['MULTI'], ['GET', 'w'], ['EXEC']]))).toEqual(['+OK', '+QUEUED', '["4"]']);
  });

  it('answers a null EXEC in RESP3 as a null', async () => {
    const resp3 = await RawClient.connect(server.port);
    try {
      await resp3.send(['HELLO', '3']);
      const replies = await resp3.pipeline([['WATCH', 'w'], ['SET', 'w', '1'], ['MULTI'], ['EXEC']]);
      expect(show(replies)).toEqual(['+OK', '+OK', '+OK', '_']);
    } finally {
      resp3.close();
    }
  });

  it('lets a compare-and-set loop of several clients lose no increment', async () => {
    await redis.set('counter', '0');
    const clients = await Promise.all([0, 1, 2, 3].map(async () => {
      const client = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
      await client.connect();
      return client;
    }));
    try {
      const increment = async (client: Redis) => {
        for (;;) {
          await client.watch('counter');
          const current = Number(await client.get('counter'));
          const result = await client.multi().set('counter', String(current + 1)).exec();
          if (result !== null) return;
        }
      };
      // one connection runs one WATCH ... EXEC at a time; the four connections race each other
      await Promise.all(clients.map(async (client) => {
        for (let count = 0; count < 10; count++) await increment(client);
      }));
      expect(await redis.get('counter')).toBe('40');
    } finally {
      for (const client of clients) client.disconnect();
    }
  });
});

describe('EXEC atomicity across kill -9', () => {
  it('keeps all or none of the writes of an EXEC cut short by kill -9', async () => {
    // 12,000 SETs of 300 bytes: a WAL batch of ~4 MB, past the group-commit cap, so a batch written
    // in several appends would show up here as a partial EXEC after the kill.
    const own = await startServer();
    const keyCount = 12_000;
    const value = 'v'.repeat(300);
    const names = (round: number) => Array.from({ length: keyCount }, (_, index) => `r${round}:${index}`);
    const sendExec = async (round: number) => {
      const client = await RawClient.connect(own.port);
      const commands: string[][] = [['MULTI'], ...names(round).map((name) => ['SET', name, value]), ['EXEC']];
      const started = Date.now();
      const replies = client.pipeline(commands).then(() => Date.now() - started, () => undefined);
      return { client, replies };
    };
    const countKeys = async (round: number) => {
      const check = await RawClient.connect(own.port);
      const found = await check.send(['EXISTS', ...names(round)]);
      check.close();
      return found.type === 'integer' ? Number(found.value) : -1;
    };
    try {
      const first = await sendExec(0);
      const execMs = (await first.replies) ?? 100;
      first.client.close();
      expect(await countKeys(0)).toBe(keyCount);
      const outcomes: number[] = [];
      for (const [round, fraction] of [0.2, 0.5, 0.7, 0.85, 0.95, 1.05].entries()) {
        const { client, replies } = await sendExec(round + 1);
        await sleep(Math.round(execMs * fraction));
        await own.kill9();
        await replies;
        client.close();
        await own.restart();
        const count = await countKeys(round + 1);
        outcomes.push(count);
        expect([0, keyCount], `round ${round + 1} killed at ${fraction} x ${execMs} ms`).toContain(count);
      }
      console.log(`EXEC of ${keyCount} SETs took ${execMs} ms; keys found after each kill: ${outcomes.join(', ')}`);
    } finally {
      await own.stop();
    }
  });

  it('keeps every write of an acknowledged EXEC after kill -9', async () => {
    const own = await startServer();
    try {
      const client = await RawClient.connect(own.port);
      const replies = await client.pipeline([['MULTI'], ['SET', 'x', '1'], ['INCR', 'y'], ['SET', 'z', 'zz'], ['EXEC']]);
      expect(formatReply(replies[4]!)).toBe('[+OK, :1, +OK]');
      client.close();
      await own.kill9();
      await own.restart();
      const check = await RawClient.connect(own.port);
      expect(show(await check.pipeline([['GET', 'x'], ['GET', 'y'], ['GET', 'z']]))).toEqual(['"1"', '"1"', '"zz"']);
      check.close();
    } finally {
      await own.stop();
    }
  });
});
