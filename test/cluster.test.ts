// test/cluster.test.ts: cluster mode end to end, three nodes on 127.0.0.1 started by cluster/up.sh:
// what redis-cli --cluster check, ioredis Cluster, node-redis createCluster and redis-cli -c see;
// the redirection and refusal texts; slots moved by redis-cli --cluster reshard and rebalance
// under an ioredis write load; kill -9 of one node. The tests run in order on one cluster.
// Bounded: each load loop stops when its reshard ends or after LOAD_MS_MAX; scripts time out.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from './helpers/cluster.js';
import { RawClient, formatReply, replyBytes, replyItems, type Reply } from './helpers/raw-client.js';
import { hasBinary, hasRedisServer, startRealRedis } from './helpers/real-redis.js';

const run = promisify(execFile);
const calculateSlot = createRequire(import.meta.url)('cluster-key-slot') as (key: string | Buffer) => number;
const skipReason = hasBinary('redis-cli') ? undefined : 'redis-cli is not installed (apt-get install redis-tools)';
if (skipReason !== undefined) console.warn(`cluster test skipped: ${skipReason}`);

const KEY_COUNT = 10_000;
const LOAD_MS_MAX = 60_000;
const LOAD_WORKERS = 4;
const MOVED_SLOTS = 20;
const FRAME_WAIT_MS = 5_000;

let cluster: TestCluster;
let raw: RawClient[] = [];
let ids: string[] = [];
/** Every key a client had acknowledged, with its last acknowledged value. */
const acked = new Map<string, Buffer>();

async function text(client: RawClient, args: string[]): Promise<string> {
  return replyBytes(await client.send(args)).toString();
}

/** The port of the node serving slot, from CLUSTER SLOTS of node 0. */
async function ownerPorts(): Promise<Int32Array> {
  const owners = new Int32Array(16384).fill(-1);
  for (const range of replyItems(await (raw[0] as RawClient).send(['CLUSTER', 'SLOTS']))) {
    const [first, last, master] = replyItems(range);
    const port = Number((replyItems(master as Reply)[1] as { value: bigint }).value);
    for (let slot = Number((first as { value: bigint }).value); slot <= Number((last as { value: bigint }).value); slot++) owners[slot] = port;
  }
  return owners;
}

function cli(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('redis-cli', args, { timeout: 60_000 });
}

async function check(): Promise<string> {
  const { stdout } = await cli(['--cluster', 'check', `127.0.0.1:${cluster.ports[0]}`]);
  return stdout;
}

function expectClean(output: string): void {
  expect(output).toContain('[OK] All nodes agree about slots configuration.');
  expect(output).toContain('[OK] All 16384 slots covered.');
  expect(output).not.toContain('[ERR]');
  expect(output).not.toContain('[WARNING]');
}

async function connectAll(): Promise<void> {
  for (const client of raw) client.close();
  raw = await Promise.all(cluster.ports.map((port) => RawClient.connect(port)));
}

beforeAll(async () => {
  if (skipReason !== undefined) return;
  cluster = await startCluster(3);
  await connectAll();
  ids = await Promise.all(raw.map((client) => text(client, ['CLUSTER', 'MYID'])));
}, 90_000);

afterAll(async () => {
  for (const client of raw) client.close();
  await cluster?.down();
}, 60_000);

describe.skipIf(skipReason !== undefined)('a 3-node tskv cluster', () => {
  it('passes redis-cli --cluster check, each node owning a third of the slots', async () => {
    const output = await check();
    expectClean(output);
    expect(output).toContain('slots:[0-5460] (5461 slots) master');
    expect(output).toContain('slots:[5461-10922] (5462 slots) master');
    expect(output).toContain('slots:[10923-16383] (5461 slots) master');
  });

  it('answers the same CLUSTER SLOTS and SHARDS on every node, and NODES lines that agree', async () => {
    const slots = await Promise.all(raw.map(async (client) => formatReply(await client.send(['CLUSTER', 'SLOTS']))));
    expect(new Set(slots).size).toBe(1);
    expect(slots[0]).toContain(`[:0, :5460, ["127.0.0.1", :${cluster.ports[0]}, "${ids[0]}", []]]`); // an empty map: *0 in RESP2
    const shards = await Promise.all(raw.map(async (client) => formatReply(await client.send(['CLUSTER', 'SHARDS']))));
    expect(new Set(shards).size).toBe(1);
    const nodes = await Promise.all(raw.map((client) => text(client, ['CLUSTER', 'NODES'])));
    const normalized = nodes.map((lines) => lines.split('\n').map((line) => line.replace('myself,', '').replace(/ 0 \d+ /, ' 0 0 ')).join('\n'));
    expect(new Set(normalized).size).toBe(1);
    nodes.forEach((lines, index) => expect(lines).toContain(`${ids[index]} 127.0.0.1:${cluster.ports[index]}@${(cluster.ports[index] as number) + 10000} myself,master - 0 0 1 connected`));
  });

  it('says cluster_state:ok in CLUSTER INFO and cluster_enabled:1 in INFO', async () => {
    const info = await text(raw[1] as RawClient, ['CLUSTER', 'INFO']);
    for (const field of ['cluster_state:ok', 'cluster_slots_assigned:16384', 'cluster_slots_ok:16384', 'cluster_known_nodes:3', 'cluster_size:3', 'cluster_current_epoch:1']) {
      expect(info).toContain(`${field}\r\n`);
    }
    expect(await text(raw[1] as RawClient, ['INFO', 'cluster'])).toContain('cluster_enabled:1');
  });

  it.skipIf(!hasRedisServer())('computes CLUSTER KEYSLOT as a Redis 7.0 cluster node does, hash tags included', async () => {
    const oracleDir = mkdtempSync(path.join(os.tmpdir(), 'tskv-redis-cluster-'));
    const oracle = await startRealRedis(['--cluster-enabled', 'yes', '--dir', oracleDir]);
    const redis = await RawClient.connect(oracle.port);
    try {
      const keys = [
        ...Array.from({ length: 300 }, () => randomBytes(1 + Math.floor(Math.random() * 12))),
        ...Array.from({ length: 100 }, () => Buffer.from(`${'a{}'.charAt(Math.floor(Math.random() * 3))}{${randomBytes(2).toString('hex')}}${'{}x'.charAt(Math.floor(Math.random() * 3))}`)),
        Buffer.from('foo{}{bar}'), Buffer.from('foo{{bar}}zap'), Buffer.from('{user1000}.following'), Buffer.from('{}'), Buffer.alloc(0),
      ];
      const requests = keys.map((key) => ['CLUSTER', 'KEYSLOT', key]);
      const [mine, theirs] = await Promise.all([(raw[0] as RawClient).pipeline(requests), redis.pipeline(requests)]);
      expect(mine.map(formatReply)).toEqual(theirs.map(formatReply));
      expect(formatReply(mine[keys.length - 3] as Reply)).toBe(`:${calculateSlot('user1000')}`);
    } finally {
      redis.close();
      await oracle.stop();
    }
  });

  it('takes 10,000 keys from ioredis Cluster, each on its owner, the other nodes answering MOVED', async () => {
    const client = new Cluster([{ host: '127.0.0.1', port: cluster.ports[0] as number }], { enableAutoPipelining: true });
    try {
      // printable keys, tags and all: ioredis's auto-pipelining groups keys by slot as strings
      const keys = Array.from({ length: KEY_COUNT }, (_, index) => Buffer.from(`io:${index}:${randomBytes(3).toString('base64')}${index % 7 === 0 ? `{t${index % 50}}` : ''}`));
      await Promise.all(keys.map((key, index) => client.set(key, `v${index}`)));
      keys.forEach((key, index) => acked.set(key.toString('latin1'), Buffer.from(`v${index}`)));
      const values = await Promise.all(keys.map((key) => client.getBuffer(key)));
      expect(values.filter((value, index) => value?.toString() !== `v${index}`)).toEqual([]);
      const sizes = await Promise.all(raw.map(async (node) => Number(((await node.send(['DBSIZE'])) as { value: bigint }).value)));
      expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(KEY_COUNT);
      expect(Math.min(...sizes)).toBeGreaterThan(KEY_COUNT / 5);
      const owners = await ownerPorts();
      for (const key of keys.slice(0, 100)) {
        const slot = calculateSlot(key);
        for (let index = 0; index < 3; index++) {
          const reply = await (raw[index] as RawClient).send(['GET', key]);
          if (owners[slot] === cluster.ports[index]) expect(reply.type).toBe('bulk');
          else expect(formatReply(reply)).toBe(`-MOVED ${slot} 127.0.0.1:${owners[slot]}`);
        }
      }
      // COUNTKEYSINSLOT and GETKEYSINSLOT walk exactly the slot's keys, on its owner only
      const bySlot = new Map<number, Set<string>>();
      for (const key of keys) bySlot.set(calculateSlot(key), (bySlot.get(calculateSlot(key)) ?? new Set()).add(key.toString('latin1')));
      for (const [slot, expected] of [...bySlot].slice(0, 30)) {
        const owner = cluster.ports.indexOf(owners[slot] as number);
        const count = await (raw[owner] as RawClient).send(['CLUSTER', 'COUNTKEYSINSLOT', String(slot)]);
        expect(Number((count as { value: bigint }).value)).toBe(expected.size);
        const listed = replyItems(await (raw[owner] as RawClient).send(['CLUSTER', 'GETKEYSINSLOT', String(slot), '1000'])).map((item) => replyBytes(item).toString('latin1'));
        expect(new Set(listed)).toEqual(expected);
        const other = (raw[(owner + 1) % 3] as RawClient);
        expect(formatReply(await other.send(['CLUSTER', 'COUNTKEYSINSLOT', String(slot)]))).toBe(':0');
      }
    } finally {
      client.disconnect();
    }
  }, 60_000);

  it('takes binary keys from ioredis Cluster', async () => {
    const client = new Cluster([{ host: '127.0.0.1', port: cluster.ports[2] as number }]);
    try {
      const keys = Array.from({ length: 300 }, () => randomBytes(1 + Math.floor(Math.random() * 16)));
      const unique = [...new Map(keys.map((key) => [key.toString('latin1'), key])).values()];
      await Promise.all(unique.map((key) => client.set(key, key)));
      for (const key of unique) acked.set(key.toString('latin1'), key);
      const values = await Promise.all(unique.map((key) => client.getBuffer(key)));
      expect(values.filter((value, index) => !value?.equals(unique[index] as Buffer))).toEqual([]);
      await Promise.all(unique.map((key) => client.del(key)));
      for (const key of unique) acked.delete(key.toString('latin1'));
    } finally {
      client.disconnect();
    }
  }, 30_000);

  it('takes 10,000 keys from node-redis createCluster', async () => {
    const client = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${cluster.ports[1]}` }] });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await Promise.all(Array.from({ length: KEY_COUNT }, (_, index) => client.set(`nr:${index}`, `n${index}`)));
      for (let index = 0; index < KEY_COUNT; index++) acked.set(`nr:${index}`, Buffer.from(`n${index}`));
      const values = await Promise.all(Array.from({ length: KEY_COUNT }, (_, index) => client.get(`nr:${index}`)));
      expect(values.filter((value, index) => value !== `n${index}`)).toEqual([]);
      const sizes = await Promise.all(raw.map(async (node) => Number(((await node.send(['DBSIZE'])) as { value: bigint }).value)));
      expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(2 * KEY_COUNT);
    } finally {
      await client.close();
    }
  }, 60_000);

  it('lets redis-cli -c follow MOVED to every node', async () => {
    const owners = await ownerPorts();
    for (const port of cluster.ports) {
      let key = 'cli:0';
      for (let index = 1; owners[calculateSlot(key)] !== port; index++) key = `cli:${index}`;
      expect((await cli(['-c', '-p', String(cluster.ports[0]), 'SET', key, `at ${port}`])).stdout.trim()).toBe('OK');
      expect((await cli(['-c', '-p', String(cluster.ports[2]), 'GET', key])).stdout.trim()).toBe(`at ${port}`);
      acked.set(key, Buffer.from(`at ${port}`));
    }
  });

  it('refuses keys of two slots with CROSSSLOT, in one command and across a MULTI', async () => {
    const node = raw[0] as RawClient;
    const owners = await ownerPorts();
    const mine = ['x:0', 'x:1', 'x:2', 'x:3', 'x:4', 'x:5', 'x:6', 'x:7'].filter((key) => owners[calculateSlot(key)] === cluster.ports[0]);
    const [a, b] = mine as [string, string];
    expect(calculateSlot(a)).not.toBe(calculateSlot(b));
    expect(formatReply(await node.send(['MSET', a, '1', b, '2']))).toBe("-CROSSSLOT Keys in request don't hash to the same slot");
    expect(formatReply(await node.send(['MSET', `{${a}}1`, '1', `{${a}}2`, '2']))).toBe('+OK');
    expect((await node.pipeline([['MULTI'], ['SET', a, '1'], ['SET', b, '2'], ['EXEC'], ['EXEC']])).map(formatReply)).toEqual([
      '+OK', '+QUEUED', '+QUEUED', "-CROSSSLOT Keys in request don't hash to the same slot", '-ERR EXEC without MULTI',
    ]);
    expect(formatReply(await node.send(['EXISTS', a, a]))).toBe(':0');
    const elsewhere = Array.from({ length: 50 }, (_, index) => `y:${index}`).find((key) => owners[calculateSlot(key)] !== cluster.ports[0]) as string;
    expect((await node.pipeline([['MULTI'], ['SET', elsewhere, '1'], ['EXEC']])).map(formatReply)).toEqual([
      '+OK', `-MOVED ${calculateSlot(elsewhere)} 127.0.0.1:${owners[calculateSlot(elsewhere)]}`, '-EXECABORT Transaction discarded because of previous errors.',
    ]);
    expect(formatReply(await node.send(['SELECT', '1']))).toBe('-ERR SELECT is not allowed in cluster mode');
    await node.send(['DEL', `{${a}}1`, `{${a}}2`]);
  });

  it('answers CLUSTERDOWN for a slot no node serves, and for all while full coverage is required', async () => {
    const node = raw[0] as RawClient;
    const owners = await ownerPorts();
    const candidates = Array.from({ length: 100 }, (_, index) => `down:${index}`).filter((key) => owners[calculateSlot(key)] === cluster.ports[0]);
    const gone = candidates[0] as string;
    const slot = calculateSlot(gone);
    const other = candidates.find((key) => calculateSlot(key) !== slot) as string;
    expect(formatReply(await node.send(['CLUSTER', 'DELSLOTS', String(slot)]))).toBe('+OK');
    try {
      expect(formatReply(await node.send(['GET', gone]))).toBe('-CLUSTERDOWN Hash slot not served');
      expect(formatReply(await node.send(['GET', other]))).toBe('-CLUSTERDOWN The cluster is down');
      expect(await text(node, ['CLUSTER', 'INFO'])).toContain('cluster_state:fail\r\n');
      await node.send(['CONFIG', 'SET', 'cluster-require-full-coverage', 'no']);
      expect(formatReply(await node.send(['GET', other]))).toBe('$-1');
      expect(formatReply(await node.send(['GET', gone]))).toBe('-CLUSTERDOWN Hash slot not served');
    } finally {
      await node.send(['CONFIG', 'SET', 'cluster-require-full-coverage', 'yes']);
      expect(formatReply(await node.send(['CLUSTER', 'ADDSLOTS', String(slot)]))).toBe('+OK');
    }
    expect(formatReply(await node.send(['GET', other]))).toBe('$-1');
    expectClean(await check());
  });
});

const CROSSSLOT = "-CROSSSLOT Keys in request don't hash to the same slot";

/** A key (with a tag) whose slot node index owns, and one of another slot it also owns. */
async function keysOwnedBy(index: number, prefix: string): Promise<[string, string]> {
  const owners = await ownerPorts();
  const mine = Array.from({ length: 200 }, (_, n) => `${prefix}{${n}}`).filter((key) => owners[calculateSlot(key)] === cluster.ports[index]);
  return [mine[0] as string, mine.find((key) => calculateSlot(key) !== calculateSlot(mine[0] as string)) as string];
}

/** A RESP2 connection read as text, for server-sent frames no request waits for. */
async function textConnection(port: number): Promise<{ write: (args: string[]) => void; waitFor: (text: string) => Promise<string>; close: () => void }> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = '';
  socket.on('data', (chunk: Buffer) => { received += chunk.toString('latin1'); });
  return {
    write: (args) => socket.write(args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('').replace(/^/, `*${args.length}\r\n`)),
    waitFor: async (text) => {
      for (const deadline = Date.now() + FRAME_WAIT_MS; !received.includes(text) && Date.now() < deadline;) await new Promise((resolve) => setTimeout(resolve, 10));
      return received;
    },
    close: () => socket.destroy(),
  };
}

describe.skipIf(skipReason !== undefined)('routing lists, sorted sets, blocking pops, shard channels and time series', () => {
  it('redirects and refuses list and sorted set commands by their keys, numkeys forms included', async () => {
    const node = raw[0] as RawClient;
    const [a, b] = await keysOwnedBy(0, 'rt');
    const [elsewhere] = await keysOwnedBy(1, 'rt');
    const slot = calculateSlot(elsewhere);
    const moved = `-MOVED ${slot} 127.0.0.1:${cluster.ports[1]}`;
    const tagged = (suffix: string) => `${a}${suffix}`; // a is prefix{n}: the same tag
    const replies = await node.pipeline([
      ['RPUSH', elsewhere, 'x'], ['LRANGE', elsewhere, '0', '-1'], ['ZADD', elsewhere, '1', 'm'], ['ZSCORE', elsewhere, 'm'],
      ['LMOVE', a, b, 'LEFT', 'LEFT'], ['RPOPLPUSH', a, b], ['LMPOP', '2', a, b, 'LEFT'], ['BLPOP', a, b, '0.01'], ['BRPOP', a, b, '0.01'],
      ['BLMOVE', a, b, 'LEFT', 'RIGHT', '0.01'], ['BRPOPLPUSH', a, b, '0.01'], ['BLMPOP', '0.01', '2', a, b, 'LEFT'],
      ['ZUNIONSTORE', a, '2', a, b], ['ZINTERSTORE', tagged('d'), '2', tagged('1'), b], ['ZDIFFSTORE', a, '1', b], ['ZUNION', '2', a, b],
      ['ZINTER', '2', a, b], ['ZDIFF', '2', a, b], ['ZINTERCARD', '2', a, b], ['ZMPOP', '2', a, b, 'MIN'], ['ZRANGESTORE', a, b, '0', '-1'],
      ['BZPOPMIN', a, b, '0.01'], ['BZPOPMAX', a, b, '0.01'], ['BZMPOP', '0.01', '2', a, b, 'MAX'],
      ['RPUSH', tagged('l'), 'p', 'q'], ['LMOVE', tagged('l'), tagged('m'), 'LEFT', 'LEFT'], ['BLMPOP', '0.01', '2', tagged('x'), tagged('l'), 'RIGHT'],
      ['ZADD', tagged('1'), '1', 'u', '2', 'v'], ['ZADD', tagged('2'), '5', 'v'],
      ['ZUNIONSTORE', tagged('d'), '2', tagged('1'), tagged('2'), 'WEIGHTS', '1', '10'], ['ZRANGE', tagged('d'), '0', '-1', 'WITHSCORES'],
      ['ZINTERCARD', '2', tagged('1'), tagged('2')], ['DEL', tagged('l'), tagged('m'), tagged('1'), tagged('2'), tagged('d')],
    ]);
    expect(replies.map(formatReply)).toEqual([
      moved, moved, moved, moved,
      CROSSSLOT, CROSSSLOT, CROSSSLOT, CROSSSLOT, CROSSSLOT, CROSSSLOT, CROSSSLOT, CROSSSLOT,
      CROSSSLOT, CROSSSLOT, CROSSSLOT, CROSSSLOT, CROSSSLOT, CROSSSLOT, CROSSSLOT, CROSSSLOT, CROSSSLOT,
      CROSSSLOT, CROSSSLOT, CROSSSLOT,
      ':2', '"p"', `[${JSON.stringify(tagged('l'))}, ["q"]]`,
      ':2', ':1', ':2', '["u", "1", "v", "52"]', ':1', ':4',
    ]);
  });

  it('serves lists, sorted sets and blocking pops through ioredis Cluster and node-redis', async () => {
    const io = new Cluster([{ host: '127.0.0.1', port: cluster.ports[0] as number }]);
    const popper = new Cluster([{ host: '127.0.0.1', port: cluster.ports[1] as number }]);
    const nr = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${cluster.ports[2]}` }] });
    nr.on('error', () => undefined);
    await nr.connect();
    try {
      const lists = Array.from({ length: 30 }, (_, index) => `tl:${index}`);
      await Promise.all(lists.map((key, index) => io.rpush(key, 'a', String(index))));
      expect(await Promise.all(lists.map((key) => nr.lRange(key, 0, -1)))).toEqual(lists.map((_, index) => ['a', String(index)]));
      await Promise.all(lists.map((key, index) => nr.zAdd(`tz:${index}`, [{ score: index, value: key }])));
      expect(await Promise.all(lists.map((_, index) => io.zscore(`tz:${index}`, `tl:${index}`)))).toEqual(lists.map((_, index) => String(index)));
      // a pop blocked on each node, served by a push through another client
      const waiting = [0, 1, 2].map(async (index) => {
        const [key] = await keysOwnedBy(index, 'bp');
        const popped = popper.blpop(key, 10);
        await new Promise((resolve) => setTimeout(resolve, 100));
        await nr.rPush(key, `to ${index}`);
        return popped;
      });
      const popped = await Promise.all(waiting);
      expect(popped.map((reply) => reply?.[1])).toEqual(['to 0', 'to 1', 'to 2']);
      await Promise.all(lists.flatMap((key, index) => [io.del(key), io.del(`tz:${index}`)]));
    } finally {
      io.disconnect();
      popper.disconnect();
      await nr.close();
    }
  }, 30_000);

  it('routes SPUBLISH and SSUBSCRIBE by the channel slot, with MOVED from other nodes', async () => {
    const node = raw[0] as RawClient;
    const [mine, mineToo] = await keysOwnedBy(0, 'ch');
    const [theirs] = await keysOwnedBy(2, 'ch');
    const moved = `-MOVED ${calculateSlot(theirs)} 127.0.0.1:${cluster.ports[2]}`;
    expect((await node.pipeline([['SPUBLISH', theirs, 'x'], ['SPUBLISH', mine, 'x'], ['SSUBSCRIBE', theirs], ['SSUBSCRIBE', mine, mineToo], ['SUNSUBSCRIBE', mine, theirs]])).map(formatReply))
      .toEqual([moved, ':0', moved, CROSSSLOT, CROSSSLOT]);
    const nr = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${cluster.ports[1]}` }] });
    nr.on('error', () => undefined);
    await nr.connect();
    try {
      const channels = await Promise.all([0, 1, 2].map(async (index) => (await keysOwnedBy(index, 'sc'))[0]));
      const got: string[] = [];
      for (const channel of channels) await nr.sSubscribe(channel, (message, from) => got.push(`${from}:${message}`));
      for (const channel of channels) expect(await nr.sPublish(channel, 'hi')).toBe(1);
      for (const deadline = Date.now() + FRAME_WAIT_MS; got.length < 3 && Date.now() < deadline;) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(got.sort()).toEqual(channels.map((channel) => `${channel}:hi`).sort());
    } finally {
      await nr.close();
    }
  }, 30_000);

  it('unblocks a pop with MOVED and drops shard channel subscribers when their slot moves away', async () => {
    const node = raw[0] as RawClient;
    const owners = await ownerPorts();
    let key = '';
    for (let index = 0; key === ''; index++) {
      const candidate = `moving:${index}`;
      const slot = calculateSlot(candidate);
      if (owners[slot] !== cluster.ports[0]) continue;
      if (formatReply(await node.send(['CLUSTER', 'COUNTKEYSINSLOT', String(slot)])) === ':0') key = candidate;
    }
    const slot = String(calculateSlot(key));
    const blocked = await RawClient.connect(cluster.ports[0] as number);
    const subscriber = await textConnection(cluster.ports[0] as number);
    try {
      subscriber.write(['SSUBSCRIBE', key]);
      expect(await subscriber.waitFor(`$${key.length}\r\n${key}\r\n:1\r\n`)).toContain('ssubscribe');
      const pop = blocked.send(['BLPOP', key, '30']);
      for (const deadline = Date.now() + FRAME_WAIT_MS; !(await text(node, ['INFO', 'clients'])).includes('blocked_clients:1') && Date.now() < deadline;) await new Promise((resolve) => setTimeout(resolve, 10));
      for (const client of raw) expect(formatReply(await client.send(['CLUSTER', 'SETSLOT', slot, 'NODE', ids[1] as string]))).toBe('+OK');
      expect(formatReply(await pop)).toBe(`-MOVED ${slot} 127.0.0.1:${cluster.ports[1]}`);
      expect(await subscriber.waitFor('sunsubscribe')).toContain(`*3\r\n$12\r\nsunsubscribe\r\n$${key.length}\r\n${key}\r\n:0\r\n`);
      expect(formatReply(await node.send(['PUBSUB', 'SHARDCHANNELS', 'moving:*']))).toBe('[]');
    } finally {
      blocked.close();
      subscriber.close();
      for (const client of raw) await client.send(['CLUSTER', 'SETSLOT', slot, 'NODE', ids[0] as string]);
    }
    expectClean(await check());
  }, 30_000);

  it('routes TS.* keys by slot, and answers TS.MGET, MRANGE and QUERYINDEX from the local series', async () => {
    const node = raw[0] as RawClient;
    const [a, b] = await keysOwnedBy(0, 'ts');
    const [elsewhere] = await keysOwnedBy(1, 'ts');
    const moved = `-MOVED ${calculateSlot(elsewhere)} 127.0.0.1:${cluster.ports[1]}`;
    expect((await node.pipeline([
      ['TS.ADD', elsewhere, '1', '1'], ['TS.RANGE', elsewhere, '-', '+'], ['TS.MADD', a, '1', '1', b, '1', '1'], ['TS.CREATERULE', a, b, 'AGGREGATION', 'avg', '10'],
      ['TS.MADD', elsewhere, '1', '1', elsewhere, '2', '2'],
    ])).map(formatReply)).toEqual([moved, moved, CROSSSLOT, CROSSSLOT, moved]);
    const io = new Cluster([{ host: '127.0.0.1', port: cluster.ports[0] as number }]);
    try {
      const series = Array.from({ length: 30 }, (_, index) => `tsr:${index}`);
      await Promise.all(series.map((key) => io.call('TS.CREATE', key, 'LABELS', 'group', 'c2')));
      await Promise.all(series.map((key, index) => io.call('TS.MADD', key, '1000', String(index), key, '2000', String(index + 1))));
      await Promise.all([`${a}1`, `${a}2`].map((key) => io.call('TS.CREATE', key)));
      expect(await io.call('TS.MADD', `${a}1`, '1', '1', `${a}2`, '1', '2')).toEqual([1, 1]);
      expect(await io.call('TS.CREATERULE', `${a}1`, `${a}2`, 'AGGREGATION', 'avg', '10')).toBe('OK');
      const local = await Promise.all(raw.map(async (client) => replyItems(await client.send(['TS.QUERYINDEX', 'group=c2'])).map((item) => replyBytes(item).toString())));
      expect(local.flat().sort()).toEqual([...series].sort());
      const owners = await ownerPorts();
      local.forEach((keys, index) => {
        expect(keys.length).toBeGreaterThan(0);
        for (const key of keys) expect(owners[calculateSlot(key)]).toBe(cluster.ports[index]);
      });
      const ranges = await Promise.all(raw.map(async (client) => replyItems(await client.send(['TS.MRANGE', '-', '+', 'FILTER', 'group=c2'])).length));
      expect(ranges).toEqual(local.map((keys) => keys.length));
      const latest = await Promise.all(raw.map(async (client) => replyItems(await client.send(['TS.MGET', 'FILTER', 'group=c2'])).length));
      expect(latest).toEqual(local.map((keys) => keys.length));
      await Promise.all([...series, `${a}1`, `${a}2`].map((key) => io.del(key)));
    } finally {
      io.disconnect();
    }
  }, 30_000);
});

/** Tags (hash tag contents) whose slots are in [first, last]. */
function tagsInSlots(first: number, last: number, count: number): string[] {
  const tags: string[] = [];
  for (let index = 0; tags.length < count; index++) {
    const slot = calculateSlot(`m${index}`);
    if (slot >= first && slot <= last) tags.push(`m${index}`);
  }
  return tags;
}

/**
 * Runs action while LOAD_WORKERS ioredis clients write (SET, and MSET of two keys of one tag)
 * and read back their own keys; returns what the clients saw go wrong (errors, stale reads).
 */
async function underLoad(tags: readonly string[], action: () => Promise<void>): Promise<{ problems: string[]; writes: number }> {
  const client = new Cluster([{ host: '127.0.0.1', port: cluster.ports[1] as number }]);
  const problems: string[] = [];
  let stop = false;
  let writes = 0;
  const deadline = Date.now() + LOAD_MS_MAX;
  const worker = async (id: number) => {
    for (let step = 0; !stop && Date.now() < deadline; step++) {
      const tag = tags[(step * LOAD_WORKERS + id) % tags.length] as string;
      const key = `load:{${tag}}:${id}:${step % 16}`;
      const value = `${id}:${step}`;
      try {
        if (step % 3 === 2) {
          await client.mset(key, value, `${key}:pair`, value);
          acked.set(`${key}:pair`, Buffer.from(value));
        } else {
          await client.set(key, value);
        }
        acked.set(key, Buffer.from(value));
        writes++;
        const earlier = `load:{${tag}}:${id}:${(step + 8) % 16}`;
        const expected = acked.get(earlier);
        const got = await client.getBuffer(earlier);
        if (expected !== undefined && !expected.equals(got ?? Buffer.alloc(0))) problems.push(`read ${earlier}: ${String(got)} instead of ${expected.toString()}`);
      } catch (error) {
        problems.push(`${key}: ${String(error)}`);
      }
    }
  };
  const workers = Array.from({ length: LOAD_WORKERS }, (_, id) => worker(id));
  try {
    await new Promise((resolve) => setTimeout(resolve, 300)); // the load is running before the move starts
    await action();
    await new Promise((resolve) => setTimeout(resolve, 300));
  } finally {
    stop = true;
    await Promise.all(workers);
    client.disconnect();
  }
  return { problems, writes };
}

/** Reads back every acknowledged key (or those filter picks) through ioredis. */
async function expectAllAcked(filter: (key: string) => boolean = () => true): Promise<void> {
  const client = new Cluster([{ host: '127.0.0.1', port: cluster.ports[0] as number }], { enableAutoPipelining: true });
  try {
    const entries = [...acked].filter(([key]) => filter(key));
    const values = await Promise.all(entries.map(([key]) => client.getBuffer(Buffer.from(key, 'latin1'))));
    const wrong = entries.filter(([, value], index) => !value.equals(values[index] ?? Buffer.alloc(0))).map(([key]) => key);
    expect(wrong.slice(0, 10)).toEqual([]);
  } finally {
    client.disconnect();
  }
}

describe.skipIf(skipReason !== undefined)('moving slots with redis-cli under an ioredis write load', () => {
  it('reshards slots from node 0 to node 1 with no error seen by the clients', async () => {
    const moving = tagsInSlots(0, MOVED_SLOTS - 1, 24);
    const elsewhere = tagsInSlots(6000, 16383, 8);
    // one key of every type in the moving slots: MIGRATE carries each to node 1
    const typed = moving.slice(0, 3).flatMap((tag) => [
      [['RPUSH', `typed:{${tag}}:l`, 'a', 'b', 'c'], ['LRANGE', `typed:{${tag}}:l`, '0', '-1']],
      [['ZADD', `typed:{${tag}}:z`, '1.5', 'x', '-2', 'y'], ['ZRANGE', `typed:{${tag}}:z`, '0', '-1', 'WITHSCORES']],
      [['HSET', `typed:{${tag}}:h`, 'f', 'v', 'g', 'w'], ['HGETALL', `typed:{${tag}}:h`]],
      [['SADD', `typed:{${tag}}:s`, 'm'], ['SMEMBERS', `typed:{${tag}}:s`]],
      [['TS.ADD', `typed:{${tag}}:t`, '1000', '2.5', 'LABELS', 'moved', 'yes'], ['TS.RANGE', `typed:{${tag}}:t`, '-', '+']],
    ]);
    const typedBefore = [];
    for (const [write, read] of typed) {
      await (raw[0] as RawClient).send(write as string[]);
      typedBefore.push(formatReply(await (raw[0] as RawClient).send(read as string[])));
    }
    let output = '';
    const { problems, writes } = await underLoad([...moving, ...elsewhere], async () => {
      ({ stdout: output } = await cli([
        '--cluster', 'reshard', `127.0.0.1:${cluster.ports[0]}`, '--cluster-from', ids[0] as string, '--cluster-to', ids[1] as string,
        '--cluster-slots', String(MOVED_SLOTS), '--cluster-yes',
      ]));
    });
    expect(problems).toEqual([]);
    expect(writes).toBeGreaterThan(20);
    expect(output).toContain(`Moving slot ${MOVED_SLOTS - 1} from 127.0.0.1:${cluster.ports[0]} to 127.0.0.1:${cluster.ports[1]}`);
    const slots = await Promise.all(raw.map(async (client) => formatReply(await client.send(['CLUSTER', 'SLOTS']))));
    expect(new Set(slots).size).toBe(1);
    expect(slots[0]).toContain(`[:0, :${MOVED_SLOTS - 1}, ["127.0.0.1", :${cluster.ports[1]}`);
    for (let slot = 0; slot < MOVED_SLOTS; slot++) expect(formatReply(await (raw[0] as RawClient).send(['CLUSTER', 'COUNTKEYSINSLOT', String(slot)]))).toBe(':0');
    const movedKeys = await Promise.all(Array.from({ length: MOVED_SLOTS }, (_, slot) => (raw[1] as RawClient).send(['CLUSTER', 'COUNTKEYSINSLOT', String(slot)])));
    expect(movedKeys.reduce((sum, reply) => sum + Number((reply as { value: bigint }).value), 0)).toBeGreaterThan(0);
    expectClean(await check());
    await expectAllAcked((key) => key.startsWith('load:') || calculateSlot(Buffer.from(key, 'latin1')) < MOVED_SLOTS);
    const typedAfter = await Promise.all(typed.map(async ([, read]) => formatReply(await (raw[1] as RawClient).send(read as string[]))));
    expect(typedAfter).toEqual(typedBefore);
    expect(formatReply(await (raw[0] as RawClient).send((typed[0] as string[][])[1] as string[]))).toMatch(/^-MOVED /);
    expect(replyItems(await (raw[1] as RawClient).send(['TS.QUERYINDEX', 'moved=yes']))).toHaveLength(3);
    expect(replyItems(await (raw[0] as RawClient).send(['TS.QUERYINDEX', 'moved=yes']))).toHaveLength(0);
  }, 120_000);

  it('rebalances back with no error seen by the clients', async () => {
    const moving = tagsInSlots(0, MOVED_SLOTS - 1, 24);
    let output = '';
    const { problems } = await underLoad(moving, async () => {
      ({ stdout: output } = await cli(['--cluster', 'rebalance', `127.0.0.1:${cluster.ports[0]}`, '--cluster-threshold', '0.1']));
    });
    expect(problems).toEqual([]);
    expect(output).toContain('Moving');
    expectClean(await check());
    const slots = await Promise.all(raw.map(async (client) => formatReply(await client.send(['CLUSTER', 'SLOTS']))));
    expect(new Set(slots).size).toBe(1);
    await expectAllAcked((key) => key.startsWith('load:') || calculateSlot(Buffer.from(key, 'latin1')) < 2 * MOVED_SLOTS);
  }, 120_000);
});

describe.skipIf(skipReason !== undefined)('a slot left open by a move', () => {
  it('answers ASK and TRYAGAIN while it is open, and redis-cli --cluster fix closes it', async () => {
    const owners = await ownerPorts();
    const tag = Array.from({ length: 200 }, (_, index) => `open${index}`).find((candidate) => owners[calculateSlot(candidate)] === cluster.ports[0]) as string;
    const slot = String(calculateSlot(tag));
    const [source, target] = [raw[0] as RawClient, raw[1] as RawClient];
    const keys = ['a', 'b', 'c'].map((name) => `{${tag}}${name}`);
    // the earlier tests' load keys may share this slot
    const keysBefore = Number(formatReply(await source.send(['CLUSTER', 'COUNTKEYSINSLOT', slot])).slice(1));
    expect((await source.pipeline([
      ['MSET', keys[0] as string, '1', keys[1] as string, '2', keys[2] as string, '3'],
      ['CLUSTER', 'SETSLOT', slot, 'MIGRATING', ids[1] as string],
    ])).map(formatReply)).toEqual(['+OK', '+OK']);
    expect(formatReply(await target.send(['CLUSTER', 'SETSLOT', slot, 'IMPORTING', ids[0] as string]))).toBe('+OK');
    expect(formatReply(await source.send(['MIGRATE', '127.0.0.1', String(cluster.ports[1]), '', '0', '5000', 'KEYS', keys[0] as string]))).toBe('+OK');
    const ask = `-ASK ${slot} 127.0.0.1:${cluster.ports[1]}`;
    expect((await source.pipeline([['GET', keys[0] as string], ['GET', keys[1] as string], ['MGET', keys[0] as string, keys[1] as string], ['MGET', keys[1] as string, keys[2] as string]])).map(formatReply))
      .toEqual([ask, '"2"', '-TRYAGAIN Multiple keys request during rehashing of slot', '["2", "3"]']);
    expect((await target.pipeline([['GET', keys[0] as string], ['ASKING'], ['GET', keys[0] as string], ['ASKING'], ['MGET', keys[0] as string, keys[1] as string]])).map(formatReply))
      .toEqual([`-MOVED ${slot} 127.0.0.1:${cluster.ports[0]}`, '+OK', '"1"', '+OK', '-TRYAGAIN Multiple keys request during rehashing of slot']);
    const open = await cli(['--cluster', 'check', `127.0.0.1:${cluster.ports[0]}`]).then(({ stdout }) => stdout, (error: { stdout?: string }) => error.stdout ?? '');
    expect(open).toContain(`[WARNING] The following slots are open: ${slot}.`);
    const { stdout } = await run('redis-cli', ['--cluster', 'fix', `127.0.0.1:${cluster.ports[0]}`], { timeout: 60_000 });
    expect(stdout).toContain(`Fixing open slot ${slot}`);
    expectClean(await check());
    const owner = cluster.ports.indexOf((await ownerPorts())[Number(slot)] as number);
    expect(formatReply(await (raw[owner] as RawClient).send(['MGET', ...keys]))).toBe('["1", "2", "3"]');
    expect(formatReply(await (raw[owner] as RawClient).send(['CLUSTER', 'COUNTKEYSINSLOT', slot]))).toBe(`:${keysBefore + 3}`);
    for (const [index, key] of keys.entries()) acked.set(key, Buffer.from(String(index + 1)));
  }, 60_000);
});

describe.skipIf(skipReason !== undefined)('kill -9 of one node', () => {
  it('fails only its slots meanwhile and loses none of its acknowledged keys', async () => {
    const owners = await ownerPorts();
    const victim = 2;
    const port = cluster.ports[victim] as number;
    const fresh: string[] = [];
    for (let index = 0; fresh.length < 200; index++) if (owners[calculateSlot(`last:${index}`)] === port) fresh.push(`last:${index}`);
    const replies = await (raw[victim] as RawClient).pipeline(fresh.map((key) => ['SET', key, `${key}!`]));
    expect(new Set(replies.map(formatReply))).toEqual(new Set(['+OK']));
    for (const key of fresh) acked.set(key, Buffer.from(`${key}!`));
    await cluster.kill9(victim);
    await expect(RawClient.connect(port)).rejects.toThrow();
    const survivors = [...acked].filter(([key]) => owners[calculateSlot(Buffer.from(key, 'latin1'))] !== port).slice(0, 300);
    for (const [key, value] of survivors) {
      const owner = cluster.ports.indexOf(owners[calculateSlot(Buffer.from(key, 'latin1'))] as number);
      expect(replyBytes(await (raw[owner] as RawClient).send(['GET', Buffer.from(key, 'latin1')]))).toEqual(value);
    }
    expect(formatReply(await (raw[0] as RawClient).send(['GET', fresh[0] as string]))).toBe(`-MOVED ${calculateSlot(fresh[0] as string)} 127.0.0.1:${port}`);
    expect(formatReply(await (raw[0] as RawClient).send(['SET', 'still:writable:{m0}', '1']))).toMatch(/^\+OK|^-MOVED \d+ 127\.0\.0\.1:\d+$/);
    await cluster.up();
    await connectAll();
    const slots = await Promise.all(raw.map(async (client) => formatReply(await client.send(['CLUSTER', 'SLOTS']))));
    expect(new Set(slots).size).toBe(1);
    expect(await text(raw[victim] as RawClient, ['CLUSTER', 'MYID'])).toBe(ids[victim]);
    expectClean(await check());
    await expectAllAcked();
  }, 120_000);
});
