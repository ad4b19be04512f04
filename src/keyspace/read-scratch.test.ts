// src/keyspace/read-scratch.test.ts: reads (get, getStored, exists) build their metadata key in a
// scratch Buffer that the next read of a key as long rewrites (keyspace.ts, locate). Random
// commands over keys of one length, so every read reuses the one scratch, against a Map model,
// with the data spread over memtable and tables at random (engine.flush between commands):
// - getStored agrees with get (the record's header and payload) and with the model: a live key's
//   value, absent for a deleted or expired one; exists says the same;
// - a command that reads keys and then writes or lazily expires one of them stages that key, not
//   whichever key the scratch holds by then: after the commit every key reads as the model says,
//   and DBSIZE equals the keys present (live or expired, not yet reaped).
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { CrashableFileSystem, Engine } from '../../storage/index.js';
import { decodeRecord, stringPayloadOffset } from './layout.js';
import { KEY_TYPE, Keyspace, type KeyRecord } from './keyspace.js';

const KEYS = ['key:0000', 'key:0001', 'key:0002', 'key:0003', 'key:0004']; // one length: one scratch
const opened: Engine[] = [];

afterEach(async () => {
  for (const engine of opened.splice(0)) await engine.close().catch(() => undefined);
});

const str = (payload: string, expireAtMs: number): KeyRecord => ({ type: KEY_TYPE.string, encoding: 0, expireAtMs, version: 0, count: 0, payload: Buffer.from(payload) });

type Step =
  | { kind: 'read'; key: number; how: 'get' | 'getStored' | 'exists' }
  | { kind: 'set'; key: number; value: string; ttlMs: number } // ttlMs 0: no expiry
  | { kind: 'delete'; key: number };

interface Present { value: string; expireAtMs: number }

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('read' as const), key: fc.nat(KEYS.length - 1), how: fc.constantFrom('get' as const, 'getStored' as const, 'exists' as const) }),
  fc.record({ kind: fc.constant('set' as const), key: fc.nat(KEYS.length - 1), value: fc.string({ maxLength: 6 }), ttlMs: fc.constantFrom(0, 0, 5, 50) }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.nat(KEYS.length - 1) }),
);
/** A command: its steps staged one after another, committed once; then maybe a flush and time passing. */
const commandArbitrary = fc.record({ steps: fc.array(stepArbitrary, { minLength: 1, maxLength: 5 }), flush: fc.boolean(), advanceMs: fc.constantFrom(0, 0, 10, 100) });

function storedPayload(stored: Buffer | undefined): string | undefined {
  return stored === undefined ? undefined : stored.subarray(stringPayloadOffset(stored)).toString();
}

describe('reads through the metadata key scratch', () => {
  it('agree with get() and a model, and never stage the scratch in place of the key read', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(commandArbitrary, { minLength: 1, maxLength: 25 }), async (commands) => {
        const engine = await Engine.open({ dir: '/db', fs: new CrashableFileSystem(), syncPolicy: 'always' });
        opened.push(engine);
        let now = 1_000_000;
        const keyspace = await Keyspace.open(engine, { nowMs: () => now });
        const model = new Map<string, Present>(); // keys present, expired ones included until reaped
        const live = (name: string) => {
          const present = model.get(name);
          return present !== undefined && (present.expireAtMs === 0 || present.expireAtMs > now) ? present : undefined;
        };
        const reap = (name: string) => {
          if (model.has(name) && live(name) === undefined) model.delete(name);
        };
        for (const command of commands) {
          for (const step of command.steps) {
            const name = KEYS[step.key]!;
            const key = Buffer.from(name); // a new Buffer per step, as a command's argument
            if (step.kind === 'read') {
              const expected = live(name)?.value;
              if (step.how === 'exists') expect(keyspace.exists(0, key)).toBe(expected !== undefined);
              else if (step.how === 'get') expect(keyspace.get(0, key)?.payload.toString()).toBe(expected);
              else expect(storedPayload(keyspace.getStored(0, key))).toBe(expected);
              if (step.how !== 'exists') reap(name); // lazy expiry
            } else if (step.kind === 'set') {
              keyspace.set(0, key, str(step.value, step.ttlMs === 0 ? 0 : now + step.ttlMs));
              model.set(name, { value: step.value, expireAtMs: step.ttlMs === 0 ? 0 : now + step.ttlMs });
            } else {
              keyspace.delete(0, key);
              model.delete(name);
            }
          }
          await keyspace.commit();
          if (command.flush) await engine.flush();
          now += command.advanceMs;
          for (const name of KEYS) {
            const stored = keyspace.getStored(0, Buffer.from(name));
            const record = keyspace.get(0, Buffer.from(name));
            expect(storedPayload(stored)).toBe(live(name)?.value);
            if (stored !== undefined) expect(record).toEqual(decodeRecord(stored));
            else expect(record).toBeUndefined();
          }
          keyspace.discardStaged(); // the check's lazy-expiry deletes: reaped by the next command instead
          expect(keyspace.dbSize(0)).toBe(model.size);
        }
        await engine.close();
      }),
      { numRuns: 60 },
    );
  });
});
