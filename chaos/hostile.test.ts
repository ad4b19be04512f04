// chaos/hostile.test.ts: hostile clients against the running server. While they run, a watchdog
// client PINGs and reads a seed key every WATCHDOG_INTERVAL_MS (it must always be answered); in
// each phase the server's RSS (sampled throughout) must stay under baseline + RSS_GROWTH_BYTES_MAX;
// at the end every seed key must hold its value and a fresh client must be served.
//   - 10^5 fuzzed requests (chaos/fuzz-requests.ts), FUZZ_PER_CONNECTION per connection, on
//     FUZZ_WORKERS connections at a time
//   - slowloris: SLOW_CLIENTS connections sending a PING one byte per second for a few seconds
//   - idle sockets up to --maxclients (and past it: those must be refused, not crash anything)
//   - huge declared bulk lengths: one over proto-max-bulk-len (must be refused), one just under it
//     followed by a few MiB and silence (must not make the server allocate the declared size)
//   - a client that pipelines GETs of a 1 MiB value and never reads its replies
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzRequest } from './fuzz-requests.js';
import { createRng } from './history.js';
import { RespClient, encodeCommand } from './resp-client.js';
import { ServerProcess, ensureServerBuilt } from './server-process.js';

const FUZZ_REQUESTS = 100_000;
const FUZZ_PER_CONNECTION = 50;
const FUZZ_WORKERS = 16;
const SLOW_CLIENTS = 8;
const SLOW_SECONDS = 4;
const MAXCLIENTS = Math.min(1_500, openFilesLimit() - 200); // both processes inherit our RLIMIT_NOFILE
const SEED_KEYS = 200;
const BIG_VALUE_BYTES = 1024 * 1024;
const UNREAD_GETS = 2_000; // 2 GiB of replies offered to a client that never reads
const RSS_GROWTH_BYTES_MAX = 256 * 1024 * 1024; // 4x replyBytesPendingMax
const WATCHDOG_INTERVAL_MS = 50;
const WATCHDOG_REPLY_MS_MAX = 10_000; // a reply slower than this counts as "not answered"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The soft RLIMIT_NOFILE of this process (Linux /proc), or 1024 when unknown. */
function openFilesLimit(): number {
  try {
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    if (match?.[1] === 'unlimited') return 1_000_000;
    return match ? Number(match[1]) : 1024;
  } catch {
    return 1024;
  }
}
const seedKey = (index: number) => `hostile:seed:8f3a61c2d9e04b7a:${index}`;
const seedValue = (index: number) => `seed-value-${index}-${'s'.repeat(index % 50)}`;

function connectRaw(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      socket.on('error', () => undefined); // resets are expected from a server closing on garbage
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Resolves when the socket closes, or after ms (then destroys it). */
function closedWithin(socket: net.Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(true);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

class Watchdog {
  answered = 0;
  failures: string[] = [];
  slowestMs = 0;
  rssPeak = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;
  constructor(private readonly client: RespClient, private readonly server: ServerProcess) {}
  start(): void {
    this.loop = this.run();
  }
  private async run(): Promise<void> {
    let round = 0;
    while (!this.stopped) {
      const startedAt = performance.now();
      const index = round++ % SEED_KEYS;
      const replies = Promise.all(this.client.pipeline([['PING'], ['GET', seedKey(index)]]));
      const result = await Promise.race([replies, sleep(WATCHDOG_REPLY_MS_MAX).then(() => 'timeout' as const)]).catch((error: Error) => error);
      const elapsed = performance.now() - startedAt;
      this.slowestMs = Math.max(this.slowestMs, elapsed);
      if (result === 'timeout') this.failures.push(`no reply within ${WATCHDOG_REPLY_MS_MAX} ms`);
      else if (result instanceof Error) this.failures.push(`watchdog connection: ${result.message}`);
      else if (result[0] !== 'PONG' || result[1] !== seedValue(index)) this.failures.push(`wrong replies ${JSON.stringify(result).slice(0, 200)}`);
      else this.answered++;
      if (result === 'timeout' || result instanceof Error) return;
      this.rssPeak = Math.max(this.rssPeak, this.server.rssBytes() ?? 0);
      await sleep(WATCHDOG_INTERVAL_MS);
    }
  }
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

describe('hostile clients', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tskv-hostile-'));
  const server = new ServerProcess({ dir, appendfsync: 'always', extraArgs: ['--maxclients', String(MAXCLIENTS)] });
  let client: RespClient;
  let watchdog: Watchdog;
  let rssBaseline = 0;

  beforeAll(async () => {
    ensureServerBuilt();
    await server.start();
    client = await RespClient.connect(server.port);
    const replies = await Promise.all(client.pipeline(Array.from({ length: SEED_KEYS }, (_, index) => ['SET', seedKey(index), seedValue(index)])));
    expect(replies.every((reply) => reply === 'OK')).toBe(true);
    expect(await client.call('SET', 'hostile:big', 'b'.repeat(BIG_VALUE_BYTES))).toBe('OK');
    rssBaseline = server.rssBytes() ?? 0;
    watchdog = new Watchdog(client, server);
    watchdog.start();
  }, 60_000);

  afterAll(async () => {
    await watchdog?.stop();
    client?.close();
    await server.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('survives 10^5 fuzzed requests while a slowloris crowd dribbles PINGs', async () => {
    watchdog.rssPeak = 0;
    const slow = Array.from({ length: SLOW_CLIENTS }, async () => {
      const socket = await connectRaw(server.port);
      const bytes = encodeCommand(['PING']);
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      for (let index = 0; index < SLOW_SECONDS; index++) {
        socket.write(bytes.subarray(index, index + 1));
        await sleep(1_000);
      }
      socket.write(bytes.subarray(SLOW_SECONDS));
      for (let wait = 0; wait < 100 && received === ''; wait++) await sleep(20);
      socket.destroy();
      return received;
    });
    const rng = createRng(20_240_607);
    let sent = 0;
    let lingering = 0;
    const worker = async () => {
      while (sent < FUZZ_REQUESTS) {
        const batch: Buffer[] = [];
        for (let index = 0; index < FUZZ_PER_CONNECTION && sent < FUZZ_REQUESTS; index++, sent++) batch.push(fuzzRequest(rng));
        const socket = await connectRaw(server.port);
        socket.on('data', () => undefined); // read and drop the replies
        socket.end(Buffer.concat(batch));
        if (!(await closedWithin(socket, 2_000))) lingering++;
      }
    };
    await Promise.all(Array.from({ length: FUZZ_WORKERS }, worker));
    const slowReplies = await Promise.all(slow);
    console.log(`fuzz: ${sent} requests on ${Math.ceil(sent / FUZZ_PER_CONNECTION)} connections, ${lingering} not closed by the server within 2 s after our FIN; watchdog ${watchdog.answered} answered, slowest ${watchdog.slowestMs.toFixed(0)} ms`);
    expect(sent).toBe(FUZZ_REQUESTS);
    expect(slowReplies).toEqual(Array.from({ length: SLOW_CLIENTS }, () => '+PONG\r\n'));
    expect(watchdog.failures).toEqual([]);
    expect(await client.call('PING')).toBe('PONG');
    expect(watchdog.rssPeak - rssBaseline).toBeLessThan(RSS_GROWTH_BYTES_MAX);
  }, 60_000);

  it('holds idle sockets up to maxclients, refuses the ones past it, and keeps serving', async () => {
    watchdog.rssPeak = 0;
    const sockets: net.Socket[] = [];
    const refused: string[] = [];
    try {
      for (let index = 0; index < MAXCLIENTS + 20; index++) {
        const socket = await connectRaw(server.port);
        socket.on('data', (chunk: Buffer) => refused.push(chunk.toString('latin1')));
        sockets.push(socket);
      }
      await sleep(500);
      expect(await client.call('PING')).toBe('PONG');
      console.log(`idle: ${sockets.length} sockets open, ${refused.length} refusals: ${refused[0]?.trim() ?? '(none)'}; RSS ${((server.rssBytes() ?? 0) / 2 ** 20).toFixed(0)} MiB`);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.every((text) => text.startsWith('-ERR max'))).toBe(true);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
    await sleep(300);
    const fresh = await RespClient.connect(server.port);
    expect(await fresh.call('PING')).toBe('PONG');
    fresh.close();
    expect(watchdog.failures).toEqual([]);
    expect(watchdog.rssPeak - rssBaseline).toBeLessThan(RSS_GROWTH_BYTES_MAX);
  }, 60_000);

  it('refuses a bulk length over proto-max-bulk-len and does not allocate a declared one', async () => {
    const over = await connectRaw(server.port);
    let overReply = '';
    over.on('data', (chunk: Buffer) => (overReply += chunk.toString('latin1')));
    over.write('*2\r\n$3\r\nGET\r\n$2147483648\r\n');
    expect(await closedWithin(over, 5_000)).toBe(true);
    expect(overReply).toMatch(/^-ERR Protocol error/);

    const under = await connectRaw(server.port);
    const before = server.rssBytes() ?? 0;
    under.write('*3\r\n$3\r\nSET\r\n$15\r\nhostile:declare\r\n$536870000\r\n');
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    for (let index = 0; index < 4; index++) under.write(chunk);
    await sleep(1_000);
    const grownBytes = (server.rssBytes() ?? 0) - before;
    console.log(`declared 512 MiB bulk, sent 4 MiB: RSS grew ${(grownBytes / 2 ** 20).toFixed(1)} MiB`);
    expect(grownBytes).toBeLessThan(128 * 1024 * 1024);
    under.destroy();
    await sleep(200);
    expect(await client.call('EXISTS', 'hostile:declare')).toBe(0);
    expect(watchdog.failures).toEqual([]);
  }, 60_000);

  it('bounds what it buffers for a client that never reads its replies', async () => {
    const greedy = await connectRaw(server.port);
    greedy.pause(); // never read: the kernel buffers fill, then the server must stop producing
    // One write: the requests arrive together, so a whole turn's worth of them is parsed at once.
    greedy.write(Buffer.concat(Array.from({ length: UNREAD_GETS }, () => encodeCommand(['GET', 'hostile:big']))));
    let peak = 0;
    for (let index = 0; index < 30; index++) {
      await sleep(100);
      peak = Math.max(peak, server.rssBytes() ?? 0);
    }
    console.log(`unread client: ${UNREAD_GETS} GETs of ${BIG_VALUE_BYTES} B queued; RSS peak ${(peak / 2 ** 20).toFixed(0)} MiB (baseline ${(rssBaseline / 2 ** 20).toFixed(0)} MiB)`);
    expect(peak - rssBaseline).toBeLessThan(RSS_GROWTH_BYTES_MAX);
    expect(await client.call('PING')).toBe('PONG');
    greedy.destroy();
    expect(watchdog.failures).toEqual([]);
  }, 60_000);

  it('leaves the stored data unchanged and the server serving', async () => {
    const replies = await Promise.all(client.pipeline(Array.from({ length: SEED_KEYS }, (_, index) => ['GET', seedKey(index)])));
    const changed = replies.flatMap((reply, index) => (reply === seedValue(index) ? [] : [seedKey(index)]));
    expect(changed).toEqual([]);
    expect(((await client.call('GET', 'hostile:big')) as string).length).toBe(BIG_VALUE_BYTES);
    console.log(`RSS baseline ${(rssBaseline / 2 ** 20).toFixed(0)} MiB, now ${((server.rssBytes() ?? 0) / 2 ** 20).toFixed(0)} MiB; watchdog answered ${watchdog.answered}, slowest ${watchdog.slowestMs.toFixed(0)} ms`);
    expect(watchdog.failures).toEqual([]);
    expect(server.running).toBe(true);
  }, 30_000);
});
