// chaos/history.ts: what each chaos client sent and what came back, per key, and the check run on
// the values read back after a kill -9 and restart.
// Key families (c = client index; a client owns its keys, so one connection orders all their writes):
//   s:{c}:{i}          string, written by SET (versioned value) and DEL
//   n:{c}:{i}          counter, written by INCR
//   t:{c}:{g}:a|b|n    transaction group, written only by MULTI SET a v; SET b v; INCR n; EXEC
//   h:{c}:{i} z:{c}:{i} zs:{c}:{i} hashes, sets and sorted sets of the `types` workload (chaos/aggregate-history.ts)
//   l:{c}:{i}:a|b      list pairs of the `types` workload (chaos/list-history.ts)
//   ts:{c}:{i} tsr:{c}:{i} time series and rule destinations of the `ts` workload (chaos/series-history.ts)
// Workloads: `strings` (SET 50%, DEL 10%, INCR 25%, MULTI 15%), `types` (SET 20%, DEL 5% on
// strings; HSET / HDEL / DEL on hashes 21%; SADD / SREM / DEL on sets 17%; ZADD / ZREM / DEL on
// sorted sets 17%; LPUSH / RPOP / LMOVE on list pairs 20%) and `ts` (TS.ADD and TS.MADD on the client's series, chaos/series-history.ts).
// A value is `${key}|${version}|${padding}`: the version is unique per key for the whole run, so a
// value read back names exactly one send (or none: "impossible").
// Rules checked after each restart (a = the last acknowledged op of the key in this cycle):
// - "impossible" (a failure under every policy): a value never sent, a counter outside
//   [baseline, baseline + sent], a transaction group whose a and b differ or whose counter disagrees
//   with the number of transactions applied. Anything else is a prefix of the key's history.
// - "lost": the value is one written before a (or a counter below baseline + acked INCRs). A
//   failure under `always`; under `everysec` and `no` it is counted and reported, nothing more.
// After a check, the values read become the next cycle's baselines and the histories restart.
import type { Reply } from './resp-client.js';
import { isReplyError } from './resp-client.js';
import { AggregateTrack, checkAggregate, planAggregateOp } from './aggregate-history.js';
import { ListPairTrack, checkListPair, planListOp } from './list-history.js';
import { SeriesHistory } from './series-history.js';

export type Durability = 'always' | 'everysec' | 'no';
export type Workload = 'strings' | 'types' | 'ts';
export interface KeyCounts {
  strings: number;
  counters: number;
  groups: number;
  hashes: number;
  sets: number;
  zsets: number;
  listPairs: number;
}
type OpStatus = 'pending' | 'acked' | 'maybe';

export interface CheckTally {
  keysChecked: number;
  lost: number;
  impossible: number;
  messages: string[]; // the first MESSAGES_MAX violations, for stderr
}
export const MESSAGES_MAX = 20;

export type Rng = () => number; // uniform in [0, 1)

export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makeValue(key: string, version: number): string {
  return `${key}|${version}|${'x'.repeat((version * 37) % 181)}`;
}

/** One logical operation: the commands it sends and how to file each reply. */
export interface PlannedOp {
  commands: (string | number)[][];
  settle(replies: (Reply | Error)[]): void; // one entry per command: the reply, or the connection error
}

interface Version {
  value: string | null; // null: deleted
  status: OpStatus;
}

class StringTrack {
  baseline: string | null = null;
  history: Version[] = [];
  nextVersion = 1;
  constructor(readonly key: string) {}
}

class CounterTrack {
  baseline = 0;
  sent = 0;
  ackedCount = 0; // INCRs answered with an integer, a prefix of the sent ones
  constructor(readonly key: string) {}
}

class GroupTrack {
  baselineValue: string | null = null;
  baselineCount = 0;
  history: Version[] = [];
  nextVersion = 1;
  constructor(readonly prefix: string) {}
}

function note(tally: CheckTally, message: string): void {
  if (tally.messages.length < MESSAGES_MAX) tally.messages.push(message);
}

function statusOf(reply: Reply | Error | undefined, ok: (reply: Reply) => boolean): OpStatus {
  if (reply === undefined || reply instanceof Error || isReplyError(reply)) return 'maybe';
  return ok(reply) ? 'acked' : 'maybe';
}

export class ClientHistory {
  readonly strings: StringTrack[] = [];
  readonly counters: CounterTrack[] = [];
  readonly groups: GroupTrack[] = [];
  readonly aggregates: AggregateTrack[] = []; // hashes, then sets, then sorted sets
  readonly listPairs: ListPairTrack[] = [];
  readonly series: SeriesHistory | undefined; // the `ts` workload's series (chaos/series-history.ts)
  ackedOps = 0;
  maybeOps = 0;
  errorReplies = 0;
  lastErrorReply: string | undefined;
  unexpectedReplies: string[] = [];

  constructor(readonly client: number, sizes: KeyCounts, readonly workload: Workload = 'strings') {
    for (let i = 0; i < sizes.strings; i++) this.strings.push(new StringTrack(`s:${client}:${i}`));
    for (let i = 0; i < sizes.counters; i++) this.counters.push(new CounterTrack(`n:${client}:${i}`));
    for (let g = 0; g < sizes.groups; g++) this.groups.push(new GroupTrack(`t:${client}:${g}`));
    for (let i = 0; i < sizes.hashes; i++) this.aggregates.push(new AggregateTrack(`h:${client}:${i}`, 'hash'));
    for (let i = 0; i < sizes.sets; i++) this.aggregates.push(new AggregateTrack(`z:${client}:${i}`, 'set'));
    for (let i = 0; i < sizes.zsets; i++) this.aggregates.push(new AggregateTrack(`zs:${client}:${i}`, 'zset'));
    for (let i = 0; i < sizes.listPairs; i++) this.listPairs.push(new ListPairTrack(`l:${client}:${i}`));
    this.series = workload === 'ts' ? new SeriesHistory(client) : undefined;
  }

  /** The read commands of every aggregate and list pair, by track key, in the order to send them. */
  aggregateReads(): { key: string; commands: string[][] }[] {
    return [...this.aggregates, ...this.listPairs].map((track) => ({ key: track.key, commands: track.readCommands() }));
  }

  /** The string keys (read back with GET); aggregates are read with their own commands. */
  keys(): string[] {
    const keys: string[] = [];
    for (const track of this.strings) keys.push(track.key);
    for (const track of this.counters) keys.push(track.key);
    for (const track of this.groups) keys.push(`${track.prefix}:a`, `${track.prefix}:b`, `${track.prefix}:n`);
    return keys;
  }

  private countReply(reply: Reply | Error | undefined, status: OpStatus): void {
    if (status === 'acked') this.ackedOps++;
    else this.maybeOps++;
    if (isReplyError(reply)) {
      this.errorReplies++;
      this.lastErrorReply = reply.message;
    }
  }

  planOp(rng: Rng): PlannedOp {
    if (this.series !== undefined) return this.series.planOp(rng, (reply, status) => this.countReply(reply, status), this.unexpectedReplies);
    const roll = rng();
    if (this.workload === 'types') {
      if (roll < 0.2) return this.planSet(pick(this.strings, rng));
      if (roll < 0.25) return this.planDelete(pick(this.strings, rng));
      if (roll >= 0.8 && this.listPairs.length > 0) return planListOp(pick(this.listPairs, rng), rng, (reply, status) => this.countReply(reply, status), this.unexpectedReplies);
      const kind = roll < 0.46 ? 'hash' : roll < 0.63 || this.aggregates.every((track) => track.kind !== 'zset') ? 'set' : 'zset';
      const tracks = this.aggregates.filter((track) => track.kind === kind);
      return planAggregateOp(pick(tracks, rng), rng, (reply, status) => this.countReply(reply, status), this.unexpectedReplies);
    }
    if (roll < 0.5) return this.planSet(pick(this.strings, rng));
    if (roll < 0.6) return this.planDelete(pick(this.strings, rng));
    if (roll < 0.85) return this.planIncr(pick(this.counters, rng));
    return this.planTransaction(pick(this.groups, rng));
  }

  private planSet(track: StringTrack): PlannedOp {
    const version: Version = { value: makeValue(track.key, track.nextVersion++), status: 'pending' };
    track.history.push(version);
    return {
      commands: [['SET', track.key, version.value!]],
      settle: ([reply]) => {
        version.status = statusOf(reply, (r) => r === 'OK');
        this.countReply(reply, version.status);
      },
    };
  }

  private planDelete(track: StringTrack): PlannedOp {
    const version: Version = { value: null, status: 'pending' };
    track.history.push(version);
    return {
      commands: [['DEL', track.key]],
      settle: ([reply]) => {
        version.status = statusOf(reply, (r) => r === 0 || r === 1);
        this.countReply(reply, version.status);
      },
    };
  }

  private planIncr(track: CounterTrack): PlannedOp {
    track.sent++;
    const expected = track.baseline + track.sent;
    return {
      commands: [['INCR', track.key]],
      settle: ([reply]) => {
        const status = statusOf(reply, (r) => typeof r === 'number');
        this.countReply(reply, status);
        if (status !== 'acked') return;
        if (reply !== expected && this.unexpectedReplies.length < MESSAGES_MAX) {
          this.unexpectedReplies.push(`INCR ${track.key} answered ${String(reply)}, expected ${expected}`);
        }
        track.ackedCount = Math.max(track.ackedCount, expected - track.baseline);
      },
    };
  }

  private planTransaction(track: GroupTrack): PlannedOp {
    const value = makeValue(track.prefix, track.nextVersion++);
    const version: Version = { value, status: 'pending' };
    track.history.push(version);
    return {
      commands: [['MULTI'], ['SET', `${track.prefix}:a`, value], ['SET', `${track.prefix}:b`, value], ['INCR', `${track.prefix}:n`], ['EXEC']],
      settle: (replies) => {
        const exec = replies[4];
        version.status = statusOf(exec, (r) => Array.isArray(r) && r.length === 3 && r[0] === 'OK' && r[1] === 'OK' && typeof r[2] === 'number');
        this.countReply(exec, version.status);
        for (const reply of replies.slice(0, 4)) if (isReplyError(reply)) this.countReply(reply, 'maybe');
      },
    };
  }

  /**
   * Checks the values read back (key -> value or null; for aggregates and series, the replies to
   * their readCommands()) and makes them the new baselines. Returns the aggregates and series present.
   */
  checkAndRebase(
    values: ReadonlyMap<string, string | null>,
    tally: CheckTally,
    aggregateReplies: ReadonlyMap<string, readonly (Reply | undefined)[]> = new Map(),
    seriesReplies: readonly (Reply | undefined)[] = [],
  ): number {
    let present = this.series === undefined ? 0 : this.series.check(seriesReplies, tally);
    for (const track of this.aggregates) if (checkAggregate(track, aggregateReplies.get(track.key) ?? [], tally)) present++;
    for (const track of this.listPairs) present += checkListPair(track, aggregateReplies.get(track.key) ?? [], tally);
    for (const track of this.strings) this.checkString(track, values.get(track.key) ?? null, tally);
    for (const track of this.counters) this.checkCounter(track, values.get(track.key) ?? null, tally);
    for (const track of this.groups) this.checkGroup(track, values, tally);
    for (const message of this.unexpectedReplies) {
      tally.impossible++;
      note(tally, message);
    }
    this.unexpectedReplies = [];
    return present;
  }

  private checkString(track: StringTrack, value: string | null, tally: CheckTally): void {
    tally.keysChecked++;
    const verdict = judgeVersions(track.baseline, track.history, value);
    if (verdict !== 'ok') {
      tally[verdict]++;
      note(tally, `${verdict}: ${track.key} = ${show(value)}; baseline ${show(track.baseline)}; history ${describe(track.history)}`);
    }
    track.baseline = value;
    track.history = [];
  }

  private checkCounter(track: CounterTrack, value: string | null, tally: CheckTally): void {
    tally.keysChecked++;
    const count = value === null ? 0 : Number(value);
    let verdict: 'ok' | 'lost' | 'impossible' = 'ok';
    if (!Number.isSafeInteger(count) || count < track.baseline || count > track.baseline + track.sent) verdict = 'impossible';
    else if (count < track.baseline + track.ackedCount) verdict = 'lost';
    if (verdict !== 'ok') {
      tally[verdict]++;
      note(tally, `${verdict}: counter ${track.key} = ${show(value)}; baseline ${track.baseline}, acked ${track.ackedCount}, sent ${track.sent}`);
    }
    track.baseline = Number.isSafeInteger(count) ? count : track.baseline;
    track.sent = 0;
    track.ackedCount = 0;
  }

  private checkGroup(track: GroupTrack, values: ReadonlyMap<string, string | null>, tally: CheckTally): void {
    tally.keysChecked += 3;
    const a = values.get(`${track.prefix}:a`) ?? null;
    const b = values.get(`${track.prefix}:b`) ?? null;
    const nText = values.get(`${track.prefix}:n`) ?? null;
    const count = nText === null ? 0 : Number(nText);
    const fail = (verdict: 'lost' | 'impossible', why: string) => {
      tally[verdict]++;
      note(tally, `${verdict}: transaction group ${track.prefix}: ${why}; a=${show(a)} b=${show(b)} n=${show(nText)}; baseline ${show(track.baselineValue)}/${track.baselineCount}; history ${describe(track.history)}`);
    };
    if (a !== b) {
      fail('impossible', 'half applied (a != b)');
    } else {
      const verdict = judgeVersions(track.baselineValue, track.history, a);
      if (verdict !== 'ok') fail(verdict, 'version');
      // Transactions applied = those up to the version read, minus ones that surely failed (none here:
      // a failed EXEC is "maybe"), so the counter must lie between acked-and-earlier and all-earlier.
      const index = a === track.baselineValue ? -1 : track.history.findIndex((version) => version.value === a);
      if (index >= 0 || a === track.baselineValue) {
        const upTo = track.history.slice(0, index + 1);
        const surely = upTo.filter((version) => version.status === 'acked').length;
        if (!Number.isSafeInteger(count) || count < track.baselineCount + surely || count > track.baselineCount + upTo.length) {
          fail('impossible', `counter disagrees with the ${upTo.length} transactions applied`);
        }
      }
    }
    track.baselineValue = a;
    track.baselineCount = Number.isSafeInteger(count) ? count : track.baselineCount;
    track.history = [];
  }
}

/** For one key overwritten by whole values: is `value` a state the history allows? */
function judgeVersions(baseline: string | null, history: readonly Version[], value: string | null): 'ok' | 'lost' | 'impossible' {
  let lastAcked = -1;
  history.forEach((version, index) => {
    if (version.status === 'acked') lastAcked = index;
  });
  const matches: number[] = [];
  if (value === baseline) matches.push(-1);
  history.forEach((version, index) => {
    if (version.value === value) matches.push(index);
  });
  if (matches.length === 0) return 'impossible';
  return matches.some((index) => index >= lastAcked) ? 'ok' : 'lost';
}

function pick<T>(items: readonly T[], rng: Rng): T {
  return items[Math.floor(rng() * items.length)]!;
}

function show(value: string | null): string {
  if (value === null) return '(absent)';
  const version = value.split('|')[1];
  return version === undefined ? JSON.stringify(value.slice(0, 40)) : `v${version}`;
}

function describe(history: readonly Version[]): string {
  const shown = history.slice(-8).map((version) => `${show(version.value)}:${version.status}`);
  return `${history.length > 8 ? '... ' : ''}[${shown.join(', ')}]`;
}
