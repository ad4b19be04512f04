// src/keyspace/migrate.test.ts: data written by 0.1.0 (layout 1) opens and reads the same: the
// committed fixture (test/fixtures/data-0.1.0, written by the 0.1.0 bundle), and a migration cut
// short by a crash at every batch, which resumes and loses nothing.
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CrashableFileSystem, Engine, type WriteOp } from '../../storage/index.js';
import { REPO_DIR } from '../../test/helpers/server.js';
import { writeHash64 } from './hash64.js';
import { LAYOUT_KEY, MIGRATE_KEY, TTL_PREFIX, prefixEnd } from './layout.js';
import { Keyspace, KeyspaceGarbage } from './keyspace.js';
import { MIGRATE_BATCH_KEYS_MAX } from './migrate.js';

const opened: Engine[] = [];
const temporary: string[] = [];
afterEach(async () => {
  for (const engine of opened.splice(0)) await engine.close().catch(() => undefined);
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Expected {
  [db: string]: { dbsize: number; entries: { [key: string]: { value: string; pexpiretime: number } } };
}

function contentsOf(keyspace: Keyspace, db: number): Map<string, { value: string; expireAtMs: number }> {
  const found = new Map<string, { value: string; expireAtMs: number }>();
  for (const { key, record } of keyspace.keys(db)) found.set(key.toString('latin1'), { value: record.payload.toString('latin1'), expireAtMs: record.expireAtMs });
  return found;
}

describe('the 0.1.0 fixture', () => {
  it('opens, migrated once, with every key, value and expiry as 0.1.0 read them', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tskv-migrate-'));
    temporary.push(dir);
    cpSync(path.join(REPO_DIR, 'test/fixtures/data-0.1.0'), dir, { recursive: true });
    const expected = JSON.parse(readFileSync(path.join(REPO_DIR, 'test/fixtures/data-0.1.0.expected.json'), 'utf8')) as Expected;
    const logged: string[] = [];
    for (let open = 0; open < 2; open++) {
      const engine = await Engine.open({ dir });
      opened.push(engine);
      const keyspace = await Keyspace.open(engine, { log: (message) => logged.push(message) });
      for (let db = 0; db < 16; db++) {
        const want = expected[String(db)]!;
        const found = contentsOf(keyspace, db);
        expect([...found.keys()].sort(), `db ${db}`).toEqual(Object.keys(want.entries).sort());
        for (const [key, entry] of Object.entries(want.entries)) {
          expect(found.get(key)).toEqual({ value: entry.value, expireAtMs: entry.pexpiretime === -1 ? 0 : entry.pexpiretime });
        }
        expect(keyspace.dbSize(db), `db ${db}`).toBe(want.dbsize);
      }
      expect(engine.get(LAYOUT_KEY)).toBeDefined();
      expect(engine.get(MIGRATE_KEY)).toBeUndefined();
      await engine.close();
    }
    expect(logged.filter((line) => line.startsWith('migrated'))).toHaveLength(1);
  });
});

/** Writes layout-1 data as 0.1.0 did: data keys, counts, the expiry index, a dbmap. */
async function writeLayout1(engine: Engine, keys: { db: number; key: string; value: string; expireAtMs: number }[]): Promise<void> {
  const ops: WriteOp[] = [];
  const counts = new Map<number, { keys: number; expires: number }>();
  const word = (text: string, suffix: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, 0]), Buffer.from(text, 'latin1'), suffix]);
  const u32 = (value: number) => Buffer.from([value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]);
  const u64 = (value: number) => {
    const bytes = Buffer.alloc(8);
    bytes.writeBigUInt64BE(BigInt(value));
    return bytes;
  };
  for (const item of keys) {
    const namespace = item.db + 1;
    const userKey = Buffer.from(item.key, 'latin1');
    const dataKey = Buffer.alloc(12 + userKey.length);
    dataKey.writeUInt32BE(namespace, 0);
    writeHash64(userKey, dataKey, 4);
    userKey.copy(dataKey, 12);
    ops.push({ kind: 'put', key: dataKey, value: Buffer.concat([Buffer.from([1]), Buffer.from(item.value, 'latin1')]), expireAtMs: item.expireAtMs });
    if (item.expireAtMs !== 0) ops.push({ kind: 'put', key: word('ttl', Buffer.concat([u64(item.expireAtMs), dataKey])), value: Buffer.alloc(0) });
    const count = counts.get(namespace) ?? { keys: 0, expires: 0 };
    count.keys++;
    if (item.expireAtMs !== 0) count.expires++;
    counts.set(namespace, count);
  }
  for (const [namespace, count] of counts) ops.push({ kind: 'put', key: word('count', u32(namespace)), value: Buffer.concat([u64(count.keys), u64(count.expires)]) });
  const dbmap = Buffer.alloc(68);
  for (let db = 0; db < 16; db++) dbmap.writeUInt32BE(db + 1, db * 4);
  dbmap.writeUInt32BE(17, 64);
  ops.push({ kind: 'put', key: word('dbmap', Buffer.alloc(0)), value: dbmap });
  await engine.write(ops);
}

describe('a migration cut short', () => {
  it('resumes after a crash at any batch and ends with the same keys', async () => {
    const later = Date.now() + 3_600_000;
    const keys = Array.from({ length: MIGRATE_BATCH_KEYS_MAX * 2 + 500 }, (_, index) => ({
      db: index % 3 === 0 ? 0 : index % 3 === 1 ? 2 : 9,
      key: `key:${index}`,
      value: `value:${index}`,
      expireAtMs: index % 5 === 0 ? later + index : 0,
    }));
    const base = new CrashableFileSystem();
    {
      const engine = await Engine.open({ dir: '/db', fs: base });
      await writeLayout1(engine, keys);
      await engine.close();
    }
    const outcomes: string[] = [];
    for (let syncsBeforeFailure = 0; syncsBeforeFailure < 40 && !outcomes.includes('opened'); syncsBeforeFailure++) {
      const fs = base.clone();
      const failing = await Engine.open({ dir: '/db', fs });
      fs.injectFault({ op: 'sync', path: /\.log$/, code: 'EIO', after: syncsBeforeFailure });
      const outcome = await Keyspace.open(failing).then(() => 'opened', () => 'failed');
      outcomes.push(outcome);
      await failing.close().catch(() => undefined);
      fs.clearFaults();
      fs.crash();
      const engine = await Engine.open({ dir: '/db', fs });
      opened.push(engine);
      const garbage = new KeyspaceGarbage();
      const keyspace = await Keyspace.open(engine, { garbage });
      for (const db of [0, 2, 9]) {
        const want = keys.filter((item) => item.db === db);
        const found = contentsOf(keyspace, db);
        expect(found.size, `${outcome} after ${syncsBeforeFailure} syncs, db ${db}`).toBe(want.length);
        for (const item of want) expect(found.get(item.key)).toEqual({ value: item.value, expireAtMs: item.expireAtMs });
        expect(keyspace.dbSize(db)).toBe(want.length);
        expect(keyspace.expiresCount(db)).toBe(want.filter((item) => item.expireAtMs !== 0).length);
      }
      expect(garbage.deadNamespaceCount).toBe(16); // the old namespaces, for compaction to reclaim
      const ttlEntries = [...engine.scan({ start: TTL_PREFIX, end: prefixEnd(TTL_PREFIX) })].filter((item) => !garbage.filter(item.key));
      expect(ttlEntries).toHaveLength(keys.filter((item) => item.expireAtMs !== 0).length);
    }
    expect(outcomes.filter((outcome) => outcome === 'failed').length).toBeGreaterThan(10); // a cut at every batch
    expect(outcomes.at(-1)).toBe('opened');
  });
});
