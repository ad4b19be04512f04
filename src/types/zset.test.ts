// src/types/zset.test.ts: the sorted set type on a real Keyspace over the in-memory
// CrashableFileSystem, against a sorted array model (fast-check): the score index in Redis's order
// (-0 equal to +0, ties by member bytes), counts and ranks by lockstep walks, the tail bisection
// (with members sharing long prefixes, which defeat it and take the fallback walk), ranks, reverse
// slices, lexicographic ranges (one score, and several where Redis's listpack walk is the model),
// the algebra's combining order, Redis 7.0's encoding steps and -0 in a listpack, and the RDB
// objects RESTORE reads (types 3, 5, 12, 17), damage refused.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { CrashableFileSystem, Engine } from '../../storage/index.js';
import { Keyspace, KeyspaceGarbage, type KeyRecord } from '../keyspace/keyspace.js';
import { RDB_TYPE, createObjectDumpPayload } from './dump-payload.js';
import { encodeListpack } from './rdb-listpack.js';
import { encodeRdbLength, encodeRdbString } from './rdb-string.js';
import { encodeZiplist } from './rdb-ziplist.js';
import { ENCODING_LIMITS_DEFAULT, type EncodingLimits } from './type-module.js';
import {
  ZSET_ENCODING, ZsetBuilder, indexEntryOf, indexScoreOf, indexStart, newZset, putMember, removeMember, scoreBoundKey, scoreOf, zsetMembers,
  zsetType, type ScoredMember,
} from './zset.js';
import { encodeSortableScore, nextSortable } from './score-order.js';
import { aggregate, differenceOf, intersectionCount, intersectionOf, unionOf } from './zset-algebra.js';
import {
  PAGE_ENTRIES_MAX, countInRange, entriesByRank, entriesFrom, indexPage, keyBetween, lastEntries, rankOf, reverseSlice, scoreRangeKeys, walkIndex,
  wholeIndex,
} from './zset-index.js';
import { gteMin, isEmptyLexRange, lexCount, lexEntries, lteMax, parseLexBound, type LexRange } from './zset-lex.js';

const opened: Engine[] = [];

async function openKeyspace(): Promise<Keyspace> {
  const garbage = new KeyspaceGarbage();
  const engine = await Engine.open({ dir: '/db', fs: new CrashableFileSystem(), syncPolicy: 'no', compactionFilter: garbage.filter });
  opened.push(engine);
  return Keyspace.open(engine, { garbage });
}

afterEach(async () => {
  for (const engine of opened.splice(0)) await engine.close().catch(() => undefined);
});

const b = (text: string) => Buffer.from(text, 'latin1');
const limits = (overrides: Partial<EncodingLimits> = {}): EncodingLimits => ({ ...ENCODING_LIMITS_DEFAULT, ...overrides });
const KEY = b('z');

/** Redis's order: score (-0 equal to +0), then member bytes. */
function compareModel(a: ScoredMember, c: ScoredMember): number {
  return a.score < c.score ? -1 : a.score > c.score ? 1 : Buffer.compare(a.member, c.member);
}

const show = (entries: readonly ScoredMember[]) => entries.map(({ member, score }) => `${member.toString('latin1')}=${Object.is(score, -0) ? '-0' : score}`);

/** A skiplist zset of the given members (last score wins), half committed and half staged. */
async function build(keyspace: Keyspace, members: ReadonlyArray<readonly [string, number]>): Promise<{ record: KeyRecord; model: ScoredMember[] }> {
  const record = newZset(keyspace, ZSET_ENCODING.skiplist);
  const model = new Map<string, ScoredMember>();
  for (const [index, [name, score]] of members.entries()) {
    const member = b(name);
    const previous = record.count === 0 ? undefined : scoreOf(keyspace, record, member);
    if (previous === undefined || previous !== score) putMember(keyspace, record, member, score, previous, ENCODING_LIMITS_DEFAULT);
    if (previous === undefined || previous !== score) model.set(name, { member, score });
    if (index === Math.floor(members.length / 2)) {
      keyspace.set(0, KEY, { ...record });
      await keyspace.commit();
    }
  }
  keyspace.set(0, KEY, { ...record });
  return { record, model: [...model.values()].sort(compareModel) };
}

const scoreArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -5, max: 5 }) },
  { weight: 1, arbitrary: fc.constantFrom(-0, Infinity, -Infinity, 0.5, -0.5, 5e-324, -5e-324, 1e300) },
  { weight: 1, arbitrary: fc.double({ noNaN: true }) },
);
const memberArb = fc.oneof(fc.constantFrom('a', 'b', 'ab', '', 'b\x00', 'zz', '\xff'), fc.string({ maxLength: 4 }));
const membersArb = fc.array(fc.tuple(memberArb, scoreArb), { minLength: 0, maxLength: 60 });

describe('the score index', () => {
  it('holds the members in Redis order, -0 with its sign, counts and ranks them', async () => {
    await fc.assert(
      fc.asyncProperty(membersArb, async (members) => {
        const keyspace = await openKeyspace();
        const { record, model } = await build(keyspace, members);
        expect(record.count).toBe(model.length);
        expect(show([...walkIndex(keyspace, wholeIndex(record.version))])).toEqual(show(model));
        for (const [rank, entry] of model.entries()) expect(rankOf(keyspace, record.version, record.count, entry.member, entry.score)).toBe(rank);
        const hashed = [...zsetMembers(keyspace, record)].sort(compareModel);
        expect(show(hashed)).toEqual(show(model));
      }),
      { numRuns: 40 },
    );
  });

  it('counts and reads score ranges as zslParseRange bounds say', async () => {
    const bound = fc.record({ value: scoreArb, exclusive: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(membersArb, bound, bound, async (members, min, max) => {
        const keyspace = await openKeyspace();
        const { record, model } = await build(keyspace, members);
        const inside = model.filter(({ score }) => (min.exclusive ? score > min.value : score >= min.value) && (max.exclusive ? score < max.value : score <= max.value));
        const keys = scoreRangeKeys(record.version, { min, max });
        const found = keys === undefined ? [] : [...walkIndex(keyspace, keys)];
        expect(show(found)).toEqual(show(inside));
        expect(keys === undefined ? 0 : countInRange(keyspace, record.version, record.count, keys)).toBe(inside.length);
      }),
      { numRuns: 60 },
    );
  });

  it('reads a short forward slice alike as one engine page (nothing staged) and as a walk (writes staged)', async () => {
    await fc.assert(
      fc.asyncProperty(membersArb, fc.nat(70), fc.integer({ min: 1, max: 300 }), async (members, skip, take) => {
        const keyspace = await openKeyspace();
        const { record, model } = await build(keyspace, members); // half committed, half staged: the walk
        const expected = show(model.slice(skip, skip + take));
        expect(show(entriesFrom(keyspace, wholeIndex(record.version), skip, take, 1000))).toEqual(expected);
        await keyspace.commit(); // nothing staged: the page
        expect(show(entriesFrom(keyspace, wholeIndex(record.version), skip, take, 1000))).toEqual(expected);
        expect(show(lastEntries(keyspace, wholeIndex(record.version), take))).toEqual(show(model.slice(-take)));
      }),
      { numRuns: 40 },
    );
  });

  it('reads a score range\'s page as raw entries that decode to the walk\'s, or none while writes are staged there', async () => {
    const bound = fc.record({ value: scoreArb, exclusive: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(membersArb, bound, bound, fc.nat(70), fc.integer({ min: 1, max: 300 }), async (members, min, max, skip, take) => {
        const keyspace = await openKeyspace();
        const { record, model } = await build(keyspace, members);
        const inside = model.filter(({ score }) => (min.exclusive ? score > min.value : score >= min.value) && (max.exclusive ? score < max.value : score <= max.value));
        const keys = scoreRangeKeys(record.version, { min, max });
        const decode = (page: ReturnType<typeof indexPage>) => page?.map(({ key, value }) => ({ ...indexEntryOf(key, value), score: indexScoreOf(key, value) }));
        if (keys === undefined) {
          expect(inside).toEqual([]);
          return;
        }
        const staged = decode(indexPage(keyspace, keys, skip, take));
        if (staged !== undefined) expect(show(staged)).toEqual(show(inside.slice(skip, skip + take))); // nothing staged in range
        await keyspace.commit();
        const page = decode(indexPage(keyspace, keys, skip, take));
        if (skip + take > PAGE_ENTRIES_MAX) expect(page).toBeUndefined();
        else expect(show(page!)).toEqual(show(inside.slice(skip, skip + take)));
      }),
      { numRuns: 60 },
    );
  });

  it('builds a score bound key as the header and the sortable score, or the first key past that score', () => {
    fc.assert(
      fc.property(fc.nat(2 ** 40), scoreArb, (version, score) => {
        const sortable = encodeSortableScore(score);
        expect(scoreBoundKey(version, score, false)).toEqual(Buffer.concat([indexStart(version), sortable]));
        const next = nextSortable(sortable);
        expect(scoreBoundKey(version, score, true)).toEqual(next === undefined ? undefined : Buffer.concat([indexStart(version), next]));
      }),
    );
  });

  it('finds the last entries, ranks and reverse slices of big zsets from the tail', async () => {
    const keyspace = await openKeyspace();
    const members: Array<[string, number]> = [];
    for (let index = 0; index < 3000; index++) members.push([`m${index}`, Math.floor(index / 7)]); // runs of equal scores
    for (let index = 0; index < 50; index++) members.push([`same${index}`, 9999]);
    const { record, model } = await build(keyspace, members);
    await keyspace.commit();
    for (const count of [1, 2, 10, 49, 50, 51, 500, 3049, 3050, 9999]) {
      expect(show(lastEntries(keyspace, wholeIndex(record.version), count))).toEqual(show(model.slice(-count)));
    }
    expect(show(entriesByRank(keyspace, record.version, record.count, 3040, 3049, 100))).toEqual(show(model.slice(3040, 3050)));
    expect(show(entriesByRank(keyspace, record.version, record.count, 100, 109, 100))).toEqual(show(model.slice(100, 110)));
    const whole = wholeIndex(record.version);
    expect(show(reverseSlice(keyspace, record.version, record.count, whole, 5, 10, 100))).toEqual(show(model.slice(-15, -5).reverse()));
    expect(show(reverseSlice(keyspace, record.version, record.count, whole, 3045, -1, 100))).toEqual(show(model.slice(0, 5).reverse()));
    expect(reverseSlice(keyspace, record.version, record.count, whole, -1, 10, 100)).toEqual([]);
    expect(() => entriesByRank(keyspace, record.version, record.count, 0, 200, 100)).toThrow('more than 100');
  });

  it('takes the fallback walk when members share prefixes longer than a split', async () => {
    const keyspace = await openKeyspace();
    const prefix = 'p'.repeat(400);
    const { record, model } = await build(keyspace, Array.from({ length: 300 }, (_, index) => [`${prefix}${String(index).padStart(4, '0')}`, 0] as const));
    expect(show(lastEntries(keyspace, wholeIndex(record.version), 3))).toEqual(show(model.slice(-3)));
  });

  it('splits keys strictly between two keys', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), fc.uint8Array({ maxLength: 12 }), (x, y) => {
        const [lo, hi] = [Buffer.from(x), Buffer.from(y)].sort(Buffer.compare);
        const middle = keyBetween(lo!, hi!);
        if (middle === undefined) return; // nothing between (hi = lo + "\0") or equal
        expect(Buffer.compare(middle, lo!)).toBe(1);
        expect(Buffer.compare(middle, hi!)).toBe(-1);
      }),
    );
    expect(keyBetween(b('a'), b('a\x00'))).toBeUndefined();
    expect(keyBetween(b('a'), b('b'))).toBeDefined();
  });
});

/** Redis's listpack walk, over the model (zzlIsInLexRange, zzlFirstInLexRange / zzlLastInLexRange, then on). */
function listpackLexWalk(model: readonly ScoredMember[], range: LexRange, reverse: boolean): ScoredMember[] {
  if (model.length === 0 || !gteMin(model.at(-1)!.member, range) || !lteMax(model[0]!.member, range)) return [];
  const run: ScoredMember[] = [];
  if (!reverse) {
    const start = model.findIndex(({ member }) => gteMin(member, range));
    if (start < 0 || !lteMax(model[start]!.member, range)) return [];
    for (let index = start; index < model.length && lteMax(model[index]!.member, range); index++) run.push(model[index]!);
    return run;
  }
  let end = -1;
  for (let index = model.length - 1; index >= 0; index--) if (lteMax(model[index]!.member, range)) { end = index; break; }
  if (end < 0 || !gteMin(model[end]!.member, range)) return [];
  for (let index = end; index >= 0 && gteMin(model[index]!.member, range); index--) run.push(model[index]!);
  return run;
}

describe('lexicographic ranges', () => {
  // a small alphabet, so bounds hit members and mixed scores put members out of lex order
  const lexMemberArb = fc.constantFrom('a', 'b', 'c', 'd', 'ab', '', 'zz');
  const lexMembersArb = fc.array(fc.tuple(lexMemberArb, fc.integer({ min: 0, max: 3 })), { maxLength: 12 });
  const boundArb = fc.oneof(fc.constantFrom('-', '+'), fc.tuple(fc.constantFrom('[', '('), lexMemberArb).map(([kind, text]) => kind + text));
  const run = (uniform: boolean) => fc.asyncProperty(lexMembersArb, boundArb, boundArb, fc.boolean(), fc.integer({ min: -1, max: 4 }), fc.integer({ min: -1, max: 5 }),
    async (members, minText, maxText, reverse, offset, count) => {
      const keyspace = await openKeyspace();
      const { record, model } = await build(keyspace, uniform ? members.map(([name]) => [name, 3] as const) : members);
      const range: LexRange = { min: parseLexBound(b(minText))!, max: parseLexBound(b(maxText))! };
      const walk = (backwards: boolean) => (isEmptyLexRange(range) ? [] : listpackLexWalk(model, range, backwards));
      const expected = offset < 0 || count === 0 ? [] : walk(reverse).slice(offset, count < 0 ? undefined : offset + count);
      const found = lexEntries(keyspace, record.version, range, { total: record.count, reverse, offset, count, limit: 1000 });
      expect(show(found)).toEqual(show(expected));
      expect(lexCount(keyspace, record.version, record.count, range)).toBe(walk(false).length);
    });

  it('reads one-score zsets as key ranges', async () => {
    await fc.assert(run(true), { numRuns: 80 });
  });

  it('replays Redis\'s listpack walk when scores differ', async () => {
    await fc.assert(run(false), { numRuns: 150 });
  });

  it('parses the bounds as zslParseLexRangeItem does', () => {
    expect(parseLexBound(b('+'))).toEqual({ kind: 'max' });
    expect(parseLexBound(b('-\x00x'))).toEqual({ kind: 'min' });
    expect(parseLexBound(b('-x'))).toBeUndefined();
    expect(parseLexBound(b(''))).toBeUndefined();
    expect(parseLexBound(b('a'))).toBeUndefined();
    expect(parseLexBound(b('('))).toEqual({ kind: 'value', value: b(''), exclusive: true });
  });
});

describe('encodings and -0 (Redis 7.0 zsetAdd)', () => {
  it('keeps -0 as 0 while a listpack, with its sign once a skiplist, and converts for good', async () => {
    const keyspace = await openKeyspace();
    const given = limits({ zsetListpackEntries: 2, zsetListpackValue: 4 });
    const record = newZset(keyspace, ZSET_ENCODING.listpack);
    expect(Object.is(putMember(keyspace, record, b('a'), -0, undefined, given), 0)).toBe(true);
    putMember(keyspace, record, b('b'), 1, undefined, given);
    expect(record.encoding).toBe(ZSET_ENCODING.listpack);
    expect(Object.is(putMember(keyspace, record, b('c'), -0, undefined, given), -0)).toBe(true); // converted first
    expect(record.encoding).toBe(ZSET_ENCODING.skiplist);
    expect(Object.is(scoreOf(keyspace, record, b('a')), 0)).toBe(true);
    expect(Object.is(scoreOf(keyspace, record, b('c')), -0)).toBe(true);
    removeMember(keyspace, record, b('c'));
    removeMember(keyspace, record, b('b'));
    expect(record.encoding).toBe(ZSET_ENCODING.skiplist);
    const long = newZset(keyspace, ZSET_ENCODING.listpack);
    putMember(keyspace, long, b('abcde'), 1, undefined, given);
    expect(long.encoding).toBe(ZSET_ENCODING.skiplist);
  });

  it('builds ZRANGESTORE results add by add', () => {
    const builder = new ZsetBuilder(limits({ zsetListpackEntries: 2 }), ZSET_ENCODING.listpack);
    builder.add(b('a'), -0);
    builder.add(b('b'), 1);
    builder.add(b('c'), -0);
    expect(builder.encoding).toBe(ZSET_ENCODING.skiplist);
    expect(show([...builder.members.values()])).toEqual(['a=0', 'b=1', 'c=-0']);
  });
});

describe('the algebra', () => {
  it('sums in Redis\'s order: the smallest input first, NaN as 0', async () => {
    expect(aggregate(Infinity, -Infinity, 'sum')).toBe(0);
    expect(aggregate(1, Number.NaN, 'min')).toBe(1);
    expect(aggregate(1, Number.NaN, 'max')).toBe(1);
    const keyspace = await openKeyspace();
    const small = (await build(keyspace, [['x', 0.1], ['y', Infinity]])).record;
    const other = newZset(keyspace, ZSET_ENCODING.skiplist);
    for (const [name, score] of [['x', 0.2], ['y', 1], ['z', 0.3]] as const) putMember(keyspace, other, b(name), score, undefined, ENCODING_LIMITS_DEFAULT);
    const inputs = [{ record: other, weight: 1 }, { record: small, weight: 1 }];
    expect(show(unionOf(keyspace, inputs, 'sum', 100))).toEqual(['z=0.3', 'x=0.30000000000000004', 'y=Infinity']);
    expect(show(intersectionOf(keyspace, [{ record: small, weight: 0 }, { record: other, weight: 2 }], 'sum', 100))).toEqual(['x=0.4', 'y=2']);
    expect(intersectionCount(keyspace, inputs, 1)).toBe(1);
    expect(show(differenceOf(keyspace, [{ record: other, weight: 1 }, { record: small, weight: 1 }], 100))).toEqual(['z=0.3']);
    expect(differenceOf(keyspace, [{ record: other, weight: 1 }, { record: other, weight: 1 }], 100)).toEqual([]);
    expect(intersectionOf(keyspace, [{ record: other, weight: 1 }, { record: undefined, weight: 1 }], 'sum', 100)).toEqual([]);
    expect(() => unionOf(keyspace, inputs, 'sum', 2)).toThrow('more than 2');
  });
});

describe('RDB objects', () => {
  const restore = (keyspace: Keyspace, object: readonly Buffer[], given = limits()) => {
    const payload = createObjectDumpPayload(object);
    return zsetType.restoreObject(keyspace, payload[0]!, { bytes: payload, offset: 1 }, { limits: given, valueBytesMax: 1 << 20 });
  };
  const binary = (score: number) => {
    const bytes = Buffer.alloc(8);
    bytes.writeDoubleLE(score);
    return bytes;
  };

  it('reads back what DUMP writes, and re-derives the encoding', async () => {
    const keyspace = await openKeyspace();
    const { record, model } = await build(keyspace, [['a', -0], ['b', 1.5], ['c', -Infinity]]);
    const object = zsetType.dumpObject(keyspace, record);
    expect(object[0]![0]).toBe(RDB_TYPE.zset2);
    const restored = restore(keyspace, object)!;
    expect(restored.encoding).toBe(ZSET_ENCODING.listpack);
    expect(show([...walkIndex(keyspace, wholeIndex(restored.version))])).toEqual(show(model).map((text) => text.replace('a=-0', 'a=0')));
    expect(restore(keyspace, object, limits({ zsetListpackEntries: 2 }))!.encoding).toBe(ZSET_ENCODING.skiplist);
  });

  it('reads listpack, ziplist and text-score objects, and refuses damage', async () => {
    const keyspace = await openKeyspace();
    const pairs = [b('a'), b('1'), b('b'), b('2.5'), b('c'), b('-inf')];
    const blob = (type: number, encoded: Buffer) => [Buffer.from([type]), ...encodeRdbString(encoded)];
    for (const object of [blob(RDB_TYPE.zsetListpack, encodeListpack(pairs)), blob(RDB_TYPE.zsetZiplist, encodeZiplist(pairs))]) {
      const record = restore(keyspace, object)!;
      expect(show([...walkIndex(keyspace, wholeIndex(record.version))])).toEqual(['c=-Infinity', 'a=1', 'b=2.5']);
      expect(record.encoding).toBe(ZSET_ENCODING.listpack);
    }
    expect(restore(keyspace, blob(RDB_TYPE.zsetListpack, encodeListpack([b('a'), b('1'), b('a'), b('2')])))).toBeUndefined();
    expect(restore(keyspace, blob(RDB_TYPE.zsetListpack, encodeListpack([b('a')])))).toBeUndefined();
    expect(restore(keyspace, blob(RDB_TYPE.zsetListpack, encodeListpack([])))).toBeUndefined();
    const text = [Buffer.from([RDB_TYPE.zset]), encodeRdbLength(3), ...encodeRdbString(b('x')), Buffer.from([3]), b(' 12'),
      ...encodeRdbString(b('y')), Buffer.from([254]), ...encodeRdbString(b('w')), Buffer.from([4]), b('1e2z')];
    const record = restore(keyspace, text)!;
    expect(show([...walkIndex(keyspace, wholeIndex(record.version))])).toEqual(['x=12', 'w=100', 'y=Infinity']);
    expect(restore(keyspace, [Buffer.from([RDB_TYPE.zset]), encodeRdbLength(1), ...encodeRdbString(b('x')), Buffer.from([253])])).toBeUndefined();
    expect(restore(keyspace, [Buffer.from([RDB_TYPE.zset2]), encodeRdbLength(1), ...encodeRdbString(b('x')), binary(Number.NaN)])).toBeUndefined();
    expect(restore(keyspace, [Buffer.from([RDB_TYPE.zset2]), encodeRdbLength(2), ...encodeRdbString(b('x')), binary(1)])).toBeUndefined();
    expect(restore(keyspace, [Buffer.from([RDB_TYPE.zset2]), encodeRdbLength(0)])).toBeUndefined();
  });
});
