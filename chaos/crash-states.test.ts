// chaos/crash-states.test.ts: every crash state of a small engine workload (chaos/crash-states.ts)
// opens and holds a prefix of the history with nothing acknowledged missing; and the checker
// itself catches an engine that acknowledges before its fsync.
import { describe, expect, it } from 'vitest';
import { checkCrashStates } from './crash-states.js';
import { scaled } from '../test/helpers/scale.js';

describe('crash-state enumeration (ALICE)', () => {
  it('opens every crash state of the workload into a prefix that holds every acknowledged write', async () => {
    const report = await checkCrashStates({ seconds: scaled(30), statesMax: scaled(600), seed: 1 });
    console.log(report.summary);
    for (const failure of report.failures) console.log(`crash point ${failure.crashPoint} [${failure.state}]: ${failure.reason}`);
    expect(report.crashPoints).toBeGreaterThan(100);
    expect(report.statesChecked).toBeGreaterThan(1_000);
    expect(report.damagedStatesChecked).toBeGreaterThan(0);
    expect(report.failures).toEqual([]);
  }, scaled(30) * 1000 + 60_000);

  it('flags lost acknowledged writes when the workload ran without fsync (checker self-test)', async () => {
    const report = await checkCrashStates({ seconds: 3, seed: 2, recordSyncPolicy: 'no' });
    expect(report.failureCount).toBeGreaterThan(0);
    expect(report.failures.some((failure) => failure.reason.includes('acknowledged writes lost'))).toBe(true);
  }, 60_000);
});
