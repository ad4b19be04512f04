// test/replica-keyspace-events.test.ts: a replica publishes keyspace notifications for the writes
// it applies from its primary, by its own notify-keyspace-events, as a Redis 7.0 replica does
// (it executes what the primary propagates: an expired key arrives as DEL, SPOP as SREM,
// INCRBYFLOAT as SET, HINCRBYFLOAT as HSET, SET ... EX as SET ... PXAT). The primary's own
// notify-keyspace-events stays '' (the default). The same writes run on tskv servers and, when
// redis-server is installed, on Redis servers, each chain with a replica of the replica (passing the
// events on): each replica's subscriber sees the expected events, in order. Servers are real
// processes on 127.0.0.1, stopped by PID.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { hasRedisServer, startRealRedis } from './helpers/real-redis.js';
import { startServer } from './helpers/server.js';

const stops: Array<() => Promise<void>> = [];
const clients: Redis[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  for (const stop of stops.splice(0)) await stop();
});

function client(port: number): Redis {
  const redis = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  clients.push(redis);
  return redis;
}

async function waitUntil(what: string, seconds: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

type Step = string[] | { sleepMs: number };

const STEPS: Step[] = [
  ['SET', 'k', 'v'], ['SET', 'k2', 'v', 'EX', '100'], ['APPEND', 'k', 'w'], ['INCRBYFLOAT', 'n', '1.5'],
  ['HSET', 'h', 'f', 'v'], ['HINCRBYFLOAT', 'h', 'g', '1.5'], ['HDEL', 'h', 'f'],
  ['LPUSH', 'l', 'a', 'b'], ['RPOP', 'l'], ['SADD', 's', 'a'], ['SPOP', 's'], ['ZADD', 'z', '1', 'm'], ['ZINCRBY', 'z', '1', 'm'],
  ['EXPIRE', 'k', '100'], ['PERSIST', 'k'], ['RENAME', 'k', 'k3'], ['DEL', 'h', 'nope'],
  ['SET', 'e', 'v', 'PX', '1'], { sleepMs: 30 }, ['GET', 'e'], // expires on the primary: the replica gets a DEL
  ['SELECT', '1'], ['SET', 'k', 'one'], ['SELECT', '0'],
];

/** What the replica's PSUBSCRIBE __key*__:* connection receives, as `channel message`. */
const EXPECTED = [
  '__keyspace@0__:k set', '__keyevent@0__:set k',
  '__keyspace@0__:k2 set', '__keyevent@0__:set k2', '__keyspace@0__:k2 expire', '__keyevent@0__:expire k2',
  '__keyspace@0__:k append', '__keyevent@0__:append k',
  '__keyspace@0__:n set', '__keyevent@0__:set n',
  '__keyspace@0__:h hset', '__keyevent@0__:hset h',
  '__keyspace@0__:h hset', '__keyevent@0__:hset h',
  '__keyspace@0__:h hdel', '__keyevent@0__:hdel h',
  '__keyspace@0__:l lpush', '__keyevent@0__:lpush l',
  '__keyspace@0__:l rpop', '__keyevent@0__:rpop l',
  '__keyspace@0__:s sadd', '__keyevent@0__:sadd s',
  '__keyspace@0__:s srem', '__keyevent@0__:srem s', '__keyspace@0__:s del', '__keyevent@0__:del s',
  '__keyspace@0__:z zadd', '__keyevent@0__:zadd z',
  '__keyspace@0__:z zincr', '__keyevent@0__:zincr z',
  '__keyspace@0__:k expire', '__keyevent@0__:expire k',
  '__keyspace@0__:k persist', '__keyevent@0__:persist k',
  '__keyspace@0__:k rename_from', '__keyevent@0__:rename_from k', '__keyspace@0__:k3 rename_to', '__keyevent@0__:rename_to k3',
  '__keyspace@0__:h del', '__keyevent@0__:del h',
  '__keyspace@0__:e set', '__keyevent@0__:set e', '__keyspace@0__:e expire', '__keyevent@0__:expire e',
  '__keyspace@0__:e del', '__keyevent@0__:del e',
  '__keyspace@1__:k set', '__keyevent@1__:set k',
];

/** Runs STEPS on the primary; returns what a subscriber of each replica (KEA) saw, up to a marker write. */
async function replicaEvents(primaryPort: number, replicaPorts: readonly number[]): Promise<string[][]> {
  const primary = client(primaryPort);
  const seen: string[][] = [];
  for (const port of replicaPorts) {
    const replica = client(port);
    await waitUntil('the replica link', 10, async () => (await replica.info('replication')).includes('master_link_status:up'));
    expect(await replica.config('SET', 'notify-keyspace-events', 'KEA')).toBe('OK');
    const subscriber = client(port);
    const messages: string[] = [];
    subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => messages.push(`${channel} ${message}`));
    await subscriber.psubscribe('__key*__:*');
    seen.push(messages);
  }
  // a tskv replica asks its primary for events once its config wants them (at its next ack): probe until both see one
  await waitUntil('the replicas to receive events', 10, async () => {
    await primary.set('probe', '1');
    await new Promise((resolve) => setTimeout(resolve, 50));
    return seen.every((messages) => messages.includes('__keyevent@0__:set probe'));
  });
  for (const messages of seen) messages.splice(0);
  for (const step of STEPS) {
    if (Array.isArray(step)) await primary.call(step[0]!, ...step.slice(1));
    else await new Promise((resolve) => setTimeout(resolve, step.sleepMs));
  }
  await primary.set('marker', '1');
  await waitUntil('the marker event', 5, () => seen.every((messages) => messages.includes('__keyevent@0__:set marker')));
  return seen.map((messages) => messages.filter((message) => !message.includes('marker') && !message.includes('probe')));
}

/** A primary, a replica of it and a replica of that replica (it passes the events on). */
async function chain(start: (args: string[]) => Promise<{ port: number; stop: () => Promise<void> }>): Promise<number[]> {
  const ports: number[] = [];
  for (let index = 0; index < 3; index++) {
    const server = await start(index === 0 ? [] : ['--replicaof', '127.0.0.1', String(ports[index - 1])]);
    stops.push(server.stop);
    ports.push(server.port);
  }
  return ports;
}

describe('keyspace notifications on a replica', () => {
  it('publishes the events of the writes it applies, by its own config, in order, and passes them on', async () => {
    const [primary, replica, subReplica] = await chain(async (args) => {
      const server = await startServer({ args });
      return { port: server.port, stop: () => server.kill9() };
    });
    expect(await replicaEvents(primary!, [replica!, subReplica!])).toEqual([EXPECTED, EXPECTED]);
  });

  it.skipIf(!hasRedisServer())('matches what redis-server 7.0 replicas publish', async () => {
    const [primary, replica, subReplica] = await chain(async (args) => {
      // a replica writes the primary's full-sync RDB into its --dir: a temp dir, not the work tree
      const dir = await mkdtemp(join(tmpdir(), 'tskv-redis-replica-'));
      const server = await startRealRedis([...args, '--dir', dir, '--repl-diskless-sync-delay', '0']);
      return { port: server.port, stop: async () => { await server.stop(); await rm(dir, { recursive: true, force: true }); } };
    });
    expect(await replicaEvents(primary!, [replica!, subReplica!])).toEqual([EXPECTED, EXPECTED]);
  });
});
