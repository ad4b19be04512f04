// src/types/zset-algebra.ts: union, intersection and difference of sorted sets and sets (Redis
// 7.0 src/t_zset.c zunionInterDiffGenericCommand), for ZUNION, ZINTER, ZDIFF, their *STORE forms
// and ZINTERCARD. A set's members count with score 1.
// Invariants:
// - Scores combine in Redis's order, so sums round alike: union and intersection take the inputs
//   from the smallest to the largest (a stable sort by size: glibc's qsort is a merge sort), each
//   input's weight times its score (NaN as 0), then SUM (NaN as 0), MIN or MAX one input after
//   another. A difference keeps the first input's scores, unweighted.
// - Work is bounded by the inputs: an intersection walks the smallest and looks each member up in
//   the others; a union walks every input once; a difference takes Redis's cheaper algorithm.
//   The result is held in memory, at most `limit` members (else ZsetResultLimitError).
// - The result is in Redis's order (score, then member bytes); records[i] undefined is a missing key.
import type { Keyspace, KeyRecord } from '../keyspace/keyspace.js';
import { KEY_TYPE } from '../keyspace/layout.js';
import { isMember, setMembers } from './set.js';
import { scoreOf, zsetMembers, type ScoredMember } from './zset.js';
import { ZsetResultLimitError } from './zset-index.js';

export type Aggregate = 'sum' | 'min' | 'max';

export interface AlgebraInput {
  record: KeyRecord | undefined;
  weight: number;
}

function* inputMembers(keyspace: Keyspace, record: KeyRecord): Generator<ScoredMember> {
  if (record.type === KEY_TYPE.zset) {
    yield* zsetMembers(keyspace, record);
    return;
  }
  for (const member of setMembers(keyspace, record)) yield { member, score: 1 };
}

function inputScore(keyspace: Keyspace, record: KeyRecord, member: Buffer): number | undefined {
  if (record.type === KEY_TYPE.zset) return scoreOf(keyspace, record, member);
  return isMember(keyspace, record, member) ? 1 : undefined;
}

/** zunionInterAggregate. */
export function aggregate(target: number, value: number, how: Aggregate): number {
  if (how === 'sum') {
    const sum = target + value;
    return Number.isNaN(sum) ? 0 : sum;
  }
  if (how === 'min') return value < target ? value : target;
  return value > target ? value : target;
}

const weighted = (weight: number, score: number): number => {
  const product = weight * score;
  return Number.isNaN(product) ? 0 : product;
};

const sizeOf = (input: AlgebraInput) => input.record?.count ?? 0;

function checkLimit(size: number, limit: number): void {
  if (size > limit) throw new ZsetResultLimitError(limit);
}

/** Redis's order: score, then member (sdscmp). */
export function compareScored(a: ScoredMember, b: ScoredMember): number {
  return a.score < b.score ? -1 : a.score > b.score ? 1 : Buffer.compare(a.member, b.member);
}

export function unionOf(keyspace: Keyspace, inputs: readonly AlgebraInput[], how: Aggregate, limit: number): ScoredMember[] {
  const sorted = [...inputs].sort((a, b) => sizeOf(a) - sizeOf(b));
  const result = new Map<string, ScoredMember>();
  for (const { record, weight } of sorted) {
    if (record === undefined) continue;
    for (const { member, score } of inputMembers(keyspace, record)) {
      const value = weighted(weight, score);
      const name = member.toString('latin1');
      const present = result.get(name);
      if (present !== undefined) {
        present.score = aggregate(present.score, value, how);
        continue;
      }
      checkLimit(result.size + 1, limit);
      result.set(name, { member, score: value });
    }
  }
  return [...result.values()].sort(compareScored);
}

/** The members every input holds, with their combined scores, in the smallest input's order. */
function* intersectionMembers(keyspace: Keyspace, inputs: readonly AlgebraInput[], how: Aggregate): Generator<ScoredMember> {
  const sorted = [...inputs].sort((a, b) => sizeOf(a) - sizeOf(b));
  const smallest = sorted[0]?.record;
  if (smallest === undefined || sorted.some((input) => input.record === undefined)) return;
  for (const { member, score: own } of inputMembers(keyspace, smallest)) {
    let score = weighted(sorted[0]!.weight, own);
    let everywhere = true;
    for (let index = 1; index < sorted.length && everywhere; index++) {
      const { record, weight } = sorted[index]!;
      const found = record!.version === smallest.version ? own : inputScore(keyspace, record!, member);
      if (found === undefined) everywhere = false;
      else score = aggregate(score, found * weight, how);
    }
    if (everywhere) yield { member, score };
  }
}

export function intersectionOf(keyspace: Keyspace, inputs: readonly AlgebraInput[], how: Aggregate, limit: number): ScoredMember[] {
  const result: ScoredMember[] = [];
  for (const entry of intersectionMembers(keyspace, inputs, how)) {
    checkLimit(result.length + 1, limit);
    result.push(entry);
  }
  return result.sort(compareScored);
}

/** ZINTERCARD: the intersection's size, counting stopped at cardinalityLimit (0: none). */
export function intersectionCount(keyspace: Keyspace, inputs: readonly AlgebraInput[], cardinalityLimit: number): number {
  let count = 0;
  for (const _entry of intersectionMembers(keyspace, inputs, 'sum')) {
    count++;
    if (cardinalityLimit > 0 && count >= cardinalityLimit) break;
  }
  return count;
}

/** The first input's members no other input holds, with the first input's scores. */
export function differenceOf(keyspace: Keyspace, inputs: readonly AlgebraInput[], limit: number): ScoredMember[] {
  const first = inputs[0]?.record;
  if (first === undefined || first.count === 0) return [];
  const others = inputs.slice(1).map((input) => input.record).filter((record): record is KeyRecord => record !== undefined);
  if (others.some((record) => record.version === first.version)) return [];
  const result: ScoredMember[] = [];
  const lookupWork = Math.floor((first.count * inputs.length) / 2);
  const walkWork = inputs.reduce((sum, input) => sum + sizeOf(input), 0);
  if (lookupWork <= walkWork) {
    others.sort((a, b) => b.count - a.count); // the biggest first: a member found early is dropped early
    for (const entry of inputMembers(keyspace, first)) {
      if (others.some((record) => inputScore(keyspace, record, entry.member) !== undefined)) continue;
      checkLimit(result.length + 1, limit);
      result.push(entry);
    }
    return result.sort(compareScored);
  }
  checkLimit(first.count, limit);
  const left = new Map<string, ScoredMember>();
  for (const entry of inputMembers(keyspace, first)) left.set(entry.member.toString('latin1'), entry);
  for (const record of others) {
    if (left.size === 0) break;
    for (const { member } of inputMembers(keyspace, record)) left.delete(member.toString('latin1'));
  }
  return [...left.values()].sort(compareScored);
}
