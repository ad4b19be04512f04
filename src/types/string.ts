// src/types/string.ts: the string type's hooks. A string keeps its value inline in its metadata
// (keyspace/layout.ts), so it has no elements; what it adds is Redis's view of its encoding:
// - "int" when the value reads as a 64-bit integer in at most 20 bytes, "embstr" up to 44 bytes,
//   else "raw" (Redis's tryObjectEncoding);
// - "raw" whatever the value once APPEND (to an existing key) or SETRANGE wrote it, as Redis's
//   dbUnshareStringValue leaves it, until a command replaces the value (STRING_ENCODING.raw, kept
//   in the metadata's sticky encoding bits; EXPIRE, RENAME, MOVE and COPY keep it).
import { string2ll } from '../arguments.js';
import type { KeyRecord } from '../keyspace/keyspace.js';

export const STRING_ENCODING = { compact: 0, raw: 1 } as const;
export const EMBSTR_BYTES_MAX = 44;

export function stringEncoding(record: KeyRecord): 'int' | 'embstr' | 'raw' {
  if (record.encoding === STRING_ENCODING.raw) return 'raw';
  const payload = record.payload;
  if (payload.length <= 20 && string2ll(payload) !== undefined) return 'int';
  return payload.length <= EMBSTR_BYTES_MAX ? 'embstr' : 'raw';
}
