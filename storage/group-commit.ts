// storage/group-commit.ts: turns many write() calls into few WAL appends and fewer fsyncs.
// Every write stages its record in the LogWriter (no syscall) and joins the open Group; one
// setImmediate per event-loop turn appends all staged bytes with one syscall (or at once past
// GROUP_BYTES_MAX), so the writes of every client read in one turn share one append, as Redis's
// beforeSleep does (a microtask per read measured one pwrite per client read: 40x more appends).
// Policies:
// - 'always': a group resolves only when an fsync that started after its append returned. At
//   most one fsync is in flight; writes arriving meanwhile stay staged and ride the next one
//   (leader/follower: the completion of one fsync appends and syncs everything that queued).
// - 'everysec': a group resolves once appended; a 1 s timer fsyncs what was appended.
// - 'no': a group resolves once appended; the WAL is synced at rotation and close.
// - 'everysec' and 'no' also start a background fsync (one at a time) whenever WAL_BYTES_PER_SYNC
//   were appended since the last one (RocksDB's wal_bytes_per_sync): it promises nothing to
//   anyone, but keeps the blocking sync at rotation (invariant 13) from writing back a whole
//   memtable's worth of WAL while the event loop waits.
// Invariants:
// - Invariant 1: no group of 'always' resolves before an fsync covering its bytes returned.
// - Invariant 14: an append or fsync error fails the engine (onFailure) and is never retried;
//   every pending group is rejected and nothing more is written.
// - Invariant 13: sealForRotation() appends and syncs the old WAL, after cutting off the zeros
//   preallocated past its last record, before the engine creates the new one (a kill -9 between
//   the two must not leave a WAL that is not the last ending in zeros); rotate() then switches.
// - setPolicy() appends and fsyncs everything staged before it switches, so every group settles
//   under the promise of the policy it was written under (or a stronger one).
// - syncedSeq only grows, and every record with a sequence number at or below it is on disk
//   (an fsync that started after its append returned), whatever the policy.
import type { LogWriter } from './wal.js';
import type { EngineFailedError } from './errors.js';

export type SyncPolicy = 'always' | 'everysec' | 'no';

export const GROUP_BYTES_MAX = 1024 * 1024;
export const EVERYSEC_INTERVAL_MS = 1000;
export const WAL_BYTES_PER_SYNC = 1024 * 1024;

interface Group {
  lastSeq: number; // the highest sequence number of the writes in this group
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

function newGroup(): Group {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  // The engine records and logs its failure itself; a caller that dropped the promise must not
  // turn it into an unhandled rejection. Callers that await still see the rejection.
  promise.catch(() => undefined);
  return { lastSeq: 0, promise, resolve, reject };
}

export interface GroupCommitStats {
  walAppends: number;
  walBytes: number;
  fsyncs: number;
}

export class GroupCommit {
  readonly stats: GroupCommitStats = { walAppends: 0, walBytes: 0, fsyncs: 0 };
  /** The highest sequence number whose write was acknowledged (its promise resolved or about to). */
  acknowledgedSeq = 0;
  /** The highest sequence number whose record an fsync that returned covered, under any policy. */
  syncedSeq = 0;
  /** Called each time syncedSeq grows (replication ships only what is synced), after the groups settled. */
  onSynced: ((syncedSeq: number) => void) | undefined = undefined;
  private appendedSeq = 0; // the highest sequence number of the records appended so far
  private log: LogWriter;
  private staging: Group | undefined; // records staged, not yet appended
  private awaitingSync: Group[] = []; // 'always': appended, waiting for the next fsync
  private syncInFlight: Promise<void> | undefined;
  private tickScheduled = false;
  private appendedSinceSync = false;
  private bytesSinceSync = 0; // appended since the last fsync started
  private retired: LogWriter[] = []; // rotated-out logs, closed once no fsync is in flight
  private timer: NodeJS.Timeout | undefined;
  private failedWith: EngineFailedError | undefined;

  constructor(
    private policy: SyncPolicy,
    log: LogWriter,
    private readonly onFailure: (reason: string, error: unknown) => EngineFailedError,
  ) {
    this.log = log;
    this.startTimer();
  }

  /** Switches the policy (CONFIG SET appendfsync) after a blocking append + fsync of everything staged. */
  setPolicy(policy: SyncPolicy): void {
    if (policy === this.policy) return;
    this.syncNow('WAL sync at a policy change failed');
    if (this.failedWith !== undefined) throw this.failedWith;
    this.stopTimer();
    this.policy = policy;
    this.startTimer();
  }

  /** Stages one record; the promise settles per policy. Caller checked the engine is writable. */
  add(payload: Buffer, lastSeq = 0): Promise<void> {
    this.log.addRecord(payload);
    let group = this.staging;
    if (group === undefined) {
      group = newGroup();
      this.staging = group;
      if (!this.tickScheduled) {
        this.tickScheduled = true;
        setImmediate(() => this.onTick());
      }
    }
    if (lastSeq > group.lastSeq) group.lastSeq = lastSeq;
    if (this.log.stagedBytes() >= GROUP_BYTES_MAX) {
      this.appendStaged();
      if (this.policy === 'always') this.startSync();
    }
    return group.promise;
  }

  /**
   * Appends everything staged, cuts off the live WAL's preallocated zeros and fsyncs it (blocking).
   * Called before the next WAL is created: once a newer WAL exists, a kill -9 must find this one
   * ending at its last record, since only the last WAL may end in zeros (wal.ts).
   */
  sealForRotation(): void {
    this.appendStaged();
    if (this.failedWith !== undefined) throw this.failedWith;
    try {
      this.log.trimReserve();
    } catch (error) {
      throw this.fail(this.onFailure('WAL truncate at rotation failed', error));
    }
    this.syncNow('WAL sync at rotation failed');
    if (this.failedWith !== undefined) throw this.failedWith;
  }

  /** Seals the live WAL (a no-op after sealForRotation), then continues on newLog (already durable). */
  rotate(newLog: LogWriter): void {
    if (this.failedWith !== undefined) throw this.failedWith;
    if (this.log.stagedBytes() > 0 || this.appendedSinceSync) this.sealForRotation();
    this.retired.push(this.log);
    this.log = newLog;
    this.closeRetired();
  }

  /** Blocking append + fsync of everything staged; settles all groups. For rotation and close. */
  syncNow(reason: string): void {
    if (this.failedWith !== undefined) return;
    this.appendStaged();
    if (this.failedWith !== undefined) return;
    try {
      this.log.sync();
    } catch (error) {
      this.fail(this.onFailure(reason, error));
      return;
    }
    this.stats.fsyncs++;
    this.appendedSinceSync = false;
    this.bytesSinceSync = 0;
    const grew = this.appendedSeq > this.syncedSeq;
    this.syncedSeq = Math.max(this.syncedSeq, this.appendedSeq);
    const groups = this.awaitingSync;
    this.awaitingSync = [];
    for (const group of groups) this.acknowledge(group);
    if (grew) this.onSynced?.(this.syncedSeq);
  }

  /**
   * 'everysec' and 'no': appends what is staged and starts a background fsync now (one at a time)
   * rather than at the next second, so syncedSeq catches up (a replica asked for an ack). Under
   * 'always' every group is synced anyway: nothing to do.
   */
  syncSoon(): void {
    if (this.policy === 'always') return;
    this.syncEverySecond();
  }

  /** Waits for an fsync in flight (a close must not close the file under it). */
  async drain(): Promise<void> {
    while (this.syncInFlight !== undefined) await this.syncInFlight.catch(() => undefined);
  }

  /** Rejects every pending group with error; nothing more is appended or synced. Returns the error in force. */
  fail(error: EngineFailedError): EngineFailedError {
    if (this.failedWith !== undefined) return this.failedWith;
    this.failedWith = error;
    this.stopTimer();
    const groups = this.awaitingSync;
    this.awaitingSync = [];
    if (this.staging !== undefined) groups.push(this.staging);
    this.staging = undefined;
    for (const group of groups) group.reject(error);
    return error;
  }

  /** Closes the log (after drain() and, unless failed, syncNow()). */
  close(): void {
    this.stopTimer();
    this.retired.push(this.log);
    this.closeRetired();
  }

  private onTick(): void {
    this.tickScheduled = false;
    if (this.failedWith !== undefined) return;
    // 'always' with an fsync in flight: stay staged; that fsync's completion appends us.
    if (this.policy === 'always' && this.syncInFlight !== undefined) return;
    this.appendStaged();
    if (this.policy === 'always') this.startSync();
  }

  private appendStaged(): void {
    if (this.failedWith !== undefined) return;
    const group = this.staging;
    this.staging = undefined;
    const bytes = this.log.stagedBytes();
    if (bytes > 0) {
      try {
        this.log.flush();
      } catch (error) {
        if (group !== undefined) this.staging = group; // rejected by fail()
        this.fail(this.onFailure('WAL append failed', error));
        return;
      }
      this.stats.walAppends++;
      this.stats.walBytes += bytes;
      this.appendedSinceSync = true;
      this.bytesSinceSync += bytes;
    }
    if (group !== undefined && group.lastSeq > this.appendedSeq) this.appendedSeq = group.lastSeq;
    if (this.policy === 'always') {
      if (group !== undefined) this.awaitingSync.push(group);
      return;
    }
    if (group !== undefined) this.acknowledge(group);
    if (this.bytesSinceSync >= WAL_BYTES_PER_SYNC) this.startBackgroundSync();
  }

  private startSync(): void {
    if (this.failedWith !== undefined || this.syncInFlight !== undefined) return;
    if (this.awaitingSync.length === 0) return;
    const groups = this.awaitingSync;
    this.awaitingSync = [];
    this.runSync(groups);
  }

  private syncEverySecond(): void {
    if (this.failedWith !== undefined || this.syncInFlight !== undefined) return;
    this.appendStaged();
    if (this.appendedSinceSync) this.startBackgroundSync();
  }

  /** 'everysec' and 'no': an fsync nobody waits for; a failure still fails the engine. */
  private startBackgroundSync(): void {
    if (this.failedWith !== undefined || this.syncInFlight !== undefined) return;
    this.runSync([]);
  }

  /**
   * One fdatasync on the thread pool covering what was appended; then settles groups and, under
   * 'always', appends and syncs whatever queued meanwhile (also after a background sync that was
   * in flight when the policy became 'always': those writes stayed staged, waiting for it).
   */
  private runSync(groups: Group[]): void {
    this.appendedSinceSync = false;
    this.bytesSinceSync = 0;
    const covered = this.appendedSeq;
    this.syncInFlight = this.log.syncAsync().then(
      () => {
        this.syncInFlight = undefined;
        this.stats.fsyncs++;
        const grew = covered > this.syncedSeq;
        if (grew) this.syncedSeq = covered;
        // The engine failed while this fsync ran: its memtable was rolled back to what was
        // acknowledged before, so these writes are refused too (durable or not, reads no longer
        // show them; a restart may bring them back, as with any write whose reply was an error).
        const failed = this.failedWith;
        for (const group of groups) {
          if (failed === undefined) this.acknowledge(group);
          else group.reject(failed);
        }
        this.closeRetired();
        if (grew) this.onSynced?.(this.syncedSeq);
        if (this.failedWith !== undefined || this.policy !== 'always') return;
        if (this.staging !== undefined || this.log.stagedBytes() > 0) this.appendStaged();
        this.startSync();
      },
      (error: unknown) => {
        this.syncInFlight = undefined;
        this.awaitingSync.unshift(...groups);
        this.fail(this.onFailure('WAL fsync failed', error));
        this.closeRetired();
      },
    );
  }

  private acknowledge(group: Group): void {
    if (group.lastSeq > this.acknowledgedSeq) this.acknowledgedSeq = group.lastSeq;
    group.resolve();
  }

  private closeRetired(): void {
    if (this.syncInFlight !== undefined) return;
    const logs = this.retired;
    this.retired = [];
    for (const log of logs) {
      try {
        log.close();
      } catch {
        // A close error loses nothing: every byte we acknowledged was synced or is still in
        // the page cache; after a simulated crash the handle is simply gone.
      }
    }
  }

  private startTimer(): void {
    if (this.policy !== 'everysec') return;
    this.timer = setInterval(() => this.syncEverySecond(), EVERYSEC_INTERVAL_MS);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
