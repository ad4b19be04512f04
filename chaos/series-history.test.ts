// chaos/series-history.test.ts: the kill -9 loop's time series checker on hand-made histories: it
// must call a missing acknowledged sample lost; a sample never sent, half of a TS.MADD, a later
// unacknowledged write without an earlier one, a TS.INFO or a rule destination that disagrees
// with the samples impossible; and accept unacknowledged writes applied or not, as a prefix.
import { describe, expect, it } from 'vitest';
import { createRng, type CheckTally, type PlannedOp } from './history.js';
import type { Reply } from './resp-client.js';
import { ReplyErrorValue } from './resp-client.js';
import { SeriesHistory, expectedDestination, valueOf, type SeriesTrack } from './series-history.js';

function tally(): CheckTally {
  return { keysChecked: 0, lost: 0, impossible: 0, messages: [] };
}

/** The replies readCommands() would get from a server holding `held` (samples by track), RTS-formatted. */
function replies(history: SeriesHistory, held: ReadonlyMap<SeriesTrack, ReadonlyMap<number, number>>, edit: (track: SeriesTrack, parts: Reply[][]) => void = () => undefined): Reply[] {
  return history.tracks.flatMap((track) => {
    const samples = [...(held.get(track) ?? new Map<number, number>())].sort(([a], [b]) => a - b);
    const parts: Reply[][] = [
      samples.map(([ts, value]) => [ts, String(value)]),
      ['totalSamples', samples.length, 'lastTimestamp', samples.at(-1)?.[0] ?? 0],
    ];
    if (track.rule !== undefined) parts.push(expectedDestination(track.rule.aggregation, samples).map(([ts, value]) => [ts, String(value)]));
    edit(track, parts);
    return parts;
  });
}

/** Plans ops until `count` were planned with the wanted command word. */
function plan(history: SeriesHistory, word: 'TS.ADD' | 'TS.MADD', count: number, seed: number, unexpected: string[] = []): { op: PlannedOp; samples: [SeriesTrack, number][] }[] {
  const rng = createRng(seed);
  const planned: { op: PlannedOp; samples: [SeriesTrack, number][] }[] = [];
  for (let attempt = 0; attempt < 1000 && planned.length < count; attempt++) {
    const before = history.ops.length;
    const op = history.planOp(rng, () => undefined, unexpected);
    const sent = history.ops[before]!;
    if (op.commands[0]![0] !== word) {
      history.ops.splice(before);
      for (const sample of sent.samples) sample.track.sent.delete(sample.ts);
      continue;
    }
    planned.push({ op, samples: sent.samples.map((sample) => [sample.track, sample.ts]) });
  }
  return planned;
}

function ack(entry: { op: PlannedOp; samples: [SeriesTrack, number][] }): void {
  const tss = entry.samples.map(([, ts]) => ts);
  entry.op.settle([entry.op.commands[0]![0] === 'TS.ADD' ? tss[0]! : tss]);
}

function lose(entry: { op: PlannedOp }): void {
  entry.op.settle([new Error('connection closed')]);
}

function holding(...entries: { samples: [SeriesTrack, number][] }[]): Map<SeriesTrack, Map<number, number>> {
  const held = new Map<SeriesTrack, Map<number, number>>();
  for (const entry of entries) {
    for (const [track, ts] of entry.samples) {
      if (!held.has(track)) held.set(track, new Map());
      held.get(track)!.set(ts, valueOf(track, ts));
    }
  }
  return held;
}

describe('the time series checker of the kill -9 loop', () => {
  it('accepts every acknowledged write with the unacknowledged ones as any prefix, and rule buckets that follow', () => {
    for (const kept of [0, 1, 2]) {
      const history = new SeriesHistory(0);
      const writes = [...plan(history, 'TS.ADD', 30, 1), ...plan(history, 'TS.MADD', 6, 2)];
      writes.slice(0, 30).forEach(ack);
      writes.slice(30).forEach(lose);
      const result = tally();
      history.check(replies(history, holding(...writes.slice(0, 30 + kept))), result);
      expect(result).toMatchObject({ lost: 0, impossible: 0 });
    }
  });

  it('calls a missing acknowledged sample, or one read back before, lost', () => {
    const history = new SeriesHistory(1);
    const writes = plan(history, 'TS.ADD', 10, 3);
    writes.forEach(ack);
    const missing = tally();
    history.check(replies(history, holding(...writes.slice(0, 9))), missing);
    expect(missing.lost).toBeGreaterThan(0);
    expect(missing.impossible).toBe(0);
    const again = tally();
    history.check(replies(history, holding(...writes.slice(0, 8))), again); // one read back last time is gone
    expect(again.lost).toBeGreaterThan(0);
  });

  it('calls a sample never sent, or sent with another value, impossible', () => {
    const history = new SeriesHistory(2);
    const writes = plan(history, 'TS.ADD', 5, 4);
    writes.forEach(ack);
    const held = holding(...writes);
    const [track, ts] = writes[0]!.samples[0]!;
    held.get(track)!.set(ts + 100_000, 1); // never sent
    const stray = tally();
    history.check(replies(history, held), stray);
    expect(stray.impossible).toBeGreaterThan(0);
    const other = new SeriesHistory(2);
    const again = plan(other, 'TS.ADD', 5, 4);
    again.forEach(ack);
    const changed = holding(...again);
    const [first, at] = again[0]!.samples[0]!;
    changed.get(first)!.set(at, valueOf(first, at) + 1);
    const wrong = tally();
    other.check(replies(other, changed), wrong);
    expect(wrong.impossible).toBeGreaterThan(0);
  });

  it('calls half of a TS.MADD, or a later unacknowledged write without an earlier one, impossible', () => {
    const history = new SeriesHistory(3);
    const madds = plan(history, 'TS.MADD', 2, 5);
    madds.forEach(lose);
    const half = tally();
    history.check(replies(history, holding({ samples: madds[0]!.samples.slice(1) })), half);
    expect(half.impossible).toBeGreaterThan(0);
    const next = new SeriesHistory(3);
    const later = plan(next, 'TS.ADD', 3, 6);
    later.forEach(lose);
    const gap = tally();
    next.check(replies(next, holding(later[0]!, later[2]!)), gap);
    expect(gap.impossible).toBeGreaterThan(0);
  });

  it('calls a TS.INFO or a rule destination that disagrees with the samples impossible', () => {
    const history = new SeriesHistory(0);
    const writes = plan(history, 'TS.ADD', 40, 7);
    writes.forEach(ack);
    const held = holding(...writes);
    const info = tally();
    history.check(replies(history, held, (track, parts) => {
      if (track.index === 0) parts[1]![1] = (parts[1]![1] as number) + 1;
    }), info);
    expect(info.impossible).toBe(1);
    const ruled = history.tracks.find((track) => track.rule !== undefined && (held.get(track)?.size ?? 0) > 0 && expectedDestination(track.rule.aggregation, [...held.get(track)!]).length > 1)!;
    for (const edit of [
      (parts: Reply[][]) => parts[2]!.pop(), // no LATEST bucket
      (parts: Reply[][]) => parts[2]!.shift(), // a closed bucket missing
      (parts: Reply[][]) => { (parts[2]![0] as Reply[])[1] = '12345'; }, // a bucket's value off
      (parts: Reply[][]) => parts[2]!.unshift([0, '1']), // a bucket with no source sample
    ]) {
      const result = tally();
      history.check(replies(history, held, (track, parts) => {
        if (track === ruled) edit(parts);
      }), result);
      expect(result.impossible).toBe(1);
    }
  });

  it('files an error reply as unexpected, and does not judge the refused write as part of the prefix', () => {
    const history = new SeriesHistory(1);
    const unexpected: string[] = [];
    const writes = plan(history, 'TS.ADD', 3, 8, unexpected);
    writes[0]!.op.settle([new ReplyErrorValue('ERR TSDB: something')]);
    lose(writes[1]!);
    lose(writes[2]!);
    const result = tally();
    history.check(replies(history, holding(writes[1]!)), result);
    expect(result).toMatchObject({ lost: 0, impossible: 0 });
    expect(unexpected).toHaveLength(1); // ClientHistory counts it impossible
  });
});
