// src/keyspace/keyspace.test.ts: the keyspace on a real Engine over the in-memory
// CrashableFileSystem (crashes drop unsynced bytes), no mocks.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { CrashableFileSystem, Engine, type SyncPolicy } from '../../storage/index.js';
import { hash64 } from './hash64.js';
import { keySlot } from './slot.js';
import {
  DBMAP_KEY, VERSION_INDEX_PREFIX, VERSION_MARK_NAMESPACE_OFFSET, VERSION_MARK_PREFIX, decodeRecord, decodeRecordMeta, elementPrefix, encodeRecord, encodeVersion, metadataKey, prefixEnd, ttlKey,
  versionMarksStart,
} from './layout.js';
import { KEY_TYPE, Keyspace, KeyspaceGarbage, type KeyRecord } from './keyspace.js';

const DIR = '/db';
const opened: Engine[] = [];

async function openKeyspace(fs: CrashableFileSystem, garbage?: KeyspaceGarbage, syncPolicy: SyncPolicy = 'always'): Promise<{ engine: Engine; keyspace: Keyspace }> {
  const filter = garbage ?? new KeyspaceGarbage();
  const engine = await Engine.open({ dir: DIR, fs, syncPolicy, compactionFilter: filter.filter });
  opened.push(engine);
  return { engine, keyspace: await Keyspace.open(engine, { garbage: filter }) };
}

afterEach(async () => {
  for (const engine of opened.splice(0)) await engine.close().catch(() => undefined);
});

const b = (text: string) => Buffer.from(text, 'latin1');
const str = (payload: string, expireAtMs = 0): KeyRecord => ({ type: KEY_TYPE.string, encoding: 0, expireAtMs, version: 0, count: 0, payload: b(payload) });
/** An aggregate's metadata (a hash here; the keyspace does not look inside). */
const agg = (version: number, count = 1, expireAtMs = 0): KeyRecord => ({ type: KEY_TYPE.hash, encoding: 0, expireAtMs, version, count, payload: Buffer.alloc(0) });
const keysOf = (keyspace: Keyspace, db = 0) => [...keyspace.keys(db)].map((item) => item.key.toString('latin1')).sort();

function scanAll(keyspace: Keyspace, db: number, count: number): string[] {
  const seen: string[] = [];
  let cursor = 0n;
  do {
    const page = keyspace.scanPage(db, cursor, count);
    seen.push(...page.keys.map((key) => key.toString('latin1')));
    cursor = page.next;
  } while (cursor !== 0n);
  return seen;
}

describe('hash64', () => {
  it('has murmur3 x86_32 as its high half (published test vector)', () => {
    expect(hash64(b('The quick brown fox jumps over the lazy dog')) >> 32n).toBe(0x2fa826cdn);
  });
  // the position is part of the on-disk key layout: these bytes were written by the version before
  // the byte-at-a-time hashing (Buffer#writeUInt32BE, Buffer#indexOf) was replaced by JS loops
  const positions: [string, string, number][] = [
    ["", '0003aedb08a0e54d', 0],
    ["a", 'f21dfe827a99d946', 15495],
    ["ab", 'd3fdd21d5648bbb5', 13567],
    ["abc", '775b21298b77a152', 7638],
    ["abcd", 'a0dbc11e189f3dfa', 10294],
    ["key:000000123456", 'afc6a03ac6579329', 11249],
    ["foo{bar}zap", '4f15230665d1c047', 5061],
    ["foo{}{bar}", '82ad8d92475b62a3', 8363],
    ["foo{{bar}}zap", '3ebe729e41123028', 4015],
    ["{", '3ff11fcc893b70d8', 4092],
    ["}{", 'c7e6d740b286a805', 12793],
    ["x{y", '2ad2c76f768c4e9a', 2740],
    ["user:{1000}:name", 'b0f84c86a89beab4', 11326],
    ["kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk", '241c2be1d0e1347c', 2311],
    ["zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz{t}", 'f84c3c78baf75614', 15891],
    ["longlonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglong", '81eb72544db1c041', 8314],
  ];
  it('writes the same metadata key positions and slots as before (the on-disk layout)', () => {
    for (const [key, position, slot] of positions) {
      const internal = metadataKey(7, b(key));
      expect(internal.subarray(0, 4).toString('hex')).toBe('00000007');
      expect(internal.subarray(4, 12).toString('hex'), key).toBe(position);
      expect(keySlot(b(key)), key).toBe(slot);
      expect(internal.subarray(12).toString('latin1')).toBe(key);
    }
  });
});

describe('metadata records', () => {
  it('reads the header of a record without its payload as decodeRecord reads it', () => {
    const records: KeyRecord[] = [str('v'), str('', 1_700_000_000_123), agg(5), agg(2 ** 40, 2 ** 33, 9_000_000_000_000), { ...agg(7, 3), type: KEY_TYPE.timeseries }];
    for (const record of records) {
      const encoded = encodeRecord(record);
      expect(decodeRecordMeta(encoded)).toEqual({ ...decodeRecord(encoded), payload: Buffer.alloc(0) });
      expect(decodeRecord(encoded)).toEqual(record);
    }
  });
});

describe('keys and values', () => {
  it('reads its own staged writes, then the committed ones, binary-safe', async () => {
    const { keyspace } = await openKeyspace(new CrashableFileSystem());
    const key = Buffer.from([0, 255, 13, 10, 0]);
    keyspace.set(0, key, { ...str(''), payload: Buffer.from([0, 1, 2]) });
    expect(keyspace.get(0, key)?.payload).toEqual(Buffer.from([0, 1, 2]));
    expect(keyspace.get(1, key)).toBeUndefined();
    await keyspace.commit();
    expect(keyspace.hasStaged()).toBe(false);
    expect(keyspace.get(0, key)).toEqual({ ...str(''), payload: Buffer.from([0, 1, 2]) });
    expect(keyspace.delete(0, key)).toBe(true);
    expect(keyspace.get(0, key)).toBeUndefined();
    expect(keyspace.delete(0, key)).toBe(false);
  });

  it('keeps the type, version and count of an aggregate, so string commands can say WRONGTYPE', async () => {
    const { keyspace } = await openKeyspace(new CrashableFileSystem());
    const version = keyspace.newVersion();
    keyspace.set(0, b('h'), { ...agg(version, 3), encoding: 2 });
    await keyspace.commit();
    expect(keyspace.get(0, b('h'))).toEqual({ ...agg(version, 3), encoding: 2 });
  });

  it('hides an expired key on every read path at once; walks leave it to be reaped, get() deletes it', async () => {
    const { keyspace } = await openKeyspace(new CrashableFileSystem());
    keyspace.set(0, b('gone'), str('v', Date.now() - 5));
    keyspace.set(0, b('kept'), str('v', Date.now() + 60_000));
    await keyspace.commit();
    expect(keysOf(keyspace)).toEqual(['kept']);
    expect(scanAll(keyspace, 0, 1)).toEqual(['kept']);
    for (let attempt = 0; attempt < 20; attempt++) expect(keyspace.randomKey(0)?.toString()).toBe('kept');
    expect(keyspace.hasStaged()).toBe(false);
    expect(keyspace.dbSize(0)).toBe(2); // as Redis, DBSIZE counts it until it is reaped
    expect(keyspace.expiresCount(0)).toBe(2);
    expect(keyspace.get(0, b('gone'))).toBeUndefined(); // Redis's lazy expiry: the lookup deletes it
    expect(keyspace.hasStaged()).toBe(true);
    await keyspace.commit();
    expect(keyspace.dbSize(0)).toBe(1);
    expect(keyspace.expiresCount(0)).toBe(1);
    expect(keyspace.expiredKeysTotal).toBe(1);
  });

  it('delete() of an expired key removes it but reports it was not live', async () => {
    const { keyspace } = await openKeyspace(new CrashableFileSystem());
    keyspace.set(0, b('gone'), str('v', Date.now() - 5));
    await keyspace.commit();
    expect(keyspace.delete(0, b('gone'))).toBe(false);
    await keyspace.commit();
    expect(keyspace.dbSize(0)).toBe(0);
  });

  it('tells onKeyModified about every set and delete', async () => {
    const { keyspace } = await openKeyspace(new CrashableFileSystem());
    const seen: string[] = [];
    keyspace.onKeyModified = (db, key) => seen.push(`${db}:${key.toString()}`);
    keyspace.set(3, b('a'), str('1'));
    keyspace.delete(3, b('a'));
    keyspace.delete(3, b('missing'));
    expect(seen).toEqual(['3:a', '3:a']);
  });
});

describe('staging and commit', () => {
  it('writes one command as one batch: after a crash all of its keys or none are there', async () => {
    const fs = new CrashableFileSystem();
    const first = await openKeyspace(fs);
    for (let index = 0; index < 50; index++) first.keyspace.set(0, b(`k${index}`), str(`v${index}`));
    await first.keyspace.commit();
    for (let index = 50; index < 100; index++) first.keyspace.set(0, b(`k${index}`), str(`v${index}`));
    void first.keyspace.commit()?.catch(() => undefined); // not acknowledged: no fsync yet
    fs.crash();
    const second = await openKeyspace(fs);
    expect(keysOf(second.keyspace)).toHaveLength(50);
    expect(second.keyspace.dbSize(0)).toBe(50);
  });

  it('after a refused commit, counts are those of the acknowledged writes, for every command of its group', async () => {
    const fs = new CrashableFileSystem();
    const { keyspace } = await openKeyspace(fs);
    for (let index = 0; index < 5; index++) keyspace.set(0, b(`kept${index}`), str('v'));
    await keyspace.commit();
    fs.injectFault({ op: 'sync', path: /\.log$/, code: 'EIO' });
    const refused: Promise<void>[] = [];
    for (let index = 0; index < 3; index++) { // three commands, one group commit
      keyspace.set(0, b(`lost${index}`), str('v', Date.now() + 60_000));
      refused.push(keyspace.commit() as Promise<void>);
    }
    expect(new Set(refused).size).toBe(1);
    expect(keyspace.dbSize(0)).toBe(8); // counted as staged
    for (const commit of refused) await expect(commit).rejects.toThrow();
    expect(keyspace.dbSize(0)).toBe(5);
    expect(keyspace.expiresCount(0)).toBe(0);
  });

  it('keeps DBSIZE equal to the keys present across crashes', async () => {
    const fs = new CrashableFileSystem();
    let { keyspace } = await openKeyspace(fs);
    for (let round = 0; round < 6; round++) {
      for (let index = 0; index < 40; index++) {
        const key = b(`k${(index * 7 + round * 13) % 60}`);
        if ((index + round) % 3 === 0) keyspace.delete(0, key);
        else keyspace.set(0, key, str(`r${round}`, index % 2 === 0 ? Date.now() + 60_000 : 0));
        await keyspace.commit();
      }
      fs.crash();
      ({ keyspace } = await openKeyspace(fs));
      const present = [...keyspace.keys(0)];
      expect(keyspace.dbSize(0)).toBe(present.length);
      expect(keyspace.expiresCount(0)).toBe(present.filter((item) => item.record.expireAtMs !== 0).length);
    }
  });

  it('discardStaged forgets staged writes, counts and database moves', async () => {
    const { keyspace } = await openKeyspace(new CrashableFileSystem());
    keyspace.set(0, b('a'), str('1'));
    await keyspace.commit();
    keyspace.set(0, b('b'), str('2'));
    keyspace.delete(0, b('a'));
    keyspace.flushDb(1);
    keyspace.swapDb(0, 2);
    keyspace.discardStaged();
    expect(keyspace.hasStaged()).toBe(false);
    expect(keyspace.commit()).toBeUndefined();
    expect(keysOf(keyspace)).toEqual(['a']);
    expect(keyspace.dbSize(0)).toBe(1);
  });

  it('walks see staged puts and hide staged deletes, in position (slot, hash) order', async () => {
    const { keyspace } = await openKeyspace(new CrashableFileSystem());
    for (const key of ['a', 'b', 'c']) keyspace.set(0, b(key), str(key));
    await keyspace.commit();
    keyspace.delete(0, b('b'));
    keyspace.set(0, b('d'), str('d'));
    expect(keysOf(keyspace)).toEqual(['a', 'c', 'd']);
    expect(scanAll(keyspace, 0, 1).sort()).toEqual(['a', 'c', 'd']);
    const positions = [...keyspace.keys(0)].map((item) => metadataKey(1, item.key));
    expect(positions).toEqual([...positions].sort(Buffer.compare));
  });
});

describe('databases', () => {
  it('FLUSHDB writes a constant number of entries whatever the size of the database', async () => {
    const { engine, keyspace } = await openKeyspace(new CrashableFileSystem());
    for (let index = 0; index < 20_000; index++) {
      keyspace.set(0, b(`key:${index}`), str('v'));
      if (index % 1000 === 999) await keyspace.commit();
    }
    keyspace.set(1, b('other'), str('v'));
    await keyspace.commit();
    const before = engine.stats().lastSequence;
    keyspace.flushDb(0);
    await keyspace.commit();
    expect(engine.stats().lastSequence - before).toBeLessThanOrEqual(4); // dbmap, dead mark, old and new count
    expect(keyspace.dbSize(0)).toBe(0);
    expect(keyspace.get(0, b('key:7'))).toBeUndefined();
    expect(keysOf(keyspace)).toEqual([]);
    expect(keysOf(keyspace, 1)).toEqual(['other']);
  });

  it('keeps a flush, a swap and the counts after a crash, and reports the dropped namespaces', async () => {
    const fs = new CrashableFileSystem();
    const dead = new KeyspaceGarbage();
    const first = await openKeyspace(fs, dead);
    first.keyspace.set(0, b('zero'), str('0'));
    first.keyspace.set(1, b('one'), str('1'));
    first.keyspace.set(2, b('two'), str('2'));
    await first.keyspace.commit();
    first.keyspace.flushAll();
    first.keyspace.set(2, b('new'), str('n'));
    await first.keyspace.commit();
    expect(dead.deadNamespaceCount).toBe(16);
    first.keyspace.set(0, b('a'), str('a'));
    first.keyspace.swapDb(0, 5);
    await first.keyspace.commit();
    fs.crash();
    const deadAfter = new KeyspaceGarbage();
    const { keyspace } = await openKeyspace(fs, deadAfter);
    expect(deadAfter.deadNamespaceCount).toBe(16);
    expect(keysOf(keyspace, 0)).toEqual([]);
    expect(keysOf(keyspace, 5)).toEqual(['a']);
    expect(keysOf(keyspace, 2)).toEqual(['new']);
    expect([0, 1, 2, 5].map((db) => keyspace.dbSize(db))).toEqual([0, 0, 1, 1]);
  });

  it('marks entries of a dropped namespace (and their expiry index) droppable for compaction', async () => {
    const dead = new KeyspaceGarbage();
    const { keyspace } = await openKeyspace(new CrashableFileSystem(), dead);
    const expireAtMs = Date.now() + 60_000;
    keyspace.set(0, b('k'), str('v', expireAtMs));
    await keyspace.commit();
    const internal = metadataKey(1, b('k')); // db 0 starts as namespace 1
    const entries = [internal, ttlKey(expireAtMs, internal)];
    const drops = () => entries.map((key) => dead.filter(key));
    expect(drops()).toEqual([false, false]);
    keyspace.flushDb(0);
    const durable = keyspace.commit();
    expect(drops()).toEqual([false, false]); // not before the drop is durable
    await durable;
    expect(drops()).toEqual([true, true]);
    expect(dead.filter(metadataKey(2, b('k')))).toBe(false);
    expect(dead.filter(DBMAP_KEY)).toBe(false);
  });
});

describe('SCAN pages', () => {
  it('returns every key exactly once over a full scan, for any COUNT, and the cursor survives a restart', async () => {
    const fs = new CrashableFileSystem();
    let { keyspace } = await openKeyspace(fs);
    for (let index = 0; index < 500; index++) keyspace.set(0, b(`user:${index}`), str('v'));
    await keyspace.commit();
    for (const count of [1, 7, 100, 1000]) {
      const seen = scanAll(keyspace, 0, count);
      expect(seen).toHaveLength(500);
      expect(new Set(seen).size).toBe(500);
    }
    const first = keyspace.scanPage(0, 0n, 100);
    fs.crash();
    ({ keyspace } = await openKeyspace(fs));
    const rest: string[] = [];
    let cursor = first.next;
    while (cursor !== 0n) {
      const page = keyspace.scanPage(0, cursor, 100);
      rest.push(...page.keys.map((key) => key.toString()));
      cursor = page.next;
    }
    expect(new Set([...first.keys.map((key) => key.toString()), ...rest]).size).toBe(500);
  });

  it('applies the filter to live keys only', async () => {
    const { keyspace } = await openKeyspace(new CrashableFileSystem());
    keyspace.set(0, b('s'), str('v'));
    keyspace.set(0, b('t'), agg(keyspace.newVersion()));
    await keyspace.commit();
    const page = keyspace.scanPage(0, 0n, 10, (_key, value) => value[0] === KEY_TYPE.hash);
    expect(page.keys.map((key) => key.toString())).toEqual(['t']);
  });
});

describe('active expiry', () => {
  it('deletes expired keys at most budget index entries per cycle, and counts them', async () => {
    const fs = new CrashableFileSystem();
    let { keyspace } = await openKeyspace(fs);
    const past = Date.now() - 1000;
    for (let index = 0; index < 25; index++) keyspace.set(0, b(`e${index}`), str('v', past + index));
    keyspace.set(0, b('later'), str('v', Date.now() + 60_000));
    keyspace.set(0, b('forever'), str('v'));
    await keyspace.commit();
    expect(keyspace.activeExpireCycle(10)).toBe(10);
    await keyspace.commit();
    expect(keyspace.dbSize(0)).toBe(17);
    expect(keyspace.activeExpireCycle(10)).toBe(10);
    await keyspace.commit();
    fs.crash();
    ({ keyspace } = await openKeyspace(fs));
    expect(keyspace.dbSize(0)).toBe(7);
    expect(keyspace.activeExpireCycle(10)).toBe(5);
    expect(keyspace.activeExpireCycle(10)).toBe(0);
    await keyspace.commit();
    expect(keyspace.dbSize(0)).toBe(2);
    expect(keyspace.expiresCount(0)).toBe(1);
    expect(keyspace.expiredKeysTotal).toBe(5);
  });

  it('does not delete a key whose expiry was changed or removed after it was indexed', async () => {
    const { keyspace } = await openKeyspace(new CrashableFileSystem());
    keyspace.set(0, b('k'), str('v', Date.now() + 60_000));
    await keyspace.commit();
    keyspace.set(0, b('k'), str('v2')); // PERSIST-like
    await keyspace.commit();
    keyspace.set(0, b('j'), str('v', Date.now() - 1));
    await keyspace.commit();
    expect(keyspace.activeExpireCycle(100)).toBe(1);
    await keyspace.commit();
    expect(keyspace.get(0, b('k'))?.payload.toString()).toBe('v2');
    expect(keyspace.dbSize(0)).toBe(1);
    expect(keyspace.expiresCount(0)).toBe(0);
  });

  it('skips and removes index entries of a flushed database', async () => {
    const { keyspace } = await openKeyspace(new CrashableFileSystem());
    keyspace.set(4, b('k'), str('v', Date.now() - 1));
    await keyspace.commit();
    keyspace.flushDb(4);
    await keyspace.commit();
    expect(keyspace.activeExpireCycle(100)).toBe(0);
    expect(keyspace.hasStaged()).toBe(true); // the stale index entry's delete
    await keyspace.commit();
    expect(keyspace.dbSize(4)).toBe(0);
  });
});

describe('aggregates: metadata + versioned elements', () => {
  const element = (version: number, name: string) => Buffer.concat([elementPrefix(version, 1), b(name)]);
  const elementsOf = (engine: Engine, version: number) => [...engine.scan({ start: elementPrefix(version), end: elementPrefix(version + 1) })].length;
  /** The 'ver' entries of version: [namespace, user key] each. */
  const marksOf = (engine: Engine, version: number) => [...engine.scan({ start: versionMarksStart(version), end: versionMarksStart(version + 1) })]
    .map((item) => [item.key.readUInt32BE(VERSION_MARK_NAMESPACE_OFFSET), item.value.toString('latin1')]);

  it('hands out versions that are never reused, across crashes and refused commits', async () => {
    const fs = new CrashableFileSystem();
    let { keyspace } = await openKeyspace(fs);
    const committed = new Set<number>();
    let highest = 0;
    for (let round = 0; round < 3; round++) {
      for (let index = 0; index < 5000; index++) {
        const version = keyspace.newVersion();
        expect(committed.has(version)).toBe(false);
        if (index % 1000 === 0 || index === 4999) {
          keyspace.set(0, b(`h${round}:${index}`), agg(version));
          await keyspace.commit();
          committed.add(version);
          highest = Math.max(highest, version);
        }
      }
      keyspace.set(0, b('refused'), agg(keyspace.newVersion()));
      keyspace.discardStaged();
      fs.crash();
      ({ keyspace } = await openKeyspace(fs));
      expect(keyspace.newVersion()).toBeGreaterThan(highest);
    }
  });

  it('writes its metadata and a live mark; DEL, SET over it and emptying it delete both in O(1)', async () => {
    const { engine, keyspace } = await openKeyspace(new CrashableFileSystem());
    const versions: number[] = [];
    for (const name of ['deleted', 'overwritten', 'emptied']) {
      const version = keyspace.newVersion();
      versions.push(version);
      for (let index = 0; index < 1000; index++) keyspace.putElement(element(version, `f${index}`), b('v'));
      keyspace.set(0, b(name), agg(version, 1000));
      await keyspace.commit();
      expect(marksOf(engine, version)).toEqual([[1, name]]);
    }
    const before = engine.sequence();
    keyspace.delete(0, b('deleted'));
    keyspace.set(0, b('overwritten'), str('now a string'));
    keyspace.set(0, b('emptied'), agg(versions[2]!, 0));
    await keyspace.commit();
    expect(engine.sequence() - before).toBeLessThanOrEqual(8); // 3 metadata, 3 marks, a count, a vnext at most
    for (const version of versions) expect(marksOf(engine, version)).toEqual([]);
    expect(keyspace.get(0, b('deleted'))).toBeUndefined();
    expect(keyspace.get(0, b('emptied'))).toBeUndefined();
    expect(keyspace.get(0, b('overwritten'))?.type).toBe(KEY_TYPE.string);
    expect(keyspace.dbSize(0)).toBe(1);
  });

  it('moves an aggregate by RENAME and MOVE without touching its elements', async () => {
    const { engine, keyspace } = await openKeyspace(new CrashableFileSystem());
    const version = keyspace.newVersion();
    for (let index = 0; index < 500; index++) keyspace.putElement(element(version, `m${index}`), b('v'));
    keyspace.set(0, b('a'), agg(version, 500, Date.now() + 60_000));
    const replaced = keyspace.newVersion();
    keyspace.set(0, b('b'), agg(replaced));
    await keyspace.commit();
    const before = engine.sequence();
    keyspace.relocate(0, b('a'), 0, b('b'));
    keyspace.relocate(0, b('b'), 3, b('c'));
    await keyspace.commit();
    expect(engine.sequence() - before).toBeLessThanOrEqual(12);
    expect(keyspace.get(0, b('a'))).toBeUndefined();
    expect(keyspace.get(0, b('b'))).toBeUndefined();
    expect(keyspace.get(3, b('c'))).toMatchObject({ version, count: 500 });
    expect(keyspace.expiresCount(3)).toBe(1);
    expect(keyspace.expiresCount(0)).toBe(0);
    expect([keyspace.dbSize(0), keyspace.dbSize(3)]).toEqual([0, 1]);
    expect(marksOf(engine, version)).toEqual([[4, 'c']]); // db 3 = namespace 4; the one of db 0 is gone
    expect(marksOf(engine, replaced)).toEqual([]);
    expect(elementsOf(engine, version)).toBe(500);
  });

  it('expires an aggregate by its metadata: the active cycle kills its version', async () => {
    const { engine, keyspace } = await openKeyspace(new CrashableFileSystem());
    const version = keyspace.newVersion();
    keyspace.putElement(element(version, 'x'), b('v'));
    keyspace.set(0, b('soon'), agg(version, 1, Date.now() - 1));
    await keyspace.commit();
    expect(keyspace.keys(0).next().done).toBe(true);
    expect(keyspace.activeExpireCycle(10)).toBe(1);
    await keyspace.commit();
    expect(marksOf(engine, version)).toEqual([]);
    expect(keyspace.dbSize(0)).toBe(0);
  });

  it('lets compaction drop the elements of a dead version once its death is durable, and no others', async () => {
    const garbage = new KeyspaceGarbage();
    const { engine, keyspace } = await openKeyspace(new CrashableFileSystem(), garbage, 'everysec');
    const dead = keyspace.newVersion();
    const live = keyspace.newVersion();
    for (let index = 0; index < 100_000; index++) {
      keyspace.putElement(element(dead, `field:${index}`), b('value'));
      if (index < 1000) keyspace.putElement(element(live, `field:${index}`), b('value'));
      if (index % 10_000 === 9999) await keyspace.commit();
    }
    keyspace.set(0, b('big'), agg(dead, 100_000));
    keyspace.set(0, b('kept'), agg(live, 1000));
    await keyspace.commit();
    await engine.flush();
    keyspace.delete(0, b('big'));
    await keyspace.commit(); // 'everysec': acknowledged, not yet synced
    expect(garbage.filter(element(dead, 'field:1'))).toBe(false); // its death could still be lost: kept
    await engine.compactAll(); // its flush rotates the WAL, which syncs it: the death is durable now
    expect(elementsOf(engine, dead)).toBe(0);
    expect(elementsOf(engine, live)).toBe(1000);
    expect(keyspace.get(0, b('kept'))).toMatchObject({ version: live, count: 1000 });
  });

  it('reclaims an aggregate MOVEd to a database FLUSHDB then drops, wherever its older marks lie', async () => {
    const { engine, keyspace } = await openKeyspace(new CrashableFileSystem());
    const version = keyspace.newVersion();
    for (let index = 0; index < 100; index++) keyspace.putElement(element(version, `f${index}`), b('v'));
    keyspace.set(0, b('h'), agg(version, 100));
    await keyspace.commit();
    await engine.flush(); // a table holds the mark naming db 0
    keyspace.relocate(0, b('h'), 1, b('h'));
    await keyspace.commit();
    keyspace.flushDb(1);
    await keyspace.commit();
    await engine.flush(); // the filter drops the newer mark (db 1 is dead) from this table
    await engine.compactAll();
    expect(elementsOf(engine, version)).toBe(0);
    const marks = [...engine.scan({ start: VERSION_MARK_PREFIX, end: prefixEnd(VERSION_MARK_PREFIX) })];
    expect(marks).toEqual([]); // no older mark came back to keep the elements alive
  });

  it('judges a version again once the death it waited for is durable (DEL, FLUSHDB)', async () => {
    const garbage = new KeyspaceGarbage();
    const { engine, keyspace } = await openKeyspace(new CrashableFileSystem(), garbage, 'everysec');
    const deleted = keyspace.newVersion();
    const flushed = keyspace.newVersion();
    keyspace.putElement(element(deleted, 'f'), b('v'));
    keyspace.set(0, b('deleted'), agg(deleted));
    keyspace.putElement(element(flushed, 'f'), b('v'));
    keyspace.set(1, b('flushed'), agg(flushed));
    await keyspace.commit();
    for (const [version, kill] of [[deleted, () => keyspace.delete(0, b('deleted'))], [flushed, () => keyspace.flushDb(1)]] as const) {
      kill();
      await keyspace.commit(); // 'everysec': acknowledged, not yet synced
      expect(garbage.filter(element(version, 'f'))).toBe(false); // its death could still be lost
      await engine.flush(); // the rotation syncs the WAL
      expect(garbage.filter(element(version, 'f'))).toBe(true);
    }
  });

  it('counts expiries and their mean time left for INFO keyspace', async () => {
    let now = 1_000_000;
    const fs = new CrashableFileSystem();
    const engine = await Engine.open({ dir: DIR, fs });
    opened.push(engine);
    const keyspace = await Keyspace.open(engine, { nowMs: () => now });
    keyspace.set(0, b('a'), str('v', now + 10_000));
    keyspace.set(0, b('b'), str('v', now + 30_000));
    keyspace.set(0, b('c'), str('v'));
    await keyspace.commit();
    expect(keyspace.averageTtlMs(0)).toBe(20_000);
    keyspace.set(0, b('a'), str('v', now + 50_000));
    keyspace.delete(0, b('b'));
    await keyspace.commit();
    now += 5000;
    expect(keyspace.averageTtlMs(0)).toBe(45_000);
    expect(keyspace.averageTtlMs(1)).toBe(0);
  });

  it('keeps an empty time series (TS.CREATE), where an emptied hash is deleted', async () => {
    const { keyspace } = await openKeyspace(new CrashableFileSystem());
    keyspace.set(0, b('series'), { ...agg(keyspace.newVersion(), 0), type: KEY_TYPE.timeseries });
    keyspace.set(0, b('hash'), agg(keyspace.newVersion(), 0));
    await keyspace.commit();
    expect(keyspace.get(0, b('series'))).toMatchObject({ type: KEY_TYPE.timeseries, count: 0 });
    expect(keyspace.get(0, b('hash'))).toBeUndefined();
  });

  it('tells who owns a version, following RENAME and MOVE, and nothing once it is dead', async () => {
    const { keyspace } = await openKeyspace(new CrashableFileSystem());
    const version = keyspace.newVersion();
    keyspace.set(2, b('a'), agg(version));
    expect(keyspace.ownerOf(version)).toEqual({ db: 2, key: b('a') }); // staged writes count
    await keyspace.commit();
    keyspace.relocate(2, b('a'), 5, b('b'));
    await keyspace.commit();
    expect(keyspace.ownerOf(version)).toEqual({ db: 5, key: b('b') });
    keyspace.delete(5, b('b'));
    expect(keyspace.ownerOf(version)).toBeUndefined();
  });

  it('tells the owner of every version a model tracks, over random creates, RENAME/MOVE, DEL, FLUSHDB, SWAPDB and commits', async () => {
    // ownerOf answers with one point lookup per database: the model is who holds each version
    type Op =
      | { kind: 'create'; db: number; key: number }
      | { kind: 'relocate'; db: number; key: number; toDb: number; toKey: number }
      | { kind: 'delete'; db: number; key: number }
      | { kind: 'flushdb'; db: number }
      | { kind: 'swapdb'; db: number; toDb: number }
      | { kind: 'commit' };
    const DBS = 4;
    const db = fc.integer({ min: 0, max: DBS - 1 });
    const key = fc.integer({ min: 0, max: 5 });
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('create' as const), db, key }),
      fc.record({ kind: fc.constant('relocate' as const), db, key, toDb: db, toKey: key }),
      fc.record({ kind: fc.constant('delete' as const), db, key }),
      fc.record({ kind: fc.constant('flushdb' as const), db }),
      fc.record({ kind: fc.constant('swapdb' as const), db, toDb: db }),
      fc.constant({ kind: 'commit' as const }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        const { keyspace } = await openKeyspace(new CrashableFileSystem());
        const owners = new Map<number, { db: number; key: Buffer }>(); // live versions
        const holder = (atDb: number, atKey: Buffer) => [...owners].find(([, owner]) => owner.db === atDb && owner.key.equals(atKey))?.[0];
        const versions: number[] = [];
        for (const step of ops) {
          if (step.kind === 'commit') await keyspace.commit();
          else if (step.kind === 'create') {
            const name = b(`k${step.key}`);
            if (keyspace.get(step.db, name) !== undefined) continue;
            const version = keyspace.newVersion();
            keyspace.set(step.db, name, agg(version));
            owners.set(version, { db: step.db, key: name });
            versions.push(version);
          } else if (step.kind === 'relocate') {
            const from = b(`k${step.key}`);
            const to = b(`k${step.toKey}`);
            if (keyspace.get(step.db, from) === undefined || keyspace.get(step.toDb, to) !== undefined) continue;
            keyspace.relocate(step.db, from, step.toDb, to);
            owners.set(holder(step.db, from)!, { db: step.toDb, key: to });
          } else if (step.kind === 'delete') {
            const name = b(`k${step.key}`);
            if (keyspace.delete(step.db, name)) owners.delete(holder(step.db, name)!);
          } else if (step.kind === 'flushdb') {
            keyspace.flushDb(step.db);
            for (const [version, owner] of owners) if (owner.db === step.db) owners.delete(version);
          } else {
            await keyspace.commit(); // SWAPDB runs on committed state, as the command does
            keyspace.swapDb(step.db, step.toDb);
            for (const owner of owners.values()) {
              if (owner.db === step.db) owner.db = step.toDb;
              else if (owner.db === step.toDb) owner.db = step.db;
            }
          }
          for (const version of versions) expect(keyspace.ownerOf(version)).toEqual(owners.get(version));
        }
      }),
      { numRuns: 60 },
    );
  });

  it("lets compaction drop a type's index entries ('vidx') with their version", async () => {
    const garbage = new KeyspaceGarbage();
    const { engine, keyspace } = await openKeyspace(new CrashableFileSystem(), garbage);
    const version = keyspace.newVersion();
    const entry = Buffer.concat([VERSION_INDEX_PREFIX, b('Tlabel=value'), encodeVersion(version)]);
    keyspace.putElement(entry, Buffer.alloc(0));
    keyspace.set(0, b('series'), { ...agg(version, 0), type: KEY_TYPE.timeseries });
    await keyspace.commit();
    await engine.compactAll();
    expect(engine.get(entry)).toEqual(Buffer.alloc(0));
    keyspace.delete(0, b('series'));
    await keyspace.commit();
    await engine.compactAll();
    expect(engine.get(entry)).toBeUndefined();
  });

  it('counts time series and their samples per database, across overwrite, MOVE, DEL and a crash', async () => {
    const fs = new CrashableFileSystem();
    let { keyspace } = await openKeyspace(fs);
    const series = (count: number) => ({ ...agg(keyspace.newVersion(), count), type: KEY_TYPE.timeseries });
    keyspace.set(0, b('a'), series(3));
    keyspace.set(0, b('b'), series(0));
    keyspace.set(0, b('h'), agg(keyspace.newVersion(), 5));
    await keyspace.commit();
    expect(keyspace.seriesCounts(0)).toEqual({ series: 2, samples: 3 });
    const a = keyspace.get(0, b('a'))!;
    keyspace.set(0, b('a'), { ...a, count: 10 });
    keyspace.relocate(0, b('b'), 4, b('b'));
    keyspace.set(0, b('h'), series(1)); // a hash overwritten by a series
    await keyspace.commit();
    expect(keyspace.seriesCounts(0)).toEqual({ series: 2, samples: 11 });
    expect(keyspace.seriesCounts(4)).toEqual({ series: 1, samples: 0 });
    keyspace.delete(0, b('a'));
    await keyspace.commit();
    fs.crash();
    ({ keyspace } = await openKeyspace(fs));
    expect(keyspace.seriesCounts(0)).toEqual({ series: 1, samples: 1 });
  });
});
