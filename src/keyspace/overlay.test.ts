// src/keyspace/overlay.test.ts: the staged overlay's range walks against a model, with many staged
// ops interleaved with walks (the sorted-slot path past SORTED_OPS_MIN) and few (the plain path).
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { CrashableFileSystem, Engine } from '../../storage/index.js';
import { SORTED_OPS_MIN, StagedOverlay } from './overlay.js';

const opened: Engine[] = [];
afterEach(async () => {
  for (const engine of opened.splice(0)) await engine.close().catch(() => undefined);
});

type Step = { kind: 'put' | 'delete'; key: number } | { kind: 'walk'; from: number; to: number };
const keyOf = (n: number) => Buffer.from(`k${String(n).padStart(4, '0')}`);

describe('StagedOverlay', () => {
  it('walks staged puts over the engine and hides staged deletes, in key order, whatever the number staged', async () => {
    const engine = await Engine.open({ dir: '/db', fs: new CrashableFileSystem() });
    opened.push(engine);
    await engine.write(Array.from({ length: 300 }, (_, n) => ({ kind: 'put' as const, key: keyOf(n * 3), value: Buffer.from('engine') })));
    const step = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constantFrom<'put' | 'delete'>('put', 'delete'), key: fc.integer({ min: 0, max: 999 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant<'walk'>('walk'), from: fc.integer({ min: 0, max: 999 }), to: fc.integer({ min: 0, max: 1000 }) }) },
    );
    await fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: SORTED_OPS_MIN * 8 }), (steps: Step[]) => {
        const overlay = new StagedOverlay(engine);
        const model = new Map<string, string | undefined>();
        for (let n = 0; n < 300; n++) model.set(keyOf(n * 3).toString(), 'engine');
        for (const item of steps) {
          if (item.kind === 'walk') {
            const start = keyOf(item.from);
            const end = keyOf(item.to);
            const walked = [...overlay.entries(start, end)].map((entry) => `${entry.key.toString()}=${entry.value.toString()}`);
            const expected = [...model.entries()].filter(([key, value]) => value !== undefined && key >= start.toString() && key < end.toString())
              .sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, value]) => `${key}=${value}`);
            expect(walked).toEqual(expected);
            expect(overlay.enginePage(start, end, 10) === undefined).toBe(steps.slice(0, steps.indexOf(item)).some((other) => other.kind !== 'walk' && other.key >= item.from && other.key < item.to));
          } else if (item.kind === 'put') {
            overlay.put(keyOf(item.key), Buffer.from(`staged${item.key}`), 0);
            model.set(keyOf(item.key).toString(), `staged${item.key}`);
          } else {
            overlay.delete(keyOf(item.key));
            model.set(keyOf(item.key).toString(), undefined);
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});
