// src/types/timeseries/series-payload.ts: a time series as a RESTORE payload object, tskv to tskv
// only, so MIGRATE (redis-cli --cluster reshard) moves series although DUMP refuses them (their
// RDB form is RedisTimeSeries's, not written yet). The object is an RDB module value
// (RDB_TYPE_MODULE_2) of a module type tskv alone names, so Redis, lacking that module, answers
// "Bad data format" instead of misreading it:
//   offset  bytes  field
//   0       1      7 (RDB_TYPE_MODULE_2)
//   1       9      module id: 0x81 (RDB 64-bit length), then the id of module type 'tskv-tsdb'
//                  encoding version 2, u64 big-endian (Redis's moduleTypeEncodeId)
//   10      4      state bytes n, u32 BE; then the series state (series.ts metadata payload)
//           8      sample count, u64 BE
//           4      element count, u32 BE; then per element (chunks, the raw samples of the state's
//                  raw generation, rules, labels, generation): kind u8, tail bytes u32 BE, tail,
//                  value bytes u32 BE, value
// Invariants:
// - A restored series gets a new version: its elements are copied under it and its labels
//   indexed, exactly as TS.CREATE + writes would have left them; the expiry is RESTORE's.
// - restore stages nothing until the whole object has been read and checked (undefined = "Bad
//   data format"); it never reads past the payload's footer.
import type { Keyspace, KeyRecord } from '../../keyspace/keyspace.js';
import { KEY_TYPE, elementPrefix, prefixEnd, readU64BE, writeU64BE } from '../../keyspace/layout.js';
import { DUMP_FOOTER_BYTES } from '../dump-payload.js';
import type { RdbCursor } from '../rdb-string.js';
import { indexLabels } from './label-index.js';
import type { Label } from './sample.js';
import { loadSeries } from './hot-state.js';
import { SERIES_KIND, SERIES_PAYLOAD_BYTES, decodeSeriesLabels, seriesRecord } from './series.js';

export const RDB_TYPE_MODULE_2 = 7;
const RDB_64BIT_LEN = 0x81;
const MODULE_NAME = 'tskv-tsdb';
const MODULE_ENCODING_VERSION = 2; // 2: the state holds rawGeneration, raw samples' tails theirs
const MODULE_CHARSET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const KINDS: ReadonlySet<number> = new Set(Object.values(SERIES_KIND));

/** Redis's moduleTypeEncodeId: 9 characters of 6 bits, then a 10-bit encoding version. */
export function moduleTypeId(name: string, encodingVersion: number): bigint {
  let id = 0n;
  for (const char of name) id = (id << 6n) | BigInt(MODULE_CHARSET.indexOf(char));
  return (id << 10n) | BigInt(encodingVersion);
}

export const SERIES_MODULE_ID = moduleTypeId(MODULE_NAME, MODULE_ENCODING_VERSION);

function u32(value: number): Buffer {
  const bytes = Buffer.allocUnsafe(4);
  bytes.writeUInt32BE(value, 0);
  return bytes;
}

/** The object (type byte first) for createObjectDumpPayload. */
export function seriesMigrationObject(keyspace: Keyspace, stored: KeyRecord): Buffer[] {
  const series = loadSeries(keyspace, stored);
  const record = seriesRecord(series); // its appends not yet recorded included
  const head = Buffer.allocUnsafe(10);
  head[0] = RDB_TYPE_MODULE_2;
  head[1] = RDB_64BIT_LEN;
  head.writeBigUInt64BE(SERIES_MODULE_ID, 2);
  const count = Buffer.allocUnsafe(8);
  writeU64BE(count, record.count, 0);
  const parts: Buffer[] = [head, u32(record.payload.length), record.payload, count];
  const elements: Buffer[] = [];
  let elementCount = 0;
  const prefix = elementPrefix(record.version);
  for (const entry of keyspace.elements(prefix, prefixEnd(prefix))) {
    const tail = entry.key.subarray(prefix.length + 1);
    if (entry.key[prefix.length] === SERIES_KIND.raw && tail.readUInt32BE(0) !== series.state.rawGeneration) continue; // an older raw generation: garbage
    elements.push(Buffer.from([entry.key[prefix.length] as number]), u32(tail.length), tail, u32(entry.value.length), entry.value);
    elementCount++;
  }
  return [...parts, u32(elementCount), ...elements];
}

/** Reads the object after its type byte; stages the series under a new version, or returns undefined. */
export function restoreSeriesObject(keyspace: Keyspace, cursor: RdbCursor): KeyRecord | undefined {
  const { bytes } = cursor;
  const end = bytes.length - DUMP_FOOTER_BYTES;
  let at = cursor.offset;
  const take = (length: number): Buffer | undefined => {
    if (length < 0 || at + length > end) return undefined;
    const slice = bytes.subarray(at, at + length);
    at += length;
    return slice;
  };
  const word = (): number | undefined => take(4)?.readUInt32BE(0);
  const id = take(9);
  if (id === undefined || id[0] !== RDB_64BIT_LEN || id.readBigUInt64BE(1) !== SERIES_MODULE_ID) return undefined;
  const stateLength = word();
  const state = stateLength === undefined ? undefined : take(stateLength);
  const countBytes = take(8);
  const elementCount = word();
  if (state === undefined || state.length !== SERIES_PAYLOAD_BYTES || countBytes === undefined || elementCount === undefined) return undefined;
  const elements: { kind: number; tail: Buffer; value: Buffer }[] = [];
  let labels: Label[] = [];
  for (let index = 0; index < elementCount; index++) {
    const kind = take(1)?.[0];
    const tailLength = word();
    const tail = tailLength === undefined ? undefined : take(tailLength);
    const valueLength = word();
    const value = valueLength === undefined ? undefined : take(valueLength);
    if (kind === undefined || !KINDS.has(kind) || tail === undefined || value === undefined) return undefined;
    if (kind === SERIES_KIND.labels) {
      try {
        labels = decodeSeriesLabels(value).labels;
      } catch {
        return undefined; // a labels element cut short
      }
    }
    elements.push({ kind, tail, value });
  }
  cursor.offset = at;
  const version = keyspace.newVersion();
  for (const { kind, tail, value } of elements) keyspace.putElement(Buffer.concat([elementPrefix(version, kind), tail]), Buffer.from(value));
  indexLabels(keyspace, version, labels);
  return { type: KEY_TYPE.timeseries, encoding: 0, expireAtMs: 0, version, count: readU64BE(countBytes, 0), payload: Buffer.from(state) };
}
