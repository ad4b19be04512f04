// chaos/list-history.test.ts: the kill -9 loop's list-pair checker on hand-made histories: it must
// accept an in-flight op applied or not, call a missing acknowledged push or move lost, and an
// element in both lists, twice, never pushed or back after an acknowledged pop impossible; and it
// must flag an acknowledged reply the ops before it do not predict.
import { describe, expect, it } from 'vitest';
import { createRng, type CheckTally, type PlannedOp } from './history.js';
import { ListPairTrack, checkListPair, planListOp } from './list-history.js';
import type { Reply } from './resp-client.js';

function tally(): CheckTally {
  return { keysChecked: 0, lost: 0, impossible: 0, messages: [] };
}

/** Plans ops until one sends `word` on side (LPUSH / RPOP / LMOVE from it), dropping the others unsent. */
function planUntil(track: ListPairTrack, word: string, side: 'a' | 'b', unexpected: string[] = []): { op: PlannedOp; command: string[] } {
  const rng = createRng(word.length * 31 + track.ops.length + (side === 'a' ? 0 : 7));
  for (let attempt = 0; attempt < 1000; attempt++) {
    const before = track.ops.length;
    const op = planListOp(track, rng, () => undefined, unexpected);
    const command = op.commands[0]!.map(String);
    if (command[0] === word && command[1] === track.keyOf(side)) return { op, command };
    track.ops.splice(before); // not this one
  }
  throw new Error(`no ${word} ${side} planned`);
}

/** A copy of the track's history (checkListPair rebases what it checks). */
function copyOf(track: ListPairTrack): ListPairTrack {
  return Object.assign(new ListPairTrack(track.key), { ops: [...track.ops], baseline: track.baseline });
}

function check(track: ListPairTrack, a: string[], b: string[]): CheckTally {
  const result = tally();
  checkListPair(copyOf(track), [a, b, a.length, b.length] as Reply[], result);
  return result;
}

describe('the list checker of the kill -9 loop', () => {
  it('accepts the lists after the last acknowledged op, with an in-flight LMOVE applied or not', () => {
    const track = new ListPairTrack('l:0:0');
    const first = planUntil(track, 'LPUSH', 'a');
    first.op.settle([1]);
    const second = planUntil(track, 'LPUSH', 'a');
    second.op.settle([2]);
    const move = planUntil(track, 'LMOVE', 'a');
    move.op.settle([new Error('connection closed')]);
    const [x, y] = [first.command[2]!, second.command[2]!];
    expect(check(track, [y, x], [])).toMatchObject({ lost: 0, impossible: 0 });
    expect(check(track, [y], [x])).toMatchObject({ lost: 0, impossible: 0 });
  });

  it('calls a missing acknowledged push or move lost', () => {
    const track = new ListPairTrack('l:0:1');
    const push = planUntil(track, 'LPUSH', 'b');
    push.op.settle([1]);
    expect(check(track, [], [])).toMatchObject({ lost: 1, impossible: 0 });
    const move = planUntil(track, 'LMOVE', 'b');
    move.op.settle([push.command[2]!]);
    expect(check(track, [], [push.command[2]!])).toMatchObject({ lost: 1, impossible: 0 }); // the move is missing
    expect(check(track, [push.command[2]!], [])).toMatchObject({ lost: 0, impossible: 0 });
  });

  it('calls an element in both lists, twice in one, never pushed or back after a pop impossible', () => {
    const track = new ListPairTrack('l:0:2');
    const push = planUntil(track, 'LPUSH', 'a');
    push.op.settle([1]);
    const element = push.command[2]!;
    expect(check(track, [element], [element])).toMatchObject({ impossible: 1 });
    expect(check(track, [element, element], [])).toMatchObject({ impossible: 1 });
    expect(check(track, [element, 'l:0:2|99'], [])).toMatchObject({ impossible: 1 });
    const pop = planUntil(track, 'RPOP', 'a');
    pop.op.settle([Buffer.from(element)]);
    expect(check(track, [], [])).toMatchObject({ lost: 0, impossible: 0 });
    expect(check(track, [element], [])).toMatchObject({ lost: 1 }); // the acknowledged pop is missing
    const result = tally();
    checkListPair(copyOf(track), [[], [], 1, 0], result);
    expect(result.impossible).toBe(1); // LLEN disagrees with LRANGE
  });

  it('flags an acknowledged reply the ops before it do not predict', () => {
    const track = new ListPairTrack('l:0:3');
    const unexpected: string[] = [];
    planUntil(track, 'LPUSH', 'a', unexpected).op.settle([1]);
    planUntil(track, 'LPUSH', 'a', unexpected).op.settle([5]);
    planUntil(track, 'RPOP', 'b', unexpected).op.settle(['ghost']);
    expect(unexpected).toHaveLength(2);
  });
});
