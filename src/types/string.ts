// src/types/string.ts: the string type's hooks. A string keeps its value inline in its metadata
// (keyspace/layout.ts), so it has no elements; what it adds is Redis's view of its encoding:
// - "int" when the value reads as a 64-bit integer in at most 20 bytes, "embstr" up to 44 bytes,
//   else "raw" (Redis's tryObjectEncoding);
// - "raw" whatever the value once APPEND (to an existing key) or SETRANGE wrote it, as Redis's
//   dbUnshareStringValue leaves it, until a command replaces the value (STRING_ENCODING.raw, kept
//   in the metadata's sticky encoding bits; EXPIRE, RENAME, MOVE and COPY keep it).
import { string2ll } from './number-text.js';
import { RDB_TYPE } from './dump-payload.js';
import type { KeyRecord } from '../keyspace/keyspace.js';
import { KEY_TYPE } from '../keyspace/layout.js';
import { decodeRdbString, encodeRdbString } from './rdb-string.js';
import { ROBJ_BYTES, jemallocSize, sdsAllocBytes } from './redis-memory.js';
import type { TypeModule } from './type-module.js';

export const STRING_ENCODING = { compact: 0, raw: 1 } as const;
export const EMBSTR_BYTES_MAX = 44;

export function stringEncoding(record: KeyRecord): 'int' | 'embstr' | 'raw' {
  if (record.encoding === STRING_ENCODING.raw) return 'raw';
  const payload = record.payload;
  if (payload.length <= 20 && string2ll(payload) !== undefined) return 'int';
  return payload.length <= EMBSTR_BYTES_MAX ? 'embstr' : 'raw';
}

function valueBytes(record: KeyRecord): number {
  const length = record.payload.length;
  switch (stringEncoding(record)) {
    case 'int':
      return ROBJ_BYTES; // the integer lives in the object's pointer
    case 'embstr':
      return jemallocSize(ROBJ_BYTES + 3 + length + 1); // object and sdshdr8 in one allocation
    default:
      return ROBJ_BYTES + sdsAllocBytes(length);
  }
}

export const stringType: TypeModule = {
  type: KEY_TYPE.string,
  name: 'string',
  encoding: stringEncoding,
  memoryUsage: (_keyspace, record) => valueBytes(record),
  dumpObject: (_keyspace, record) => [Buffer.from([RDB_TYPE.string]), ...encodeRdbString(record.payload)],
  copy: (_keyspace, record) => record,
  rdbTypes: [RDB_TYPE.string],
  restoreObject(_keyspace, _rdbType, cursor, options) {
    const value = decodeRdbString(cursor, options.valueBytesMax);
    return value === undefined ? undefined : { type: KEY_TYPE.string, encoding: STRING_ENCODING.compact, expireAtMs: 0, version: 0, count: 0, payload: value };
  },
};
