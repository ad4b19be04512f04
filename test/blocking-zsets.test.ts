// test/blocking-zsets.test.ts: the blocking sorted set pops BZPOPMIN BZPOPMAX BZMPOP end to end
// with several clients (the framework's list cases are test/blocking.test.ts's): replies and
// errors against a real redis-server 7.0.15 in RESP2 and RESP3 (popped at once, served after a
// wait, timed out, in MULTI, CLIENT UNBLOCK), who is served and when (FIFO per key; woken by
// ZADD, ZINCRBY, ZUNIONSTORE, ZRANGESTORE and EXEC; not by a list, nor by a key written and deleted
// in one EXEC), and, in process over a file system that holds fsyncs, a waiter answered only once
// the ZADD it took from is durable.
// Waits are bounded: every poll loop has a count and every blocking call a timeout or a write.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../storage/index.js';
import { registerAllCommands } from '../src/commands/index.js';
import { Keyspace } from '../src/keyspace/keyspace.js';
import { Listener } from '../src/net/listener.js';
import { defaultConfig } from '../src/ops/config.js';
import { ServerState, type Logger } from '../src/dispatch/server-state.js';
import { HoldingFileSystem } from './helpers/holding-file-system.js';
import { RawClient, formatReply, type Reply } from './helpers/raw-client.js';
import { hasRedisServer, startRealRedis, type RealRedis } from './helpers/real-redis.js';
import { startServer, type StartedServer } from './helpers/server.js';
import { errorOf, settlesWithin, waitForBlocked as waitForBlockedOn } from './helpers/blocking.js';

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const QUIET_MS = 150; // how long a reply that must not come is waited for
const skipReason = hasRedisServer() ? undefined : 'redis-server is not installed (apt-get install redis-server)';
if (skipReason !== undefined) console.warn(`blocking zset pops against Redis skipped: ${skipReason}`);

let server: StartedServer;
let redis: Redis;
const opened: Array<Redis | RawClient> = [];

function client(): Redis {
  const connection = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false });
  connection.on('error', () => undefined);
  opened.push(connection);
  return connection;
}

const waitForBlocked = (count: number, port = server.port): Promise<void> => waitForBlockedOn(port, count);

beforeAll(async () => {
  server = await startServer();
  redis = new Redis({ port: server.port, host: '127.0.0.1' });
  redis.on('error', () => undefined);
});

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

beforeEach(async () => {
  await redis.flushall();
});

afterEach(async () => {
  for (const connection of opened.splice(0)) {
    if (connection instanceof RawClient) connection.close();
    else connection.disconnect();
  }
  await waitForBlocked(0);
});

// ---- against redis-server -----------------------------------------------------------------------

/**
 * One scenario on a server, in one protocol: every reply, formatted. Pops that find a zset at
 * once, errors, MULTI; three clients blocked on z2 (FIFO) served by one ZADD; a timeout; CLIENT
 * UNBLOCK with TIMEOUT and ERROR.
 */
async function scenario(port: number, protocol: 2 | 3): Promise<string[]> {
  const clients: RawClient[] = [];
  const open = async () => {
    const connection = await RawClient.connect(port);
    clients.push(connection);
    if (protocol === 3) await connection.send(['HELLO', '3']);
    return connection;
  };
  try {
    const admin = await open();
    const replies: Reply[] = [];
    const run = async (...args: string[]) => replies.push(await admin.send(args));
    await run('FLUSHALL');
    await run('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '-1.5', 'd', 'inf', 'e');
    await run('BZPOPMIN', 'nope', 'z', '0');
    await run('BZPOPMAX', 'z', '0.5');
    await run('BZMPOP', '0', '2', 'nope', 'z', 'MIN', 'COUNT', '2');
    await run('BZMPOP', '1', '1', 'z', 'max', 'COUNT', '10');
    await run('EXISTS', 'z');
    await run('SET', 's', 'v');
    for (const args of [['BZPOPMIN', 's', '0'], ['BZPOPMIN', 'nope', 's', '0'], ['BZPOPMIN', 's', 'x'], ['BZPOPMAX', 'z', '-1'],
      ['BZMPOP', '0', '0', 'z', 'MIN'], ['BZMPOP', 'x', '1', 'z', 'MIN'], ['BZMPOP', '0', '1', 'z', 'MIDDLE'], ['BZMPOP', '0', '2', 'z', 'MIN'],
      ['BZMPOP', '0', '1', 'z', 'MIN', 'COUNT', '0'], ['BZMPOP', '0', '1', 'z', 'MIN', 'COUNT', '1', 'COUNT', '1'], ['BZMPOP', '0', '1', 's', 'MAX'],
      ['BZPOPMIN', 'z'], ['BZMPOP', '0', '1', 'z'], ['BZMPOP', '-1', '1', 'z', 'MIN']]) await run(...args);
    replies.push(...await admin.pipeline([['MULTI'], ['BZPOPMIN', 'z', '0'], ['BZPOPMAX', 'z', '100'], ['BZMPOP', '0', '1', 'z', 'MIN'], ['EXEC']]));
    // three waiters on z2, served in the order they blocked by one ZADD
    const waits: Promise<Reply>[] = [];
    const waiterArgs = [['BZPOPMIN', 'z1', 'z2', '0'], ['BZPOPMAX', 'z2', '10'], ['BZMPOP', '0', '2', 'z1', 'z2', 'MAX', 'COUNT', '2'], ['BZPOPMIN', 'z2', '0']];
    for (const [index, args] of waiterArgs.entries()) {
      waits.push((await open()).send(args));
      await waitForBlocked(index + 1, port);
    }
    await run('ZADD', 'z2', '1', 'a', '2', 'b', '3', 'c', '4', 'd');
    replies.push(...await Promise.all(waits.slice(0, 3)));
    await run('ZADD', 'z2', '5', 'e');
    replies.push(await (waits[3] as Promise<Reply>));
    await run('EXISTS', 'z2');
    // a timeout, and CLIENT UNBLOCK
    replies.push(await (await open()).send(['BZPOPMIN', 'none', '0.05']));
    replies.push(await (await open()).send(['BZMPOP', '0.05', '1', 'none', 'MIN']));
    for (const how of ['TIMEOUT', 'ERROR']) {
      const waiter = await open();
      const id = await waiter.send(['CLIENT', 'ID']);
      const wait = waiter.send(how === 'TIMEOUT' ? ['BZMPOP', '0', '1', 'none', 'MAX'] : ['BZPOPMAX', 'none', '0']);
      await waitForBlocked(1, port);
      await run('CLIENT', 'UNBLOCK', String(id.type === 'integer' ? id.value : -1), how);
      replies.push(await wait);
    }
    return replies.map(formatReply);
  } finally {
    for (const connection of clients) connection.close();
  }
}

describe.skipIf(skipReason !== undefined)('blocking zset pops against redis-server 7.0.15', () => {
  let real: RealRedis;
  beforeAll(async () => {
    real = await startRealRedis();
  });
  afterAll(async () => {
    await real?.stop();
  });

  it.each([2, 3] as const)('answers alike in RESP%i: at once, errors, in MULTI, served after a wait, timed out, unblocked', async (protocol) => {
    const expected = await scenario(real.port, protocol);
    const actual = await scenario(server.port, protocol);
    expect(expected).toContain(protocol === 2 ? '["z2", "a", "1"]' : '["z2", "a", ,1]'); // served after a wait
    expect(actual).toEqual(expected);
  });
});

// ---- who is served and when ----------------------------------------------------------------------

describe('serving clients blocked on a sorted set', () => {
  it('serves the clients waiting on one key in the order they blocked, one member each', async () => {
    const waiters = [client(), client(), client()];
    const pops: Promise<unknown>[] = [];
    for (const [index, waiter] of waiters.entries()) {
      pops.push(index === 1 ? waiter.bzpopmax('fifo', 0) : waiter.bzpopmin('fifo', 0));
      await waitForBlocked(index + 1);
    }
    await redis.zadd('fifo', 1, 'low', 9, 'high');
    expect(await pops[0]).toEqual(['fifo', 'low', '1']);
    expect(await pops[1]).toEqual(['fifo', 'high', '9']);
    expect(await settlesWithin(pops[2]!, QUIET_MS)).toBe(false);
    expect(await redis.exists('fifo')).toBe(0); // emptied by the pops: deleted
    await redis.zadd('fifo', 5, 'late');
    expect(await pops[2]).toEqual(['fifo', 'late', '5']);
  });

  it('is woken by ZINCRBY, ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE and ZRANGESTORE into the key it waits on', async () => {
    await redis.zadd('source', 1, 'x', 2, 'y');
    const writes: Array<() => Promise<unknown>> = [
      () => redis.zincrby('target', 3, 'm'),
      () => redis.zunionstore('target', 1, 'source'),
      () => redis.zinterstore('target', 2, 'source', 'source'),
      () => redis.zdiffstore('target', 1, 'source'),
      () => redis.zrangestore('target', 'source', 0, 0),
    ];
    for (const write of writes) {
      const waiter = client();
      const popped = waiter.call('BZMPOP', '0', '1', 'target', 'MIN', 'COUNT', '5');
      await waitForBlocked(1);
      await write();
      expect(await popped).toEqual(['target', expect.any(Array)]);
      expect(await redis.exists('target')).toBe(0);
      waiter.disconnect();
      await waitForBlocked(0);
    }
  });

  it('serves only after the whole EXEC, with the zset as EXEC left it; one written and deleted in it wakes nobody', async () => {
    const waiter = client();
    const popped = waiter.bzpopmin('t', 0);
    await waitForBlocked(1);
    await redis.multi().zadd('t', 2, 'b').zadd('t', 1, 'a').zrem('t', 'a').exec();
    expect(await popped).toEqual(['t', 'b', '2']);
    const again = waiter.bzpopmin('gone', 0);
    await waitForBlocked(1);
    await redis.multi().zadd('gone', 1, 'x').del('gone').exec();
    expect(await settlesWithin(again, QUIET_MS)).toBe(false);
    await redis.zadd('gone', 2, 'y');
    expect(await again).toEqual(['gone', 'y', '2']);
  });

  it('keeps a zset waiter blocked while its key holds a list, and a list waiter while it holds a zset', async () => {
    const [zsetWaiter, listWaiter] = [client(), client()];
    const zpop = zsetWaiter.bzpopmin('k', 0);
    await waitForBlocked(1);
    const lpop = listWaiter.blpop('k', 0);
    await waitForBlocked(2);
    await redis.rpush('k', 'element');
    expect(await lpop).toEqual(['k', 'element']);
    expect(await settlesWithin(zpop, QUIET_MS)).toBe(false);
    const lpopAgain = listWaiter.blpop('k', 0);
    await waitForBlocked(2);
    await redis.zadd('k', 1, 'member');
    expect(await zpop).toEqual(['k', 'member', '1']);
    expect(await settlesWithin(lpopAgain, QUIET_MS)).toBe(false);
    await redis.rpush('k', 'next');
    expect(await lpopAgain).toEqual(['k', 'next']);
  });

  it('answers WRONGTYPE to a waiter served when an earlier key of its list became a string', async () => {
    const waiter = client();
    const popped = errorOf(waiter.bzpopmin('first', 'second', 0)); // handled at once: the rejection may come before the await
    await waitForBlocked(1);
    await redis.set('first', 'string');
    await redis.zadd('second', 1, 'kept');
    expect(await popped).toBe(WRONGTYPE);
    expect(await redis.zrange('second', '0', '-1')).toEqual(['kept']);
  });

  it('times out with a null after fractional seconds, and waits for ever with 0', async () => {
    const waiter = client();
    const started = Date.now();
    expect(await waiter.bzpopmax('none', 0.2)).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    const forever = waiter.call('BZMPOP', '0', '1', 'none', 'MAX');
    await waitForBlocked(1);
    expect(await settlesWithin(forever, 300)).toBe(false);
    await redis.zadd('none', 7, 'finally');
    expect(await forever).toEqual(['none', [['finally', '7']]]);
  });

  it('forgets a waiter that disconnects, so a later ZADD stays in the zset', async () => {
    const leaving = client();
    void leaving.bzpopmin('bye', 0).catch(() => undefined);
    await waitForBlocked(1);
    leaving.disconnect();
    await waitForBlocked(0);
    await redis.zadd('bye', 1, 'kept');
    expect(await redis.zrange('bye', '0', '-1')).toEqual(['kept']);
  });
});

// ---- durability --------------------------------------------------------------------------------

describe('a served blocking zset pop and durability', () => {
  const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  const fs = new HoldingFileSystem();
  let listener: Listener;
  let port: number;

  beforeAll(async () => {
    const engine = await Engine.open({ dir: '/db', fs, syncPolicy: 'always', logger: () => {} });
    registerAllCommands();
    const state = new ServerState({ config: { ...defaultConfig(), port: 0 }, engine, keyspace: await Keyspace.open(engine), logger: silent });
    listener = new Listener(state);
    [port] = (await listener.listen()) as [number];
  });

  afterAll(async () => {
    fs.unhold();
    await listener?.close(Date.now() + 1000);
  });

  it('answers the waiter only once the ZADD it took from is durable', async () => {
    const [waiter, writer] = await Promise.all([RawClient.connect(port), RawClient.connect(port)]);
    try {
      const popped = waiter.send(['BZPOPMIN', 'held', '0']);
      await waitForBlocked(1, port);
      fs.hold();
      const added = writer.send(['ZADD', 'held', '1', 'm']);
      expect(await settlesWithin(added, 300)).toBe(false); // the ZADD's reply waits for the fsync...
      expect(await settlesWithin(popped, 0)).toBe(false); // ...and so does the pop that took its member
      fs.unhold();
      expect(formatReply(await added)).toBe(':1');
      expect(formatReply(await popped)).toBe('["held", "m", "1"]');
    } finally {
      waiter.close();
      writer.close();
    }
  });
});
