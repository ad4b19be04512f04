// src/cluster/routing.test.ts: which requests a node serves and what it answers instead (Redis's
// getNodeByQuery), over a ClusterState on an in-memory file system; and the state's own rules.
import { describe, expect, it } from 'vitest';
import { CrashableFileSystem } from '../../storage/index.js';
import { keySlot } from '../keyspace/slot.js';
import { ClusterState } from './cluster-state.js';
import { MigrationLocks } from './migration-locks.js';
import { ROUTING_ERRORS, routeRequest, type RouteRequest } from './routing.js';
import { TOPOLOGY_ERRORS } from './topology.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const R = 'c'.repeat(40);
// 'foo' hashes to slot 12182, 'bar' to 5061, '{foo}x' to 12182
const TOPOLOGY = `${A} 127.0.0.1 7001 master - 0-8191\n${B} 127.0.0.2 7002 master - 8192-16383\n${R} 127.0.0.3 7003 slave ${B}`;

function open(options: { port?: number; fs?: CrashableFileSystem; full?: boolean } = {}): ClusterState {
  const fs = options.fs ?? new CrashableFileSystem();
  fs.mkdirp('/data');
  return ClusterState.open({ fs, file: '/data/nodes.conf', port: options.port ?? 7001, binds: ['127.0.0.1'], announceIp: '', requireFullCoverage: () => options.full ?? true });
}

function route(cluster: ClusterState | undefined, keys: string[][], extra: Partial<RouteRequest> & { present?: string[]; locks?: MigrationLocks } = {}): string | undefined {
  const present = new Set(extra.present ?? []);
  return routeRequest(cluster, extra.locks ?? new MigrationLocks(), {
    keyLists: keys.map((list) => list.map((key) => Buffer.from(key))), isWrite: true, asking: false, readonlyClient: false, isMigrate: false, isPubsubShard: false, db: 0,
    exists: (key) => present.has(key.toString()), ...extra,
  });
}

describe('ClusterState', () => {
  it('finds itself by address in its first topology and keeps that id', () => {
    const fs = new CrashableFileSystem();
    const cluster = open({ fs });
    expect(cluster.myself()).toBeUndefined();
    cluster.setNodes(TOPOLOGY, 1, false);
    expect(cluster.myId).toBe(A);
    fs.crash();
    const reopened = open({ fs });
    expect(reopened.myId).toBe(A);
    expect(reopened.version).toBe(1);
    expect(reopened.ownsSlot(0)).toBe(true);
  });

  it('takes newer versions only; the same version with the same layout is a no-op', () => {
    const cluster = open();
    cluster.setNodes(TOPOLOGY, 5, false);
    expect(() => cluster.setNodes(TOPOLOGY, 4, false)).toThrow(TOPOLOGY_ERRORS.version);
    expect(() => cluster.setNodes(TOPOLOGY, 5, false)).not.toThrow();
    expect(() => cluster.setNodes(TOPOLOGY.replace('0-8191', '0-8190'), 5, false)).toThrow(TOPOLOGY_ERRORS.version);
    cluster.setNodes(TOPOLOGY.replace('0-8191', '0-8190'), 4, true);
    expect(cluster.version).toBe(4);
    expect(cluster.ownerOf(8191)).toBeUndefined();
  });

  it('counts a local slot change as a new version and forgets the open slot it closes', () => {
    const cluster = open();
    cluster.setNodes(TOPOLOGY, 1, false);
    cluster.setMigrating(10, B);
    cluster.assignSlot(10, B);
    expect(cluster.version).toBe(2);
    expect(cluster.ownerOf(10)?.id).toBe(B);
    expect(cluster.migratingTo(10)).toBeUndefined();
    cluster.setImporting(9000, B);
    cluster.assignSlot(9000, A);
    expect(cluster.importingFrom(9000)).toBeUndefined();
    expect(cluster.ownsSlot(9000)).toBe(true);
  });

  it('drops open slots a new topology contradicts', () => {
    const cluster = open();
    cluster.setNodes(TOPOLOGY, 1, false);
    cluster.setMigrating(10, B);
    cluster.setImporting(9000, B);
    cluster.setNodes(TOPOLOGY.replace('0-8191', '11-8191').replace('8192-16383', '0-10 8192-16383'), 2, false);
    expect(cluster.migratingTo(10)).toBeUndefined();
    expect(cluster.importingFrom(9000)).toBe(B);
  });
});

describe('routeRequest', () => {
  const cluster = open();
  cluster.setNodes(TOPOLOGY, 1, false);

  it('serves keyless commands and its own slots', () => {
    expect(route(cluster, [[]])).toBeUndefined();
    expect(keySlot(Buffer.from('bar'))).toBe(5061);
    expect(route(cluster, [['bar']])).toBeUndefined();
  });

  it('redirects a slot another node owns with MOVED', () => {
    expect(route(cluster, [['foo']])).toBe('MOVED 12182 127.0.0.2:7002');
  });

  it('refuses keys of different slots, across the commands of an EXEC too, but not one key repeated', () => {
    expect(route(cluster, [['bar', 'foo']])).toBe(ROUTING_ERRORS.crossSlot);
    expect(route(cluster, [['bar'], ['foo']])).toBe(ROUTING_ERRORS.crossSlot);
    expect(route(cluster, [['bar', 'bar']])).toBeUndefined();
    expect(route(cluster, [['{foo}a', '{foo}b']])).toBe('MOVED 12182 127.0.0.2:7002');
  });

  it('answers CLUSTERDOWN for a slot no node serves, and for every slot while coverage is required', () => {
    const partial = open({ full: false });
    partial.setNodes(`${A} 127.0.0.1 7001 master - 0-5061`, 1, false);
    expect(route(partial, [['foo']])).toBe(ROUTING_ERRORS.unbound);
    expect(route(partial, [['bar']])).toBeUndefined();
    const strict = open({ full: true });
    strict.setNodes(`${A} 127.0.0.1 7001 master - 0-5061`, 1, false);
    expect(route(strict, [['foo']])).toBe(ROUTING_ERRORS.unbound);
    expect(route(strict, [['bar']])).toBe(ROUTING_ERRORS.down);
  });

  it('sends ASK for missing keys of a migrating slot and TRYAGAIN when only some are missing', () => {
    const source = open();
    source.setNodes(TOPOLOGY, 1, false);
    source.setMigrating(5061, B);
    expect(route(source, [['bar']], { present: ['bar'] })).toBeUndefined();
    expect(route(source, [['bar']])).toBe('ASK 5061 127.0.0.2:7002');
    expect(route(source, [['bar', '{bar}x']], { present: ['bar'] })).toBe(ROUTING_ERRORS.unstable);
    expect(route(source, [['bar']], { isMigrate: true })).toBeUndefined();
  });

  it('serves an importing slot only after ASKING, and refuses a split multi-key request', () => {
    const target = open({ port: 7002 });
    target.setNodes(TOPOLOGY, 1, false); // listed as 127.0.0.2: not found by address, so told its id
    expect(target.myself()).toBeUndefined();
    target.setMyId(B);
    target.setImporting(5061, A);
    expect(route(target, [['bar']])).toBe('MOVED 5061 127.0.0.1:7001');
    expect(route(target, [['bar']], { asking: true })).toBeUndefined();
    expect(route(target, [['bar', '{bar}x']], { asking: true, present: ['bar'] })).toBe(ROUTING_ERRORS.unstable);
    expect(route(target, [['bar', '{bar}x']], { asking: true, present: ['bar', '{bar}x'] })).toBeUndefined();
  });

  it('refuses with TRYAGAIN a key a MIGRATE is moving', () => {
    const locks = new MigrationLocks();
    expect(locks.lock(0, [Buffer.from('bar')])).toBe(true);
    expect(locks.lock(0, [Buffer.from('bar')])).toBe(false);
    expect(route(cluster, [['bar']], { locks })).toBe(ROUTING_ERRORS.unstable);
    expect(route(undefined, [['bar']], { locks })).toBe(ROUTING_ERRORS.unstable);
    expect(route(undefined, [['bar']], { locks, db: 1 })).toBeUndefined();
    locks.unlock(0, [Buffer.from('bar')]);
    expect(route(cluster, [['bar']], { locks })).toBeUndefined();
  });

  it('lets a READONLY client read on a replica of the slot owner', () => {
    const replica = open({ port: 7003 });
    replica.setNodes(TOPOLOGY, 1, false);
    replica.setMyId(R);
    expect(route(replica, [['foo']], { readonlyClient: true, isWrite: false })).toBeUndefined();
    expect(route(replica, [['foo']], { readonlyClient: true, isWrite: true })).toBe('MOVED 12182 127.0.0.2:7002');
    expect(route(replica, [['foo']], { isWrite: false })).toBe('MOVED 12182 127.0.0.2:7002');
  });

  it('serves a shard channel of a slot in a move on its owner, whatever keys exist, and while the cluster is down', () => {
    const source = open();
    source.setNodes(TOPOLOGY, 1, false);
    source.setMigrating(5061, B);
    expect(route(source, [['bar']], { isPubsubShard: true, isWrite: false })).toBeUndefined();
    expect(route(source, [['bar', '{bar}x']], { isPubsubShard: true, isWrite: false, present: ['bar'] })).toBeUndefined();
    expect(route(source, [['bar', 'foo']], { isPubsubShard: true, isWrite: false })).toBe(ROUTING_ERRORS.crossSlot);
    const target = open({ port: 7002 });
    target.setNodes(TOPOLOGY, 1, false);
    target.setMyId(B);
    target.setImporting(5061, A);
    expect(route(target, [['bar']], { isPubsubShard: true, isWrite: false })).toBe('MOVED 5061 127.0.0.1:7001');
    const strict = open({ full: true });
    strict.setNodes(`${A} 127.0.0.1 7001 master - 0-5061`, 1, false);
    expect(route(strict, [['bar']], { isPubsubShard: true, isWrite: false })).toBeUndefined();
    expect(route(strict, [['foo']], { isPubsubShard: true, isWrite: false })).toBe(ROUTING_ERRORS.unbound);
    const replica = open({ port: 7003 });
    replica.setNodes(TOPOLOGY, 1, false);
    replica.setMyId(R);
    expect(route(replica, [['foo']], { isPubsubShard: true, isWrite: false })).toBeUndefined();
  });
});
