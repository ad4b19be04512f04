// src/keyspace/overlay.test.ts: the staged overlay's range walks against a model, with many staged
// ops interleaved with walks (the sorted-slot path past SORTED_OPS_MIN) and few (the plain path).
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CrashableFileSystem, Engine } from '../../storage/index.js';
import { INDEX_OPS_MIN, SORTED_OPS_MIN, StagedOverlay } from './overlay.js';

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

  it('keeps one op per key, the last staged, past the index threshold, without building a string per key', async () => {
    const engine = await Engine.open({ dir: '/db', fs: new CrashableFileSystem() });
    opened.push(engine);
    const key = fc.uint8Array({ maxLength: 6 }).map((bytes) => Buffer.from(bytes));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(key, fc.boolean()), { minLength: INDEX_OPS_MIN + 1, maxLength: 200 }), async (steps) => {
        const overlay = new StagedOverlay(engine);
        const model = new Map<string, string | undefined>();
        const strings = vi.spyOn(Buffer.prototype, 'toString');
        steps.forEach(([stagedKey, isPut], at) => {
          if (isPut) overlay.put(stagedKey, Buffer.from(String(at)), 0);
          else overlay.delete(stagedKey);
          model.set(stagedKey.toString('hex'), isPut ? String(at) : undefined);
          const looked = overlay.lookup(stagedKey);
          expect(looked?.value.equals(Buffer.from(String(at)))).toBe(isPut ? true : undefined);
        });
        const stringsBuilt = strings.mock.calls.filter(([encoding]) => encoding !== 'hex').length; // the model's own are hex
        strings.mockRestore();
        expect(stringsBuilt).toBe(0);
        const ops = overlay.takeWriteOps();
        expect(ops.map((op) => op.key.toString('hex')).sort()).toEqual([...model.keys()].sort());
        for (const op of ops) expect(op.kind === 'put' ? op.value.toString() : undefined).toBe(model.get(op.key.toString('hex')));
      }),
      { numRuns: 100 },
    );
  });
});
