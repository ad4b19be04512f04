// test/migrate.test.ts: MIGRATE between two tskv servers (every type, time series included, TTLs,
// KEYS, COPY, REPLACE, AUTH) with Redis 7.0's reply texts; and, against a fake target that
// answers when the test says so, that a key stays locked (TRYAGAIN) until the target has it and
// leaves the source only then.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, formatReply, type Reply } from './helpers/raw-client.js';
import { freePort, startServer, type StartedServer } from './helpers/server.js';

let source: StartedServer;
let target: StartedServer;
let locked: StartedServer;
let src: RawClient;
let dst: RawClient;

beforeAll(async () => {
  [source, target, locked] = await Promise.all([startServer(), startServer(), startServer({ args: ['--requirepass', 'sesame'] })]);
  [src, dst] = await Promise.all([RawClient.connect(source.port), RawClient.connect(target.port)]);
}, 60_000);

afterAll(async () => {
  src?.close();
  dst?.close();
  await Promise.all([source?.stop(), target?.stop(), locked?.stop()]);
});

async function both(args: string[]): Promise<[string, string]> {
  return [formatReply(await src.send(args)), formatReply(await dst.send(args))];
}

function migrate(...rest: string[]): Promise<Reply> {
  return src.send(['MIGRATE', '127.0.0.1', String(target.port), ...rest]);
}

describe('MIGRATE between tskv servers', () => {
  it('moves a string, a hash and a set with their TTLs, and answers NOKEY when nothing is there', async () => {
    await src.pipeline([['SET', 's', 'value', 'PX', '100000'], ['HSET', 'h', 'f1', 'v1', 'f2', 'v2'], ['SADD', 'set', 'a', 'b', '3']]);
    expect(formatReply(await migrate('s', '0', '5000'))).toBe('+OK');
    expect(formatReply(await migrate('', '0', '5000', 'KEYS', 'h', 'set', 'missing'))).toBe('+OK');
    expect(await both(['EXISTS', 's', 'h', 'set'])).toEqual([':0', ':3']);
    expect(formatReply(await dst.send(['GET', 's']))).toBe('"value"');
    const ttl = Number((await dst.send(['PTTL', 's']) as { value: bigint }).value);
    expect(ttl).toBeGreaterThan(90_000);
    expect(ttl).toBeLessThanOrEqual(100_000);
    expect(formatReply(await dst.send(['HGETALL', 'h']))).toBe('["f1", "v1", "f2", "v2"]');
    expect(formatReply(await dst.send(['SMEMBERS', 'set']))).toMatch(/^\["3", "a", "b"\]$|^\[.*\]$/);
    expect(formatReply(await dst.send(['SCARD', 'set']))).toBe(':3');
    expect(formatReply(await migrate('s', '0', '5000'))).toBe('+NOKEY');
    expect(formatReply(await migrate('', '0', '5000', 'KEYS', 'none1', 'none2'))).toBe('+NOKEY');
  });

  it('moves a time series with its samples (raw and sealed), options and labels', async () => {
    const samples = Array.from({ length: 500 }, (_, index) => ['TS.ADD', 'series', String(1_000 + index), String(index * 1.5)]);
    await src.send(['TS.CREATE', 'series', 'RETENTION', '0', 'DUPLICATE_POLICY', 'LAST', 'LABELS', 'sensor', 'migrated', 'room', '7']);
    await src.pipeline(samples.slice(0, 400));
    await src.send(['DEBUG', 'COMPACT']); // seals the raw samples into chunks
    await src.pipeline(samples.slice(400));
    const range = formatReply(await src.send(['TS.RANGE', 'series', '-', '+']));
    const info = formatReply(await src.send(['TS.INFO', 'series']));
    expect(formatReply(await migrate('series', '0', '5000'))).toBe('+OK');
    expect(await both(['EXISTS', 'series'])).toEqual([':0', ':1']);
    expect(formatReply(await dst.send(['TS.RANGE', 'series', '-', '+']))).toBe(range);
    const infoThere = formatReply(await dst.send(['TS.INFO', 'series']));
    expect(infoThere).toBe(info);
    for (const field of ['+totalSamples, :500', '+duplicatePolicy, +last', '[["sensor", "migrated"], ["room", "7"]]']) expect(info).toContain(field);
    expect(formatReply(await dst.send(['TS.QUERYINDEX', 'sensor=migrated']))).toBe('["series"]');
    expect(formatReply(await src.send(['TS.QUERYINDEX', 'sensor=migrated']))).toBe('[]');
    expect(formatReply(await dst.send(['TS.ADD', 'series', '1499', '9']))).toBe(':1499');
  });

  it('keeps the source with COPY, overwrites with REPLACE, and passes the target error on', async () => {
    await src.send(['SET', 'c', 'one']);
    expect(formatReply(await migrate('c', '0', '5000', 'COPY'))).toBe('+OK');
    expect(await both(['GET', 'c'])).toEqual(['"one"', '"one"']);
    expect(formatReply(await migrate('c', '0', '5000'))).toBe('-ERR Target instance replied with error: BUSYKEY Target key name already exists.');
    expect(formatReply(await src.send(['GET', 'c']))).toBe('"one"');
    await src.send(['SET', 'c', 'two']);
    expect(formatReply(await migrate('c', '0', '5000', 'REPLACE'))).toBe('+OK');
    expect(await both(['GET', 'c'])).toEqual(['$-1', '"two"']);
  });

  it('selects the target database and authenticates with AUTH', async () => {
    await src.send(['SET', 'db3', 'x']);
    expect(formatReply(await migrate('db3', '3', '5000'))).toBe('+OK');
    expect(formatReply(await dst.pipeline([['SELECT', '3'], ['GET', 'db3'], ['SELECT', '0']]).then((replies) => replies[1] as Reply))).toBe('"x"');
    await src.send(['SET', 'secret', 'y']);
    const toLocked = (...rest: string[]) => src.send(['MIGRATE', '127.0.0.1', String(locked.port), 'secret', '0', '5000', ...rest]);
    expect(formatReply(await toLocked())).toBe('-ERR Target instance replied with error: NOAUTH Authentication required.');
    expect(formatReply(await toLocked('AUTH', 'wrong'))).toMatch(/^-ERR Target instance replied with error: WRONGPASS/);
    expect(formatReply(await src.send(['GET', 'secret']))).toBe('"y"');
    expect(formatReply(await toLocked('AUTH', 'sesame'))).toBe('+OK');
    expect(formatReply(await src.send(['EXISTS', 'secret']))).toBe(':0');
  });

  it("answers Redis's errors for a bad KEYS form, bad numbers and an unreachable target", async () => {
    await src.send(['SET', 'k', 'v']);
    expect(formatReply(await migrate('k', '0', '5000', 'KEYS', 'k'))).toBe('-ERR When using MIGRATE KEYS option, the key argument must be set to the empty string');
    expect(formatReply(await migrate('k', '0', '5000', 'BOGUS'))).toBe('-ERR syntax error');
    expect(formatReply(await migrate('k', 'x', '5000'))).toBe('-ERR value is not an integer or out of range');
    const closed = await freePort();
    expect(formatReply(await src.send(['MIGRATE', '127.0.0.1', String(closed), 'k', '0', '500']))).toBe('-IOERR error or timeout connecting to the client');
    expect(formatReply(await src.send(['GET', 'k']))).toBe('"v"');
    expect(formatReply(await src.pipeline([['MULTI'], ['MIGRATE', '127.0.0.1', String(target.port), 'k', '0', '500'], ['EXEC']]).then((replies) => replies[2] as Reply)))
      .toBe('[-ERR MIGRATE is not allowed inside MULTI on tskv (its reply waits for the target)]');
  });
});

/** A target that reads RESP requests and answers each RESTORE only when release() is called. */
async function fakeTarget(): Promise<{ port: number; requests: () => number; release: (reply: string) => void; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let requests = 0;
  let pending: net.Socket | undefined;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk) => {
      requests += (chunk.toString('latin1').match(/^\*\d+\r\n/gm) ?? []).length;
      if (chunk.toString('latin1').includes('SELECT')) socket.write('+OK\r\n');
      pending = socket;
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    requests: () => requests,
    release: (reply) => pending?.write(reply),
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

describe('MIGRATE while the target has not answered', () => {
  it('refuses commands on the key with TRYAGAIN, and deletes it only once the target took it', async () => {
    const fake = await fakeTarget();
    const other = await RawClient.connect(source.port);
    try {
      await src.send(['SET', 'moving', 'v1']);
      const reply = src.send(['MIGRATE', '127.0.0.1', String(fake.port), 'moving', '0', '10000']);
      for (let waited = 0; fake.requests() < 2 && waited < 100; waited++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(fake.requests()).toBe(2); // SELECT, RESTORE
      expect(formatReply(await other.send(['SET', 'moving', 'v2']))).toBe('-TRYAGAIN Multiple keys request during rehashing of slot');
      expect(formatReply(await other.send(['GET', 'moving']))).toBe('-TRYAGAIN Multiple keys request during rehashing of slot');
      expect(formatReply(await other.send(['SET', 'bystander', 'ok']))).toBe('+OK');
      fake.release('+OK\r\n');
      expect(formatReply(await reply)).toBe('+OK');
      expect(formatReply(await other.send(['GET', 'moving']))).toBe('$-1');
      expect(formatReply(await other.send(['SET', 'moving', 'v3']))).toBe('+OK');

      const failing = src.send(['MIGRATE', '127.0.0.1', String(fake.port), 'moving', '0', '10000']);
      for (let waited = 0; fake.requests() < 3 && waited < 100; waited++) await new Promise((resolve) => setTimeout(resolve, 20));
      fake.release('-ERR no room\r\n');
      expect(formatReply(await failing)).toBe('-ERR Target instance replied with error: ERR no room');
      expect(formatReply(await other.send(['GET', 'moving']))).toBe('"v3"');
    } finally {
      other.close();
      await fake.close();
    }
  });

  it('answers IOERR when the target does not answer in time, and keeps the key', async () => {
    const fake = await fakeTarget();
    try {
      await src.send(['SET', 'slow', 'v']);
      expect(formatReply(await src.send(['MIGRATE', '127.0.0.1', String(fake.port), 'slow', '0', '300']))).toBe('-IOERR error or timeout reading to target instance');
      expect(formatReply(await src.send(['GET', 'slow']))).toBe('"v"');
    } finally {
      await fake.close();
    }
  });
});
