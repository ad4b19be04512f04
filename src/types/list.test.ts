// src/types/list.test.ts: the list type on a real Keyspace over the in-memory CrashableFileSystem:
// random edits (pushes, pops of a count, LSET, LINSERT, LREM, LTRIM) against an array model, each
// committed, after which the elements, the entry-byte count and the element keys present (none
// outside [head, tail)) must match; the shorter-side rewrites; the batch bound; Redis 7.2's
// encoding steps; and the RDB objects RESTORE reads (plain, ziplist, quicklist, quicklist 2) and
// DUMP writes.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { CrashableFileSystem, Engine } from '../../storage/index.js';
import { Keyspace, KeyspaceGarbage } from '../keyspace/keyspace.js';
import { elementPrefix, prefixEnd } from '../keyspace/layout.js';
import { RDB_TYPE } from './dump-payload.js';
import {
  LIST_ENCODING, LIST_INDEX_START, LIST_KIND, backwardElements, elementsBetween, forwardElements, growEncoding, insertAt, listLength, listRecord, listType,
  matchPositions, newListState, popElements, pushElement, quicklistNodes, readListState, removePositions, setElement, shrinkEncoding, trimList,
  type ListState,
} from './list.js';
import { encodeListpack } from './rdb-listpack.js';
import { encodeRdbLength, encodeRdbString } from './rdb-string.js';
import { encodeZiplist } from './rdb-ziplist.js';
import { listpackEntryBytes } from './redis-memory.js';
import { ENCODING_LIMITS_DEFAULT } from './type-module.js';

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
const texts = (values: Iterable<Buffer>) => [...values].map((value) => value.toString('latin1'));
const NO_BOUND = Number.MAX_SAFE_INTEGER;
const KEY = b('list');

function all(keyspace: Keyspace, state: ListState): string[] {
  return texts(forwardElements(keyspace, state, 0, listLength(state) - 1));
}

/** Element keys of the state's version present in the keyspace, staged writes included. */
function elementKeyCount(keyspace: Keyspace, state: ListState): number {
  const prefix = elementPrefix(state.record.version, LIST_KIND.element);
  return [...keyspace.elements(prefix, prefixEnd(prefix))].length;
}

function pushAll(keyspace: Keyspace, state: ListState, end: 'head' | 'tail', values: string[]): void {
  for (const value of values) pushElement(keyspace, state, end, b(value));
}

type Edit =
  | { kind: 'push'; end: 'head' | 'tail'; values: string[] }
  | { kind: 'pop'; end: 'head' | 'tail'; count: number }
  | { kind: 'set'; at: number; value: string }
  | { kind: 'insert'; at: number; value: string }
  | { kind: 'remove'; value: string; fromTail: boolean; limit: number }
  | { kind: 'trim'; from: number; to: number };

const value = fc.constantFrom('a', 'b', 'c', '', '7', '-123456', 'x'.repeat(70));
const edit: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('push' as const), end: fc.constantFrom('head' as const, 'tail' as const), values: fc.array(value, { minLength: 1, maxLength: 6 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('pop' as const), end: fc.constantFrom('head' as const, 'tail' as const), count: fc.integer({ min: 1, max: 5 }) }) },
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(30), value }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(30), value }),
  fc.record({ kind: fc.constant('remove' as const), value, fromTail: fc.boolean(), limit: fc.nat(3) }),
  fc.record({ kind: fc.constant('trim' as const), from: fc.nat(20), to: fc.nat(20) }),
);

/** Applies one edit to the real list and the model; false when the list is gone (emptied). */
function apply(keyspace: Keyspace, state: ListState, model: string[], step: Edit): void {
  const length = model.length;
  switch (step.kind) {
    case 'push':
      pushAll(keyspace, state, step.end, step.values);
      if (step.end === 'tail') model.push(...step.values);
      else model.unshift(...[...step.values].reverse());
      return;
    case 'pop': {
      const popped = texts(popElements(keyspace, state, step.end, step.count));
      const expected = step.end === 'head' ? model.splice(0, step.count) : model.splice(Math.max(0, length - step.count)).reverse();
      expect(popped).toEqual(expected);
      return;
    }
    case 'set':
      if (length === 0) return;
      setElement(keyspace, state, step.at % length, b(step.value));
      model[step.at % length] = step.value;
      return;
    case 'insert': {
      const at = step.at % (length + 1);
      expect(insertAt(keyspace, state, at, b(step.value), NO_BOUND)).toBeTypeOf('number');
      model.splice(at, 0, step.value);
      return;
    }
    case 'remove': {
      const positions = matchPositions(keyspace, state, b(step.value), step.fromTail, step.limit);
      const expected = model.flatMap((element, index) => (element === step.value ? [index] : []));
      expect(positions).toEqual(step.limit === 0 ? expected : step.fromTail ? expected.slice(-step.limit) : expected.slice(0, step.limit));
      if (positions.length === 0) return;
      expect(removePositions(keyspace, state, positions, NO_BOUND)).toBeTypeOf('number');
      for (const position of [...positions].reverse()) model.splice(position, 1);
      return;
    }
    case 'trim': {
      expect(trimList(keyspace, state, step.from, Math.min(step.to, length - 1), NO_BOUND)).toBeTypeOf('number');
      model.splice(0, model.length, ...model.slice(step.from, Math.min(step.to, length - 1) + 1));
      return;
    }
  }
}

describe('list elements', () => {
  it('follows an array through random edits, with exact entry bytes and no stray element keys', async () => {
    const keyspace = await openKeyspace();
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 25 }), async (edits) => {
        let state = newListState(keyspace);
        pushAll(keyspace, state, 'tail', ['seed']);
        const model = ['seed'];
        for (const step of edits) {
          apply(keyspace, state, model, step);
          keyspace.set(0, KEY, listRecord(state));
          await keyspace.commit();
          const stored = keyspace.get(0, KEY);
          if (model.length === 0) {
            expect(stored).toBeUndefined();
            state = newListState(keyspace);
            pushAll(keyspace, state, 'tail', ['seed']);
            model.push('seed');
            continue;
          }
          state = readListState(stored!);
          expect(all(keyspace, state)).toEqual(model);
          expect(texts(backwardElements(keyspace, state, 0, model.length - 1))).toEqual([...model].reverse());
          expect(state.entryBytes).toBe(model.reduce((sum, element) => sum + listpackEntryBytes(b(element)), 0));
          expect(elementKeyCount(keyspace, state)).toBe(model.length);
        }
        keyspace.delete(0, KEY);
        await keyspace.commit();
      }),
      { numRuns: 60 },
    );
  });

  it('reads a range and pops the same elements whether they are committed, staged or partly both', async () => {
    const keyspace = await openKeyspace();
    const state = newListState(keyspace);
    const model = Array.from({ length: 1500 }, (_, index) => `e${index}`);
    pushAll(keyspace, state, 'tail', model);
    keyspace.set(0, KEY, listRecord(state));
    const ranges = [[0, 0], [0, 99], [7, 1030], [0, 1499], [1400, 1499]] as const; // 1030 - 7 + 1 and 1500 pass PAGE_ELEMENTS_MAX
    for (const [from, to] of ranges) expect(texts(elementsBetween(keyspace, state, from, to))).toEqual(model.slice(from, to + 1)); // all staged
    await keyspace.commit();
    for (const [from, to] of ranges) expect(texts(elementsBetween(keyspace, state, from, to))).toEqual(model.slice(from, to + 1)); // none staged
    setElement(keyspace, state, 50, b('staged'));
    model[50] = 'staged';
    for (const [from, to] of ranges) expect(texts(elementsBetween(keyspace, state, from, to))).toEqual(model.slice(from, to + 1)); // one staged
    expect(texts(popElements(keyspace, state, 'tail', 3))).toEqual(model.splice(-3).reverse()); // point reads
    expect(texts(popElements(keyspace, state, 'head', 60))).toEqual(model.splice(0, 60)); // a range read over a staged element
    expect(all(keyspace, state)).toEqual(model);
  });

  it('rewrites only the shorter side for LINSERT and LREM', async () => {
    const keyspace = await openKeyspace();
    const state = newListState(keyspace);
    pushAll(keyspace, state, 'tail', Array.from({ length: 100 }, (_, index) => `e${index}`));
    keyspace.set(0, KEY, listRecord(state));
    await keyspace.commit();
    const head = state.head;
    insertAt(keyspace, state, 3, b('near-head'), NO_BOUND);
    expect([state.head, state.tail]).toEqual([head - 1, head + 100]); // 3 elements moved towards the head
    insertAt(keyspace, state, 98, b('near-tail'), NO_BOUND);
    expect([state.head, state.tail]).toEqual([head - 1, head + 101]);
    removePositions(keyspace, state, [1, 2], NO_BOUND);
    expect(state.head).toBe(head + 1);
    removePositions(keyspace, state, [listLength(state) - 2], NO_BOUND);
    expect(state.tail).toBe(head + 100);
    const model = Array.from({ length: 100 }, (_, index) => `e${index}`);
    model.splice(3, 0, 'near-head');
    model.splice(98, 0, 'near-tail');
    model.splice(1, 2);
    model.splice(model.length - 2, 1);
    expect(all(keyspace, state)).toEqual(model);
  });

  it('trims by copying what stays to a new version when fewer stay than go', async () => {
    const keyspace = await openKeyspace();
    const state = newListState(keyspace);
    pushAll(keyspace, state, 'tail', Array.from({ length: 50 }, (_, index) => `e${index}`));
    const { version } = state.record;
    expect(trimList(keyspace, state, 10, 12, NO_BOUND)).toBeGreaterThan(0);
    expect(state.record.version).not.toBe(version);
    expect([state.head, state.tail]).toEqual([LIST_INDEX_START, LIST_INDEX_START + 3]);
    expect(all(keyspace, state)).toEqual(['e10', 'e11', 'e12']);
    expect(trimList(keyspace, state, 1, 2, NO_BOUND)).toBe(21); // deletes one, by key
    expect(all(keyspace, state)).toEqual(['e11', 'e12']);
  });

  it('refuses, staging nothing, a change past the batch bound', async () => {
    const keyspace = await openKeyspace();
    const state = newListState(keyspace);
    pushAll(keyspace, state, 'tail', Array.from({ length: 40 }, () => 'v'.repeat(100)));
    keyspace.set(0, KEY, listRecord(state));
    await keyspace.commit();
    const before = { ...state };
    expect(insertAt(keyspace, state, 20, b('x'), 1000)).toBeUndefined();
    expect(removePositions(keyspace, state, [10, 30], 1000)).toBeUndefined();
    expect(trimList(keyspace, state, 15, 20, 200)).toBeUndefined();
    expect(trimList(keyspace, state, 1, 38, 20)).toBeUndefined();
    expect({ ...state }).toEqual(before);
    expect(keyspace.hasStaged()).toBe(false);
  });
});

describe('list encodings (Redis 7.2 t_list.c)', () => {
  /** A list of values with its encoding as Redis 7.2's pushes would leave it under fill. */
  function built(keyspace: Keyspace, values: string[], fill: number): ListState {
    const state = newListState(keyspace);
    for (const element of values) {
      growEncoding(state, fill, element.length, 1);
      pushElement(keyspace, state, 'tail', b(element));
    }
    return state;
  }

  // The steps of list.tcl "List listpack -> quicklist" / "quicklist -> listpack encoding conversion",
  // which a redis-server 7.2.4 followed the same way when this was written.
  it('converts a listpack past list-max-listpack-size, and back once within half of it', async () => {
    const keyspace = await openKeyspace();
    const small = built(keyspace, ['a', 'b', 'c'], 3);
    expect(small.record.encoding).toBe(LIST_ENCODING.listpack);
    const four = built(keyspace, ['a', 'b', 'c', 'd'], 3);
    expect(four.record.encoding).toBe(LIST_ENCODING.quicklist);
    popElements(keyspace, four, 'tail', 3);
    shrinkEncoding(four, 3);
    expect(four.record.encoding).toBe(LIST_ENCODING.listpack);
    const large = 'x'.repeat(5000);
    const sized = built(keyspace, ['a', 'b', 'c', large], -1);
    expect(sized.record.encoding).toBe(LIST_ENCODING.quicklist);
    popElements(keyspace, sized, 'tail', 1);
    shrinkEncoding(sized, -1);
    expect(sized.record.encoding).toBe(LIST_ENCODING.listpack);
    const zero = built(keyspace, ['a'], 0);
    expect(zero.record.encoding).toBe(LIST_ENCODING.listpack);
    growEncoding(zero, 0, 1, 1);
    expect(zero.record.encoding).toBe(LIST_ENCODING.quicklist);
    const clamped = built(keyspace, ['x'.repeat(60000)], -6); // -6 counts as -5: 64 KiB
    expect(clamped.record.encoding).toBe(LIST_ENCODING.listpack);
    growEncoding(clamped, -6, 5536, 1);
    expect(clamped.record.encoding).toBe(LIST_ENCODING.quicklist);
  });

  it('groups DUMP nodes as Redis 7.0 fills them (8 KiB per node at -2, a count at a positive fill)', () => {
    const sizes = (nodes: Iterable<Buffer[]>) => [...nodes].map((node) => node.length);
    expect(sizes(quicklistNodes(Array.from({ length: 10 }, () => b('x'.repeat(1000))), -2))).toEqual([8, 2]);
    expect(sizes(quicklistNodes(Array.from({ length: 7 }, () => b('a')), 3))).toEqual([3, 3, 1]);
    expect(sizes(quicklistNodes([b('x'.repeat(9000)), b('a')], -2))).toEqual([1, 1]);
  });
});

describe('list RDB objects', () => {
  const elements = ['a', '', '12', '-9223372036854775808', 'x'.repeat(100)];
  const limits = ENCODING_LIMITS_DEFAULT;
  const restore = (keyspace: Keyspace, rdbType: number, body: Buffer[]) =>
    listType.restoreObject(keyspace, rdbType, { bytes: Buffer.concat(body), offset: 0 }, { limits, valueBytesMax: 1 << 20 });

  it('reads the plain, ziplist, quicklist and quicklist 2 objects', async () => {
    const keyspace = await openKeyspace();
    const payloads: Array<[number, Buffer[]]> = [
      [RDB_TYPE.list, [encodeRdbLength(elements.length), ...elements.flatMap((element) => encodeRdbString(b(element)))]],
      [RDB_TYPE.listZiplist, encodeRdbString(encodeZiplist(elements.map(b)))],
      [RDB_TYPE.listQuicklist, [encodeRdbLength(2), ...encodeRdbString(encodeZiplist(elements.slice(0, 2).map(b))), ...encodeRdbString(encodeZiplist(elements.slice(2).map(b)))]],
      [RDB_TYPE.listQuicklist2, [encodeRdbLength(3), encodeRdbLength(2), ...encodeRdbString(encodeListpack(elements.slice(0, 3).map(b))),
        encodeRdbLength(2), ...encodeRdbString(encodeListpack([])), encodeRdbLength(1), ...encodeRdbString(b(elements.slice(3).join('')))]],
    ];
    for (const [rdbType, body] of payloads) {
      const record = restore(keyspace, rdbType, body);
      expect(record).toBeDefined();
      const expected = rdbType === RDB_TYPE.listQuicklist2 ? [...elements.slice(0, 3), elements.slice(3).join('')] : elements;
      expect(all(keyspace, readListState(record!))).toEqual(expected);
      keyspace.discardStaged();
    }
  });

  it('refuses an empty list, a bad container and a damaged listpack', async () => {
    const keyspace = await openKeyspace();
    expect(restore(keyspace, RDB_TYPE.list, [encodeRdbLength(0)])).toBeUndefined();
    expect(restore(keyspace, RDB_TYPE.listQuicklist2, [encodeRdbLength(1), encodeRdbLength(2), ...encodeRdbString(encodeListpack([]))])).toBeUndefined();
    expect(restore(keyspace, RDB_TYPE.listQuicklist2, [encodeRdbLength(1), encodeRdbLength(3), ...encodeRdbString(encodeListpack([b('a')]))])).toBeUndefined();
    const damaged = encodeListpack([b('a'), b('b')]);
    damaged[damaged.length - 1] = 0;
    expect(restore(keyspace, RDB_TYPE.listQuicklist2, [encodeRdbLength(1), encodeRdbLength(2), ...encodeRdbString(damaged)])).toBeUndefined();
    expect(restore(keyspace, RDB_TYPE.list, [encodeRdbLength(3), ...encodeRdbString(b('a'))])).toBeUndefined(); // cut short
  });

  it('reads back what DUMP writes', async () => {
    const keyspace = await openKeyspace();
    const state = newListState(keyspace);
    const many = Array.from({ length: 500 }, (_, index) => (index % 3 === 0 ? String(index) : `element-${index}-${'y'.repeat(index % 50)}`));
    pushAll(keyspace, state, 'tail', many);
    const object = Buffer.concat(listType.dumpObject(keyspace, listRecord(state)));
    expect([object[0], object[1]]).toEqual([RDB_TYPE.listQuicklist2, 2]); // two nodes
    const copy = listType.restoreObject(keyspace, object[0]!, { bytes: object, offset: 1 }, { limits, valueBytesMax: 1 << 20 });
    expect(all(keyspace, readListState(copy!))).toEqual(many);
    expect(copy!.encoding).toBe(LIST_ENCODING.quicklist);
  });
});
