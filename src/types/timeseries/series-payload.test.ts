// src/types/timeseries/series-payload.test.ts: MIGRATE's series object read back by RESTORE's
// loader under a new version, labels indexed; any object cut short or damaged is refused before
// anything is staged; Redis's module id encoding.
import { afterEach, describe, expect, it } from 'vitest';
import { CrashableFileSystem, Engine } from '../../../storage/index.js';
import { Keyspace, KeyspaceGarbage } from '../../keyspace/keyspace.js';
import { elementPrefix, prefixEnd } from '../../keyspace/layout.js';
import { createObjectDumpPayload } from '../dump-payload.js';
import { indexLabels } from './label-index.js';
import { SERIES_KIND, defaultSeriesState, encodeSeriesLabels, labelsKey, newSeriesRecord, rawKey, chunkKey } from './series.js';
import { RDB_TYPE_MODULE_2, moduleTypeId, restoreSeriesObject, seriesMigrationObject } from './series-payload.js';

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

function elementsOf(keyspace: Keyspace, version: number): string[] {
  const prefix = elementPrefix(version);
  return [...keyspace.elements(prefix, prefixEnd(prefix))].map((entry) => `${entry.key.subarray(prefix.length).toString('hex')}=${entry.value.toString('hex')}`);
}

async function seriesWithSamples(keyspace: Keyspace) {
  const version = keyspace.newVersion();
  const value = Buffer.alloc(8);
  value.writeDoubleBE(1.5);
  keyspace.putElement(rawKey(version, 0, 10), value);
  keyspace.putElement(rawKey(version, 0, 20), value);
  keyspace.putElement(chunkKey(version, 5), Buffer.from('chunk bytes'));
  keyspace.putElement(labelsKey(version), encodeSeriesLabels({ labels: [['room', '7']], sourceKey: undefined }));
  indexLabels(keyspace, version, [['room', '7']]);
  const record = { ...newSeriesRecord(version, { ...defaultSeriesState(), lastTs: 20, lastValue: 1.5, firstTs: 5, sealedLastTs: 5, rawCount: 2, chunkCount: 1 }), count: 3 };
  keyspace.set(0, Buffer.from('s'), record);
  await keyspace.commit();
  return record;
}

describe('series migration payload', () => {
  it('encodes module type ids as Redis does', () => {
    expect(moduleTypeId('AAAAAAAAA', 3)).toBe(3n);
    expect(moduleTypeId('________B', 0)).toBe(((((2n ** 48n) - 1n) << 6n) | 1n) << 10n);
  });

  it('restores the series under a new version with every element and its labels indexed', async () => {
    const keyspace = await openKeyspace();
    const record = await seriesWithSamples(keyspace);
    const payload = createObjectDumpPayload(seriesMigrationObject(keyspace, record));
    expect(payload[0]).toBe(RDB_TYPE_MODULE_2);
    const restored = restoreSeriesObject(keyspace, { bytes: payload, offset: 1 });
    expect(restored).toBeDefined();
    expect(restored!.version).not.toBe(record.version);
    expect(restored!.count).toBe(3);
    expect(restored!.payload).toEqual(record.payload);
    expect(elementsOf(keyspace, restored!.version)).toEqual(elementsOf(keyspace, record.version));
    expect(elementsOf(keyspace, record.version).length).toBe(4);
    const index = [...keyspace.indexEntries(Buffer.alloc(0), Buffer.alloc(64, 0xff))].filter((entry) => entry.key.includes(Buffer.from('room')));
    expect(index.length).toBe(2); // the original's entry and the restored one's
  });

  it('refuses an object cut short anywhere, or of another module, and stages nothing then', async () => {
    const keyspace = await openKeyspace();
    const record = await seriesWithSamples(keyspace);
    const object = Buffer.concat(seriesMigrationObject(keyspace, record));
    for (let length = 1; length < object.length; length += 3) {
      const payload = createObjectDumpPayload([object.subarray(0, length)]);
      expect(restoreSeriesObject(keyspace, { bytes: payload, offset: 1 }), `cut at ${length}`).toBeUndefined();
    }
    const foreign = Buffer.from(object);
    foreign.writeBigUInt64BE(moduleTypeId('TSDB-TYPE', 1), 2);
    expect(restoreSeriesObject(keyspace, { bytes: createObjectDumpPayload([foreign]), offset: 1 })).toBeUndefined();
    const badKind = Buffer.from(object);
    badKind[10 + 4 + record.payload.length + 8 + 4] = 99; // the first element's kind
    expect(restoreSeriesObject(keyspace, { bytes: createObjectDumpPayload([badKind]), offset: 1 })).toBeUndefined();
    expect(keyspace.hasStaged()).toBe(false);
    expect(Object.values(SERIES_KIND)).toContain(object[10 + 4 + record.payload.length + 8 + 4]);
  });
});
