// chaos/aggregate-history.test.ts: the kill -9 loop's hash, set and sorted set checker on hand-made
// histories: it must call a missing acknowledged op lost, a half-applied command, a reordering, a
// score no op gave or ZRANGE out of order impossible, and accept in-flight ops applied or not.
import { describe, expect, it } from 'vitest';
import { AggregateTrack, checkAggregate, planAggregateOp } from './aggregate-history.js';
import { createRng, type CheckTally, type PlannedOp } from './history.js';
import type { Reply } from './resp-client.js';

function tally(): CheckTally {
  return { keysChecked: 0, lost: 0, impossible: 0, messages: [] };
}

/** Plans ops until one sends the wanted command word, filing the others as never sent. */
function planUntil(track: AggregateTrack, word: string, seed: number): { op: PlannedOp; command: string[] } {
  const rng = createRng(seed);
  for (let attempt = 0; attempt < 1000; attempt++) {
    const before = track.ops.length;
    const op = planAggregateOp(track, rng, () => undefined, []);
    const command = op.commands[0]!.map(String);
    if (command[0] === word) return { op, command };
    track.ops.splice(before); // not this one
  }
  throw new Error(`no ${word} planned`);
}

const hgetall = (pairs: Record<string, string>): Reply[] => Object.entries(pairs).flat();

describe('the hash and set checker of the kill -9 loop', () => {
  it('accepts the state after the last acknowledged op, with an in-flight one applied or not', () => {
    const track = new AggregateTrack('h:0:0', 'hash');
    const first = planUntil(track, 'HSET', 1);
    first.op.settle([first.command.length / 2 - 1]); // every field new
    const inFlight = planUntil(track, 'HDEL', 2);
    inFlight.op.settle([new Error('connection closed')]);
    const fields = Object.fromEntries(first.command.slice(2).reduce<[string, string][]>((pairs, item, index, all) => (index % 2 === 0 ? [...pairs, [item, all[index + 1]!]] : pairs), []));
    const afterDel = { ...fields };
    for (const field of inFlight.command.slice(2)) delete afterDel[field];
    for (const state of [fields, afterDel]) {
      const copy = new AggregateTrack(track.key, 'hash');
      copy.ops = [...track.ops];
      const result = tally();
      checkAggregate(copy, [hgetall(state), Object.keys(state).length], result);
      expect(result).toMatchObject({ lost: 0, impossible: 0 });
    }
  });

  it('calls a missing acknowledged SADD lost, and members never added impossible', () => {
    const track = new AggregateTrack('z:0:0', 'set');
    const add = planUntil(track, 'SADD', 3);
    add.op.settle([add.command.length - 2]);
    const lost = tally();
    checkAggregate(Object.assign(new AggregateTrack(track.key, 'set'), { ops: [...track.ops] }), [[], 0], lost);
    expect(lost).toMatchObject({ lost: 1, impossible: 0 });
    const impossible = tally();
    checkAggregate(Object.assign(new AggregateTrack(track.key, 'set'), { ops: [...track.ops] }), [['never-sent'], 1], impossible);
    expect(impossible).toMatchObject({ lost: 0, impossible: 1 });
  });

  it('calls half of one multi-field HSET, or a count that disagrees with the fields, impossible', () => {
    const track = new AggregateTrack('h:0:1', 'hash');
    let planned = planUntil(track, 'HSET', 4);
    for (let seed = 5; planned.command.length < 6; seed++) {
      track.ops = [];
      planned = planUntil(track, 'HSET', seed); // two fields at least
    }
    planned.op.settle([new Error('connection closed')]);
    const [field, value] = [planned.command[2]!, planned.command[3]!];
    const half = tally();
    checkAggregate(Object.assign(new AggregateTrack(track.key, 'hash'), { ops: [...track.ops] }), [hgetall({ [field]: value }), 1], half);
    expect(half).toMatchObject({ impossible: 1 });
    const count = tally();
    checkAggregate(Object.assign(new AggregateTrack(track.key, 'hash'), { ops: [...track.ops] }), [[], 3], count);
    expect(count).toMatchObject({ impossible: 1 });
  });

  it('flags a reply that disagrees with the ops before it', () => {
    const track = new AggregateTrack('z:0:1', 'set');
    const unexpected: string[] = [];
    const rng = createRng(9);
    let op = planAggregateOp(track, rng, () => undefined, unexpected);
    while (op.commands[0]![0] !== 'SADD') {
      track.ops = [];
      op = planAggregateOp(track, rng, () => undefined, unexpected);
    }
    op.settle([0]); // an empty set: every member is new, so 0 is wrong
    expect(unexpected).toHaveLength(1);
  });

  it('checks a sorted set by member and score: the last acknowledged ZADD\'s score, in ZRANGE order', () => {
    const track = new AggregateTrack('zs:0:0', 'zset');
    const add = planUntil(track, 'ZADD', 21);
    add.op.settle([(add.command.length - 2) / 2]);
    const score = add.command[2]!;
    const members = add.command.filter((_, index) => index >= 3 && index % 2 === 1).sort();
    const fresh = () => Object.assign(new AggregateTrack(track.key, 'zset'), { ops: [...track.ops] });
    const ranged = (scoreText: string, order: string[]): Reply[] => order.flatMap((member) => [member, scoreText]);
    const good = tally();
    checkAggregate(fresh(), [ranged(score, members), members.length], good);
    expect(good).toMatchObject({ lost: 0, impossible: 0 });
    const lost = tally();
    checkAggregate(fresh(), [[], 0], lost);
    expect(lost).toMatchObject({ lost: 1, impossible: 0 });
    const wrongScore = tally();
    checkAggregate(fresh(), [ranged(`${score}1`, members), members.length], wrongScore);
    expect(wrongScore).toMatchObject({ impossible: 1 });
    if (members.length > 1) {
      const disorder = tally();
      checkAggregate(fresh(), [ranged(score, [...members].reverse()), members.length], disorder);
      expect(disorder.impossible).toBeGreaterThan(0);
      expect(disorder.messages.join()).toContain('out of order');
    }
    const count = tally();
    checkAggregate(fresh(), [ranged(score, members), members.length + 1], count);
    expect(count).toMatchObject({ impossible: 1 });
  });

  it('plans ZADD with a score per op and ZREM on a sorted set, and checks their replies', () => {
    const track = new AggregateTrack('zs:0:1', 'zset');
    const unexpected: string[] = [];
    const add = planUntil(track, 'ZADD', 31);
    add.op.settle([(add.command.length - 2) / 2]);
    const remove = planUntil(track, 'ZREM', 32);
    remove.op.settle([99]);
    expect(add.command[2]).toMatch(/^-?\d+(\.\d+)?$/);
    expect(remove.command.slice(0, 2)).toEqual(['ZREM', 'zs:0:1']);
    const rng = createRng(33);
    const op = planAggregateOp(Object.assign(new AggregateTrack('zs:0:2', 'zset'), {}), rng, () => undefined, unexpected);
    op.settle([op.commands[0]![0] === 'DEL' ? 7 : 99]); // an empty zset: none of these counts is right
    expect(unexpected).toHaveLength(1);
  });
});
