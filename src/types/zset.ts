// src/types/zset.ts: the sorted set type. Metadata (keyspace/layout.ts) holds the version and ZCARD;
// each member is two elements, written and deleted together:
//   [ELEMENT_NAMESPACE][version u64][ZSET_KIND.member][hash64(member) u64][member] -> stored score
//   [ELEMENT_NAMESPACE][version u64][ZSET_KIND.score][sortable score u64][member]   -> '' (0x01: -0)
// (score-order.ts draws both score forms). The member elements serve ZSCORE, ZSCAN, ZRANDMEMBER
// and the algebra in hash order; the score index serves every ordered read (zset-index.ts,
// zset-lex.ts). The index entry of a -0 score is worth one byte (0x01) so an ordered read knows
// the sign without a lookup.
// Invariants:
// - count = the members present, exact: a write reads the member before it writes; a member in
//   both kinds or in neither, never in one. A command that removes the last member deletes the key.
// - Order is Redis's: score, then the member's bytes (memcmp, shorter first), -0 equal to +0.
// - encoding is Redis 7.0's (src/t_zset.c zsetAdd, zsetConvert), sticky: listpack while there are
//   at most zset-max-listpack-entries members of at most zset-max-listpack-value bytes; skiplist
//   from the first add that breaks either, for good. Only a zset built whole (the *STORE results,
//   RESTORE) starts over.
// - A listpack stores an integral score as an integer (zzlInsertAt, double2ll), so a -0 written
//   while the zset is a listpack is kept as 0, and stays 0 after it turns skiplist; a skiplist keeps -0.
import { ELEMENT_NAMESPACE, KEY_TYPE, NAMESPACE_BYTES, elementPrefix, prefixEnd, writeU64BE } from '../keyspace/layout.js';
import type { Keyspace, KeyRecord } from '../keyspace/keyspace.js';
import { formatDoubleG17 } from './number-text.js';
import { RDB_TYPE } from './dump-payload.js';
import { elementKeyOf, walkElements } from './hashed-elements.js';
import { encodeRdbLength, encodeRdbString } from './rdb-string.js';
import { DICT_ENTRY_BYTES, ROBJ_BYTES, dictBytes, jemallocSize, listpackBytes, sdsAllocBytes } from './redis-memory.js';
import { SCORE_BYTES, encodeStoredScore, readSortableScore, readStoredScore, writeSortableScore } from './score-order.js';
import type { EncodingLimits, TypeModule } from './type-module.js';
import { readRdbZset } from './zset-rdb.js';

export const ZSET_KIND = { member: 1, score: 2 } as const;
export const ZSET_ENCODING = { listpack: 0, skiplist: 1 } as const;
/** The score index's key header: [ELEMENT_NAMESPACE][version][ZSET_KIND.score]. */
export const INDEX_HEADER_BYTES = 13;
const INDEX_PLAIN = Buffer.alloc(0);
const INDEX_NEGATIVE_ZERO = Buffer.from([1]);
/** double2ll's range: a listpack holds an integral score within it as an integer. */
const LISTPACK_INTEGER_MAX = 2 ** 62;
/** Redis 7.0's skiplist: the header node (ZSKIPLIST_MAXLEVEL 32 levels), a node of one level. */
const SKIPLIST_HEADER_BYTES = 640; // jemalloc size of 24 + 32 * 16
const SKIPLIST_NODE_BYTES = 48; // jemalloc size of 24 + 16: most nodes have one level
const ZSET_STRUCT_BYTES = 16 + 32; // zset (dict*, zsl*) and zskiplist (header, tail, length, level)

export interface ScoredMember {
  member: Buffer;
  score: number;
}

export function memberKey(version: number, member: Buffer): Buffer {
  return elementKeyOf(version, ZSET_KIND.member, member);
}

/** [ELEMENT_NAMESPACE][version][ZSET_KIND.score][sortable score][member]. */
export function scoreKey(version: number, score: number, member: Buffer): Buffer {
  const key = Buffer.allocUnsafe(INDEX_HEADER_BYTES + SCORE_BYTES + member.length);
  elementPrefix(version, ZSET_KIND.score).copy(key, 0);
  writeSortableScore(score, key, INDEX_HEADER_BYTES);
  member.copy(key, INDEX_HEADER_BYTES + SCORE_BYTES);
  return key;
}

/** A score index entry as a member and its score (-0 from the entry's value). */
export function indexEntryOf(key: Buffer, value: Buffer): ScoredMember {
  return { member: key.subarray(INDEX_MEMBER_OFFSET), score: indexScoreOf(key, value) };
}

/** Where a score index key's member starts: after the header and the sortable score. */
export const INDEX_MEMBER_OFFSET = INDEX_HEADER_BYTES + SCORE_BYTES;

/** The score of a score index entry (-0 from the entry's value), without building the entry. */
export function indexScoreOf(key: Buffer, value: Buffer): number {
  return value.length === 1 && value[0] === 1 ? -0 : readSortableScore(key, INDEX_HEADER_BYTES);
}

/**
 * [ELEMENT_NAMESPACE][version][ZSET_KIND.score][sortable score], one allocation; with `past`, the
 * first key past every [..][sortable score][member] instead (the sortable bytes plus one), or
 * undefined when score's sortable bytes are all 0xff (no key is past them).
 */
export function scoreBoundKey(version: number, score: number, past: boolean): Buffer | undefined {
  const key = Buffer.allocUnsafe(INDEX_HEADER_BYTES + SCORE_BYTES);
  key.writeUInt32BE(ELEMENT_NAMESPACE, 0);
  writeU64BE(key, version, NAMESPACE_BYTES);
  key[INDEX_HEADER_BYTES - 1] = ZSET_KIND.score;
  writeSortableScore(score, key, INDEX_HEADER_BYTES);
  if (!past) return key;
  for (let index = key.length - 1; index >= INDEX_HEADER_BYTES; index--) {
    if (key[index]! < 0xff) {
      key[index]!++;
      return key;
    }
    key[index] = 0;
  }
  return undefined;
}

export function indexStart(version: number): Buffer {
  return elementPrefix(version, ZSET_KIND.score);
}

export function indexEnd(version: number): Buffer {
  const end = elementPrefix(version, ZSET_KIND.score);
  end[INDEX_HEADER_BYTES - 1] = ZSET_KIND.score + 1; // prefixEnd of the header: its last byte (the kind) plus one
  return end;
}

/** ZSCORE: the member's score, or undefined. */
export function scoreOf(keyspace: Keyspace, record: KeyRecord, member: Buffer): number | undefined {
  const stored = keyspace.element(memberKey(record.version, member));
  return stored === undefined ? undefined : readStoredScore(stored);
}

/** Every member and its score, staged ones included, in hash order. */
export function* zsetMembers(keyspace: Keyspace, record: KeyRecord): Generator<ScoredMember> {
  for (const { part, value } of walkElements(keyspace, record.version, ZSET_KIND.member)) yield { member: part, score: readStoredScore(value) };
}

/** A new, empty zset record (a fresh version); it exists once set() stages it with members. */
export function newZset(keyspace: Keyspace, encoding: number): KeyRecord {
  return { type: KEY_TYPE.zset, encoding, expireAtMs: 0, version: keyspace.newVersion(), count: 0, payload: INDEX_PLAIN };
}

/** zsetAdd's conversion: a listpack zset taking a new member turns skiplist past the thresholds. */
export function encodingAfterAdd(encoding: number, countBefore: number, member: Buffer, limits: EncodingLimits): number {
  if (encoding !== ZSET_ENCODING.listpack) return encoding;
  return countBefore + 1 > limits.zsetListpackEntries || member.length > limits.zsetListpackValue ? ZSET_ENCODING.skiplist : encoding;
}

/** The score a zset of this encoding keeps for score: a listpack's integer 0 has no sign. */
export function keptScore(score: number, encoding: number): number {
  return encoding === ZSET_ENCODING.listpack && score === 0 ? 0 : score;
}

function putElements(keyspace: Keyspace, version: number, member: Buffer, score: number): void {
  keyspace.putElement(memberKey(version, member), encodeStoredScore(score));
  keyspace.putElement(scoreKey(version, score, member), Object.is(score, -0) ? INDEX_NEGATIVE_ZERO : INDEX_PLAIN);
}

/**
 * Stages member at score into record (mutated: count, encoding). previous is the member's score
 * now (the caller read it), undefined for a new member; the caller only calls for a change.
 * Returns the score kept.
 */
export function putMember(keyspace: Keyspace, record: KeyRecord, member: Buffer, score: number, previous: number | undefined, limits: EncodingLimits): number {
  if (previous === undefined) {
    record.encoding = encodingAfterAdd(record.encoding, record.count, member, limits);
    record.count++;
  } else {
    keyspace.deleteElement(scoreKey(record.version, previous, member));
  }
  const kept = keptScore(score, record.encoding);
  putElements(keyspace, record.version, member, kept);
  return kept;
}

/** Stages the removal of a member known to hold score. */
export function removeKnownMember(keyspace: Keyspace, record: KeyRecord, member: Buffer, score: number): void {
  keyspace.deleteElement(memberKey(record.version, member));
  keyspace.deleteElement(scoreKey(record.version, score, member));
  record.count--;
}

/** Stages the removal of member; returns whether it was there. */
export function removeMember(keyspace: Keyspace, record: KeyRecord, member: Buffer): boolean {
  const score = scoreOf(keyspace, record, member);
  if (score === undefined) return false;
  removeKnownMember(keyspace, record, member, score);
  return true;
}

/**
 * A new zset holding distinct members, built whole (the *STORE results, RESTORE): staged under a
 * fresh version with the given encoding, -0 kept as 0 when that is a listpack and keepSign is off.
 */
export function zsetFrom(keyspace: Keyspace, members: Iterable<ScoredMember>, encoding: number, keepSign = false): KeyRecord {
  const record = newZset(keyspace, encoding);
  for (const { member, score } of members) {
    putElements(keyspace, record.version, member, keepSign ? score : keptScore(score, encoding));
    record.count++;
  }
  return record;
}

/** zsetConvertToListpackIfNeeded: the encoding of a zset built as a skiplist and then checked. */
export function builtEncoding(count: number, longestMemberBytes: number, limits: EncodingLimits): number {
  return count <= limits.zsetListpackEntries && longestMemberBytes <= limits.zsetListpackValue ? ZSET_ENCODING.listpack : ZSET_ENCODING.skiplist;
}

/**
 * A zset built member by member from an empty one of the given encoding, as ZRANGESTORE's
 * result handler calls zsetAdd: each add may convert it, and the score kept depends on the
 * encoding at that add.
 */
export class ZsetBuilder {
  readonly members = new Map<string, ScoredMember>();
  constructor(private readonly limits: EncodingLimits, public encoding: number) {}

  add(member: Buffer, score: number): void {
    const name = member.toString('latin1');
    const present = this.members.get(name);
    if (present !== undefined) {
      if (present.score !== score) present.score = keptScore(score, this.encoding);
      return;
    }
    this.encoding = encodingAfterAdd(this.encoding, this.members.size, member, this.limits);
    this.members.set(name, { member, score: keptScore(score, this.encoding) });
  }

  stage(keyspace: Keyspace): KeyRecord {
    return zsetFrom(keyspace, this.members.values(), this.encoding, true);
  }
}

/** What a listpack holds for a score: d2string's text, or an integer within double2ll's range. */
export function listpackScoreText(score: number): string {
  if (Number.isInteger(score) && Math.abs(score) <= LISTPACK_INTEGER_MAX) return score === 0 ? '0' : BigInt(score).toString();
  return formatDoubleG17(score);
}

/** Copies every element of version (both kinds) under a fresh version. */
function copyElements(keyspace: Keyspace, from: number, to: number): void {
  for (const entry of keyspace.elements(elementPrefix(from), prefixEnd(elementPrefix(from)))) {
    const key = Buffer.from(entry.key);
    writeU64BE(key, to, NAMESPACE_BYTES);
    keyspace.putElement(key, entry.value);
  }
}

export const zsetType: TypeModule = {
  type: KEY_TYPE.zset,
  name: 'zset',
  encoding: (record) => (record.encoding === ZSET_ENCODING.listpack ? 'listpack' : 'skiplist'),
  memoryUsage(keyspace, record, samples) {
    if (record.encoding === ZSET_ENCODING.listpack) {
      const entries: Buffer[] = [];
      for (const { member, score } of zsetMembers(keyspace, record)) entries.push(member, Buffer.from(listpackScoreText(score), 'latin1'));
      return ROBJ_BYTES + listpackBytes(entries);
    }
    let sampled = 0;
    let bytes = 0;
    for (const { member } of zsetMembers(keyspace, record)) {
      if (samples !== 0 && sampled >= samples) break;
      bytes += sdsAllocBytes(member.length) + DICT_ENTRY_BYTES + SKIPLIST_NODE_BYTES;
      sampled++;
    }
    const fixed = ROBJ_BYTES + ZSET_STRUCT_BYTES + dictBytes(record.count) + jemallocSize(SKIPLIST_HEADER_BYTES);
    return fixed + (sampled === 0 ? 0 : Math.floor((bytes / sampled) * record.count));
  },
  dumpObject(keyspace, record) {
    const parts: Buffer[] = [Buffer.from([RDB_TYPE.zset2]), encodeRdbLength(record.count)];
    for (const { member, score } of zsetMembers(keyspace, record)) {
      const binary = Buffer.allocUnsafe(SCORE_BYTES);
      binary.writeDoubleLE(score, 0);
      parts.push(...encodeRdbString(member), binary);
    }
    return parts;
  },
  copy(keyspace, record) {
    const copy = newZset(keyspace, record.encoding);
    copyElements(keyspace, record.version, copy.version);
    return { ...record, version: copy.version };
  },
  rdbTypes: [RDB_TYPE.zset, RDB_TYPE.zset2, RDB_TYPE.zsetZiplist, RDB_TYPE.zsetListpack],
  restoreObject(keyspace, rdbType, cursor, options) {
    const loaded = readRdbZset(rdbType, cursor, options.valueBytesMax); // not empty, no member twice, no NaN
    if (loaded === undefined) return undefined;
    const { limits } = options;
    if (loaded.compact) { // rdbLoadObject keeps a listpack (or a ziplist's) unless it has too many members
      const encoding = loaded.members.length > limits.zsetListpackEntries ? ZSET_ENCODING.skiplist : ZSET_ENCODING.listpack;
      return zsetFrom(keyspace, loaded.members, encoding, true);
    }
    const longest = loaded.members.reduce((most, { member }) => Math.max(most, member.length), 0);
    return zsetFrom(keyspace, loaded.members, builtEncoding(loaded.members.length, longest, limits));
  },
};
