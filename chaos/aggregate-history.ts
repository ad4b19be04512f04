// chaos/aggregate-history.ts: the hashes, sets and sorted sets of the kill -9 loop's `types`
// workload (HSET, HDEL, SADD, SREM, ZADD, ZREM, DEL), what was sent to each, and the check of what
// is read back.
// Keys (c = client index; a client owns its keys, so one connection orders all writes to a key):
//   h:{c}:{i}   hash, fields f0 .. f{FIELD_COUNT - 1}; an HSET's values name the op (`h:0:3|17`)
//   z:{c}:{i}   set, members 0 .. 5 (integers: intset while small) and m6 .. m11
//   zs:{c}:{i}  sorted set, the same members; a ZADD's score names the op (version / 4, negated
//               for some ops: exact in a double, so `%.17g` prints it as JavaScript does)
// The check, per key, after each restart: the key's contents (HGETALL / SMEMBERS / ZRANGE 0 -1
// WITHSCORES) must equal its state after some prefix of the ops sent to it since the last check
// (the server applies one connection's commands in order and a crash loses a suffix of the WAL), so
// - "impossible": no prefix gives what was read (a field or member never written, a value or score
//   of an op that was not applied while a later one was, half of one multi-element command), or
//   HLEN / SCARD / ZCARD differs from the elements read, or ZRANGE's members are out of (score,
//   member) order, or a reply that does not match the state the ops before it left (HSET's count
//   of new fields, ZADD's and SADD's added, HDEL's, SREM's and ZREM's removed).
// - "lost": only prefixes shorter than the last acknowledged op match (an acknowledged HSET,
//   HDEL, SADD, SREM, ZADD, ZREM or DEL is missing). A failure under `always`.
// So a field or member is present iff the last acknowledged op on it says so, with the value or
// score that op gave it, the unacknowledged (in flight at the kill) ops after it either applied
// or not, in order.
import type { Reply } from './resp-client.js';
import { isReplyError } from './resp-client.js';
import type { CheckTally, PlannedOp, Rng } from './history.js';

type OpStatus = 'pending' | 'acked' | 'maybe';
export type AggregateKind = 'hash' | 'set' | 'zset';
/** field -> value (a set's members map to '', a sorted set's to their scores). */
type Contents = ReadonlyMap<string, string>;

export const FIELD_COUNT = 12;
const ELEMENTS_PER_OP_MAX = 3;
const MESSAGES_MAX = 20;
const SET_MEMBERS = Array.from({ length: FIELD_COUNT }, (_, index) => (index < FIELD_COUNT / 2 ? String(index) : `m${index}`));
const HASH_FIELDS = Array.from({ length: FIELD_COUNT }, (_, index) => `f${index}`);

interface AggregateOp {
  name: string; // for messages: `HSET f1 f4 v17`
  status: OpStatus;
  apply(contents: Contents): Contents;
}

export class AggregateTrack {
  baseline: Contents = new Map();
  ops: AggregateOp[] = [];
  nextVersion = 1;
  constructor(readonly key: string, readonly kind: AggregateKind) {}

  get elements(): readonly string[] {
    return this.kind === 'hash' ? HASH_FIELDS : SET_MEMBERS;
  }

  private applied = { count: 0, contents: this.baseline as Contents }; // the last contentsAfter, to go on from

  /** The contents after the first `count` ops (from the baseline); replies ask in order, so each op applies once. */
  contentsAfter(count: number): Contents {
    let { count: done, contents } = this.applied;
    if (count < done) ({ count: done, contents } = { count: 0, contents: this.baseline });
    for (; done < count; done++) contents = this.ops[done]!.apply(contents);
    this.applied = { count, contents };
    return contents;
  }

  /** After a check: what was read is the next cycle's starting point. */
  rebase(contents: Contents): void {
    this.baseline = contents;
    this.ops = [];
    this.applied = { count: 0, contents };
  }

  /** The commands that read the key back: its elements, then its count. */
  readCommands(): string[][] {
    if (this.kind === 'hash') return [['HGETALL', this.key], ['HLEN', this.key]];
    if (this.kind === 'zset') return [['ZRANGE', this.key, '0', '-1', 'WITHSCORES'], ['ZCARD', this.key]];
    return [['SMEMBERS', this.key], ['SCARD', this.key]];
  }
}

function pickElements(track: AggregateTrack, rng: Rng): string[] {
  const count = 1 + Math.floor(rng() * ELEMENTS_PER_OP_MAX);
  const picked = new Set<string>();
  for (let index = 0; index < count; index++) picked.add(track.elements[Math.floor(rng() * track.elements.length)]!);
  return [...picked];
}

function note(tally: CheckTally, message: string): void {
  if (tally.messages.length < MESSAGES_MAX) tally.messages.push(message);
}

/** How a client files one op's reply (ClientHistory counts it). */
export type ReplySink = (reply: Reply | Error | undefined, status: OpStatus) => void;

const WORDS: Record<AggregateKind, { add: string; remove: string }> = {
  hash: { add: 'HSET', remove: 'HDEL' },
  set: { add: 'SADD', remove: 'SREM' },
  zset: { add: 'ZADD', remove: 'ZREM' },
};

/** What an add gives each element: a hash field the versioned value, a member its score, a set member ''. */
function addedValue(track: AggregateTrack, rng: Rng): { value: string; label: string } {
  const version = track.nextVersion++;
  if (track.kind === 'hash') return { value: `${track.key}|${version}`, label: ` ${version}` };
  if (track.kind === 'set') return { value: '', label: '' };
  const score = String((rng() < 0.3 ? -version : version) / 4);
  return { value: score, label: ` ${score}` };
}

function addCommand(track: AggregateTrack, elements: readonly string[], value: string): string[] {
  if (track.kind === 'hash') return ['HSET', track.key, ...elements.flatMap((field) => [field, value])];
  if (track.kind === 'zset') return ['ZADD', track.key, ...elements.flatMap((member) => [value, member])];
  return ['SADD', track.key, ...elements];
}

/**
 * Plans one op on track: HSET / HDEL (hashes), SADD / SREM (sets), ZADD / ZREM (sorted sets), or DEL. Its reply, when it
 * comes, is checked against the contents the ops before it left: a reply means they were applied.
 */
export function planAggregateOp(track: AggregateTrack, rng: Rng, sink: ReplySink, unexpected: string[]): PlannedOp {
  const roll = rng();
  const elements = pickElements(track, rng);
  let op: AggregateOp;
  let command: (string | number)[];
  let expectedReply: (before: Contents) => number;
  if (roll < 0.08) {
    op = { name: 'DEL', status: 'pending', apply: () => new Map() };
    command = ['DEL', track.key];
    expectedReply = (before) => (before.size > 0 ? 1 : 0);
  } else if (roll < 0.68) {
    const { value, label } = addedValue(track, rng);
    op = {
      name: `${WORDS[track.kind].add} ${elements.join(' ')}${label}`,
      status: 'pending',
      apply: (contents) => {
        const next = new Map(contents);
        for (const element of elements) next.set(element, value);
        return next;
      },
    };
    command = addCommand(track, elements, value);
    expectedReply = (before) => elements.filter((element) => !before.has(element)).length;
  } else {
    const word = WORDS[track.kind].remove;
    op = {
      name: `${word} ${elements.join(' ')}`,
      status: 'pending',
      apply: (contents) => {
        const next = new Map(contents);
        for (const element of elements) next.delete(element);
        return next;
      },
    };
    command = [word, track.key, ...elements];
    expectedReply = (before) => elements.filter((element) => before.has(element)).length;
  }
  const index = track.ops.length;
  track.ops.push(op);
  return {
    commands: [command],
    settle: ([reply]) => {
      op.status = reply !== undefined && !(reply instanceof Error) && !isReplyError(reply) && typeof reply === 'number' ? 'acked' : 'maybe';
      sink(reply, op.status);
      if (op.status !== 'acked') return;
      const expected = expectedReply(track.contentsAfter(index));
      if (reply !== expected && unexpected.length < MESSAGES_MAX) {
        unexpected.push(`${op.name} on ${track.key} answered ${String(reply)}, expected ${expected} (the ops before it were applied)`);
      }
    },
  };
}

/** The elements of an HGETALL / SMEMBERS reply, or a reason it is not one. */
function contentsOfReply(track: AggregateTrack, reply: Reply | undefined): Contents | string {
  if (!Array.isArray(reply)) return `${track.readCommands()[0]![0]} answered ${isReplyError(reply) ? reply.message : JSON.stringify(reply)}`;
  const contents = new Map<string, string>();
  const text = (item: Reply | undefined) => (Buffer.isBuffer(item) ? item.toString('utf8') : String(item));
  if (track.kind === 'hash' || track.kind === 'zset') {
    for (let index = 0; index + 1 < reply.length; index += 2) contents.set(text(reply[index]), text(reply[index + 1]));
  } else {
    for (const item of reply) contents.set(text(item), '');
  }
  return contents;
}

function sameContents(a: Contents, b: Contents): boolean {
  if (a.size !== b.size) return false;
  for (const [element, value] of a) if (b.get(element) !== value) return false;
  return true;
}

function show(contents: Contents): string {
  const label = (value: string) => (value.includes('|') ? value.split('|')[1] : value);
  return `{${[...contents].sort(([a], [b]) => (a < b ? -1 : 1)).map(([element, value]) => (value === '' ? element : `${element}=${label(value)}`)).join(' ')}}`;
}

/** ZRANGE's order: score, then the member's bytes. The first pair out of order, if any. */
function outOfOrder(contents: Contents): string | undefined {
  let previous: [string, number] | undefined;
  for (const [member, text] of contents) {
    const score = Number(text);
    if (previous !== undefined && (score < previous[1] || (score === previous[1] && Buffer.compare(Buffer.from(member), Buffer.from(previous[0])) <= 0))) {
      return `${member}=${text} after ${previous[0]}=${previous[1]}`;
    }
    previous = [member, score];
  }
  return undefined;
}

/**
 * Judges what was read back for track ([elements reply, count reply]) and makes it the baseline
 * of the next cycle. Returns whether the key is present (for DBSIZE).
 */
export function checkAggregate(track: AggregateTrack, replies: readonly (Reply | undefined)[], tally: CheckTally): boolean {
  tally.keysChecked++;
  const read = contentsOfReply(track, replies[0]);
  const fail = (verdict: 'lost' | 'impossible', why: string) => {
    tally[verdict]++;
    const recent = track.ops.slice(-6).map((op) => `${op.name}:${op.status}`).join(', ');
    note(tally, `${verdict}: ${track.kind} ${track.key} ${why}; baseline ${show(track.baseline)}; ops ${track.ops.length > 6 ? '... ' : ''}[${recent}]`);
  };
  if (typeof read === 'string') {
    fail('impossible', read);
    track.rebase(new Map());
    return true;
  }
  if (replies[1] !== read.size) fail('impossible', `counts ${String(replies[1])} elements, ${read.size} read`);
  const disorder = track.kind === 'zset' ? outOfOrder(read) : undefined;
  if (disorder !== undefined) fail('impossible', `ranges members out of order: ${disorder}`);
  let lastAcked = -1;
  track.ops.forEach((op, index) => {
    if (op.status === 'acked') lastAcked = index;
  });
  const matches: number[] = [];
  let contents = track.baseline;
  for (let count = 0; count <= track.ops.length; count++) {
    if (count > 0) contents = track.ops[count - 1]!.apply(contents);
    if (sameContents(contents, read)) matches.push(count - 1);
  }
  if (matches.length === 0) fail('impossible', `holds ${show(read)}, the state after no prefix of its ops`);
  else if (!matches.some((index) => index >= lastAcked)) fail('lost', `holds ${show(read)}, an acknowledged op is missing`);
  track.rebase(read);
  return read.size > 0;
}
