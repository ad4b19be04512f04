// src/types/set-algebra.ts: intersection, union and difference of stored sets (Redis 7.2
// src/t_set.c sinterGenericCommand, sunionDiffGenericCommand), and the encoding Redis gives a
// *STORE result, so SINTERSTORE / SUNIONSTORE / SDIFFSTORE encode as 7.2 does.
// Invariants:
// - Work is bounded by the sets' sizes: an intersection walks the smallest set and looks each
//   member up in the others (a point lookup each); a union walks every set once; a difference
//   takes Redis's cheaper algorithm: look the first set's members up in the others, or walk them all.
// - records[i] undefined is a missing key: an empty set.
// - Members come out in hash order (of the set walked first), each once.
import type { Keyspace, KeyRecord } from '../keyspace/keyspace.js';
import { INTSET_ENTRIES_MAX, SET_ENCODING, SetEncodingTracker, isIntegerMember, isMember, setMembers } from './set.js';
import type { EncodingLimits } from './type-module.js';

export interface Intersection {
  members: Buffer[];
  smallest: KeyRecord | undefined; // undefined when a key is missing
}

/** The members every set holds, at most limit of them (0: no limit). */
export function intersectSets(keyspace: Keyspace, records: ReadonlyArray<KeyRecord | undefined>, limit: number): Intersection {
  const present = records.filter((record): record is KeyRecord => record !== undefined);
  if (present.length < records.length) return { members: [], smallest: undefined };
  present.sort((first, second) => first.count - second.count);
  const smallest = present[0]!;
  const others = present.filter((record, index) => record.version !== smallest.version && present.findIndex((other) => other.version === record.version) === index);
  const members: Buffer[] = [];
  for (const member of setMembers(keyspace, smallest)) {
    if (!others.every((record) => isMember(keyspace, record, member))) continue;
    members.push(member);
    if (limit !== 0 && members.length >= limit) break;
  }
  return { members, smallest };
}

/** SINTERSTORE's result encoding: the smallest set's kind to start with, then maybeConvertToIntset. */
export function intersectionEncoding(smallest: KeyRecord, members: readonly Buffer[], limits: EncodingLimits): number {
  const intsetFits = members.length <= Math.min(limits.setIntsetEntries, INTSET_ENTRIES_MAX);
  if (smallest.encoding === SET_ENCODING.intset) return intsetFits ? SET_ENCODING.intset : SET_ENCODING.hashtable;
  if (intsetFits && members.every(isIntegerMember)) return SET_ENCODING.intset;
  const tracker = new SetEncodingTracker(limits, SET_ENCODING.listpack);
  for (const member of members) tracker.add(member);
  return tracker.encoding;
}

/** The members of every set, each once, in order of first sight. */
export function unionSets(keyspace: Keyspace, records: ReadonlyArray<KeyRecord | undefined>): Buffer[] {
  const seen = new Set<string>();
  const members: Buffer[] = [];
  for (const record of records) {
    if (record === undefined) continue;
    for (const member of setMembers(keyspace, record)) {
      const name = member.toString('latin1');
      if (seen.has(name)) continue;
      seen.add(name);
      members.push(member);
    }
  }
  return members;
}

export interface Difference {
  members: Buffer[];
  /** Redis's second algorithm adds the whole first set to its result before removing: what it added. */
  addedFirst: Buffer[] | undefined;
}

/** The members of the first set no other set holds (SET_OP_DIFF, with Redis's choice of algorithm). */
export function differenceOfSets(keyspace: Keyspace, records: ReadonlyArray<KeyRecord | undefined>): Difference {
  const first = records[0];
  if (first === undefined) return { members: [], addedFirst: undefined };
  const others = records.slice(1).filter((record): record is KeyRecord => record !== undefined);
  if (others.some((record) => record.version === first.version)) return { members: [], addedFirst: undefined };
  const lookupWork = Math.floor((first.count * (others.length + 1)) / 2);
  const walkWork = others.reduce((sum, record) => sum + record.count, first.count);
  if (lookupWork <= walkWork) {
    others.sort((a, b) => b.count - a.count); // the biggest first: a member found early is dropped early
    const members: Buffer[] = [];
    for (const member of setMembers(keyspace, first)) {
      if (!others.some((record) => isMember(keyspace, record, member))) members.push(member);
    }
    return { members, addedFirst: undefined };
  }
  const left = new Map<string, Buffer>();
  for (const member of setMembers(keyspace, first)) left.set(member.toString('latin1'), member);
  const addedFirst = [...left.values()];
  for (const record of others) {
    if (left.size === 0) break;
    for (const member of setMembers(keyspace, record)) left.delete(member.toString('latin1'));
  }
  return { members: [...left.values()], addedFirst };
}

/** The encoding of a set Redis builds member by member from an empty intset (SUNIONSTORE, SDIFFSTORE). */
export function builtEncoding(members: readonly Buffer[], limits: EncodingLimits): number {
  const tracker = new SetEncodingTracker(limits);
  for (const member of members) tracker.add(member);
  return tracker.encoding;
}
