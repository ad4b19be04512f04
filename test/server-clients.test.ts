// test/server-clients.test.ts: the clients Redis users run connect to tskv and work, each with
// its own handshake: ioredis 6 (HELLO 3, CLIENT SETINFO, INFO ready check), ioredis 5 (RESP2),
// node-redis 6 with default options (HELLO 3, no fallback), and redis-cli (one-shot, -3, -n 9);
// and what CLIENT LIST tells about each of them (fd, query buffer, memory).
import { execFile } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { Redis as Redis5 } from 'ioredis5';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type StartedServer } from './helpers/server.js';

const run = promisify(execFile);
let server: StartedServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
});

function field(info: string, name: string): string | undefined {
  return new RegExp(`(?:^| )${name}=([^ \\n]*)`).exec(info)?.[1];
}

describe('ioredis 6 (HELLO 3)', () => {
  it('connects, passes the INFO ready check, and speaks RESP3', async () => {
    const redis = new Redis({ port: server.port, host: '127.0.0.1', connectionName: 'io6', db: 3, lazyConnect: true });
    try {
      await redis.connect();
      expect(redis.status).toBe('ready');
      expect(await redis.set('io6:k', 'v')).toBe('OK');
      expect(await redis.get('io6:k')).toBe('v');
      const info = String(await redis.call('CLIENT', 'INFO'));
      expect(field(info, 'resp')).toBe('3');
      expect(field(info, 'name')).toBe('io6');
      expect(field(info, 'db')).toBe('3');
      expect(field(info, 'lib-name')).toBe('ioredis');
      expect(await redis.client('GETNAME')).toBe('io6');
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
    }
  });

  it('pipelines through ioredis and gets every reply in order', async () => {
    const redis = new Redis({ port: server.port, host: '127.0.0.1' });
    try {
      const pipeline = redis.pipeline();
      for (let index = 0; index < 1000; index++) pipeline.set(`io6:p:${index}`, String(index)).get(`io6:p:${index}`);
      const results = (await pipeline.exec()) ?? [];
      expect(results).toHaveLength(2000);
      for (let index = 0; index < 1000; index++) {
        expect(results[2 * index]).toEqual([null, 'OK']);
        expect(results[2 * index + 1]).toEqual([null, String(index)]);
      }
    } finally {
      redis.disconnect();
    }
  });
});

describe('ioredis 5 (RESP2)', () => {
  it('connects in RESP2, selects a db, and round-trips binary values', async () => {
    const redis = new Redis5({ port: server.port, host: '127.0.0.1', db: 9, lazyConnect: true });
    try {
      await redis.connect();
      const info = String(await redis.call('CLIENT', 'INFO'));
      expect(field(info, 'resp')).toBe('2');
      expect(field(info, 'db')).toBe('9');
      const value = Buffer.from([0, 255, 13, 10, 1, 2]);
      await redis.set(Buffer.from([1, 0, 2]), value);
      expect(await redis.getBuffer(Buffer.from([1, 0, 2]))).toEqual(value);
      expect(await redis.dbsize()).toBeGreaterThanOrEqual(1);
      const serverInfo = await redis.info('server');
      expect(serverInfo).toContain('redis_version:7.2.0');
    } finally {
      redis.disconnect();
    }
  });
});

describe('node-redis 6 (default options, no RESP2 fallback)', () => {
  it('connects with HELLO 3 and works', async () => {
    const client = createClient({ url: `redis://127.0.0.1:${server.port}` });
    client.on('error', () => {});
    await client.connect();
    try {
      expect(await client.set('nr:k', 'v')).toBe('OK');
      expect(await client.get('nr:k')).toBe('v');
      expect(await client.sendCommand(['CLIENT', 'GETNAME'])).toBeNull();
      const hello = (await client.sendCommand(['HELLO'])) as Record<string, unknown> | unknown[];
      expect(JSON.stringify(hello)).toContain('"proto"');
    } finally {
      await client.quit();
    }
  });
});

/** The remote port of the TCP socket behind the server process's file descriptor `fd` (Linux /proc). */
function remotePortOfFd(pid: number, fd: number): number | undefined {
  const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
  if (inode === undefined) return undefined;
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      if (columns[9] === inode) return parseInt((columns[2] ?? '').split(':')[1] ?? '', 16);
    }
  }
  return undefined;
}

function connectRaw(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('CLIENT LIST / CLIENT INFO fields', () => {
  const clientLine = (list: string, port: number) => list.split('\n').find((line) => line.includes(`addr=127.0.0.1:${port} `)) ?? '';
  const number = (line: string, name: string) => Number(field(line, name));

  it('prints the fd of each client\'s own socket in the server', async () => {
    const clients = await Promise.all([0, 1, 2].map(async () => {
      const redis = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
      await redis.connect();
      return redis;
    }));
    try {
      const fds: number[] = [];
      for (const redis of clients) {
        const info = String(await redis.call('CLIENT', 'INFO'));
        const fd = number(info, 'fd');
        fds.push(fd);
        expect(remotePortOfFd(server.pid, fd)).toBe(redis.stream.localPort);
      }
      expect(new Set(fds).size).toBe(3);
    } finally {
      for (const redis of clients) redis.disconnect();
    }
  });

  it('prints the query buffer in use and its free room, and sums them into tot-mem', async () => {
    const partial = await connectRaw(server.port); // a SET whose 100000-byte value is half sent
    const queued = await connectRaw(server.port); // a MULTI with one 10000-byte SET queued
    const redis = new Redis({ port: server.port, host: '127.0.0.1' });
    try {
      partial.write(`*3\r\n$3\r\nSET\r\n$11\r\nclients:big\r\n$100000\r\n${'v'.repeat(50_000)}`);
      let queuedReplies = '';
      queued.on('data', (chunk: Buffer) => (queuedReplies += chunk.toString('latin1')));
      queued.write(`MULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10000\r\n${'v'.repeat(10_000)}\r\n`);
      let list = '';
      for (let attempt = 0; attempt < 50; attempt++) {
        list = String(await redis.call('CLIENT', 'LIST'));
        if (number(clientLine(list, partial.localPort ?? 0), 'qbuf') >= 50_000 && queuedReplies === '+OK\r\n+QUEUED\r\n') break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const big = clientLine(list, partial.localPort ?? 0);
      expect(number(big, 'qbuf')).toBeGreaterThanOrEqual(50_000);
      expect(number(big, 'qbuf') + number(big, 'qbuf-free')).toBeGreaterThanOrEqual(100_002); // room for the whole value
      const multi = clientLine(list, queued.localPort ?? 0);
      expect(field(multi, 'multi')).toBe('1');
      expect(number(multi, 'multi-mem')).toBe(10_028); // as Redis: argument bytes + a pointer each
      for (const line of [big, multi, clientLine(list, redis.stream.localPort ?? 0)]) {
        expect(number(line, 'qbuf-free')).toBeGreaterThan(0);
        const parts = ['qbuf', 'qbuf-free', 'rbs', 'omem', 'multi-mem'].map((name) => number(line, name));
        expect(number(line, 'tot-mem')).toBe(parts.reduce((sum, value) => sum + value, 0));
      }
    } finally {
      partial.destroy();
      queued.destroy();
      redis.disconnect();
    }
  });
});

describe('redis-cli', () => {
  const cli = async (...args: string[]) => (await run('redis-cli', ['-p', String(server.port), ...args], { timeout: 10_000 })).stdout;

  it('runs one-shot commands', async () => {
    expect(await cli('SET', 'cli:k', 'hello world')).toBe('OK\n');
    expect(await cli('GET', 'cli:k')).toBe('hello world\n');
    expect(await cli('PING')).toBe('PONG\n');
    expect(await cli('GET', 'cli:missing')).toBe('\n');
  });

  it('speaks RESP3 with -3', async () => {
    const out = await cli('-3', 'HELLO');
    expect(out).toContain('proto 3\n'); // redis-cli prints a RESP3 map as 'key value' lines
    expect(await cli('-3', 'CLIENT', 'INFO')).toContain('resp=3');
  });

  it('selects db 9 with -n 9', async () => {
    expect(await cli('-n', '9', 'SET', 'cli:db9', 'x')).toBe('OK\n');
    expect(await cli('-n', '9', 'GET', 'cli:db9')).toBe('x\n');
    expect(await cli('GET', 'cli:db9')).toBe('\n');
    expect(await cli('-n', '9', 'CLIENT', 'INFO')).toContain('db=9');
  });

  it('prints error replies as Redis does', async () => {
    expect((await cli('NOSUCHCMD', 'a')).trimEnd()).toBe("ERR unknown command 'NOSUCHCMD', with args beginning with: 'a'");
  });
});

describe('redis-benchmark', () => {
  it('runs the CI smoke (ping, set, get, incr, pipelined) without an error line', async () => {
    const { stdout, stderr } = await run('redis-benchmark', ['-p', String(server.port), '-t', 'ping,set,get,incr', '-n', '20000', '-c', '20', '-P', '8', '-q'], { timeout: 25_000 });
    const lines = `${stdout}\n${stderr}`.split(/[\r\n]+/).filter((line) => /requests per second/.test(line));
    expect(lines.map((line) => line.trim().split(':')[0])).toEqual(['PING_INLINE', 'PING_MBULK', 'SET', 'GET', 'INCR']);
    expect(`${stdout}${stderr}`).not.toMatch(/error|ERR/i);
  });
});
