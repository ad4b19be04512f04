// storage/compaction-scheduler.ts: runs compactions in the background, one at a time: after a
// flush installs a table, after a compaction, at open, and on compactAll() (manual: everything
// into the deepest level in one job). Each job: pick (compaction-picker.ts), merge
// (compaction.ts, in event-loop slices), install with one manifest edit (lsm-files.ts), then the
// inputs are deleted as soon as no Version lists them.
// Invariants:
// - At most one job runs; a manual request waits for the running job and runs next.
// - A job pins the Version it picked from until it ends, so its inputs stay on disk while it
//   reads them even if the table cache closes their readers.
// - A job that throws fails the engine (invariant 14), except when stop() asked it to end: then
//   its unnamed outputs are removed and nothing else changed. After a failure nothing is removed
//   (invariant 15): orphan outputs are removed by the next open.
// - Kill points (tests): 'compaction-outputs-written' after every output is synced, verified and
//   its directory entry synced; 'compaction-before-manifest' / 'compaction-after-manifest' around
//   the edit; 'compaction-input-delete' before each input file is deleted (lsm-files.ts).
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  levelShape,
  pendingCompactionBytes,
  pickCompaction,
  planFullCompaction,
  type CompactionPlan,
  type CompactionTuning,
  type LevelShape,
} from './compaction-picker.js';
import { COMPACTION_SLICE_MS, emptyCounters, runCompaction, type CompactionCounters, type CompactionOutput } from './compaction.js';
import type { LsmFiles } from './lsm-files.js';
import type { EngineLogger } from './recovery.js';
import { LEVEL_COUNT } from './version.js';

export interface SchedulerHost {
  files: LsmFiles;
  tuning: CompactionTuning;
  logger: EngineLogger;
  dropExpired: boolean;
  snapshotSeqs(): number[];
  healthy(): boolean; // not failed, not closed
  fail(reason: string, error: unknown): void;
  onVersionInstalled(): void; // stall state changed
}

export interface CompactionStats {
  compactions: number;
  manualCompactions: number;
  compactionBytesRead: number;
  compactionBytesWritten: number;
  compactionMs: number;
  compactionEntriesRead: number;
  compactionEntriesWritten: number;
  compactionVersionsDropped: number;
  compactionTombstonesDropped: number;
  compactionExpiredDropped: number;
  compactionExpiredRewritten: number;
  compactionFilteredDropped: number;
  compactionRunning: boolean;
}

class CompactionStopped extends Error {
  override name = 'CompactionStopped';
}

interface ManualRequest {
  resolve(): void;
  reject(error: unknown): void;
}

export class CompactionScheduler {
  private running: Promise<boolean> | undefined; // resolves to whether it ran any job
  private stopping = false;
  private deferredBySnapshots = false; // the last pick found nothing but skipped tombstone picks
  private manualQueue: ManualRequest[] = [];
  private readonly compactPointers: (Buffer | undefined)[] = Array.from({ length: LEVEL_COUNT }, () => undefined);
  private readonly totals = { compactions: 0, manual: 0, bytesRead: 0, bytesWritten: 0, ms: 0 };
  private readonly entryTotals: CompactionCounters = emptyCounters();

  constructor(private readonly host: SchedulerHost) {}

  /** Starts the background loop if it is idle and there may be work. */
  maybeSchedule(): void {
    if (this.running !== undefined || this.stopping || !this.host.healthy()) return;
    const loop = this.loop();
    this.running = loop;
    void loop.finally(() => {
      if (this.running === loop) this.running = undefined;
    });
  }

  /** The last open snapshot closed: tombstone-density picks skipped for it may run now. */
  onSnapshotsReleased(): void {
    if (this.deferredBySnapshots) this.maybeSchedule();
  }

  /** Runs a full compaction (after any running job); rejects if the engine fails or closes first. */
  compactAll(): Promise<void> {
    if (this.stopping) return Promise.reject(new CompactionStopped('the engine is closing'));
    const done = new Promise<void>((resolve, reject) => this.manualQueue.push({ resolve, reject }));
    this.maybeSchedule();
    return done;
  }

  /** Resolves once no job runs and the picker finds nothing to do. */
  async idle(): Promise<void> {
    for (;;) {
      this.maybeSchedule();
      const running = this.running;
      if (running === undefined || !(await running)) return;
    }
  }

  /** Asks the running job to end at its next slice and waits for it (engine close). */
  async stop(): Promise<void> {
    this.stopping = true;
    while (this.running !== undefined) await this.running;
    this.rejectManual(new CompactionStopped('the engine closed before the compaction ran'));
  }

  shape(): LevelShape {
    return levelShape(this.host.files.current);
  }

  pendingBytes(shape: LevelShape): number {
    return pendingCompactionBytes(shape, this.host.tuning);
  }

  stats(): CompactionStats {
    const entries = this.entryTotals;
    return {
      compactions: this.totals.compactions,
      manualCompactions: this.totals.manual,
      compactionBytesRead: this.totals.bytesRead,
      compactionBytesWritten: this.totals.bytesWritten,
      compactionMs: Math.round(this.totals.ms),
      compactionEntriesRead: entries.entriesRead,
      compactionEntriesWritten: entries.entriesWritten,
      compactionVersionsDropped: entries.versionsDropped,
      compactionTombstonesDropped: entries.tombstonesDropped,
      compactionExpiredDropped: entries.expiredDropped,
      compactionExpiredRewritten: entries.expiredRewritten,
      compactionFilteredDropped: entries.filteredDropped,
      compactionRunning: this.running !== undefined,
    };
  }

  private async loop(): Promise<boolean> {
    await yieldToEventLoop(); // never run inside the caller's tick (a flush's install, open)
    let ranJob = false;
    while (!this.stopping && this.host.healthy()) {
      const manual = this.manualQueue.shift();
      const version = this.host.files.current;
      const snapshotsOpen = this.host.snapshotSeqs().length > 0;
      const plan = manual !== undefined
        ? planFullCompaction(version)
        : pickCompaction(version, this.host.tuning, this.compactPointers, snapshotsOpen);
      this.deferredBySnapshots = plan === undefined && snapshotsOpen;
      if (plan === undefined) {
        if (manual === undefined) break;
        manual.resolve();
        continue;
      }
      ranJob = true;
      try {
        await this.runJob(plan);
        manual?.resolve();
      } catch (error) {
        manual?.reject(error);
        break;
      }
      await yieldToEventLoop();
    }
    if (!this.host.healthy()) this.rejectManual(new CompactionStopped('the storage engine failed'));
    return ranJob;
  }

  private async runJob(plan: CompactionPlan): Promise<void> {
    const { files, tuning, logger } = this.host;
    const startedMs = performance.now();
    const version = files.current;
    version.ref(); // the inputs stay listed (so on disk) until the job ends
    const created: string[] = [];
    let outputs: CompactionOutput[] = [];
    let installed = false;
    try {
      const { fs, dir, tableOptions, cache, compactionFilter } = files.options;
      const result = await runCompaction(plan, {
        fs,
        dir,
        tableOptions,
        blockCache: cache,
        allocateFileNumber: () => files.allocateTableNumber(),
        targetFileBytes: tuning.targetFileBytes,
        grandparentOverlapBytesMax: tuning.grandparentOverlapBytesMax,
        snapshotSeqs: this.host.snapshotSeqs(),
        nowMs: Date.now(),
        compactionFilter,
        dropExpired: this.host.dropExpired,
        sliceMs: COMPACTION_SLICE_MS,
        checkRunnable: () => this.checkRunnable(),
        onOutputCreated: (path) => created.push(path),
      });
      outputs = result.outputs;
      files.killPoint('compaction-outputs-written');
      this.checkRunnable();
      files.killPoint('compaction-before-manifest');
      await files.installCompaction(plan, outputs);
      installed = true;
      files.killPoint('compaction-after-manifest');
      this.account(plan, outputs, result.counters, performance.now() - startedMs);
      logger(plan.reason === 'manual' ? 'info' : 'debug', 'compaction finished', {
        reason: plan.reason,
        level: plan.level,
        outputLevel: plan.outputLevel,
        inputFiles: plan.inputs.reduce((count, input) => count + input.tables.length, 0),
        outputFiles: outputs.length,
        ms: Math.round(performance.now() - startedMs),
      });
    } catch (error) {
      if (!installed) for (const output of outputs) output.reader.discard();
      this.afterFailedJob(error, installed ? [] : created);
      throw error;
    } finally {
      version.unref(); // may delete the inputs now (kill point 'compaction-input-delete')
    }
    this.host.onVersionInstalled();
  }

  private afterFailedJob(error: unknown, created: readonly string[]): void {
    if (!(error instanceof CompactionStopped)) {
      this.host.fail('compaction failed', error);
      return;
    }
    if (!this.host.healthy() && !this.stopping) return; // failed elsewhere: remove nothing (15)
    const { fs } = this.host.files.options;
    for (const path of created) {
      try {
        if (fs.exists(path)) fs.remove(path); // never named by the manifest
      } catch {
        // an orphan is removed by the next open
      }
    }
  }

  private checkRunnable(): void {
    if (this.stopping) throw new CompactionStopped('the engine is closing');
    if (!this.host.healthy()) throw new CompactionStopped('the storage engine failed');
    this.host.files.checkFileSystem();
  }

  private account(plan: CompactionPlan, outputs: readonly CompactionOutput[], counters: CompactionCounters, ms: number): void {
    this.totals.compactions++;
    if (plan.reason === 'manual') this.totals.manual++;
    for (const input of plan.inputs) for (const table of input.tables) this.totals.bytesRead += table.meta.sizeBytes;
    for (const output of outputs) this.totals.bytesWritten += output.meta.sizeBytes;
    this.totals.ms += ms;
    for (const key of Object.keys(counters) as (keyof CompactionCounters)[]) this.entryTotals[key] += counters[key];
  }

  private rejectManual(error: Error): void {
    const queue = this.manualQueue;
    this.manualQueue = [];
    for (const request of queue) request.reject(error);
  }
}
