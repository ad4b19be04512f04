// test/keyspace-notifications.test.ts: keyspace notifications (notify-keyspace-events) end to end.
// - For each event class (g $ x h s z l, then A with K or E alone) the same commands run on tskv
//   and on redis-server 7.0.15, each watched by a PSUBSCRIBE __key*__:* connection; the messages
//   must be the same, in the same order ('expired', whose moment depends on the expiry cycles,
//   as the same multiset); also for blocked BLMOVE / BLPOP / BZPOPMIN clients served by another
//   client's writes.
// - With notifications off (the default) nothing is published; e (evicted) never fires (no
//   eviction); d carries RedisTimeSeries's ts.* events (no Redis to compare: listed here).
// - ioredis: the library pattern of subscribing to __keyevent@0__:expired and seeing a key expire.
// - In process, over a file system that can hold or fail the WAL's fsync: a notification leaves
//   only once its write is durable, and never for a write whose commit failed.
// The Redis comparisons are skipped, with the reason printed, when redis-server is missing.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../storage/index.js';
import { registerAllCommands } from '../src/commands/index.js';
import { Keyspace } from '../src/keyspace/keyspace.js';
import { Listener } from '../src/net/listener.js';
import { defaultConfig } from '../src/ops/config.js';
import { ServerState, type Logger } from '../src/dispatch/server-state.js';
import { ByteSocket } from './helpers/byte-socket.js';
import { HoldingFileSystem } from './helpers/holding-file-system.js';
import { RawClient, formatReply, type Reply } from './helpers/raw-client.js';
import { hasRedisServer, startRealRedis, type RealRedis } from './helpers/real-redis.js';
import { startServer, type StartedServer } from './helpers/server.js';

const skipReason = hasRedisServer() ? undefined : 'redis-server is not installed (apt-get install redis-server)';
if (skipReason !== undefined) console.warn(`keyspace notification differential tests skipped: ${skipReason}`);

let server: StartedServer;
let real: RealRedis | undefined;

beforeAll(async () => {
  server = await startServer();
  if (skipReason === undefined) real = await startRealRedis();
});

afterAll(async () => {
  await server?.stop();
  await real?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const stopAt = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > stopAt) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** A PSUBSCRIBE __key*__:* connection that keeps each message as 'channel message'. */
class Watcher {
  readonly messages: string[] = [];
  private constructor(private readonly socket: ByteSocket) {}

  static async open(port: number, pattern = '__key*__:*'): Promise<Watcher> {
    const socket = await ByteSocket.connect(port);
    socket.send(['PSUBSCRIBE', pattern]);
    await socket.waitForText(':1\r\n');
    socket.clear();
    return new Watcher(socket);
  }

  /** Parses what arrived into messages (pmessage frames only). */
  read(): string[] {
    const text = this.socket.text();
    const frame = /\*4\r\n\$8\r\npmessage\r\n\$\d+\r\n[^\r]*\r\n\$(\d+)\r\n/g;
    const found: string[] = [];
    for (let match = frame.exec(text); match !== null; match = frame.exec(text)) {
      const channelStart = match.index + match[0].length;
      const channel = text.slice(channelStart, channelStart + Number(match[1]));
      const rest = /^\r\n\$(\d+)\r\n/.exec(text.slice(channelStart + channel.length)) as RegExpExecArray;
      const messageStart = channelStart + channel.length + rest[0].length;
      found.push(`${channel} ${text.slice(messageStart, messageStart + Number(rest[1]))}`);
    }
    return found;
  }

  close(): void {
    this.socket.close();
  }
}

type Command = (string | Buffer)[] | { sleepMs: number };

/** DUMP of the string "v", as Redis 7.0 writes it. */
const DUMP_OF_V = Buffer.from('0001760a009108ceb219388ace', 'hex');

/** Runs commands on a fresh connection with the given classes; returns what a watcher saw. */
async function notifications(port: number, classes: string, commands: readonly Command[]): Promise<string[]> {
  const client = await RawClient.connect(port);
  try {
    await client.send(['FLUSHALL']);
    expect(formatReply(await client.send(['CONFIG', 'SET', 'notify-keyspace-events', classes]))).toBe('+OK');
    const watcher = await Watcher.open(port);
    for (const command of commands) {
      if ('sleepMs' in command) await sleep(command.sleepMs);
      else await client.send(command);
    }
    const marker = `marker-${Date.now()}`; // a last event: everything before it has arrived
    await client.send(['CONFIG', 'SET', 'notify-keyspace-events', 'KEA']);
    await client.send(['DEL', marker]);
    await client.send(['SET', marker, '1']);
    await until(() => watcher.read().some((message) => message.endsWith(`:set ${marker}`)), 5000, 'the marker event');
    watcher.close();
    return watcher.read().filter((message) => !message.includes(marker));
  } finally {
    await client.send(['CONFIG', 'SET', 'notify-keyspace-events', '']);
    client.close();
  }
}

const STRING_COMMANDS: Command[] = [
  ['SET', 'k', 'v'], ['SET', 'k', 'v', 'EX', '100'], ['SET', 'k', 'v', 'KEEPTTL'], ['SET', 'k', 'w', 'NX'], ['SET', 'k', 'w', 'XX', 'GET'],
  ['SETNX', 'k', 'x'], ['SETNX', 'k2', 'x'], ['SETEX', 'k3', '100', 'v'], ['PSETEX', 'k4', '100000', 'v'], ['GETSET', 'k', 'z'],
  ['GETEX', 'k', 'PERSIST'], ['GETEX', 'k', 'PERSIST'], ['GETEX', 'k', 'PX', '5000'], ['GETEX', 'k'], ['GETEX', 'k', 'EXAT', '1'], ['GETEX', 'nope', 'EX', '1'],
  ['GETDEL', 'k2'], ['GETDEL', 'k2'], ['MSET', 'a', '1', 'b', '2'], ['MSETNX', 'a', '1', 'c', '2'], ['MSETNX', 'c', '1', 'd', '2'],
  ['INCR', 'a'], ['DECR', 'a'], ['INCRBY', 'a', '5'], ['DECRBY', 'a', '5'], ['INCRBYFLOAT', 'a', '1.5'], ['INCR', 'b\xff'],
  ['APPEND', 'b', 'x'], ['APPEND', 'nb', 'x'], ['SETRANGE', 'b', '5', 'yy'], ['SETRANGE', 'b', '0', ''], ['SETRANGE', 'nr', '2', 'q'],
  ['INCR', 'k3'], ['SET', 'k3', 'notanumber'], ['INCR', 'k3'], ['LCS', 'a', 'b'], ['GET', 'a'], ['STRLEN', 'b'],
];

const GENERIC_COMMANDS: Command[] = [
  ['MSET', 'a', '1', 'b', '2', 'c', '3'], ['DEL', 'a', 'b', 'zz'], ['UNLINK', 'c'], ['SET', 'r', '1'], ['RENAME', 'r', 'r2'], ['RENAME', 'r2', 'r2'],
  ['SET', 'k3', 'v'], ['RENAMENX', 'r2', 'k3'], ['RENAMENX', 'r2', 'r3'], ['RENAME', 'r3', 'k3'], ['MOVE', 'k3', '3'], ['MOVE', 'k3', '3'],
  ['SET', 'k', 'v'], ['COPY', 'k', 'k4'], ['COPY', 'k', 'k4'], ['COPY', 'k', 'k4', 'REPLACE'], ['COPY', 'k', 'k5', 'DB', '2'],
  ['EXPIRE', 'k4', '100'], ['EXPIRE', 'k4', '50', 'NX'], ['PEXPIRE', 'k4', '100000', 'XX'], ['EXPIREAT', 'k4', '99999999999'], ['PERSIST', 'k4'], ['PERSIST', 'k4'],
  ['PEXPIREAT', 'k4', '1'], ['EXPIRE', 'nope', '5'], ['SET', 'k6', 'v'], ['EXPIRE', 'k6', '0'], ['SET', 'k7', 'v'], ['DUMP', 'k7'],
  ['RESTORE', 'k7', '0', DUMP_OF_V, 'REPLACE'], ['RESTORE', 'k8', '0', DUMP_OF_V], ['RESTORE', 'k8', '1', DUMP_OF_V, 'ABSTTL', 'REPLACE'], ['SWAPDB', '0', '1'], ['SWAPDB', '0', '1'],
  ['SELECT', '5'], ['SET', 'in5', 'x'], ['DEL', 'in5'], ['SELECT', '0'], ['TYPE', 'k'], ['EXISTS', 'k'], ['TOUCH', 'k'],
];

const HASH_COMMANDS: Command[] = [
  ['HSET', 'h', 'f', '1', 'g', '2'], ['HMSET', 'h', 'f', '3'], ['HSETNX', 'h', 'f', 'x'], ['HSETNX', 'h', 'z', 'x'], ['HINCRBY', 'h', 'f', '2'],
  ['HINCRBYFLOAT', 'h', 'f', '0.5'], ['HINCRBY', 'h', 'z', '1'], ['HDEL', 'h', 'nope'], ['HDEL', 'h', 'f', 'nope'], ['HDEL', 'h', 'g', 'z'], ['HDEL', 'h', 'x'],
  ['HSET', 'h2', 'a', '1'], ['HGETALL', 'h2'], ['HGET', 'h2', 'a'], ['DEL', 'h2'],
];

const SET_COMMANDS: Command[] = [
  ['SADD', 's', 'a', 'b', 'c'], ['SADD', 's', 'a'], ['SREM', 's', 'zz'], ['SREM', 's', 'a'], ['SMOVE', 's', 't', 'b'], ['SMOVE', 's', 't', 'zz'],
  ['SMOVE', 's', 't', 'c'], ['SMOVE', 't', 't', 'b'], ['SADD', 'u', '1', '2'], ['SPOP', 'u'], ['SPOP', 'u', '5'], ['SPOP', 'u'], ['SADD', 'u', '1', '2', '3'],
  ['SPOP', 'u', '0'], ['SPOP', 'u', '1'], ['SINTERSTORE', 'd', 'u', 't'], ['SUNIONSTORE', 'd', 'u', 't'], ['SDIFFSTORE', 'd', 'u', 't'],
  ['SINTERSTORE', 'd', 'u', 'nope'], ['SINTERSTORE', 'd', 'u', 'nope'], ['SUNIONSTORE', 'e', 'nope'], ['SDIFFSTORE', 'u', 'u', 't'],
  ['SDIFFSTORE', 'u', 'u', 'u'], ['SMEMBERS', 't'],
];

const ZSET_COMMANDS: Command[] = [
  ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'], ['ZADD', 'z', '1', 'a'], ['ZADD', 'z', 'XX', '5', 'nope'], ['ZADD', 'z', 'CH', '9', 'a'], ['ZADD', 'z', 'NX', 'INCR', '1', 'a'],
  ['ZADD', 'z', 'INCR', '1', 'a'], ['ZINCRBY', 'z', '0', 'b'], ['ZINCRBY', 'z', '2', 'b'], ['ZINCRBY', 'z', '1', 'new'], ['ZREM', 'z', 'nope'], ['ZREM', 'z', 'new', 'nope'],
  ['ZPOPMIN', 'z', '0'], ['ZPOPMIN', 'z'], ['ZPOPMAX', 'z', '1'], ['ZPOPMIN', 'nope'], ['ZADD', 'z', '1', 'x', '2', 'y', '3', 'w'], ['ZMPOP', '2', 'nope', 'z', 'MAX', 'COUNT', '2'],
  ['ZADD', 'z2', '1', 'a', '2', 'b', '3', 'c', '4', 'd'], ['ZREMRANGEBYSCORE', 'z2', '10', '20'], ['ZREMRANGEBYSCORE', 'z2', '1', '1'], ['ZREMRANGEBYRANK', 'z2', '0', '0'],
  ['ZREMRANGEBYRANK', 'z2', '5', '9'], ['ZADD', 'zl', '0', 'a', '0', 'b'], ['ZREMRANGEBYLEX', 'zl', '[a', '[a'], ['ZREMRANGEBYLEX', 'zl', '[x', '[y'], ['ZREMRANGEBYLEX', 'zl', '-', '+'],
  ['ZUNIONSTORE', 'd', '2', 'z', 'z2'], ['ZINTERSTORE', 'd', '2', 'z', 'z2'], ['ZINTERSTORE', 'd', '2', 'z', 'nope'], ['ZINTERSTORE', 'd', '2', 'z', 'nope'],
  ['ZDIFFSTORE', 'd', '1', 'z2'], ['ZDIFFSTORE', 'd', '2', 'z2', 'z2'], ['ZRANGESTORE', 'd', 'z2', '0', '-1'], ['ZRANGESTORE', 'd', 'z2', '5', '9'], ['ZRANGESTORE', 'd', 'nope', '0', '-1'],
  ['BZPOPMIN', 'nope', 'z2', '1'], ['BZPOPMAX', 'z2', '1'], ['ZADD', 'z3', '1', 'a', '2', 'b'], ['BZMPOP', '1', '1', 'z3', 'MIN', 'COUNT', '5'], ['ZREM', 'z', 'x', 'y', 'w'],
  ['ZADD', 'z4', '1', 'a'], ['ZREM', 'z4', 'a', 'b'], ['MULTI'], ['BZPOPMIN', 'z4', '0'], ['ZADD', 'z4', '5', 'e'], ['EXEC'], ['ZCARD', 'z2'], ['ZRANGE', 'z2', '0', '-1'],
];

const LIST_COMMANDS: Command[] = [
  ['LPUSH', 'l', 'a', 'b'], ['RPUSH', 'l', 'c'], ['LPUSHX', 'l', 'd'], ['RPUSHX', 'l', 'e'], ['LPUSHX', 'nope', 'd'], ['RPUSHX', 'nope', 'e'],
  ['LINSERT', 'l', 'BEFORE', 'a', 'x'], ['LINSERT', 'l', 'AFTER', 'nope', 'y'], ['LINSERT', 'nope', 'AFTER', 'a', 'y'], ['LSET', 'l', '0', 'z'], ['LSET', 'l', '99', 'z'],
  ['LTRIM', 'l', '0', '-1'], ['LTRIM', 'l', '1', '-2'], ['LTRIM', 'nope', '0', '1'], ['LREM', 'l', '0', 'nope'], ['LREM', 'l', '1', 'a'], ['LPOP', 'l'], ['RPOP', 'l', '0'],
  ['RPOP', 'l', '2'], ['LPOP', 'l', '5'], ['LPOP', 'l'], ['RPUSH', 'm', '1', '2', '3'], ['LMOVE', 'm', 'n', 'LEFT', 'RIGHT'], ['RPOPLPUSH', 'm', 'n'], ['LMOVE', 'm', 'm', 'LEFT', 'RIGHT'],
  ['LMOVE', 'nope', 'n', 'LEFT', 'LEFT'], ['LMOVE', 'm', 'n', 'RIGHT', 'LEFT'], ['RPUSH', 'o', 'x'], ['LMOVE', 'o', 'o', 'LEFT', 'RIGHT'], ['RPOPLPUSH', 'n', 'n'],
  ['LMPOP', '2', 'nope', 'n', 'RIGHT', 'COUNT', '2'], ['LMPOP', '1', 'n', 'LEFT', 'COUNT', '9'], ['RPUSH', 'p', 'a', 'b', 'c'], ['BLPOP', 'nope', 'p', '1'], ['BRPOP', 'p', '1'],
  ['BLMOVE', 'p', 'q', 'LEFT', 'LEFT', '1'], ['BRPOPLPUSH', 'q', 'p', '1'], ['BLMPOP', '1', '1', 'p', 'LEFT'], ['RPUSH', 'r', 'a', 'a', 'b'], ['LREM', 'r', '0', 'a'],
  ['LTRIM', 'r', '5', '9'], ['RPUSH', 's', 'a'], ['LREM', 's', '0', 'a'], ['LRANGE', 'l', '0', '-1'], ['LLEN', 'l'],
];

/** Keys expired by lookups (GET, a write over them) and by the active cycle, in separate databases. */
const EXPIRY_COMMANDS: Command[] = [
  ['SET', 'lazy', '1', 'PX', '100'], ['SET', 'over', '1', 'PX', '100'], ['SET', 'active', '1', 'PX', '100'], ['HSET', 'h', 'f', '1'], ['PEXPIRE', 'h', '100'],
  { sleepMs: 400 }, ['GET', 'lazy'], ['SET', 'over', '2'], ['HGET', 'h', 'f'], { sleepMs: 600 },
];

/** Clients blocked in BLMOVE, BLPOP and BZPOPMIN, then served by another client's writes: what a watcher saw. */
async function servedNotifications(port: number): Promise<string[]> {
  const [admin, mover, popper, zpopper] = await Promise.all([RawClient.connect(port), RawClient.connect(port), RawClient.connect(port), RawClient.connect(port)]);
  try {
    await admin.send(['FLUSHALL']);
    await admin.send(['CONFIG', 'SET', 'notify-keyspace-events', 'KEA']);
    const watcher = await Watcher.open(port);
    const replies = [mover.send(['BLMOVE', 'src', 'dst', 'LEFT', 'RIGHT', '0']), popper.send(['BLPOP', 'dst', '0']), zpopper.send(['BZPOPMIN', 'zk', '0'])]
      .map((reply) => reply.catch((error: Error): Reply => ({ type: 'error', value: error.message })));
    await until(async () => /blocked_clients:3\D/.test(formatReply(await admin.send(['INFO', 'clients']))), 5000, 'three blocked clients');
    await admin.send(['RPUSH', 'src', 'a', 'b']);
    await admin.send(['ZADD', 'zk', '1', 'm', '2', 'n']);
    expect((await Promise.all(replies)).map(formatReply)).toEqual(['"a"', '["dst", "a"]', '["zk", "m", "1"]']);
    await admin.send(['SET', 'marker', '1']);
    await until(() => watcher.read().some((message) => message.endsWith(':set marker')), 5000, 'the marker event');
    watcher.close();
    return watcher.read().filter((message) => !message.includes('marker'));
  } finally {
    await admin.send(['CONFIG', 'SET', 'notify-keyspace-events', '']);
    for (const client of [admin, mover, popper, zpopper]) client.close();
  }
}

describe.skipIf(skipReason !== undefined)('keyspace notifications against redis-server 7.0.15', () => {
  it.each([
    ['$', STRING_COMMANDS],
    ['g', GENERIC_COMMANDS],
    ['h', HASH_COMMANDS],
    ['s', SET_COMMANDS],
    ['z', ZSET_COMMANDS],
    ['l', LIST_COMMANDS],
    ['g$hs', [...STRING_COMMANDS, ...HASH_COMMANDS, ...SET_COMMANDS]],
    ['gzl', [...ZSET_COMMANDS, ...LIST_COMMANDS]],
  ] as const)('publishes the same messages for class %s', async (letters, commands) => {
    for (const classes of [`KE${letters}`]) {
      const expected = await notifications((real as RealRedis).port, classes, commands);
      const actual = await notifications(server.port, classes, commands);
      expect(expected.length).toBeGreaterThan(0);
      expect(actual).toEqual(expected);
    }
  });

  it('publishes the events of blocked clients served by another client, after its own', async () => {
    const expected = await servedNotifications((real as RealRedis).port);
    expect(expected).toContain('__keyspace@0__:zk zpopmin');
    expect(await servedNotifications(server.port)).toEqual(expected);
  });

  it.each(['KA', 'EA', 'K$', 'Eg'])('publishes only the channels %s asks for', async (classes) => {
    const commands = [...STRING_COMMANDS.slice(0, 12), ...GENERIC_COMMANDS.slice(0, 12)];
    expect(await notifications(server.port, classes, commands)).toEqual(await notifications((real as RealRedis).port, classes, commands));
  });

  it('publishes expired for keys a lookup, a write or the active cycle removes (x)', async () => {
    const expected = await notifications((real as RealRedis).port, 'KEx', EXPIRY_COMMANDS);
    const actual = await notifications(server.port, 'KEx', EXPIRY_COMMANDS);
    expect(expected.sort()).toEqual([
      '__keyevent@0__:expired active', '__keyevent@0__:expired h', '__keyevent@0__:expired lazy', '__keyevent@0__:expired over',
      '__keyspace@0__:active expired', '__keyspace@0__:h expired', '__keyspace@0__:lazy expired', '__keyspace@0__:over expired',
    ]);
    expect(actual.sort()).toEqual(expected);
  });
});

describe('keyspace notifications', () => {
  it('publish nothing while notify-keyspace-events is empty (the default)', async () => {
    const client = await RawClient.connect(server.port);
    expect(formatReply(await client.send(['CONFIG', 'GET', 'notify-keyspace-events']))).toBe('["notify-keyspace-events", ""]');
    const watcher = await Watcher.open(server.port);
    await client.send(['SET', 'quiet', '1', 'PX', '50']);
    await client.send(['HSET', 'quiet-hash', 'f', '1']);
    await client.send(['DEL', 'quiet-hash']);
    await sleep(300);
    await client.send(['GET', 'quiet']);
    await client.send(['PUBLISH', '__keyspace@0__:probe', 'only this']);
    await until(() => watcher.read().length > 0, 3000, 'the probe message');
    expect(watcher.read()).toEqual(['__keyspace@0__:probe only this']);
    watcher.close();
    client.close();
  });

  it('publish no evicted (e) events: nothing is evicted', async () => {
    expect(await notifications(server.port, 'KEe', [...STRING_COMMANDS, ...EXPIRY_COMMANDS])).toEqual([]);
  });

  it("publish RedisTimeSeries's module events (d) and TS.INCRBY's generic ones", async () => {
    const commands = [
      ['TS.CREATE', 'ts1'], ['TS.CREATE', 'ts2'], ['TS.ALTER', 'ts1', 'RETENTION', '0'], ['TS.ADD', 'ts1', '1', '1'], ['TS.MADD', 'ts1', '2', '2', 'ts2', '3', '3', 'nope', '1', '1'],
      ['TS.INCRBY', 'ts3', '5', 'TIMESTAMP', '10'], ['TS.DECRBY', 'ts3', '1', 'TIMESTAMP', '11'], ['TS.DEL', 'ts1', '0', '1'],
      ['TS.CREATERULE', 'ts1', 'ts2', 'AGGREGATION', 'avg', '10'], ['TS.DELETERULE', 'ts1', 'ts2'], ['TS.RANGE', 'ts1', '-', '+'],
    ];
    expect(await notifications(server.port, 'Kdg', commands)).toEqual([
      '__keyspace@0__:ts1 ts.create', '__keyspace@0__:ts2 ts.create', '__keyspace@0__:ts1 ts.alter', '__keyspace@0__:ts1 ts.add',
      '__keyspace@0__:ts1 ts.add', '__keyspace@0__:ts2 ts.add', '__keyspace@0__:ts3 ts.incrby', '__keyspace@0__:ts3 ts.decrby',
      '__keyspace@0__:ts1 ts.del', '__keyspace@0__:ts1 ts.createrule:src', '__keyspace@0__:ts2 ts.createrule:dest',
      '__keyspace@0__:ts1 ts.deleterule:src', '__keyspace@0__:ts2 ts.deleterule:dest',
    ]);
  });

  it('let an ioredis subscriber to __keyevent@0__:expired see a key expire on its own', async () => {
    const admin = new Redis({ port: server.port, host: '127.0.0.1' });
    const subscriber = new Redis({ port: server.port, host: '127.0.0.1' });
    try {
      await admin.config('SET', 'notify-keyspace-events', 'Ex');
      const expired: string[] = [];
      subscriber.on('message', (channel: string, key: string) => expired.push(`${channel} ${key}`));
      await subscriber.subscribe('__keyevent@0__:expired');
      await admin.set('session:1', 'token', 'PX', 200);
      await admin.set('session:2', 'token', 'PX', 100_000);
      await until(() => expired.length > 0, 5000, 'the expired event'); // the active cycle, no access
      expect(expired).toEqual(['__keyevent@0__:expired session:1']);
      expect(await admin.exists('session:2')).toBe(1);
    } finally {
      await admin.config('SET', 'notify-keyspace-events', '');
      admin.disconnect();
      subscriber.disconnect();
    }
  });
});

// ---- durability -------------------------------------------------------------------------------

describe('keyspace notifications and durability', () => {
  const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  const fs = new HoldingFileSystem();
  let listener: Listener;
  let port: number;

  beforeAll(async () => {
    const engine = await Engine.open({ dir: '/db', fs, syncPolicy: 'always', logger: () => {} });
    registerAllCommands();
    const config = { ...defaultConfig(), port: 0, notifyKeyspaceEvents: 0 };
    const state = new ServerState({ config, engine, keyspace: await Keyspace.open(engine), logger: silent });
    listener = new Listener(state);
    [port] = (await listener.listen()) as [number];
    const client = await RawClient.connect(port);
    await client.send(['CONFIG', 'SET', 'notify-keyspace-events', 'KE$']);
    client.close();
  });

  afterAll(async () => {
    fs.unhold();
    await listener?.close(Date.now() + 1000);
  });

  it('sends a notification only once its write is durable', async () => {
    const watcher = await Watcher.open(port);
    const writer = await ByteSocket.connect(port);
    fs.hold();
    writer.send(['SET', 'held', '1']);
    await sleep(300);
    expect(writer.text()).toBe(''); // the reply waits for the fsync...
    expect(watcher.read()).toEqual([]); // ...and so does the notification
    fs.unhold();
    await writer.waitForText('+OK\r\n');
    await until(() => watcher.read().length === 2, 3000, 'the notifications');
    expect(watcher.read()).toEqual(['__keyspace@0__:held set', '__keyevent@0__:set held']);
    writer.close();
    watcher.close();
  });

  it('drops the notification of a write whose commit failed; later publishes still arrive', async () => {
    const watcher = await Watcher.open(port, '*');
    const client = await RawClient.connect(port);
    fs.injectFault({ op: 'sync', code: 'EIO' });
    expect(formatReply(await client.send(['SET', 'lost', '1']))).toMatch(/^-MISCONF /);
    expect(formatReply(await client.send(['PUBLISH', 'after', 'still here']))).toBe(':1');
    await until(() => watcher.read().length > 0, 3000, 'the published message');
    await sleep(100);
    expect(watcher.read()).toEqual(['after still here']);
    client.close();
    watcher.close();
  });
});
