// src/types/timeseries/module.ts: the time series' type hooks for the generic commands: TYPE says
// TSDB-TYPE (RedisTimeSeries's module type name), OBJECT ENCODING says raw (as Redis says for
// module values), MEMORY USAGE estimates RedisTimeSeries's SeriesMemUsage, COPY copies samples and
// labels but no rules (CopySeries), RENAME points the rules' other ends at the new name
// (RenameSeriesTo), DUMP is refused (no RDB encoding yet).
import type { Keyspace, KeyRecord } from '../../keyspace/keyspace.js';
import { KEY_TYPE, elementPrefix, prefixEnd } from '../../keyspace/layout.js';
import type { TypeModule } from '../type-module.js';
import { indexLabels } from './label-index.js';
import { loadSeries } from './hot-state.js';
import { renameReferences } from './series-store.js';
import {
  SERIES_FLAGS, SERIES_KIND, decodeSeriesLabels, decodeSeriesState, encodeGeneration, encodeSeriesLabels, generationKey, labelsKey, rawPrefix, seriesRecord, type Series,
} from './series.js';

export const TIMESERIES_TYPE_NAME = 'TSDB-TYPE';
export const DUMP_REFUSED = 'ERR DUMP is not supported for time series keys (TSDB-TYPE) yet';
const SERIES_STRUCT_BYTES = 168; // sizeof(Series) in RedisTimeSeries 1.12, 64-bit
const LABEL_BYTES = 16; // per label: two RedisModuleString pointers

/** Copies every element starting with prefix to the same key under target instead. */
function copyElements(keyspace: Keyspace, prefix: Buffer, target: Buffer): void {
  for (const entry of [...keyspace.elements(prefix, prefixEnd(prefix))]) {
    keyspace.putElement(Buffer.concat([target, entry.key.subarray(prefix.length)]), entry.value);
  }
}

function elementBytes(keyspace: Keyspace, prefix: Buffer): number {
  let bytes = 0;
  for (const entry of keyspace.elements(prefix, prefixEnd(prefix))) bytes += entry.key.length + entry.value.length;
  return bytes;
}

export const timeseriesType: TypeModule = {
  type: KEY_TYPE.timeseries,
  name: TIMESERIES_TYPE_NAME,
  encoding: () => 'raw',
  memoryUsage(keyspace, record) {
    const info = decodeSeriesLabels(keyspace.element(labelsKey(record.version)));
    let bytes = SERIES_STRUCT_BYTES + info.labels.length * LABEL_BYTES;
    for (const [name, value] of info.labels) bytes += name.length + value.length + 2;
    const { version } = record;
    const { rawGeneration } = decodeSeriesState(record.payload); // the stored record's: a seal writes it
    return bytes + elementBytes(keyspace, elementPrefix(version, SERIES_KIND.chunk)) + elementBytes(keyspace, rawPrefix(version, rawGeneration));
  },
  dumpUnsupported: DUMP_REFUSED,
  dumpObject: () => {
    throw new Error(DUMP_REFUSED);
  },
  copy(keyspace, record): KeyRecord {
    const series: Series = loadSeries(keyspace, record); // its appends not yet recorded included
    const version = keyspace.newVersion();
    copyElements(keyspace, elementPrefix(record.version, SERIES_KIND.chunk), elementPrefix(version, SERIES_KIND.chunk));
    const { rawGeneration } = series.state; // the raw samples alone (older generations are garbage), in the same generation
    copyElements(keyspace, rawPrefix(record.version, rawGeneration), rawPrefix(version, rawGeneration));
    if (rawGeneration > 0) keyspace.putElement(generationKey(version), encodeGeneration(rawGeneration));
    const info = decodeSeriesLabels(keyspace.element(labelsKey(record.version)));
    keyspace.putElement(labelsKey(version), encodeSeriesLabels({ labels: info.labels, sourceKey: undefined }));
    indexLabels(keyspace, version, info.labels);
    series.state.flags &= ~(SERIES_FLAGS.hasRules | SERIES_FLAGS.isDestination);
    return { ...seriesRecord(series), version };
  },
  renamed(keyspace, db, source, target) {
    renameReferences({ keyspace, db }, source, target);
  },
  rdbTypes: [],
  restoreObject: () => undefined,
};
