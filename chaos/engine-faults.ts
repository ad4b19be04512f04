// chaos/engine-faults.ts: one disk-fault scenario against the engine, through the FileSystem seam
// (CrashableFileSystem.injectFault). Shared by chaos/faults.test.ts and the README table.
// A scenario: open with a tiny memtable (so writes rotate memtables and flush SSTables), write
// acknowledged keys, inject the fault, keep writing unique keys until the engine refuses, then
// look at what the writer saw, what failure() and stats() say, whether reads still answer, and
// what survives a restart (same file system: the process died, the OS did not) and a power loss
// (a clone of the file system crashed with 'drop').
// Keys are written once each (`k00042` = `v00042`), so "survived" is exact per key:
//   acked  = its write resolved: it must be there after either restart
//   maybe  = its write rejected or never settled: there or not, but with its own value only
import { CrashableFileSystem, type FaultSpec } from '../storage/crashable-file-system.js';
import { Engine, EngineFailedError } from '../storage/index.js';

export const FAULT_DB_DIR = '/db';
const MEMTABLE_BYTES_MAX = 2048;
const ACKED_BEFORE_FAULT = 40;
const WRITES_AFTER_FAULT_MAX = 400;

export interface FaultScenario {
  name: string;
  fault: FaultSpec;
}

export interface FaultOutcome {
  name: string;
  firstError: string | undefined; // what the first refused write saw (message)
  firstErrorName: string | undefined;
  refusedSynchronously: boolean; // a later write() threw at once (sticky failure)
  failure: string | undefined; // engine.failure()?.message
  statsFailed: boolean;
  readsAnswered: boolean; // every acknowledged key readable after the failure
  acked: number;
  maybe: number;
  restart: SurvivalCheck;
  powerLoss: SurvivalCheck;
}

export interface SurvivalCheck {
  opened: boolean;
  error: string | undefined;
  ackedPresent: number;
  maybePresent: number;
  wrong: number; // keys with a value never written for them, or unknown keys
}

const keyOf = (index: number) => Buffer.from(`k${String(index).padStart(5, '0')}`);
const valueOf = (index: number) => Buffer.from(`v${String(index).padStart(5, '0')}:${'x'.repeat(60)}`);

export async function runFaultScenario(scenario: FaultScenario): Promise<FaultOutcome> {
  const fs = new CrashableFileSystem();
  const open = (target: CrashableFileSystem) =>
    Engine.open({ dir: FAULT_DB_DIR, fs: target, syncPolicy: 'always', memtableBytesMax: MEMTABLE_BYTES_MAX });
  const engine = await open(fs);
  const acked = new Set<number>();
  const maybe = new Set<number>();
  let next = 0;
  for (; next < ACKED_BEFORE_FAULT; next++) {
    await engine.write([{ kind: 'put', key: keyOf(next), value: valueOf(next) }]);
    acked.add(next);
  }
  fs.injectFault(scenario.fault);
  let firstError: unknown;
  const pending: Promise<void>[] = [];
  for (let sent = 0; sent < WRITES_AFTER_FAULT_MAX && firstError === undefined; sent++) {
    // Two writes per round, the second unawaited: group commit and background flushes interleave.
    for (let lane = 0; lane < 2 && firstError === undefined; lane++) {
      const index = next++;
      maybe.add(index);
      let promise: Promise<void>;
      try {
        promise = engine.write([{ kind: 'put', key: keyOf(index), value: valueOf(index) }]);
      } catch (error) {
        firstError = error;
        break;
      }
      const settled = promise.then(
        () => {
          maybe.delete(index);
          acked.add(index);
        },
        (error: unknown) => {
          firstError ??= error;
        },
      );
      if (lane === 0) await settled;
      else pending.push(settled);
    }
    if (engine.failure() !== undefined) break;
  }
  await Promise.all(pending);
  let refusedSynchronously = false;
  const probe = next++;
  maybe.add(probe); // if the engine took it anyway, it is one more "maybe" write
  try {
    void engine.write([{ kind: 'put', key: keyOf(probe), value: valueOf(probe) }]).catch(() => undefined);
  } catch (error) {
    refusedSynchronously = error instanceof EngineFailedError;
  }
  let readsAnswered = true;
  try {
    for (const index of acked) if (!engine.get(keyOf(index))?.equals(valueOf(index))) readsAnswered = false;
  } catch {
    readsAnswered = false;
  }
  const failure = engine.failure()?.message;
  const statsFailed = engine.stats().failed;
  fs.clearFaults();
  const powerLossFs = fs.clone();
  try {
    await engine.close();
  } catch {
    // a failed engine reports its failure again at close; the files are what matter
  }
  powerLossFs.crash({ mode: 'drop' });
  const restart = await survival(() => open(fs), acked, maybe);
  const powerLoss = await survival(() => open(powerLossFs), acked, maybe);
  const error = firstError instanceof Error ? firstError : undefined;
  return {
    name: scenario.name,
    firstError: error?.message ?? (firstError === undefined ? undefined : String(firstError)),
    firstErrorName: error?.name,
    refusedSynchronously,
    failure,
    statsFailed,
    readsAnswered,
    acked: acked.size,
    maybe: maybe.size,
    restart,
    powerLoss,
  };
}

async function survival(open: () => Promise<Engine>, acked: ReadonlySet<number>, maybe: ReadonlySet<number>): Promise<SurvivalCheck> {
  let engine: Engine;
  try {
    engine = await open();
  } catch (error) {
    return { opened: false, error: (error as Error).message, ackedPresent: 0, maybePresent: 0, wrong: 0 };
  }
  const check: SurvivalCheck = { opened: true, error: undefined, ackedPresent: 0, maybePresent: 0, wrong: 0 };
  for (const item of engine.scan()) {
    const match = /^k(\d{5})$/.exec(item.key.toString());
    const index = match === null ? -1 : Number(match[1]);
    if (index < 0 || !item.value.equals(valueOf(index)) || (!acked.has(index) && !maybe.has(index))) check.wrong++;
    else if (acked.has(index)) check.ackedPresent++;
    else check.maybePresent++;
  }
  await engine.close();
  return check;
}

/** A closed database on a fresh file system, then Engine.open with a fault: does it refuse cleanly? */
export async function runOpenFaultScenario(scenario: FaultScenario): Promise<{ name: string; openError: string | undefined; reopened: SurvivalCheck }> {
  const fs = new CrashableFileSystem();
  const open = () => Engine.open({ dir: FAULT_DB_DIR, fs, syncPolicy: 'always', memtableBytesMax: MEMTABLE_BYTES_MAX });
  const engine = await open();
  const acked = new Set<number>();
  for (let index = 0; index < ACKED_BEFORE_FAULT; index++) {
    await engine.write([{ kind: 'put', key: keyOf(index), value: valueOf(index) }]);
    acked.add(index);
  }
  await engine.close();
  fs.injectFault(scenario.fault);
  let openError: string | undefined;
  try {
    const faulty = await open();
    await faulty.close();
  } catch (error) {
    openError = (error as Error).message;
  }
  fs.clearFaults();
  const reopened = await survival(open, acked, new Set());
  return { name: scenario.name, openError, reopened };
}
