// test/server-client-close.test.ts: a client that QUITs, hits a protocol error, is refused or
// half-closes is freed at once: connected_clients (INFO) and the server's open fds
// (/proc/<pid>/fd, read from here: the server is a child process) go back to where they were,
// whatever the peer does after the reply: reads it and closes, keeps its socket open, or keeps
// sending. A client that streams garbage is cut off right after its protocol error.
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { Redis } from 'ioredis';
import { Redis as Redis5 } from 'ioredis5';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, formatReply } from './helpers/raw-client.js';
import { startServer, type StartedServer } from './helpers/server.js';

const CLIENTS = 20; // per case: a leak of one per client shows as +20
const SETTLE_MS_MAX = 2_000; // how long the counts may take to come back (freeing is at once)
const CUT_OFF_MS_MAX = 1_000;
const GARBAGE_CHUNK = Buffer.alloc(1024, 0x41); // 'A' * 1 KiB, no newline
const GARBAGE_BYTES_MAX = 4 * 1024 * 1024;
const GARBAGE_MS_MAX = 3_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

async function infoNumber(probe: RawClient, name: string): Promise<number> {
  const text = JSON.parse(formatReply(await probe.send(['INFO', 'all']))) as string;
  return Number(new RegExp(`\\r\\n${name}:(\\d+)\\r\\n`).exec(text)?.[1] ?? NaN);
}

interface Counts {
  clients: number;
  fds: number;
}

/** Connects a probe that stays open (it counts itself in both numbers, before and after). */
async function openProbe(server: StartedServer): Promise<{ probe: RawClient; counts: () => Promise<Counts> }> {
  const probe = await RawClient.connect(server.port);
  return { probe, counts: async () => ({ clients: await infoNumber(probe, 'connected_clients'), fds: openFds(server.pid) }) };
}

/** Polls (bounded) until the counts equal `baseline`; returns the last reading. */
async function settledCounts(counts: () => Promise<Counts>, baseline: Counts): Promise<Counts> {
  const deadline = Date.now() + SETTLE_MS_MAX;
  let now = await counts();
  while ((now.clients !== baseline.clients || now.fds !== baseline.fds) && Date.now() < deadline) {
    await sleep(20);
    now = await counts();
  }
  return now;
}

function connectRaw(port: number, allowHalfOpen: boolean): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen });
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

interface Outcome {
  received: string;
  ended: boolean; // the server sent FIN
  closed: boolean; // the socket closed (FIN both ways, or a reset)
}

/**
 * Sends `request` on a fresh socket and waits (at most waitMs) for the reply and the server's
 * FIN. With `hangUp` the client ends its side after the reply, as client libraries do; without,
 * it keeps its socket open and never closes it (the server must not wait for it).
 */
async function requestAndWatch(port: number, request: string, hangUp: boolean, waitMs = CUT_OFF_MS_MAX): Promise<{ socket: net.Socket; outcome: Outcome }> {
  const socket = await connectRaw(port, !hangUp);
  const outcome: Outcome = { received: '', ended: false, closed: false };
  socket.on('error', () => undefined); // a reset is a fine way for the server to close
  socket.on('data', (chunk: Buffer) => {
    outcome.received += chunk.toString('latin1');
    if (hangUp) socket.end();
  });
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, waitMs);
    socket.on(hangUp ? 'close' : 'end', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  socket.on('end', () => (outcome.ended = true));
  socket.on('close', () => (outcome.closed = true));
  socket.write(request);
  await done;
  return { socket, outcome };
}

interface GarbageResult {
  sentBytes: number;
  cutOffMs: number; // until a write failed or the socket closed; Infinity if neither happened
  received: string;
}

/** Sends `start`, then 1 KiB chunks of 'A' one write at a time, until the server cuts us off. */
async function streamGarbage(port: number, start: Buffer): Promise<GarbageResult> {
  const socket = await connectRaw(port, true); // half-open: the server's FIN alone does not stop us
  let received = '';
  let cutOffMs = Infinity;
  const startedAt = Date.now();
  const cutOff = () => (cutOffMs = Math.min(cutOffMs, Date.now() - startedAt));
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', cutOff);
  socket.on('close', cutOff);
  const write = (bytes: Buffer) => new Promise<boolean>((resolve) => socket.write(bytes, (error) => resolve(error === undefined || error === null)));
  let sentBytes = start.length;
  let ok = await write(start);
  while (ok && cutOffMs === Infinity && sentBytes < GARBAGE_BYTES_MAX && Date.now() - startedAt < GARBAGE_MS_MAX) {
    ok = await write(GARBAGE_CHUNK);
    if (ok) sentBytes += GARBAGE_CHUNK.length;
    await new Promise((resolve) => setImmediate(resolve)); // one chunk per read on the server
  }
  if (!ok) cutOff();
  socket.destroy();
  return { sentBytes, cutOffMs, received };
}

describe('freeing closed clients', () => {
  let server: StartedServer;
  let probe: RawClient;
  let counts: () => Promise<Counts>;
  let baseline: Counts;

  beforeAll(async () => {
    server = await startServer();
    ({ probe, counts } = await openProbe(server));
    baseline = await settledCounts(counts, await counts());
  });

  afterAll(async () => {
    probe?.close();
    await server?.stop();
  });

  it('frees raw clients that QUIT and then close their side', async () => {
    for (let index = 0; index < CLIENTS; index++) {
      const { outcome } = await requestAndWatch(server.port, 'QUIT\r\n', true);
      expect(outcome).toEqual({ received: '+OK\r\n', ended: true, closed: true });
    }
    expect(await settledCounts(counts, baseline)).toEqual(baseline);
  });

  it('frees raw clients that QUIT and never close their socket', async () => {
    const sockets: net.Socket[] = [];
    try {
      for (let index = 0; index < CLIENTS; index++) {
        const { socket, outcome } = await requestAndWatch(server.port, '*1\r\n$4\r\nQUIT\r\n', false);
        sockets.push(socket);
        expect(outcome.received).toBe('+OK\r\n');
        expect(outcome.ended).toBe(true);
      }
      expect(await settledCounts(counts, baseline)).toEqual(baseline); // our sockets are all still open
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });

  it('frees ioredis 6 and ioredis 5 clients after quit()', async () => {
    for (let index = 0; index < CLIENTS; index++) {
      const redis = index % 2 === 0 ? new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true }) : new Redis5({ port: server.port, host: '127.0.0.1', lazyConnect: true });
      await redis.connect();
      expect(await redis.ping()).toBe('PONG');
      expect(await redis.quit()).toBe('OK');
    }
    expect(await settledCounts(counts, baseline)).toEqual(baseline);
  });

  it('frees node-redis clients after quit()', async () => {
    for (let index = 0; index < CLIENTS; index++) {
      const client = createClient({ url: `redis://127.0.0.1:${server.port}` });
      client.on('error', () => undefined);
      await client.connect();
      expect(await client.ping()).toBe('PONG');
      expect(await client.quit()).toBe('OK');
    }
    expect(await settledCounts(counts, baseline)).toEqual(baseline);
  });

  it('frees clients after a protocol error, whether or not they close their side', async () => {
    const sockets: net.Socket[] = [];
    try {
      for (let index = 0; index < CLIENTS; index++) {
        const hangUp = index % 2 === 0;
        const { socket, outcome } = await requestAndWatch(server.port, '*1\r\n$4\r\nPING\r\n*x\r\n', hangUp);
        sockets.push(socket);
        expect(outcome.received).toBe('+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n');
        expect(outcome.ended).toBe(true);
      }
      expect(await settledCounts(counts, baseline)).toEqual(baseline);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });

  it('answers what a client sent before its FIN, then frees it', async () => {
    for (let index = 0; index < CLIENTS; index++) {
      const socket = await connectRaw(server.port, false);
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      const closed = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), CUT_OFF_MS_MAX);
        socket.on('close', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      socket.end(`SET close:fin:${index} v\r\nGET close:fin:${index}\r\nPING\r\n`);
      expect(await closed).toBe(true);
      socket.destroy();
      expect(received).toBe('+OK\r\n$1\r\nv\r\n+PONG\r\n');
    }
    expect(await settledCounts(counts, baseline)).toEqual(baseline);
  });

  for (const [name, start] of [['a NUL byte', '\x00'], ['*\\x00', '*\x00']] as const) {
    it(`cuts off a client streaming garbage after ${name} at its protocol error, and stops reading it`, async () => {
      const inputBefore = await infoNumber(probe, 'total_net_input_bytes');
      const result = await streamGarbage(server.port, Buffer.from(start, 'latin1'));
      const inputBytes = (await infoNumber(probe, 'total_net_input_bytes')) - inputBefore;
      console.log(`garbage after ${name}: cut off after ${result.cutOffMs} ms and ${result.sentBytes} bytes sent; server read ${inputBytes} bytes; reply ${JSON.stringify(result.received)}`);
      expect(result.cutOffMs).toBeLessThan(CUT_OFF_MS_MAX);
      expect(result.received).toMatch(/^(-ERR Protocol error: too big (inline request|mbulk count string)\r\n)?$/);
      // the limit is 64 KiB; reading on after the error would count every chunk sent
      expect(inputBytes).toBeLessThan(256 * 1024);
      expect(await settledCounts(counts, baseline)).toEqual(baseline);
    });
  }
});

describe('maxclients after closed clients', () => {
  let server: StartedServer;

  beforeAll(async () => {
    server = await startServer({ args: ['--maxclients', '5'] });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('serves a sixth client after five raw clients QUIT (--maxclients 5)', async () => {
    for (let index = 0; index < 5; index++) {
      const { outcome } = await requestAndWatch(server.port, 'QUIT\r\n', true);
      expect(outcome.received).toBe('+OK\r\n');
    }
    let reply = '';
    for (let attempt = 0; attempt < 20; attempt++) {
      const client = await RawClient.connect(server.port);
      reply = await client.send(['PING']).then(formatReply, (error: Error) => error.message);
      client.close();
      if (reply === '+PONG') break;
      await sleep(50); // freeing is at once; this only absorbs the scheduling of the last close
    }
    expect(reply).toBe('+PONG');
  });

  it('closes a refused client that keeps its socket open, so it holds no fd', async () => {
    const held = await Promise.all(Array.from({ length: 5 }, () => RawClient.connect(server.port)));
    try {
      for (const client of held) expect(formatReply(await client.send(['PING']))).toBe('+PONG');
      const fdsBefore = openFds(server.pid);
      const refused: net.Socket[] = [];
      try {
        for (let index = 0; index < CLIENTS; index++) {
          const { socket, outcome } = await requestAndWatch(server.port, '', false);
          refused.push(socket);
          expect(outcome.received).toBe('-ERR max number of clients reached\r\n');
          expect(outcome.ended).toBe(true);
        }
        let fds = openFds(server.pid);
        for (let wait = 0; wait < SETTLE_MS_MAX / 20 && fds !== fdsBefore; wait++) {
          await sleep(20);
          fds = openFds(server.pid);
        }
        expect(fds).toBe(fdsBefore); // the refused sockets are all still open on our side
      } finally {
        for (const socket of refused) socket.destroy();
      }
    } finally {
      for (const client of held) client.close();
    }
  });
});
