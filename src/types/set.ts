// src/types/set.ts: the set type. Metadata (keyspace/layout.ts) holds the version and SCARD; each
// member is one element:
//   [ELEMENT_NAMESPACE][version u64][SET_KIND.member][hash64(member) u64][member] -> ''
// Invariants:
// - count = the members present, exact: an add reads the member before it writes (a member
//   repeated in one command counts once); a command that removes the last member deletes the key.
// - encoding is Redis 7.2's (src/t_set.c setTypeCreate, setTypeMaybeConvert, setTypeAddAux), and
//   sticky: intset while every member is an integer (string2ll) and there are at most
//   set-max-intset-entries; listpack while there are at most set-max-listpack-entries members of
//   at most set-max-listpack-value bytes; hashtable once either breaks. Removing members never
//   converts back; only a set rebuilt whole (SPOP of most members, the *STORE results) starts over.
// - Members come out in hash order (Redis: insertion order for listpack, value order for intset,
//   table order for hashtable).
import { string2ll } from './number-text.js';
import { RDB_TYPE } from './dump-payload.js';
import type { Keyspace, KeyRecord } from '../keyspace/keyspace.js';
import { KEY_TYPE } from '../keyspace/layout.js';
import { encodeRdbLength, encodeRdbString } from './rdb-string.js';
import { readRdbSet } from './rdb-objects.js';
import { elementKeyOf, walkElements } from './hashed-elements.js';
import { DICT_ENTRY_BYTES, ROBJ_BYTES, dictBytes, intsetBytes, listpackBytes, sdsAllocBytes } from './redis-memory.js';
import type { EncodingLimits, TypeModule } from './type-module.js';

export const SET_KIND = { member: 1 } as const;
export const SET_ENCODING = { intset: 0, listpack: 1, hashtable: 2 } as const;
export const SET_ENCODING_NAMES = ['intset', 'listpack', 'hashtable'] as const;
/** intsetMaxEntries: Redis caps the intset at 2^30 entries whatever the config says. */
export const INTSET_ENTRIES_MAX = 2 ** 30;
/** The longest member an intset can hold: "-9223372036854775808". */
const INTEGER_MEMBER_BYTES_MAX = 20;
const EMPTY = Buffer.alloc(0);

export function memberKey(version: number, member: Buffer): Buffer {
  return elementKeyOf(version, SET_KIND.member, member);
}

export function isMember(keyspace: Keyspace, record: KeyRecord, member: Buffer): boolean {
  return keyspace.element(memberKey(record.version, member)) !== undefined;
}

/** Every member, staged ones included, in hash order. */
export function* setMembers(keyspace: Keyspace, record: KeyRecord): Generator<Buffer> {
  for (const { part } of walkElements(keyspace, record.version, SET_KIND.member)) yield part;
}

export function isIntegerMember(member: Buffer): boolean {
  return string2ll(member) !== undefined; // isSdsRepresentableAsLongLong
}

function intsetEntriesMax(limits: EncodingLimits): number {
  return Math.min(limits.setIntsetEntries, INTSET_ENTRIES_MAX);
}

/** A new, empty set record (a fresh version); it exists once set() stages it with members. */
export function newSet(keyspace: Keyspace, encoding: number): KeyRecord {
  return { type: KEY_TYPE.set, encoding, expireAtMs: 0, version: keyspace.newVersion(), count: 0, payload: EMPTY };
}

/** setTypeCreate: the encoding of a set created to hold about sizeHint members, the first one given. */
export function createSet(keyspace: Keyspace, first: Buffer, sizeHint: number, limits: EncodingLimits): KeyRecord {
  if (isIntegerMember(first) && sizeHint <= limits.setIntsetEntries) return newSet(keyspace, SET_ENCODING.intset);
  return newSet(keyspace, sizeHint <= limits.setListpackEntries ? SET_ENCODING.listpack : SET_ENCODING.hashtable);
}

/** setTypeMaybeConvert: an existing set about to take sizeHint more members goes hashtable early. */
export function convertForHint(record: KeyRecord, sizeHint: number, limits: EncodingLimits): void {
  if ((record.encoding === SET_ENCODING.listpack && sizeHint > limits.setListpackEntries)
    || (record.encoding === SET_ENCODING.intset && sizeHint > limits.setIntsetEntries)) {
    record.encoding = SET_ENCODING.hashtable;
  }
}

/**
 * setTypeAddAux: the encoding after adding a member absent from a set of `count` members.
 * integersLongestBytes is asked (only while intset) for the longest member's length.
 */
export function encodingAfterAdd(encoding: number, count: number, member: Buffer, limits: EncodingLimits, integersLongestBytes: () => number): number {
  if (encoding === SET_ENCODING.hashtable) return encoding;
  if (encoding === SET_ENCODING.intset) {
    if (isIntegerMember(member)) return count + 1 > intsetEntriesMax(limits) ? SET_ENCODING.hashtable : encoding;
    const fits = count < limits.setListpackEntries && member.length <= limits.setListpackValue
      && (limits.setListpackValue >= INTEGER_MEMBER_BYTES_MAX || integersLongestBytes() <= limits.setListpackValue);
    return fits ? SET_ENCODING.listpack : SET_ENCODING.hashtable;
  }
  return count < limits.setListpackEntries && member.length <= limits.setListpackValue ? encoding : SET_ENCODING.hashtable;
}

function longestMemberBytes(keyspace: Keyspace, record: KeyRecord): number {
  let longest = 0;
  for (const member of setMembers(keyspace, record)) longest = Math.max(longest, member.length);
  return longest;
}

/**
 * Stages member into record (mutated: count and encoding), returns whether it is new. The caller
 * writes the record back with keyspace.set (storeAggregate).
 */
export function addMember(keyspace: Keyspace, record: KeyRecord, member: Buffer, limits: EncodingLimits): boolean {
  const key = memberKey(record.version, member);
  if (record.count !== 0 && keyspace.element(key) !== undefined) return false;
  record.encoding = encodingAfterAdd(record.encoding, record.count, member, limits, () => longestMemberBytes(keyspace, record));
  keyspace.putElement(key, EMPTY);
  record.count++;
  return true;
}

/** Stages the removal of member; returns whether it was there. */
export function removeMember(keyspace: Keyspace, record: KeyRecord, member: Buffer): boolean {
  const key = memberKey(record.version, member);
  if (keyspace.element(key) === undefined) return false;
  keyspace.deleteElement(key);
  record.count--;
  return true;
}

/** Stages the removal of a member the caller just read from record (SPOP). */
export function removeKnownMember(keyspace: Keyspace, record: KeyRecord, member: Buffer): void {
  keyspace.deleteElement(memberKey(record.version, member));
  record.count--;
}

/**
 * The encoding Redis gives a set it builds member by member (the *STORE results start as an
 * intset, SPOP's rebuilt set as a listpack); add() takes members not added before.
 */
export class SetEncodingTracker {
  count = 0;
  private integersLongestBytes = 0;
  constructor(private readonly limits: EncodingLimits, public encoding: number = SET_ENCODING.intset) {}

  add(member: Buffer): void {
    this.encoding = encodingAfterAdd(this.encoding, this.count, member, this.limits, () => this.integersLongestBytes);
    if (this.encoding === SET_ENCODING.intset) this.integersLongestBytes = Math.max(this.integersLongestBytes, member.length);
    this.count++;
  }
}

/** A new set of distinct members (the *STORE results), staged under a fresh version. */
export function setWithMembers(keyspace: Keyspace, members: readonly Buffer[], encoding: number): KeyRecord {
  const record = newSet(keyspace, encoding);
  for (const member of members) keyspace.putElement(memberKey(record.version, member), EMPTY);
  record.count = members.length;
  return record;
}

/**
 * RESTORE's loader for a set given member by member (rdbLoadObject): intset unless there are more
 * members than set-max-intset-entries, then converted as members come. Undefined on a duplicate
 * ("Duplicate set members detected") or a member decode() could not read.
 */
export function restoreMembers(keyspace: Keyspace, length: number, decode: () => Buffer | undefined, limits: EncodingLimits): KeyRecord | undefined {
  if (length === 0) return undefined; // an empty key
  const record = newSet(keyspace, length > intsetEntriesMax(limits) ? SET_ENCODING.hashtable : SET_ENCODING.intset);
  const seen = new Set<string>();
  const tracker = new SetEncodingTracker(limits, record.encoding);
  for (let index = 0; index < length; index++) {
    const member = decode();
    if (member === undefined) return undefined;
    const name = member.toString('latin1');
    if (seen.has(name)) return undefined;
    seen.add(name);
    tracker.add(member);
    keyspace.putElement(memberKey(record.version, member), EMPTY);
  }
  return { ...record, encoding: tracker.encoding, count: length };
}


/** The intset's integer width: 2, 4 or 8 bytes, enough for its widest member. */
function intsetWidthBytes(members: Iterable<Buffer>): number {
  let width = 2;
  for (const member of members) {
    const value = string2ll(member) ?? 0n;
    if (value < -2147483648n || value > 2147483647n) return 8;
    if (value < -32768n || value > 32767n) width = 4;
  }
  return width;
}

export const setType: TypeModule = {
  type: KEY_TYPE.set,
  name: 'set',
  encoding: (record) => SET_ENCODING_NAMES[record.encoding] ?? 'hashtable',
  memoryUsage(keyspace, record, samples) {
    if (record.encoding === SET_ENCODING.intset) return ROBJ_BYTES + intsetBytes(record.count, intsetWidthBytes(setMembers(keyspace, record)));
    if (record.encoding === SET_ENCODING.listpack) return ROBJ_BYTES + listpackBytes(setMembers(keyspace, record));
    let sampled = 0;
    let bytes = 0;
    for (const member of setMembers(keyspace, record)) {
      if (samples !== 0 && sampled >= samples) break;
      bytes += sdsAllocBytes(member.length) + DICT_ENTRY_BYTES;
      sampled++;
    }
    return ROBJ_BYTES + dictBytes(record.count) + (sampled === 0 ? 0 : Math.floor((bytes / sampled) * record.count));
  },
  dumpObject(keyspace, record) {
    const parts: Buffer[] = [Buffer.from([RDB_TYPE.set]), encodeRdbLength(record.count)];
    for (const member of setMembers(keyspace, record)) parts.push(...encodeRdbString(member));
    return parts;
  },
  copy(keyspace, record) {
    const copy = newSet(keyspace, record.encoding);
    for (const member of setMembers(keyspace, record)) keyspace.putElement(memberKey(copy.version, member), EMPTY);
    return { ...record, version: copy.version };
  },
  // RDB_TYPE.setListpack (20) comes only in RDB version 11 payloads, which Redis 7.0 refuses too.
  rdbTypes: [RDB_TYPE.set, RDB_TYPE.setIntset],
  restoreObject(keyspace, rdbType, cursor, options) {
    const members = readRdbSet(rdbType, cursor, options.valueBytesMax); // not empty, no member twice; stages nothing
    if (members === undefined) return undefined;
    if (rdbType === RDB_TYPE.set) {
      let index = 0;
      return restoreMembers(keyspace, members.length, () => members[index++], options.limits);
    }
    // an intset stays one unless it holds more than set-max-intset-entries (rdbLoadObject)
    const record = newSet(keyspace, members.length > intsetEntriesMax(options.limits) ? SET_ENCODING.hashtable : SET_ENCODING.intset);
    for (const member of members) keyspace.putElement(memberKey(record.version, member), EMPTY);
    return { ...record, count: members.length };
  },
};
