// test/replication.test.ts: replicas fed by the primary's WAL, end to end with real processes on
// 127.0.0.1: a replica under a write load matches its primary key for key; WAIT 1 counts a write
// only once the replica has it durably, so kill -9 of the primary loses none of those; a replica
// restarted mid-stream resumes from its own sequence number; one too far behind the retained WAL
// takes a full copy (a checkpoint) first, and a primary restarted after kill -9 is continued
// from; ROLE and INFO replication read as Redis's.
// Every loop is bounded in rounds and seconds; servers are stopped by PID (helpers/server.ts).
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { rawRequest, startServer, type StartedServer } from './helpers/server.js';

const started: StartedServer[] = [];
const clients: Redis[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  for (const server of started.splice(0)) await server.kill9();
});

async function server(args: string[] = [], dir?: string): Promise<StartedServer> {
  const s = await startServer({ args, ...(dir === undefined ? {} : { dir }) });
  started.push(s);
  return s;
}

function client(port: number, password?: string): Redis {
  const redis = new Redis({ port, host: '127.0.0.1', ...(password === undefined ? {} : { password }), lazyConnect: false, maxRetriesPerRequest: 0, enableOfflineQueue: true, retryStrategy: () => null });
  redis.on('error', () => undefined);
  clients.push(redis);
  return redis;
}

async function info(redis: Redis): Promise<Map<string, string>> {
  const text = await redis.info('replication');
  return new Map(text.split('\r\n').filter((line) => line.includes(':')).map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)] as [string, string]));
}

/** Polls check every 50 ms until it returns true, for at most seconds. */
async function waitUntil(what: string, seconds: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${seconds} s waiting for ${what}`);
}

/** A primary and a replica of it, with a client of each, once the replica's link is up. */
async function linkedPair(): Promise<{ primary: StartedServer; p: Redis; r: Redis }> {
  const primary = await server();
  const replicaServer = await server(['--replicaof', '127.0.0.1', String(primary.port)]);
  const p = client(primary.port);
  const r = client(replicaServer.port);
  await waitUntil('the link to come up', 10, async () => (await info(r)).get('master_link_status') === 'up');
  return { primary, p, r };
}

async function caughtUp(primary: Redis, replica: Redis, seconds = 20): Promise<void> {
  await waitUntil('the replica to apply every write', seconds, async () => {
    const [p, r] = await Promise.all([info(primary), info(replica)]);
    return r.get('master_link_status') === 'up' && p.get('master_repl_offset') === r.get('slave_repl_offset');
  });
}

/** Every key of db 0 with its DUMP, sorted (SCAN to the end, bounded). */
async function snapshot(redis: Redis): Promise<Array<[string, string]>> {
  const keys = new Set<string>();
  let cursor = '0';
  for (let round = 0; round < 100_000; round++) {
    const [next, batch] = await redis.scan(cursor, 'COUNT', 1000);
    for (const key of batch) keys.add(key);
    cursor = next;
    if (cursor === '0') break;
  }
  const sorted = [...keys].sort();
  const pipeline = redis.pipeline();
  for (const key of sorted) pipeline.dumpBuffer(key);
  const dumps = (await pipeline.exec()) ?? [];
  return sorted.map((key, index) => [key, (dumps[index]?.[1] as Buffer | null)?.toString('hex') ?? 'null']);
}

/** A mixed write load of count commands over a few hundred keys of several types. */
async function writeLoad(redis: Redis, count: number, tag: string): Promise<void> {
  for (let index = 0; index < count; index += 50) {
    const pipeline = redis.pipeline();
    for (let step = index; step < Math.min(count, index + 50); step++) {
      const n = step % 200;
      switch (step % 7) {
        case 0: pipeline.set(`s:${n}`, `${tag}-${step}`); break;
        case 1: pipeline.hset(`h:${n % 40}`, `f${n}`, `${tag}-${step}`); break;
        case 2: pipeline.sadd(`set:${n % 30}`, `m${step % 97}`); break;
        case 3: pipeline.zadd(`z:${n % 20}`, step % 1000, `m${n}`); break;
        case 4: pipeline.rpush(`l:${n % 10}`, `${step}`); break;
        case 5: pipeline.incrby(`c:${n % 50}`, step); break;
        default: pipeline.del(`s:${(n + 3) % 200}`);
      }
    }
    await pipeline.exec();
  }
}

describe('replication', () => {
  it('a replica under a write load matches its primary key for key, serves reads and refuses writes', async () => {
    const { primary, p, r } = await linkedPair();
    const writers = [0, 1, 2].map(() => client(primary.port));
    await Promise.all(writers.map((writer, index) => writeLoad(writer, 4000, `w${index}`)));
    await caughtUp(p, r);
    const [ours, theirs] = await Promise.all([snapshot(p), snapshot(r)]);
    expect(ours.length).toBeGreaterThan(200);
    expect(theirs).toEqual(ours);
    expect(await r.get('s:0')).toBe(await p.get('s:0'));
    await expect(r.set('x', '1')).rejects.toThrow("READONLY You can't write against a read only replica.");
    await expect(r.wait(1, 10)).rejects.toThrow('ERR WAIT cannot be used with replica instances');
  });

  it("a replica answers TS reads as its primary does: appends past the series' record, seals, a rule", async () => {
    const { p, r } = await linkedPair();
    await p.call('TS.CREATE', 'ts:a', 'LABELS', 'kind', 'test');
    await p.call('TS.CREATE', 'ts:b', 'LABELS', 'kind', 'test', 'DUPLICATE_POLICY', 'LAST');
    await p.call('TS.CREATE', 'ts:avg', 'LABELS', 'kind', 'rule');
    await p.call('TS.CREATERULE', 'ts:b', 'ts:avg', 'AGGREGATION', 'avg', 1000);
    for (let start = 0; start < 6000; start += 500) { // past a chunk's worth, so the sealer seals some
      const pipeline = p.pipeline();
      for (let ts = start; ts < start + 500; ts++) pipeline.call('TS.MADD', 'ts:a', 1000 + ts, ts % 97, 'ts:b', 1000 + ts, ts % 13);
      await pipeline.exec();
    }
    await p.call('TS.ADD', 'ts:b', 3000, 42); // an upsert: LAST
    await caughtUp(p, r);
    const reads = (redis: Redis): Promise<unknown[]> => Promise.all([
      redis.call('TS.GET', 'ts:a'), redis.call('TS.GET', 'ts:b'), redis.call('TS.RANGE', 'ts:a', '-', '+', 'COUNT', 5),
      redis.call('TS.REVRANGE', 'ts:b', '-', '+', 'COUNT', 5), redis.call('TS.RANGE', 'ts:avg', '-', '+'),
      redis.call('TS.MGET', 'FILTER', 'kind=test'), redis.call('TS.RANGE', 'ts:a', '-', '+', 'AGGREGATION', 'sum', 1000),
    ]);
    const fromPrimary = await reads(p);
    expect(fromPrimary[0]).toEqual([6999, '82']); // 5999 % 97
    expect(await reads(r)).toEqual(fromPrimary);
    const totalSamples = async (redis: Redis, key: string): Promise<unknown> => {
      const fields = (await redis.call('TS.INFO', key)) as unknown[];
      return fields[fields.indexOf('totalSamples') + 1];
    };
    for (const key of ['ts:a', 'ts:b', 'ts:avg']) expect(await totalSamples(r, key)).toBe(await totalSamples(p, key));
    await expect(r.call('TS.ADD', 'ts:a', '*', 1)).rejects.toThrow("READONLY You can't write against a read only replica.");
  });

  it('keeps every WAIT 1-confirmed write on the replica when the primary is killed with -9', async () => {
    const primary = await server();
    const replicaServer = await server(['--replicaof', '127.0.0.1', String(primary.port)]);
    const r = client(replicaServer.port);
    await waitUntil('the link to come up', 10, async () => (await info(r)).get('master_link_status') === 'up');
    const confirmed = new Map<string, string>();
    let stop = false;
    const worker = async (id: number) => {
      const w = client(primary.port);
      for (let index = 0; index < 100_000 && !stop; index++) {
        const key = `k:${id}:${index}`;
        try {
          const pipeline = w.pipeline();
          pipeline.set(key, `v${index}`);
          pipeline.hset(`h:${id}`, `f${index % 20}`, `v${index}`);
          pipeline.wait(1, 2000);
          const replies = (await pipeline.exec()) ?? [];
          if (replies.some(([error]) => error !== null)) return; // the primary is gone (ioredis resolves, with errors)
          if (replies[2]?.[0] === null && Number(replies[2][1]) >= 1) confirmed.set(key, `v${index}`);
        } catch {
          return; // the primary is gone
        }
      }
    };
    const workers = [0, 1, 2, 3].map((id) => worker(id));
    await waitUntil('some confirmed writes', 20, async () => confirmed.size >= 300);
    await primary.kill9();
    stop = true;
    await Promise.all(workers);
    expect(confirmed.size).toBeGreaterThanOrEqual(300);
    const keys = [...confirmed.keys()];
    const values = await r.mget(...keys);
    const missing = keys.filter((key, index) => values[index] !== confirmed.get(key));
    expect(missing).toEqual([]);
    expect((await info(r)).get('master_link_status')).toBe('down');
    // the primary comes back on its own data: the replica continues from its sequence, no full copy
    await primary.restart();
    const p = client(primary.port);
    await writeLoad(p, 500, 'after');
    await caughtUp(p, r);
    const fields = await info(r);
    expect(fields.get('tskv_full_syncs')).toBe('1'); // the first one, from nothing
    expect(fields.get('tskv_partial_syncs')).toBe('1');
    expect(await snapshot(r)).toEqual(await snapshot(p));
  });

  it('a replica restarted mid-stream resumes from its own sequence number', async () => {
    const primary = await server();
    const replicaServer = await server(['--replicaof', '127.0.0.1', String(primary.port)]);
    const p = client(primary.port);
    let r = client(replicaServer.port);
    await waitUntil('the link to come up', 10, async () => (await info(r)).get('master_link_status') === 'up');
    const loading = writeLoad(client(primary.port), 6000, 'a');
    // acknowledged offsets (slave0's offset= on the primary) are fsynced on the replica, so they
    // survive its kill -9; its slave_repl_offset is what it applied, maybe not yet durable
    const ackedOffset = async (): Promise<number> => Number(/offset=(\d+)/.exec((await info(p)).get('slave0') ?? '')?.[1] ?? 0);
    await waitUntil('the replica to acknowledge some writes', 20, async () => (await ackedOffset()) > 500);
    await replicaServer.kill9();
    await loading;
    const seqAtRestart = Number((await info(p)).get('master_repl_offset'));
    await replicaServer.restart();
    r = client(replicaServer.port);
    await waitUntil('the link to come up again', 10, async () => (await info(r)).get('master_link_status') === 'up');
    await writeLoad(client(primary.port), 1000, 'b');
    await caughtUp(p, r);
    const fields = await info(r);
    expect(fields.get('tskv_full_syncs')).toBe('0');
    expect(fields.get('tskv_partial_syncs')).toBe('1');
    expect(replicaServer.output()).toMatch(/partial resynchronization: streaming the WAL/);
    expect(primary.output()).toMatch(/partial resynchronization accepted/);
    const resumedFrom = [...primary.output().matchAll(/"asked":"[0-9a-f]{40} (\d+)"/g)].map((match) => Number(match[1]));
    expect(resumedFrom.length).toBe(1);
    expect(resumedFrom[0]).toBeGreaterThan(500);
    expect(resumedFrom[0]).toBeLessThanOrEqual(seqAtRestart);
    expect(await snapshot(r)).toEqual(await snapshot(p));
  });

  it('answers ROLE and INFO replication as Redis, and REPLICAOF switches roles at run time', async () => {
    const a = await server();
    const b = await server();
    const pa = client(a.port);
    const pb = client(b.port);
    await writeLoad(pa, 700, 'a');
    await pb.set('only-on-b', '1'); // a full copy replaces what the new replica had
    await expect(pb.call('REPLICAOF', '127.0.0.1', 'x')).rejects.toThrow('ERR Invalid master port');
    await expect(pb.call('REPLICAOF', '127.0.0.1', '70000')).rejects.toThrow('ERR Invalid master port');
    expect(await pb.call('REPLICAOF', '127.0.0.1', String(a.port))).toBe('OK');
    await caughtUp(pa, pb); // while the full copy is installed, commands without the loading flag get -LOADING, as Redis
    expect(await pb.call('SLAVEOF', '127.0.0.1', String(a.port))).toBe('OK Already connected to specified master');
    expect(await pb.exists('only-on-b')).toBe(0);
    expect(await snapshot(pb)).toEqual(await snapshot(pa));
    const offset = Number((await info(pa)).get('master_repl_offset'));
    expect(offset).toBeGreaterThan(0);
    await waitUntil('the ack to reach the primary', 10, async () => (await info(pa)).get('slave0')?.includes(`offset=${offset},`) ?? false);
    const primaryInfo = await info(pa);
    expect(primaryInfo.get('role')).toBe('master');
    expect(primaryInfo.get('connected_slaves')).toBe('1');
    expect(primaryInfo.get('slave0')).toMatch(new RegExp(`^ip=127\\.0\\.0\\.1,port=${b.port},state=online,offset=${offset},lag=\\d+$`));
    expect(primaryInfo.get('master_replid')).toMatch(/^[0-9a-f]{40}$/);
    expect(await pa.call('ROLE')).toEqual(['master', offset, [['127.0.0.1', String(b.port), String(offset)]]]);
    const replicaInfo = await info(pb);
    expect(replicaInfo.get('role')).toBe('slave');
    expect(replicaInfo.get('master_host')).toBe('127.0.0.1');
    expect(replicaInfo.get('master_port')).toBe(String(a.port));
    expect(replicaInfo.get('master_link_status')).toBe('up');
    expect(replicaInfo.get('slave_repl_offset')).toBe(String(offset));
    expect(replicaInfo.get('master_replid')).toBe(primaryInfo.get('master_replid'));
    expect(replicaInfo.get('tskv_full_syncs')).toBe('1');
    expect(await pb.call('ROLE')).toEqual(['slave', '127.0.0.1', a.port, 'connected', offset]);
    expect(await pa.wait(1, 1000)).toBe(1);
    expect(await pa.wait(2, 200)).toBe(1); // the timeout: one replica has it
    // a replica that has not acknowledged a write is not counted: stopped, it acks nothing
    process.kill(b.pid, 'SIGSTOP');
    try {
      await pa.set('while-stopped', '1');
      expect(await pa.wait(1, 300)).toBe(0);
      // a WAIT whose reply is switched off (CLIENT REPLY OFF) times out without a reply, and the server lives on
      expect(await rawRequest(a.port, 'CLIENT REPLY OFF\r\nSET quiet 1\r\nWAIT 1 100\r\nCLIENT REPLY ON\r\n', 3000)).toBe('+OK\r\n');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await pa.ping()).toBe('PONG');
    } finally {
      process.kill(b.pid, 'SIGCONT');
    }
    expect(await pa.wait(1, 10_000)).toBe(1);
    expect(await pb.get('while-stopped')).toBe('1');
    // the replica's clients see its primary's writes
    await pa.set('fresh', 'v');
    await waitUntil('the fresh write on the replica', 10, async () => (await pb.get('fresh')) === 'v');
    // promotion: writes accepted, the old history kept as replid2
    expect(await pb.call('REPLICAOF', 'NO', 'ONE')).toBe('OK');
    expect(await pb.set('after', '1')).toBe('OK');
    const promoted = await info(pb);
    expect(promoted.get('role')).toBe('master');
    expect(promoted.get('master_replid2')).toBe(primaryInfo.get('master_replid'));
    expect((await pb.call('ROLE')) as unknown[]).toEqual(['master', Number(promoted.get('master_repl_offset')), []]);
    await waitUntil('the primary to see the replica go', 10, async () => (await info(pa)).get('connected_slaves') === '0');
  });

  it('a replica too far behind the retained WAL gets a checkpoint, then the stream', async () => {
    // repl-backlog-ttl 1: a second without replicas and the primary keeps no WAL for them
    const primary = await server(['--repl-backlog-ttl', '1']);
    const replicaServer = await server(['--replicaof', '127.0.0.1', String(primary.port)]);
    const p = client(primary.port);
    let r = client(replicaServer.port);
    await writeLoad(p, 1000, 'a');
    await caughtUp(p, r);
    await replicaServer.stop();
    await writeLoad(p, 3000, 'b');
    await new Promise((resolve) => setTimeout(resolve, 2500)); // past the ttl: retention off
    await p.call('DEBUG', 'COMPACT'); // flushes the memtable: the WAL holding the replica's next batch goes
    await waitUntil('the compaction to end', 30, async () => (await p.info('persistence')).includes('tskv_compaction_in_progress:0'));
    await writeLoad(p, 500, 'c');
    await replicaServer.restart();
    r = client(replicaServer.port);
    await caughtUp(p, r);
    expect((await info(r)).get('tskv_full_syncs')).toBe('1');
    // it asked to continue from its own sequence number and was refused: the WAL no longer held it
    expect(primary.output()).toMatch(/"asked":"[0-9a-f]{40} [1-9]\d*","reply":"\+FULLRESYNC [0-9a-f]{40} \d+","tables":[1-9]/);
    await writeLoad(p, 500, 'd'); // the stream after the checkpoint
    await caughtUp(p, r);
    expect(await snapshot(r)).toEqual(await snapshot(p));
  });

  it('a cluster node the topology lists as a replica follows its master, and stops when listed as a master', async () => {
    const a = await server(['--cluster-enabled', 'yes']);
    const b = await server(['--cluster-enabled', 'yes']);
    const pa = client(a.port);
    const pb = client(b.port);
    const [idA, idB] = [String(await pa.call('CLUSTER', 'MYID')), String(await pb.call('CLUSTER', 'MYID'))];
    const replicaLayout = `${idA} 127.0.0.1 ${a.port} master - 0-16383\n${idB} 127.0.0.1 ${b.port} slave ${idA}`;
    for (const redis of [pa, pb]) expect(await redis.call('CLUSTERX', 'SETNODES', replicaLayout, '1')).toBe('OK');
    await pa.mset('{t}a', '1', '{t}b', '2', '{t}c', '3');
    await caughtUp(pa, pb);
    expect((await info(pb)).get('master_port')).toBe(String(a.port));
    expect(await pb.dbsize()).toBe(3);
    await expect(pb.call('REPLICAOF', 'NO', 'ONE')).rejects.toThrow('ERR REPLICAOF not allowed in cluster mode.');
    const masterLayout = `${idA} 127.0.0.1 ${a.port} master - 0-8191\n${idB} 127.0.0.1 ${b.port} master - 8192-16383`;
    for (const redis of [pa, pb]) expect(await redis.call('CLUSTERX', 'SETNODES', masterLayout, '2')).toBe('OK');
    expect((await info(pb)).get('role')).toBe('master');
  });

  it("authenticates with masterauth; a replica's WATCH sees its primary's writes and its MULTI refuses writes", async () => {
    const primary = await server(['--requirepass', 'secret']);
    const refused = await server(['--replicaof', '127.0.0.1', String(primary.port)]);
    const replicaServer = await server(['--replicaof', '127.0.0.1', String(primary.port), '--masterauth', 'secret']);
    const p = client(primary.port, 'secret');
    const r = client(replicaServer.port);
    await p.set('watched', '1');
    await caughtUp(p, r);
    expect((await info(client(refused.port))).get('master_link_status')).toBe('down');
    expect(refused.output()).toMatch(/the primary refused REPLCONF listening-port: NOAUTH Authentication required/);
    // WATCH on the replica, then the primary changes the key: EXEC aborts
    const watcher = client(replicaServer.port);
    await watcher.watch('watched');
    await p.set('watched', '2');
    await caughtUp(p, r);
    expect(await watcher.multi().get('watched').exec()).toBeNull();
    // a write inside MULTI is refused when queued; EXEC then aborts
    const tx = client(replicaServer.port);
    await tx.call('MULTI');
    await expect(tx.call('SET', 'x', '1')).rejects.toThrow("READONLY You can't write against a read only replica.");
    await expect(tx.call('EXEC')).rejects.toThrow('EXECABORT');
    expect(await r.get('watched')).toBe('2');
  });
});
