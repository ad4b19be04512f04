// chaos/series-history.ts: the time series of the kill -9 loop's `ts` workload (TS.ADD, TS.MADD),
// what was sent to each series, and the check of what is read back.
// Keys (c = client index; a client owns its series, so one connection orders all writes to them):
//   ts:{c}:{i}    a series (CHUNK_SIZE 128, compressed or uncompressed), i < SERIES_PER_CLIENT
//   tsr:{c}:{i}   for i < RULES_PER_CLIENT, the destination of the rule
//                 TS.CREATERULE ts:{c}:{i} tsr:{c}:{i} AGGREGATION <RULE_AGGREGATIONS[i]> BUCKET_MS
// All are created (and acknowledged) before the first kill. Every sample is written once: appends
// at increasing multiples of TS_STEP, late samples at a timestamp between them never used before,
// and the value is a function of the series and the timestamp (valueOf), so a sample read back
// names exactly one send. TS.MADD mixes a client's series in one command (one WAL batch).
// The check, per client, after each restart (S = the samples TS.RANGE key - + reads back):
// - "impossible": a sample never sent, or with another value; half of one TS.MADD present; a
//   TS.ADD / TS.MADD not acknowledged present while an earlier unacknowledged one is absent (the
//   WAL loses a suffix: what one connection sent survives as a prefix); TS.INFO's totalSamples or
//   lastTimestamp not S's; a destination that is not exactly what the rule makes of S (below).
// - "lost": an acknowledged sample, or one read back at an earlier check, missing.
// The destination of a rule (align 0, no retention, samples never deleted), with open = the
// bucket of S's last timestamp: TS.RANGE dest - + LATEST holds one sample per bucket b < open with
// samples in S, equal to the aggregation of S's samples in b, then [open, aggregation of S in open]
// (LATEST: the rule's context). Every bucket closes when a later one starts, and a late sample
// into a closed bucket recomputes it, in the same batch as the source sample: so whatever prefix
// of the writes a crash keeps, the destination is exactly that function of the source.
// The aggregations are exact on integer values (sum, count, min, max, first, last, range).
import type { Reply } from './resp-client.js';
import { isReplyError } from './resp-client.js';
import type { CheckTally, PlannedOp, Rng } from './history.js';

type OpStatus = 'pending' | 'acked' | 'maybe';

export const SERIES_PER_CLIENT = 4;
export const RULES_PER_CLIENT = 3;
export const RULE_AGGREGATIONS = ['sum', 'count', 'min', 'max', 'first', 'last', 'range'] as const;
export const BUCKET_MS = 40;
export const TS_STEP = 4;
const TS_START = 1_000;
const LATE_SHARE = 0.15;
const MADD_SAMPLES_MAX = 6;
const MESSAGES_MAX = 20;

type Aggregation = (typeof RULE_AGGREGATIONS)[number];

export class SeriesTrack {
  /** Every timestamp ever sent to the series (acknowledged or not), with its value. */
  readonly sent = new Map<number, number>();
  /** What the last check read back: the next check's starting point. */
  stored = new Map<number, number>();
  steps = 0; // appends sent: the next one is at TS_START + (steps + 1) * TS_STEP
  constructor(readonly key: string, readonly index: number, readonly rule: { dest: string; aggregation: Aggregation } | undefined) {}

  nextAppend(): number {
    this.steps++;
    return TS_START + this.steps * TS_STEP;
  }

  /** A timestamp below the last append, between two of them, never sent; undefined if none is found. */
  nextLate(rng: Rng): number | undefined {
    for (let attempt = 0; attempt < 8 && this.steps > 1; attempt++) {
      const ts = TS_START + Math.floor(rng() * (this.steps - 1)) * TS_STEP + 1 + Math.floor(rng() * (TS_STEP - 1));
      if (!this.sent.has(ts)) return ts;
    }
    return undefined;
  }
}

/** The value of the sample at ts of a series: small integers, so every aggregation is exact. */
export function valueOf(track: SeriesTrack, ts: number): number {
  return ((ts * 7919 + track.index * 104_729) % 199) - 99;
}

interface SeriesOp {
  name: string;
  samples: { track: SeriesTrack; ts: number; value: number }[];
  status: OpStatus;
  refused: boolean; // an error reply (to the command, or to one of its samples): not judged as a prefix
}

/** How a client files one op's reply (ClientHistory counts it). */
export type ReplySink = (reply: Reply | Error | undefined, status: OpStatus) => void;

function note(tally: CheckTally, message: string): void {
  if (tally.messages.length < MESSAGES_MAX) tally.messages.push(message);
}

function text(item: Reply | undefined): string {
  return Buffer.isBuffer(item) ? item.toString('utf8') : String(item);
}

function aggregate(aggregation: Aggregation, values: readonly number[]): number {
  switch (aggregation) {
    case 'sum':
      return values.reduce((sum, value) => sum + value, 0);
    case 'count':
      return values.length;
    case 'min':
      return Math.min(...values);
    case 'max':
      return Math.max(...values);
    case 'first':
      return values[0]!;
    case 'last':
      return values.at(-1)!;
    case 'range':
      return Math.max(...values) - Math.min(...values);
  }
}

/** What TS.RANGE dest - + LATEST must answer for the source's samples (sorted by time). */
export function expectedDestination(aggregation: Aggregation, samples: readonly (readonly [number, number])[]): [number, number][] {
  const buckets = new Map<number, number[]>();
  for (const [ts, value] of samples) {
    const start = ts - (ts % BUCKET_MS);
    const bucket = buckets.get(start);
    if (bucket === undefined) buckets.set(start, [value]);
    else bucket.push(value);
  }
  return [...buckets].map(([start, values]): [number, number] => [start, aggregate(aggregation, values)]);
}

/** The samples of a TS.RANGE reply, or a reason it is not one. */
function samplesOfReply(reply: Reply | undefined): [number, number][] | string {
  if (!Array.isArray(reply)) return isReplyError(reply) ? reply.message : `not an array: ${JSON.stringify(reply)}`;
  const samples: [number, number][] = [];
  for (const item of reply) {
    if (!Array.isArray(item) || item.length !== 2 || typeof item[0] !== 'number') return `not a sample: ${JSON.stringify(item)}`;
    samples.push([item[0], Number(text(item[1]))]);
  }
  return samples;
}

/** TS.INFO's flat name/value reply, by name. */
function infoFields(reply: Reply | undefined): Map<string, Reply> {
  const fields = new Map<string, Reply>();
  if (!Array.isArray(reply)) return fields;
  for (let index = 0; index + 1 < reply.length; index += 2) fields.set(text(reply[index]), reply[index + 1]!);
  return fields;
}

export class SeriesHistory {
  readonly tracks: SeriesTrack[] = [];
  ops: SeriesOp[] = []; // sent since the last check, in send order
  /** At the last check: samples read back, and chunks TS.INFO counted (sealing at work). */
  readonly lastCheck = { samples: 0, chunks: 0 };

  constructor(readonly client: number) {
    for (let index = 0; index < SERIES_PER_CLIENT; index++) {
      const rule = index < RULES_PER_CLIENT ? { dest: `tsr:${client}:${index}`, aggregation: RULE_AGGREGATIONS[(client + index) % RULE_AGGREGATIONS.length]! } : undefined;
      this.tracks.push(new SeriesTrack(`ts:${client}:${index}`, index, rule));
    }
  }

  /** Keys the workload creates (DBSIZE counts them all). */
  keyCount(): number {
    return this.tracks.length + this.tracks.filter((track) => track.rule !== undefined).length;
  }

  /** Creates the series and rules; every reply must be OK (sent once, before the first kill). */
  setupCommands(): string[][] {
    const commands: string[][] = [];
    for (const track of this.tracks) {
      commands.push(['TS.CREATE', track.key, 'CHUNK_SIZE', '128', 'ENCODING', track.index % 2 === 0 ? 'COMPRESSED' : 'UNCOMPRESSED']);
      if (track.rule === undefined) continue;
      commands.push(['TS.CREATE', track.rule.dest]);
      commands.push(['TS.CREATERULE', track.key, track.rule.dest, 'AGGREGATION', track.rule.aggregation, String(BUCKET_MS)]);
    }
    return commands;
  }

  /** One TS.ADD (an append, sometimes a late sample) or a TS.MADD of a few samples across the series. */
  planOp(rng: Rng, sink: ReplySink, unexpected: string[]): PlannedOp {
    const count = rng() < 0.6 ? 1 : 2 + Math.floor(rng() * (MADD_SAMPLES_MAX - 1));
    const samples: SeriesOp['samples'] = [];
    for (let index = 0; index < count; index++) {
      const track = this.tracks[Math.floor(rng() * this.tracks.length)]!;
      const ts = (rng() < LATE_SHARE ? track.nextLate(rng) : undefined) ?? track.nextAppend();
      const value = valueOf(track, ts);
      track.sent.set(ts, value);
      samples.push({ track, ts, value });
    }
    const single = samples.length === 1;
    const command = single
      ? ['TS.ADD', samples[0]!.track.key, String(samples[0]!.ts), String(samples[0]!.value)]
      : ['TS.MADD', ...samples.flatMap((sample) => [sample.track.key, String(sample.ts), String(sample.value)])];
    const op: SeriesOp = { name: `${command[0]} ${samples.map((sample) => `${sample.track.key}@${sample.ts}`).join(' ')}`, samples, status: 'pending', refused: false };
    this.ops.push(op);
    return {
      commands: [command],
      settle: ([reply]) => {
        const replies = single ? [reply] : Array.isArray(reply) ? reply : [reply];
        const acked = replies.length === samples.length && replies.every((item, index) => item === samples[index]!.ts);
        op.status = acked ? 'acked' : 'maybe';
        op.refused = replies.some((item) => isReplyError(item));
        sink(reply, op.status);
        if (!acked && reply !== undefined && !(reply instanceof Error) && unexpected.length < MESSAGES_MAX) {
          unexpected.push(`${op.name} answered ${JSON.stringify(reply)}`);
        }
      },
    };
  }

  /** Per series: TS.RANGE key - +, TS.INFO key, and for a rule's source TS.RANGE dest - + LATEST. */
  readCommands(): string[][] {
    return this.tracks.flatMap((track) => [
      ['TS.RANGE', track.key, '-', '+'],
      ['TS.INFO', track.key],
      ...(track.rule === undefined ? [] : [['TS.RANGE', track.rule.dest, '-', '+', 'LATEST']]),
    ]);
  }

  /** Judges the replies to readCommands() and makes what was read the next baseline. Returns the keys present. */
  check(replies: readonly (Reply | undefined)[], tally: CheckTally): number {
    let at = 0;
    const read = new Map<SeriesTrack, Map<number, number>>();
    this.lastCheck.samples = 0;
    this.lastCheck.chunks = 0;
    const fail = (verdict: 'lost' | 'impossible', message: string): void => {
      tally[verdict]++;
      note(tally, `${verdict}: ${message}`);
    };
    for (const track of this.tracks) {
      tally.keysChecked++;
      const samples = samplesOfReply(replies[at++]);
      const info = infoFields(replies[at++]);
      const destination = track.rule === undefined ? undefined : samplesOfReply(replies[at++]);
      if (typeof samples === 'string') {
        fail('impossible', `TS.RANGE ${track.key} - + answered ${samples}`);
        read.set(track, track.stored);
        continue;
      }
      read.set(track, new Map(samples));
      this.lastCheck.samples += samples.length;
      const chunkCount = info.get('chunkCount');
      if (typeof chunkCount === 'number') this.lastCheck.chunks += chunkCount;
      this.checkSamples(track, samples, fail);
      const last = samples.at(-1)?.[0] ?? 0;
      if (info.get('totalSamples') !== samples.length || info.get('lastTimestamp') !== last) {
        fail('impossible', `TS.INFO ${track.key} says totalSamples ${String(info.get('totalSamples'))}, lastTimestamp ${String(info.get('lastTimestamp'))}; TS.RANGE read ${samples.length} samples up to ${last}`);
      }
      if (track.rule !== undefined && destination !== undefined) {
        tally.keysChecked++;
        const expected = expectedDestination(track.rule.aggregation, samples);
        if (typeof destination === 'string' || JSON.stringify(destination) !== JSON.stringify(expected)) {
          const shown = typeof destination === 'string' ? destination : JSON.stringify(destination.slice(-4));
          fail('impossible', `${track.rule.dest} (${track.rule.aggregation} ${BUCKET_MS} of ${track.key}, ${samples.length} samples) holds ${typeof destination === 'string' ? '' : `${destination.length} buckets, last `}${shown}; expected ${expected.length}, last ${JSON.stringify(expected.slice(-4))}`);
        }
      }
    }
    this.checkOps(read, fail);
    for (const track of this.tracks) track.stored = read.get(track)!;
    this.ops = [];
    return this.keyCount();
  }

  /** Every sample read was sent with that value; every acknowledged or previously read one is there. */
  private checkSamples(track: SeriesTrack, samples: readonly [number, number][], fail: (verdict: 'lost' | 'impossible', message: string) => void): void {
    const present = new Set<number>();
    let strays = 0;
    for (const [ts, value] of samples) {
      present.add(ts);
      if (track.sent.get(ts) !== value && strays++ < 3) fail('impossible', `${track.key} holds ${ts}=${value}, ${track.sent.has(ts) ? `sent as ${track.sent.get(ts)}` : 'never sent'}`);
    }
    const missing = [...track.stored.keys()].filter((ts) => !present.has(ts));
    if (missing.length > 0) fail('lost', `${track.key} lost ${missing.length} samples read back before: ${missing.slice(0, 5).join(', ')}`);
  }

  /** Acknowledged ops are all there; the others are all there or all gone, as a prefix of what was sent. */
  private checkOps(read: ReadonlyMap<SeriesTrack, ReadonlyMap<number, number>>, fail: (verdict: 'lost' | 'impossible', message: string) => void): void {
    let firstAbsent: SeriesOp | undefined;
    for (const op of this.ops) {
      const here = op.samples.filter((sample) => read.get(sample.track)!.has(sample.ts)).length;
      if (op.status === 'acked') {
        if (here < op.samples.length) fail('lost', `acknowledged ${op.name}: ${op.samples.length - here} of ${op.samples.length} samples missing`);
        continue;
      }
      if (op.refused) continue; // counted as an unexpected reply already
      if (here > 0 && here < op.samples.length) fail('impossible', `unacknowledged ${op.name} is half there (${here} of ${op.samples.length} samples)`);
      if (here === 0) firstAbsent ??= op;
      else if (firstAbsent !== undefined) fail('impossible', `unacknowledged ${op.name} is there, but the earlier ${firstAbsent.name} is not`);
    }
  }
}
