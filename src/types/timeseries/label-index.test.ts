// src/types/timeseries/label-index.test.ts: the label index answers which series hold a label after
// any sequence of creates, DELs, RENAMEs and MOVEs (owners it remembers are checked, never trusted),
// and a repeated query resolves its series without reading their 'ver' marks again.
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { seriesMatching } from './label-index.js';
import { createSeries } from './series-store.js';
import { createOptions, storeOpener } from './test-store.js';

const openStore = storeOpener();
const LABELED = createOptions({ labels: [['metric', 'cpu']] });
const LOOKUP = [{ name: 'metric', values: ['cpu'] }];

type Step = { kind: 'create' | 'delete'; db: number; key: number } | { kind: 'relocate'; db: number; key: number; targetDb: number; target: number };

describe('the label index', () => {
  it('finds exactly the series each database holds after creates, DELs, RENAMEs and MOVEs, queried between them', async () => {
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ kind: fc.constantFrom<'create' | 'delete'>('create', 'delete'), db: fc.nat(1), key: fc.nat(4) }),
      fc.record({ kind: fc.constant<'relocate'>('relocate'), db: fc.nat(1), key: fc.nat(4), targetDb: fc.nat(1), target: fc.nat(4) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        const store = await openStore();
        const { keyspace } = store;
        const model = [new Set<string>(), new Set<string>()]; // per db: the keys holding a series
        const keyOf = (n: number) => Buffer.from(`s${n}`);
        for (const item of steps) {
          const key = keyOf(item.key);
          if (item.kind === 'create' && keyspace.get(item.db, key) === undefined) {
            createSeries({ ...store, db: item.db }, key, LABELED);
            model[item.db]!.add(key.toString());
          } else if (item.kind === 'delete') {
            keyspace.delete(item.db, key);
            model[item.db]!.delete(key.toString());
          } else if (item.kind === 'relocate' && keyspace.get(item.db, key) !== undefined && (item.db !== item.targetDb || item.key !== item.target)) {
            keyspace.relocate(item.db, key, item.targetDb, keyOf(item.target));
            model[item.db]!.delete(key.toString());
            model[item.targetDb]!.add(keyOf(item.target).toString());
          }
          await keyspace.commit();
          for (const db of [0, 1]) {
            expect(seriesMatching(keyspace, db, LOOKUP).map(({ key: found }) => found.toString())).toEqual([...model[db]!].sort());
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('resolves the series of a repeated query without reading their owners again', async () => {
    const store = await openStore();
    for (let index = 0; index < 20; index++) createSeries(store, Buffer.from(`cpu:${index}`), LABELED);
    await store.keyspace.commit();
    expect(seriesMatching(store.keyspace, 0, LOOKUP)).toHaveLength(20);
    const owners = vi.spyOn(store.keyspace, 'ownerOf');
    expect(seriesMatching(store.keyspace, 0, LOOKUP)).toHaveLength(20);
    expect(owners).not.toHaveBeenCalled();
  });
});
