// src/types/set.test.ts: the set type on a real Keyspace over the in-memory CrashableFileSystem:
// exact counts, Redis 7.2's encoding steps (intset -> listpack -> hashtable, never back), and the
// RDB object DUMP writes read back by RESTORE's loader, duplicates and empty sets refused.
import { afterEach, describe, expect, it } from 'vitest';
import { CrashableFileSystem, Engine } from '../../storage/index.js';
import { RDB_TYPE } from './dump-payload.js';
import { Keyspace, KeyspaceGarbage, type KeyRecord } from '../keyspace/keyspace.js';
import { encodeRdbLength, encodeRdbString } from './rdb-string.js';
import {
  SET_ENCODING, SetEncodingTracker, addMember, convertForHint, createSet, encodingAfterAdd, removeMember, setMembers, setType,
} from './set.js';
import { ENCODING_LIMITS_DEFAULT, type EncodingLimits } from './type-module.js';

const opened: Engine[] = [];

async function openKeyspace(): Promise<Keyspace> {
  const garbage = new KeyspaceGarbage();
  const engine = await Engine.open({ dir: '/db', fs: new CrashableFileSystem(), syncPolicy: 'always', compactionFilter: garbage.filter });
  opened.push(engine);
  return Keyspace.open(engine, { garbage });
}

afterEach(async () => {
  for (const engine of opened.splice(0)) await engine.close().catch(() => undefined);
});

const b = (text: string) => Buffer.from(text, 'latin1');
const limits = (overrides: Partial<EncodingLimits> = {}): EncodingLimits => ({ ...ENCODING_LIMITS_DEFAULT, ...overrides });
const names = (keyspace: Keyspace, record: KeyRecord) => [...setMembers(keyspace, record)].map((member) => member.toString('latin1')).sort();

/** A set built by SADD-like adds of members (the first one decides the start, as setTypeCreate). */
function build(keyspace: Keyspace, members: string[], given = limits()): KeyRecord {
  const record = createSet(keyspace, b(members[0]!), 1, given);
  for (const member of members) addMember(keyspace, record, b(member), given);
  return record;
}

describe('set members', () => {
  it('counts a repeated member once and a removed one no more', async () => {
    const keyspace = await openKeyspace();
    const record = build(keyspace, ['a', 'b', 'a', 'c', 'b']);
    expect(record.count).toBe(3);
    expect(removeMember(keyspace, record, b('b'))).toBe(true);
    expect(removeMember(keyspace, record, b('b'))).toBe(false);
    expect(record.count).toBe(2);
    expect(names(keyspace, record)).toEqual(['a', 'c']);
  });
});

describe('set encodings (Redis 7.2 t_set.c)', () => {
  it('stays intset for integers, turns listpack for a short string, hashtable past the listpack limits, never back', async () => {
    const keyspace = await openKeyspace();
    const given = limits({ setListpackEntries: 4, setListpackValue: 8 });
    const record = build(keyspace, ['1', '-20', '300'], given);
    expect(record.encoding).toBe(SET_ENCODING.intset);
    addMember(keyspace, record, b('x'), given);
    expect(record.encoding).toBe(SET_ENCODING.listpack);
    addMember(keyspace, record, b('y'), given);
    expect(record.encoding).toBe(SET_ENCODING.hashtable); // a fifth member
    removeMember(keyspace, record, b('x'));
    removeMember(keyspace, record, b('y'));
    expect(record.encoding).toBe(SET_ENCODING.hashtable);
  });

  it('takes "007", " 1" and integers past 64 bits as strings', () => {
    for (const member of ['007', ' 1', '+1', '9223372036854775808', '1.0']) {
      expect(encodingAfterAdd(SET_ENCODING.intset, 1, b(member), limits(), () => 1)).toBe(SET_ENCODING.listpack);
    }
    expect(encodingAfterAdd(SET_ENCODING.intset, 1, b('-9223372036854775808'), limits(), () => 1)).toBe(SET_ENCODING.intset);
  });

  it('goes hashtable when an intset passes set-max-intset-entries', () => {
    const given = limits({ setIntsetEntries: 3 });
    expect(encodingAfterAdd(SET_ENCODING.intset, 2, b('7'), given, () => 1)).toBe(SET_ENCODING.intset);
    expect(encodingAfterAdd(SET_ENCODING.intset, 3, b('7'), given, () => 1)).toBe(SET_ENCODING.hashtable);
  });

  it('goes hashtable, not listpack, from an intset too big for a listpack or holding too long an integer', () => {
    expect(encodingAfterAdd(SET_ENCODING.intset, 128, b('a'), limits(), () => 3)).toBe(SET_ENCODING.hashtable);
    expect(encodingAfterAdd(SET_ENCODING.intset, 127, b('a'), limits(), () => 3)).toBe(SET_ENCODING.listpack);
    const short = limits({ setListpackValue: 3 });
    expect(encodingAfterAdd(SET_ENCODING.intset, 2, b('a'), short, () => 5)).toBe(SET_ENCODING.hashtable);
    expect(encodingAfterAdd(SET_ENCODING.intset, 2, b('a'), short, () => 3)).toBe(SET_ENCODING.listpack);
  });

  it('reads the longest member of a stored intset when set-max-listpack-value is below 20', async () => {
    const keyspace = await openKeyspace();
    const given = limits({ setListpackValue: 3 });
    const long = build(keyspace, ['1', '12345'], given);
    addMember(keyspace, long, b('a'), given);
    expect(long.encoding).toBe(SET_ENCODING.hashtable);
    const short = build(keyspace, ['1', '123'], given);
    addMember(keyspace, short, b('a'), given);
    expect(short.encoding).toBe(SET_ENCODING.listpack);
  });

  it('creates a set for its size hint (setTypeCreate) and converts an existing one early (setTypeMaybeConvert)', async () => {
    const keyspace = await openKeyspace();
    expect(createSet(keyspace, b('1'), 512, limits()).encoding).toBe(SET_ENCODING.intset);
    expect(createSet(keyspace, b('1'), 513, limits()).encoding).toBe(SET_ENCODING.hashtable);
    expect(createSet(keyspace, b('a'), 128, limits()).encoding).toBe(SET_ENCODING.listpack);
    expect(createSet(keyspace, b('a'), 129, limits()).encoding).toBe(SET_ENCODING.hashtable);
    const record = createSet(keyspace, b('a'), 1, limits());
    convertForHint(record, 128, limits());
    expect(record.encoding).toBe(SET_ENCODING.listpack);
    convertForHint(record, 129, limits());
    expect(record.encoding).toBe(SET_ENCODING.hashtable);
  });

  it('tracks a set built member by member from an empty intset', () => {
    const tracker = new SetEncodingTracker(limits({ setListpackEntries: 3 }));
    tracker.add(b('1'));
    tracker.add(b('2'));
    expect(tracker.encoding).toBe(SET_ENCODING.intset);
    tracker.add(b('z'));
    expect(tracker.encoding).toBe(SET_ENCODING.listpack);
    tracker.add(b('3'));
    expect(tracker.encoding).toBe(SET_ENCODING.hashtable);
    expect(tracker.count).toBe(4);
  });
});

describe('set DUMP object and RESTORE loader', () => {
  const restore = (keyspace: Keyspace, bytes: Buffer, given = limits()) =>
    setType.restoreObject(keyspace, bytes[0]!, { bytes, offset: 1 }, { limits: given, valueBytesMax: 1024 });

  it('round-trips members and picks the encoding as Redis 7.2 loads RDB_TYPE_SET', async () => {
    const keyspace = await openKeyspace();
    const record = build(keyspace, ['1', 'two', '3', 'x'.repeat(100)]);
    const object = Buffer.concat(setType.dumpObject(keyspace, record));
    expect(object[0]).toBe(RDB_TYPE.set);
    const restored = restore(keyspace, object);
    expect(restored?.count).toBe(4);
    expect(restored?.encoding).toBe(SET_ENCODING.hashtable); // a member past 64 bytes
    expect(names(keyspace, restored!)).toEqual(names(keyspace, record));
    const small = restore(keyspace, Buffer.concat(setType.dumpObject(keyspace, build(keyspace, ['5', '6']))));
    expect(small?.encoding).toBe(SET_ENCODING.intset);
  });

  it('refuses a duplicate member, an empty set and a cut-short object', async () => {
    const keyspace = await openKeyspace();
    const object = (members: string[], length = members.length) =>
      Buffer.concat([Buffer.from([RDB_TYPE.set]), encodeRdbLength(length), ...members.flatMap((member) => encodeRdbString(b(member)))]);
    expect(restore(keyspace, object(['a', 'b', 'a']))).toBeUndefined();
    expect(restore(keyspace, object(['7', '7']))).toBeUndefined();
    expect(restore(keyspace, object([]))).toBeUndefined();
    expect(restore(keyspace, object(['a', 'b'], 3))).toBeUndefined();
    expect(restore(keyspace, object(['a', 'b']))?.count).toBe(2);
  });

  it('copies members under a new version and keeps the encoding', async () => {
    const keyspace = await openKeyspace();
    const record = build(keyspace, ['1', 'a']);
    const copy = setType.copy(keyspace, record);
    expect(copy.version).not.toBe(record.version);
    expect(copy.encoding).toBe(SET_ENCODING.listpack);
    expect(names(keyspace, copy)).toEqual(['1', 'a']);
  });
});
