// test/blocking.test.ts: blocking pops (BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP) end to end with
// several clients: who is served and when (FIFO per key, after the pushing command or the whole
// EXEC, only while the key is a list, a BLMOVE's push serving the next waiter), timeouts, MULTI
// never blocking, CLIENT UNBLOCK, a disconnect or CLIENT KILL, INFO blocked_clients, a blocked
// client's pipelined commands waiting behind it, and kill -9: a wait ends with the connection, an
// acknowledged pop is gone for good and an element nobody was answered with is not lost.
// Waits are bounded: every poll loop has a count and every blocking call a timeout or a push.
import net from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RawClient, formatReply, type Reply } from './helpers/raw-client.js';
import { startServer, type StartedServer } from './helpers/server.js';
import { errorOf, POLL_INTERVAL_MS, settlesWithin, blockedClients as blockedClientsOn, waitForBlocked as waitForBlockedOn } from './helpers/blocking.js';

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const QUIET_MS = 150; // how long a reply that must not come is waited for

let server: StartedServer;
let redis: Redis;
const opened: Array<Redis | RawClient> = [];

function client(): Redis {
  const connection = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false });
  connection.on('error', () => undefined);
  opened.push(connection);
  return connection;
}

async function raw(): Promise<RawClient> {
  const connection = await RawClient.connect(server.port);
  opened.push(connection);
  return connection;
}

const blockedClients = (): Promise<number> => blockedClientsOn(server.port);
const waitForBlocked = (count: number): Promise<void> => waitForBlockedOn(server.port, count);

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

describe('serving blocked clients', () => {
  it('serves a BLPOP and a BRPOP from a push by another client', async () => {
    const [left, right] = [client(), client()];
    const popped = left.blpop('q', 0);
    await waitForBlocked(1);
    const tail = right.brpop('r', 5);
    await waitForBlocked(2);
    expect(await redis.rpush('q', 'a', 'b')).toBe(2);
    expect(await popped).toEqual(['q', 'a']);
    expect(await redis.rpush('r', 'x', 'y')).toBe(2);
    expect(await tail).toEqual(['r', 'y']);
    expect(await redis.lrange('q', 0, -1)).toEqual(['b']);
    expect(await redis.lrange('r', 0, -1)).toEqual(['x']);
  });

  it('serves the clients waiting on one key in the order they blocked', async () => {
    const waiters = [client(), client(), client()];
    const pops: Promise<unknown>[] = [];
    for (const [index, waiter] of waiters.entries()) {
      pops.push(waiter.blpop('fifo', 0));
      await waitForBlocked(index + 1);
    }
    await redis.rpush('fifo', 'first', 'second');
    expect(await pops[0]).toEqual(['fifo', 'first']);
    expect(await pops[1]).toEqual(['fifo', 'second']);
    expect(await settlesWithin(pops[2]!, QUIET_MS)).toBe(false);
    expect(await redis.exists('fifo')).toBe(0); // emptied by the pops: deleted
    await redis.rpush('fifo', 'third');
    expect(await pops[2]).toEqual(['fifo', 'third']);
  });

  it('serves a client waiting on several keys (named twice or not) from the key that got an element', async () => {
    const waiter = client();
    const popped = waiter.blpop('k1', 'k2', 'k1', 0);
    await waitForBlocked(1);
    expect(await redis.info('clients')).toContain('total_blocking_keys:2');
    await redis.rpush('k2', 'v');
    expect(await popped).toEqual(['k2', 'v']);
    expect(await redis.info('clients')).toContain('total_blocking_keys:0');
  });

  it('serves BLMPOP up to its count and BRPOPLPUSH into its destination', async () => {
    const [mpop, move] = [client(), client()];
    const many = mpop.call('BLMPOP', '0', '2', 'm1', 'm2', 'RIGHT', 'COUNT', '3');
    await waitForBlocked(1);
    await redis.rpush('m2', 'a', 'b', 'c', 'd');
    expect(await many).toEqual(['m2', ['d', 'c', 'b']]);
    const moved = move.brpoplpush('src', 'dst', 0);
    await waitForBlocked(1);
    await redis.lpush('src', 'e');
    expect(await moved).toBe('e');
    expect(await redis.lrange('dst', 0, -1)).toEqual(['e']);
  });

  it("passes an element on through a BLMOVE to the next list's waiter", async () => {
    const [mover, reader] = [client(), client()];
    const moved = mover.blmove('a', 'b', 'LEFT', 'RIGHT', 0);
    await waitForBlocked(1);
    const read = reader.blpop('b', 0);
    await waitForBlocked(2);
    await redis.rpush('a', 'token');
    expect(await moved).toBe('token');
    expect(await read).toEqual(['b', 'token']);
    expect(await redis.exists('a', 'b')).toBe(0);
  });

  it('answers WRONGTYPE to a BLMOVE waiter whose destination is no list once served, popping nothing', async () => {
    const mover = client();
    const moved = errorOf(mover.blmove('from', 'to', 'LEFT', 'RIGHT', 0)); // handled at once: the rejection may come before the await
    await waitForBlocked(1);
    await redis.set('to', 'string');
    await redis.rpush('from', 'x');
    expect(await moved).toBe(WRONGTYPE);
    expect(await redis.lrange('from', 0, -1)).toEqual(['x']);
  });

  it('wakes a waiter when SWAPDB brings a list to its key', async () => {
    const waiter = client();
    const popped = waiter.blpop('swapped', 0);
    await waitForBlocked(1);
    await redis.select(1);
    try {
      await redis.rpush('swapped', 'from-db1');
      await redis.swapdb(0, 1);
    } finally {
      await redis.select(0);
    }
    expect(await popped).toEqual(['swapped', 'from-db1']);
  });
});

describe('what a push in a transaction or of another type does', () => {
  it('serves only after the whole EXEC, with the list as EXEC left it', async () => {
    const waiter = client();
    const popped = waiter.blpop('t', 0);
    await waitForBlocked(1);
    const results = await redis.multi().lpush('t', 'a').lpush('t', 'b').lpush('t', 'c').exec();
    expect(results).toEqual([[null, 1], [null, 2], [null, 3]]);
    expect(await popped).toEqual(['t', 'c']);
    expect(await redis.lrange('t', 0, -1)).toEqual(['b', 'a']);
  });

  it('wakes nobody when the EXEC that pushed also deleted the key', async () => {
    const waiter = client();
    const popped = waiter.blpop('gone', 0);
    await waitForBlocked(1);
    await redis.multi().lpush('gone', 'x').del('gone').exec();
    expect(await settlesWithin(popped, QUIET_MS)).toBe(false);
    expect(await blockedClients()).toBe(1);
    await redis.rpush('gone', 'y');
    expect(await popped).toEqual(['gone', 'y']);
  });

  it('keeps waiters blocked while the key holds a string, and serves them once it is a list again', async () => {
    const waiter = client();
    const popped = waiter.blpop('s', 0);
    await waitForBlocked(1);
    await redis.set('s', 'a string');
    expect(await settlesWithin(popped, QUIET_MS)).toBe(false);
    expect(await errorOf(redis.lpush('s', 'x'))).toBe(WRONGTYPE);
    await redis.multi().del('s').rpush('s', 'listed').exec();
    expect(await popped).toEqual(['s', 'listed']);
  });

  it('never blocks inside MULTI: a null at once, whatever the timeout', async () => {
    const results = await redis.multi().blpop('empty', 0).brpop('empty', 0).blmove('empty', 'd', 'LEFT', 'LEFT', 0)
      .call('BLMPOP', '0', '1', 'empty', 'LEFT').brpoplpush('empty', 'd', 0).exec();
    expect(results).toEqual([[null, null], [null, null], [null, null], [null, null], [null, null]]);
    const transaction = await raw();
    const replies = await transaction.pipeline([['MULTI'], ['BLPOP', 'empty', '0'], ['BLMOVE', 'empty', 'd', 'LEFT', 'LEFT', '0'], ['EXEC']]);
    expect(formatReply(replies[3]!)).toBe('[*-1, $-1]'); // BLPOP's null array, BLMOVE's null bulk, as Redis
  });
});

describe('ending a wait', () => {
  it('times out with a null after fractional seconds, and waits for ever with 0', async () => {
    const waiter = client();
    const started = Date.now();
    expect(await waiter.blpop('none', 0.2)).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(await waiter.blmove('none', 'd', 'LEFT', 'LEFT', 0.05)).toBeNull();
    const forever = waiter.blpop('none', 0);
    await waitForBlocked(1);
    expect(await settlesWithin(forever, 300)).toBe(false);
    await redis.rpush('none', 'finally');
    expect(await forever).toEqual(['none', 'finally']);
    expect(await errorOf(waiter.blpop('none', -1))).toBe('ERR timeout is negative');
    expect(await errorOf(waiter.blpop('none', 'soon'))).toBe('ERR timeout is not a float or out of range');
    expect(await errorOf(waiter.blpop('none', 'inf'))).toBe('ERR timeout is out of range');
  });

  it('ends a wait on CLIENT UNBLOCK with a null or an UNBLOCKED error, and answers 0 for a client not blocked', async () => {
    const waiter = client();
    const id = (await waiter.client('ID')) as number;
    expect(await redis.client('UNBLOCK', id)).toBe(0);
    const first = waiter.blpop('u', 0);
    await waitForBlocked(1);
    expect(await redis.client('UNBLOCK', id, 'TIMEOUT')).toBe(1);
    expect(await first).toBeNull();
    const second = errorOf(waiter.brpoplpush('u', 'v', 0)); // handled now: it fails while UNBLOCK is answered
    await waitForBlocked(1);
    expect(await errorOf(redis.call('CLIENT', 'UNBLOCK', String(id), 'NOW'))).toBe('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
    expect(await redis.call('CLIENT', 'UNBLOCK', String(id), 'ERROR')).toBe(1);
    expect(await second).toBe('UNBLOCKED client unblocked via CLIENT UNBLOCK');
    expect(await waiter.ping()).toBe('PONG');
    expect(await redis.client('UNBLOCK', 999_999)).toBe(0);
  });

  it('forgets a waiter that disconnects or is killed, so a later push stays in the list', async () => {
    const [leaving, killed] = [client(), client()];
    const killedId = (await killed.client('ID')) as number;
    void leaving.blpop('bye', 0).catch(() => undefined);
    void killed.blpop('bye', 0).catch(() => undefined);
    await waitForBlocked(2);
    leaving.disconnect();
    await waitForBlocked(1);
    expect(await redis.client('KILL', 'ID', String(killedId))).toBe(1);
    await waitForBlocked(0);
    await redis.rpush('bye', 'kept');
    expect(await redis.lrange('bye', 0, -1)).toEqual(['kept']);
  });
});

describe('a blocked connection', () => {
  it('holds the commands pipelined after a blocking one until that one is answered', async () => {
    const waiter = await raw();
    const replies = waiter.pipeline([['BLPOP', 'p', '0'], ['PING'], ['LLEN', 'p'], ['RPUSH', 'p', 'mine']]);
    await waitForBlocked(1);
    expect(await settlesWithin(replies, QUIET_MS)).toBe(false);
    expect(await redis.llen('p')).toBe(0);
    await redis.rpush('p', 'theirs', 'second');
    expect((await replies).map(formatReply)).toEqual(['["p", "theirs"]', '+PONG', ':1', ':2']);
  });

  it('shows in INFO clients and CLIENT LIST while blocked, with the timeout table', async () => {
    const [forever, timed] = [client(), client()];
    void forever.blpop('i', 0);
    void timed.blpop('j', 30);
    await waitForBlocked(2);
    const info = await redis.info('clients');
    expect(info).toContain('blocked_clients:2');
    expect(info).toContain('clients_in_timeout_table:1');
    expect(info).toContain('total_blocking_keys:2');
    expect(String(await redis.client('LIST')).split('\n').filter((line) => / flags=b /.test(line))).toHaveLength(2);
    await redis.rpush('i', 'x');
    await redis.rpush('j', 'y');
    await waitForBlocked(0);
    expect(await redis.info('clients')).toContain('clients_in_timeout_table:0');
  });
});

describe('kill -9 while clients are blocked', () => {
  /** The elements a reply to BLPOP handed out (none for a timeout). */
  const element = (reply: Reply): string | undefined => (reply.type === 'array' && reply.value[1]?.type === 'bulk' ? reply.value[1].value.toString() : undefined);

  it('ends the waits with the connection; an acknowledged pop stays popped, an element not handed out stays', async () => {
    const waiters = await Promise.all([raw(), raw(), raw()]);
    const pops = waiters.map((waiter) => waiter.send(['BLPOP', 'q', '0']));
    await waitForBlocked(3);
    expect(await redis.rpush('q', 'a', 'b', 'c', 'd', 'e')).toBe(5);
    const handed = (await Promise.all(pops)).map(element);
    expect(handed.sort()).toEqual(['a', 'b', 'c']);
    const late = await raw();
    const lost = errorOf(late.send(['BLPOP', 'never', '0'])); // handled now: it fails during the kill
    await waitForBlocked(1);
    await server.kill9();
    expect(await lost).toBe('connection closed');
    await server.restart();
    expect(await redis.lrange('q', 0, -1)).toEqual(['d', 'e']);
    expect(await blockedClients()).toBe(0);
  });

  it('loses no acknowledged push: each is handed out, still listed, or in a pop the crash cut off', async () => {
    const ROUNDS = 3;
    const WAITERS = 4;
    const PUSHES = 60;
    for (let round = 0; round < ROUNDS; round++) {
      await redis.del('burst');
      const waiters = await Promise.all(Array.from({ length: WAITERS }, () => raw()));
      const handed: string[] = [];
      let stop = false;
      const loops = waiters.map(async (waiter) => {
        while (!stop) {
          let reply: Reply;
          try {
            reply = await waiter.send(['BLPOP', 'burst', '5']);
          } catch {
            return;
          }
          const value = element(reply);
          if (value !== undefined) handed.push(value);
        }
      });
      const pusher = await raw();
      const acknowledged: string[] = [];
      const pushes = (async () => {
        for (let index = 0; index < PUSHES; index++) {
          const value = `r${round}-${index}`;
          try {
            await pusher.send(['RPUSH', 'burst', value]);
          } catch {
            return;
          }
          acknowledged.push(value);
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 5 + round * 7));
      await server.kill9();
      stop = true;
      await Promise.all([...loops, pushes]);
      await server.restart();
      const listed = await redis.lrange('burst', 0, -1);
      expect(new Set([...handed, ...listed]).size).toBe(handed.length + listed.length); // nothing both handed out and listed
      const missing = acknowledged.filter((value) => !handed.includes(value) && !listed.includes(value));
      expect(missing.length).toBeLessThanOrEqual(WAITERS); // at most one pop in flight per waiter
      for (const connection of [...waiters, pusher]) connection.close();
    }
  });
});

describe("ioredis's blocking commands in RESP2 and RESP3", () => {
  /** An ioredis client speaking `protocol` (ioredis 6 defaults to 3). */
  function speaking(protocol: 2 | 3): Redis {
    const connection = new Redis({ port: server.port, host: '127.0.0.1', protocol, maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false });
    connection.on('error', () => undefined);
    opened.push(connection);
    return connection;
  }

  it.each([2, 3] as const)('serves blpop, brpop, blmove, brpoplpush, blmpop and blpopBuffer, and times each out with a null, in RESP%i', async (protocol) => {
    const waiter = speaking(protocol);
    expect(String(await waiter.client('INFO'))).toContain(` resp=${protocol} `);
    const binary = Buffer.from([0x00, 0x0d, 0x0a, 0xff, 0x24]);
    const served = async <T>(pop: Promise<T>, push: () => Promise<unknown>): Promise<T> => {
      await waitForBlocked(1);
      await push();
      return pop;
    };
    expect(await served(waiter.blpop('b1', 'b2', 0), () => redis.rpush('b2', 'x', 'y'))).toEqual(['b2', 'x']);
    expect(await served(waiter.brpop('b3', 'b9', 0), () => redis.rpush('b3', 'z'))).toEqual(['b3', 'z']);
    expect(await served(waiter.blmove('b4', 'd', 'RIGHT', 'LEFT', 0), () => redis.lpush('b4', 'm1', 'm2'))).toBe('m1');
    expect(await served(waiter.brpoplpush('b5', 'd', 0), () => redis.rpush('b5', 'n'))).toBe('n');
    expect(await redis.lrange('d', 0, -1)).toEqual(['n', 'm1']);
    expect(await served(waiter.blmpop(0, 2, 'b6', 'b7', 'LEFT', 'COUNT', 2), () => redis.rpush('b7', 'p', 'q', 'r'))).toEqual(['b7', ['p', 'q']]);
    const buffer = await served(waiter.blpopBuffer('b8', 0), () => redis.rpush('b8', binary));
    expect(buffer?.[0]).toEqual(Buffer.from('b8'));
    expect(buffer?.[1]).toEqual(binary);
    expect(await waiter.blpop('none', 0.05)).toBeNull();
    expect(await waiter.brpop('none', 0.05)).toBeNull();
    expect(await waiter.blmove('none', 'd', 'LEFT', 'LEFT', 0.05)).toBeNull();
    expect(await waiter.brpoplpush('none', 'd', 0.05)).toBeNull();
    expect(await waiter.blmpop(0.05, 1, 'none', 'RIGHT')).toBeNull();
    expect(await waiter.lrange('b2', 0, -1)).toEqual(['y']); // the connection still answers in order
  });

  it('keeps blocking calls of several ioredis clients apart from an auto-pipelined one', async () => {
    const pipelined = new Redis({ port: server.port, host: '127.0.0.1', enableAutoPipelining: true });
    pipelined.on('error', () => undefined);
    opened.push(pipelined);
    const waiters = [client(), client(), client()];
    const pops: Promise<[string, string] | null>[] = [];
    for (const [index, waiter] of waiters.entries()) { // one at a time: the FIFO order on 'shared' is the index order
      pops.push(waiter.brpop(`w${index}`, 'shared', 0));
      await waitForBlocked(index + 1);
    }
    const pushes = await Promise.all([pipelined.lpush('shared', 'a'), pipelined.lpush('w1', 'b'), pipelined.get('nothing'), pipelined.lpush('shared', 'c')]);
    expect(pushes).toEqual([1, 1, null, 1]);
    expect(await Promise.all(pops)).toEqual([['shared', 'a'], ['w1', 'b'], ['shared', 'c']]); // FIFO on shared: w0's waiter first
  });
});

describe('limits.waitersPerKeyMax', () => {
  const WAITERS_PER_KEY_MAX = 10_000;
  const CONNECT_BATCH = 250; // under the listen backlog (511)

  it('refuses the waiter past it with an error, blocking nothing, while other keys still block', async () => {
    const crowded = await startServer({ args: ['--maxclients', String(WAITERS_PER_KEY_MAX + 100)] });
    const sockets: net.Socket[] = [];
    const admin = await RawClient.connect(crowded.port);
    try {
      const blocked = async () => Number(/blocked_clients:(\d+)/.exec(formatReply(await admin.send(['INFO', 'clients'])))?.[1]);
      for (let start = 0; start < WAITERS_PER_KEY_MAX; start += CONNECT_BATCH) {
        await Promise.all(Array.from({ length: Math.min(CONNECT_BATCH, WAITERS_PER_KEY_MAX - start) }, () => new Promise<void>((resolve, reject) => {
          const socket = net.connect(crowded.port, '127.0.0.1');
          sockets.push(socket);
          socket.once('error', reject);
          socket.once('connect', () => {
            socket.write('*3\r\n$5\r\nBLPOP\r\n$7\r\ncrowded\r\n$1\r\n0\r\n');
            resolve();
          });
        })));
        // 'connect' fires when the kernel completes the handshake, before the server accepts: wait
        // for the server to take this batch, or the accept queue overflows and SYNs are retried
        // after 1 s, 3 s, ... (the run took 17-22 s that way; Redis accepts faster and is not hit)
        const target = sockets.length - CONNECT_BATCH;
        for (let round = 0; round < 6_000 && (await blocked()) < target; round++) await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
      }
      for (let round = 0; round < 6_000 && (await blocked()) < WAITERS_PER_KEY_MAX; round++) await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
      expect(await blocked()).toBe(WAITERS_PER_KEY_MAX);
      const late = await RawClient.connect(crowded.port);
      expect(formatReply(await late.send(['BLPOP', 'other', 'crowded', '0']))).toBe(`-ERR too many clients blocked on one key (max ${WAITERS_PER_KEY_MAX})`);
      expect(formatReply(await late.send(['BLMOVE', 'crowded', 'd', 'LEFT', 'LEFT', '0.01']))).toBe(`-ERR too many clients blocked on one key (max ${WAITERS_PER_KEY_MAX})`);
      expect(await blocked()).toBe(WAITERS_PER_KEY_MAX); // neither blocked, on 'other' either
      expect(formatReply(await late.send(['BLPOP', 'other', '0.01']))).toBe('*-1'); // another key: blocks, then times out
      expect(formatReply(await admin.send(['RPUSH', 'crowded', 'one']))).toBe(':1');
      expect(formatReply(await late.send(['BLPOP', 'crowded', '0.01']))).toBe('*-1'); // the first waiter took it; one place free
      late.close();
    } finally {
      for (const socket of sockets) socket.destroy();
      admin.close();
      await crowded.stop();
    }
  }, 180_000);
});
