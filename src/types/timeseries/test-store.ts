// src/types/timeseries/test-store.ts: a test helper: series stores (a keyspace over an engine on
// a CrashableFileSystem, with its own sealer) for the time series unit tests, each engine closed
// after the test that opened it, and CreateOptions with nothing set.
import { afterEach } from 'vitest';
import { CrashableFileSystem, Engine, type EngineOptions } from '../../../storage/index.js';
import { Keyspace, KeyspaceGarbage } from '../../keyspace/keyspace.js';
import { Sealer } from './sealer.js';
import type { CreateOptions } from './series-options.js';
import type { SeriesAccess } from './series-store.js';

export type TestStore = SeriesAccess & { engine: Engine; fs: CrashableFileSystem };

/** TS.CREATE's options with none given, and overrides. */
export function createOptions(overrides: Partial<CreateOptions> = {}): CreateOptions {
  return { retentionMs: undefined, chunkSizeBytes: undefined, encoding: undefined, duplicatePolicy: undefined, ignore: undefined, labels: undefined, ...overrides };
}

/**
 * Call at a test file's top level: returns a function that opens a fresh store (engine options and
 * the keyspace's clock as given); every engine it opened is closed after each test.
 */
export function storeOpener(engineOptions: Partial<EngineOptions> = {}, nowMs?: () => number): () => Promise<TestStore> {
  const opened: Engine[] = [];
  afterEach(async () => {
    for (const engine of opened.splice(0)) await engine.close().catch(() => undefined);
  });
  return async () => {
    const fs = new CrashableFileSystem();
    const garbage = new KeyspaceGarbage();
    const engine = await Engine.open({ dir: '/db', fs, syncPolicy: 'always', compactionFilter: garbage.filter, ...engineOptions });
    opened.push(engine);
    const keyspace = await Keyspace.open(engine, nowMs === undefined ? { garbage } : { garbage, nowMs });
    return { engine, fs, keyspace, db: 0, sealer: new Sealer() };
  };
}
