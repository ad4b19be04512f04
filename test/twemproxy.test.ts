// test/twemproxy.test.ts: tskv behind twemproxy (nutcracker, installed by .ci/run): three
// standalone tskv nodes sharded with ketama (md5: with fnv1a_64, 300 keys fell 210/90/0 on the three), driven through the proxy by ioredis with
// RESP2, no ready check and no CLIENT SETINFO (twemproxy refuses HELLO, INFO and CLIENT). Checks that every key lands on exactly one
// node and reads back through the proxy and from that node, that the multi-key commands
// twemproxy splits (MGET, MSET, DEL, EXISTS) answer as one server would, and that the commands
// twemproxy does not forward close the client's connection (README, "twemproxy").
// nutcracker and the servers are stopped by PID; every wait is bounded.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startServer, type StartedServer } from './helpers/server.js';

const hasNutcracker = spawnSync('nutcracker', ['--version']).status === 0;

const nodes: StartedServer[] = [];
let proxy: ChildProcess | undefined;
let proxyPort = 0;
let proxyOutput = '';
const clients: Redis[] = [];

/** The nutcracker pool the README shows, on the given ports. */
export function poolConfig(listenPort: number, nodePorts: readonly number[]): string {
  return [
    'tskv:',
    `  listen: 127.0.0.1:${listenPort}`,
    '  hash: md5',
    '  distribution: ketama',
    '  redis: true',
    '  auto_eject_hosts: false',
    '  timeout: 5000',
    '  servers:',
    ...nodePorts.map((port, index) => `   - 127.0.0.1:${port}:1 node${index + 1}`),
    '',
  ].join('\n');
}

async function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

function client(): Redis {
  // twemproxy closes the connection on HELLO, INFO and CLIENT: RESP2, no ready check, no CLIENT SETINFO
  const redis = new Redis({
    port: proxyPort, host: '127.0.0.1', protocol: 2, enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 0, retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  clients.push(redis);
  return redis;
}

function direct(port: number): Redis {
  const redis = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  clients.push(redis);
  return redis;
}

describe.skipIf(!hasNutcracker)('twemproxy (nutcracker) over three tskv nodes', () => {
  beforeAll(async () => {
    for (let index = 0; index < 3; index++) nodes.push(await startServer());
    proxyPort = await freePort();
    const statsPort = await freePort();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tskv-twemproxy-'));
    const file = path.join(dir, 'nutcracker.yml');
    writeFileSync(file, poolConfig(proxyPort, nodes.map((node) => node.port)));
    proxy = spawn('nutcracker', ['-c', file, '-s', String(statsPort), '-a', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    proxy.stdout?.on('data', (chunk: Buffer) => (proxyOutput += chunk.toString()));
    proxy.stderr?.on('data', (chunk: Buffer) => (proxyOutput += chunk.toString()));
    const deadline = Date.now() + 10_000;
    while (!(await portAnswers(proxyPort))) {
      if (Date.now() > deadline || proxy.exitCode !== null) throw new Error(`nutcracker did not listen on ${proxyPort}:\n${proxyOutput}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, 60_000);

  afterAll(async () => {
    for (const redis of clients.splice(0)) redis.disconnect();
    if (proxy !== undefined && proxy.exitCode === null) {
      const exited = new Promise((resolve) => proxy?.once('exit', resolve));
      proxy.kill('SIGKILL');
      await exited;
    }
    for (const node of nodes.splice(0)) await node.stop();
  });

  it('spreads keys over the nodes with ketama, each on exactly one, readable through the proxy', async () => {
    const redis = client();
    const keyCount = 300;
    const pipeline = redis.pipeline();
    for (let index = 0; index < keyCount; index++) pipeline.set(`key:${index}`, `value-${index}`);
    const replies = (await pipeline.exec()) ?? [];
    expect(replies.every(([error, reply]) => error === null && reply === 'OK')).toBe(true);
    const sizes = await Promise.all(nodes.map((node) => direct(node.port).dbsize()));
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(keyCount);
    for (const size of sizes) expect(size).toBeGreaterThan(keyCount / 10); // ketama spreads them
    const perNode = await Promise.all(nodes.map((node) => direct(node.port).mget(...Array.from({ length: keyCount }, (_, index) => `key:${index}`))));
    for (let index = 0; index < keyCount; index++) {
      const holders = perNode.filter((values) => values[index] === `value-${index}`);
      expect(holders.length).toBe(1);
    }
    expect(await redis.get('key:17')).toBe('value-17');
  });

  it('answers the commands twemproxy forwards as one tskv server would', async () => {
    const redis = client();
    expect(await redis.ping()).toBe('PONG');
    expect(await redis.mset('a', '1', 'b', '2', 'c', '3', 'd', '4')).toBe('OK');
    expect(await redis.mget('a', 'b', 'c', 'd', 'missing')).toEqual(['1', '2', '3', '4', null]);
    expect(await redis.exists('a', 'b', 'missing')).toBe(2);
    expect(await redis.del('a', 'b', 'missing')).toBe(2);
    expect(await redis.incrby('counter', 5)).toBe(5);
    expect(await redis.hset('h', 'f1', 'v1', 'f2', 'v2')).toBe(2);
    expect(await redis.hgetall('h')).toEqual({ f1: 'v1', f2: 'v2' });
    expect(await redis.sadd('s', 'x', 'y')).toBe(2);
    expect((await redis.smembers('s')).sort()).toEqual(['x', 'y']);
    expect(await redis.zadd('z', 1, 'one', 2, 'two')).toBe(2);
    expect(await redis.zrange('z', '0', '-1', 'WITHSCORES')).toEqual(['one', '1', 'two', '2']);
    expect(await redis.rpush('l', 'p', 'q')).toBe(2);
    expect(await redis.lrange('l', 0, -1)).toEqual(['p', 'q']);
    expect(await redis.expire('counter', 100)).toBe(1);
    expect(await redis.ttl('counter')).toBeGreaterThan(90);
    expect(await redis.type('h')).toBe('hash');
  });

  it('closes the connection on commands twemproxy does not forward (INFO, KEYS, SCAN, MULTI, WATCH, SELECT, PUBLISH, BLPOP, RENAME, TS.ADD)', async () => {
    const refused = [
      ['INFO'], ['KEYS', '*'], ['SCAN', '0'], ['MULTI'], ['WATCH', 'k'], ['SELECT', '1'], ['PUBLISH', 'channel', 'message'],
      ['BLPOP', 'l', '1'], ['RENAME', 'h', 'h2'], ['TS.ADD', 'ts', '1', '1'],
    ];
    for (const args of refused) {
      const redis = client();
      await expect(redis.call(args[0] as string, ...args.slice(1))).rejects.toThrow();
      expect(redis.status === 'end' || redis.status === 'close').toBe(true);
    }
    expect(await client().get('key:1')).toBe('value-1'); // the proxy itself is fine
  });
});
