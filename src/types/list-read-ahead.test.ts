// src/types/list-read-ahead.test.ts: pops served from the read-ahead entry return what the
// keyspace holds after each kind of write that can change an element the entry holds (each test
// fails without its forgetReadAhead call, or without the stagedResets check), and the bounds.
import { afterEach, describe, expect, it } from 'vitest';
import { CrashableFileSystem, Engine } from '../../storage/index.js';
import { Keyspace, KeyspaceGarbage } from '../keyspace/keyspace.js';
import {
  insertAt, listElementKey, listLength, listRecord, newListState, popElements, pushElement, readListState, removePositions, reserveElements, setElement, stageElements,
  trimList, type ListEnd, type ListState,
} from './list.js';
import { READ_AHEAD_ELEMENTS, READ_AHEAD_LISTS_MAX, readAheadEntries } from './list-read-ahead.js';

const opened: Engine[] = [];

async function openKeyspace(): Promise<{ engine: Engine; keyspace: Keyspace }> {
  const garbage = new KeyspaceGarbage();
  const engine = await Engine.open({ dir: '/db', fs: new CrashableFileSystem(), syncPolicy: 'always', compactionFilter: garbage.filter });
  opened.push(engine);
  return { engine, keyspace: await Keyspace.open(engine, { garbage }) };
}

afterEach(async () => {
  for (const engine of opened.splice(0)) await engine.close().catch(() => undefined);
});

const b = (text: string) => Buffer.from(text, 'latin1');
const KEY = b('list');

/** A committed list of values, head to tail. */
async function makeList(keyspace: Keyspace, values: string[], key = KEY): Promise<void> {
  const state = newListState(keyspace);
  for (const value of values) pushElement(keyspace, state, 'tail', b(value));
  keyspace.set(0, key, listRecord(state));
  await keyspace.commit();
}

/** Runs one command's change on the committed list and commits it. */
async function change(keyspace: Keyspace, edit: (state: ListState) => void, key = KEY): Promise<void> {
  const state = readListState(keyspace.get(0, key)!);
  edit(state);
  keyspace.set(0, key, listRecord(state));
  await keyspace.commit();
}

async function pop(keyspace: Keyspace, end: ListEnd, key = KEY): Promise<string> {
  let value = '';
  await change(keyspace, (state) => { value = popElements(keyspace, state, end, 1)[0]!.toString('latin1'); }, key);
  return value;
}

const letters = (count: number) => Array.from({ length: count }, (_, index) => `e${index}`);

describe('list read-ahead', () => {
  it('serves a run of pops from one read, the same values as point reads', async () => {
    const { keyspace } = await openKeyspace();
    await makeList(keyspace, letters(80));
    const popped: string[] = [];
    for (let index = 0; index < 40; index++) popped.push(await pop(keyspace, 'tail'));
    for (let index = 0; index < 40; index++) popped.push(await pop(keyspace, 'head'));
    expect(popped).toEqual([...letters(80).slice(40).reverse(), ...letters(40)]);
  });

  it('sees LSET of an element the entry holds', async () => {
    const { keyspace } = await openKeyspace();
    await makeList(keyspace, letters(10));
    expect([await pop(keyspace, 'tail'), await pop(keyspace, 'tail')]).toEqual(['e9', 'e8']);
    await change(keyspace, (state) => setElement(keyspace, state, listLength(state) - 1, b('x')));
    expect(await pop(keyspace, 'tail')).toBe('x');
  });

  it('sees LINSERT and LREM moving the elements the entry holds', async () => {
    for (const edit of ['linsert', 'lrem'] as const) {
      const { keyspace } = await openKeyspace();
      const model = letters(20);
      await makeList(keyspace, model);
      expect([await pop(keyspace, 'tail'), await pop(keyspace, 'tail')]).toEqual([model.pop(), model.pop()]); // the entry holds the other 18
      // the head side is shorter: its elements move one slot over, onto indexes the entry holds
      if (edit === 'linsert') await change(keyspace, (state) => { insertAt(keyspace, state, 5, b('i'), Number.MAX_SAFE_INTEGER); });
      else await change(keyspace, (state) => { removePositions(keyspace, state, [5], Number.MAX_SAFE_INTEGER); });
      if (edit === 'linsert') model.splice(5, 0, 'i');
      else model.splice(5, 1);
      const popped: string[] = [];
      while (popped.length < model.length) popped.push(await pop(keyspace, 'tail'));
      expect(popped).toEqual([...model].reverse());
    }
  });

  it('sees a push onto an index a delete at the other end freed (pushElement and the command path)', async () => {
    for (const viaCommand of [false, true]) {
      const { keyspace } = await openKeyspace();
      await makeList(keyspace, ['a', 'b', 'c', 'd', 'e']);
      expect([await pop(keyspace, 'tail'), await pop(keyspace, 'tail')]).toEqual(['e', 'd']);
      await change(keyspace, (state) => { trimList(keyspace, state, 1, listLength(state) - 1, Number.MAX_SAFE_INTEGER); }); // deletes 'a'
      await change(keyspace, (state) => {
        if (!viaCommand) return pushElement(keyspace, state, 'head', b('x'));
        stageElements(keyspace, state, reserveElements(state, 'head', [b('x')]), [b('x')]);
      });
      expect([await pop(keyspace, 'tail'), await pop(keyspace, 'tail'), await pop(keyspace, 'tail')]).toEqual(['c', 'b', 'x']);
    }
  });

  it('starts over after a read-only spell (a replica whose primary rewrote the elements)', async () => {
    const { engine, keyspace } = await openKeyspace();
    await makeList(keyspace, letters(10));
    expect([await pop(keyspace, 'tail'), await pop(keyspace, 'tail')]).toEqual(['e9', 'e8']);
    const state = readListState(keyspace.get(0, KEY)!);
    keyspace.setReadOnly(true);
    await engine.write([{ kind: 'put', key: listElementKey(state.record.version, state.tail - 1), value: b('y') }]); // the primary's LSET
    keyspace.setReadOnly(false);
    expect(await pop(keyspace, 'tail')).toBe('y');
  });

  it('holds at most READ_AHEAD_LISTS_MAX lists', async () => {
    const { keyspace } = await openKeyspace();
    const lists = READ_AHEAD_LISTS_MAX + 3;
    for (let index = 0; index < lists; index++) await makeList(keyspace, letters(READ_AHEAD_ELEMENTS + 2), b(`list${index}`));
    for (let index = 0; index < lists; index++) {
      expect(await pop(keyspace, 'head', b(`list${index}`))).toBe('e0');
      expect(await pop(keyspace, 'head', b(`list${index}`))).toBe('e1');
    }
    expect(readAheadEntries(keyspace)).toBe(READ_AHEAD_LISTS_MAX);
  });
});
