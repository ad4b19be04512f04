// chaos/list-history.ts: the list pairs of the kill -9 loop's `types` workload: LPUSH, RPOP and
// LMOVE between the two lists of a pair, what was sent to each pair, and the check of what is read
// back.
// Keys (c = client index; a client owns its pairs, so one connection orders all writes to them):
//   l:{c}:{i}:a  l:{c}:{i}:b   two lists; an element is `l:{c}:{i}|{n}`, pushed once for the run
// Ops: LPUSH of a new element on either list, RPOP of either list's tail, LMOVE from either
// list's tail to the other's head (RIGHT LEFT); an element, once pushed, only moves or goes.
// The check, per pair, after each restart: the two lists read back (LRANGE, and LLEN) must equal
// their state after some prefix of the ops sent to the pair since the last check (one connection's
// commands apply in order and a crash loses a suffix of the WAL), so
// - "impossible": no prefix gives what was read (an element in both lists, twice in one, never
//   pushed, popped and back, out of order), or LLEN differs from LRANGE, or an acknowledged reply
//   differs from what the ops before it predict (LPUSH's length, the element RPOP or LMOVE took).
// - "lost": only prefixes shorter than the last acknowledged op match. A failure under `always`.
// So every acknowledged push is there exactly once unless an acknowledged pop took it (or an
// unacknowledged one the crash kept, applied in order), and an LMOVE'd element is in exactly one
// of the two lists.
import type { Reply } from './resp-client.js';
import { isReplyError } from './resp-client.js';
import type { CheckTally, PlannedOp, Rng } from './history.js';

type OpStatus = 'pending' | 'acked' | 'maybe';
type Side = 'a' | 'b';
/** Both lists, head first. */
interface Lists {
  readonly a: readonly string[];
  readonly b: readonly string[];
}

const MESSAGES_MAX = 20;
const EMPTY: Lists = { a: [], b: [] };
const other = (side: Side): Side => (side === 'a' ? 'b' : 'a');

interface ListOp {
  name: string; // for messages: `LMOVE a b`
  status: OpStatus;
  apply(lists: Lists): Lists;
}

function withSide(lists: Lists, side: Side, elements: readonly string[]): Lists {
  return side === 'a' ? { a: elements, b: lists.b } : { a: lists.a, b: elements };
}

export class ListPairTrack {
  baseline: Lists = EMPTY;
  ops: ListOp[] = [];
  nextElement = 1;
  private applied = { count: 0, lists: EMPTY };
  constructor(readonly key: string) {}

  keyOf(side: Side): string {
    return `${this.key}:${side}`;
  }

  /** The lists after the first `count` ops (from the baseline); replies ask in order, so each op applies once. */
  listsAfter(count: number): Lists {
    let { count: done, lists } = this.applied;
    if (count < done) ({ count: done, lists } = { count: 0, lists: this.baseline });
    for (; done < count; done++) lists = this.ops[done]!.apply(lists);
    this.applied = { count, lists };
    return lists;
  }

  rebase(lists: Lists): void {
    this.baseline = lists;
    this.ops = [];
    this.applied = { count: 0, lists };
  }

  /** LRANGE a, LRANGE b, LLEN a, LLEN b. */
  readCommands(): string[][] {
    return [['LRANGE', this.keyOf('a'), '0', '-1'], ['LRANGE', this.keyOf('b'), '0', '-1'], ['LLEN', this.keyOf('a')], ['LLEN', this.keyOf('b')]];
  }
}

function note(tally: CheckTally, message: string): void {
  if (tally.messages.length < MESSAGES_MAX) tally.messages.push(message);
}

function text(reply: Reply | undefined): string | null {
  if (reply === null || reply === undefined) return null;
  return Buffer.isBuffer(reply) ? reply.toString('utf8') : String(reply);
}

/** How a client files one op's reply (ClientHistory counts it). */
export type ListReplySink = (reply: Reply | Error | undefined, status: OpStatus) => void;

/**
 * Plans one op on the pair: LPUSH (45%), RPOP (20%) or LMOVE (35%) on a side drawn at random.
 * Its reply, when acknowledged, is checked against the lists the ops before it left.
 */
export function planListOp(track: ListPairTrack, rng: Rng, sink: ListReplySink, unexpected: string[]): PlannedOp {
  const roll = rng();
  const side: Side = rng() < 0.5 ? 'a' : 'b';
  let op: ListOp;
  let command: string[];
  let expectedReply: (before: Lists) => Reply;
  if (roll < 0.45) {
    const element = `${track.key}|${track.nextElement++}`;
    op = { name: `LPUSH ${side} ${element.split('|')[1]}`, status: 'pending', apply: (lists) => withSide(lists, side, [element, ...lists[side]]) };
    command = ['LPUSH', track.keyOf(side), element];
    expectedReply = (before) => before[side].length + 1;
  } else if (roll < 0.65) {
    op = { name: `RPOP ${side}`, status: 'pending', apply: (lists) => withSide(lists, side, lists[side].slice(0, -1)) };
    command = ['RPOP', track.keyOf(side)];
    expectedReply = (before) => before[side].at(-1) ?? null;
  } else {
    const target = other(side);
    op = {
      name: `LMOVE ${side} ${target}`,
      status: 'pending',
      apply: (lists) => {
        const moved = lists[side].at(-1);
        if (moved === undefined) return lists;
        const next = withSide(lists, side, lists[side].slice(0, -1));
        return withSide(next, target, [moved, ...next[target]]);
      },
    };
    command = ['LMOVE', track.keyOf(side), track.keyOf(target), 'RIGHT', 'LEFT'];
    expectedReply = (before) => before[side].at(-1) ?? null;
  }
  const index = track.ops.length;
  track.ops.push(op);
  return {
    commands: [command],
    settle: ([reply]) => {
      const answered = reply !== undefined && !(reply instanceof Error) && !isReplyError(reply);
      op.status = answered && (command[0] !== 'LPUSH' || typeof reply === 'number') ? 'acked' : 'maybe';
      sink(reply, op.status);
      if (op.status !== 'acked') return;
      const expected = expectedReply(track.listsAfter(index));
      const got = typeof expected === 'number' ? reply : text(reply as Reply);
      if (got !== expected && unexpected.length < MESSAGES_MAX) {
        unexpected.push(`${op.name} on ${track.key} answered ${String(got)}, expected ${String(expected)} (the ops before it were applied)`);
      }
    },
  };
}

function elementsOf(reply: Reply | undefined): string[] | undefined {
  return Array.isArray(reply) ? reply.map((item) => text(item) ?? '(nil)') : undefined;
}

function sameLists(x: Lists, y: Lists): boolean {
  return x.a.length === y.a.length && x.b.length === y.b.length && x.a.every((element, index) => element === y.a[index]) &&
    x.b.every((element, index) => element === y.b[index]);
}

function show(lists: Lists): string {
  const numbers = (elements: readonly string[]) => elements.map((element) => element.split('|')[1]).join(' ');
  return `a [${numbers(lists.a)}] b [${numbers(lists.b)}]`;
}

/**
 * Judges what was read back for the pair (the replies to readCommands()) and makes it the
 * baseline of the next cycle. Returns how many of its two lists are present (for DBSIZE).
 */
export function checkListPair(track: ListPairTrack, replies: readonly (Reply | undefined)[], tally: CheckTally): number {
  tally.keysChecked += 2;
  const fail = (verdict: 'lost' | 'impossible', why: string) => {
    tally[verdict]++;
    const recent = track.ops.slice(-6).map((op) => `${op.name}:${op.status}`).join(', ');
    note(tally, `${verdict}: lists ${track.key} ${why}; baseline ${show(track.baseline)}; ops ${track.ops.length > 6 ? '... ' : ''}[${recent}]`);
  };
  const [a, b] = [elementsOf(replies[0]), elementsOf(replies[1])];
  if (a === undefined || b === undefined) {
    fail('impossible', `LRANGE answered ${JSON.stringify(a === undefined ? replies[0] : replies[1])}`);
    track.rebase(EMPTY);
    return 0;
  }
  const read: Lists = { a, b };
  if (replies[2] !== a.length || replies[3] !== b.length) fail('impossible', `LLEN answered ${String(replies[2])} and ${String(replies[3])}, LRANGE read ${a.length} and ${b.length}`);
  let lastAcked = -1;
  track.ops.forEach((op, index) => {
    if (op.status === 'acked') lastAcked = index;
  });
  const matches: number[] = [];
  let lists = track.baseline;
  for (let count = 0; count <= track.ops.length; count++) {
    if (count > 0) lists = track.ops[count - 1]!.apply(lists);
    if (sameLists(lists, read)) matches.push(count - 1);
  }
  if (matches.length === 0) fail('impossible', `holds ${show(read)}, the state after no prefix of its ops`);
  else if (!matches.some((index) => index >= lastAcked)) fail('lost', `holds ${show(read)}, an acknowledged op is missing`);
  track.rebase(read);
  return (a.length > 0 ? 1 : 0) + (b.length > 0 ? 1 : 0);
}
