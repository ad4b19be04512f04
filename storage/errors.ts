// storage/errors.ts: the operating errors of the storage layer (expected failures: torn or corrupt
// files, a held LOCK, a failed fsync). Each has a `name`, a stable `code`, and the values involved
// (file, offset) in its message; errors wrapping another carry it as `cause`.
// Bugs are not here: they are node:assert/strict failures.

/** Who holds a data directory's LOCK, as its content names it (file-lock.ts). */
export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string; // ISO 8601, when the holding process started
}

export class StorageError extends Error {
  override name = 'StorageError';
  readonly code: string = 'ERR_STORAGE';
}

export class WalCorruptionError extends StorageError {
  override name = 'WalCorruptionError';
  override readonly code = 'ERR_WAL_CORRUPT';
  readonly file: string;
  readonly offset: number;
  readonly reason: string;
  constructor(file: string, offset: number, reason: string, options?: ErrorOptions) {
    super(`WAL ${file} is corrupt at byte ${offset}: ${reason}`, options);
    this.file = file;
    this.offset = offset;
    this.reason = reason;
  }
}

export class ManifestCorruptionError extends StorageError {
  override name = 'ManifestCorruptionError';
  override readonly code = 'ERR_MANIFEST_CORRUPT';
  readonly file: string;
  readonly offset: number;
  readonly reason: string;
  constructor(file: string, offset: number, reason: string, options?: ErrorOptions) {
    super(`MANIFEST ${file} is corrupt at byte ${offset}: ${reason}`, options);
    this.file = file;
    this.offset = offset;
    this.reason = reason;
  }
}

export class SstableCorruptionError extends StorageError {
  override name = 'SstableCorruptionError';
  override readonly code = 'ERR_SSTABLE_CORRUPT';
  readonly file: string;
  readonly offset: number;
  readonly reason: string;
  constructor(file: string, offset: number, reason: string, options?: ErrorOptions) {
    super(`SSTable ${file} is corrupt at byte ${offset}: ${reason}`, options);
    this.file = file;
    this.offset = offset;
    this.reason = reason;
  }
}

export class MissingFileError extends StorageError {
  override name = 'MissingFileError';
  override readonly code = 'ERR_MISSING_FILE';
  readonly file: string;
  constructor(file: string, options?: ErrorOptions) {
    super(`file ${file} is missing`, options);
    this.file = file;
  }
}

export class LockedError extends StorageError {
  override name = 'LockedError';
  override readonly code = 'ERR_LOCKED';
  readonly path: string;
  readonly holder: LockHolder | undefined; // as LOCK names it; undefined when it names none
  constructor(path: string, holder: LockHolder | undefined, options?: ErrorOptions) {
    const who = holder === undefined ? 'another process (LOCK does not name it)' : `process ${holder.pid} (started ${holder.startedAt}, host ${holder.host})`;
    super(`${path} is held by ${who}`, options);
    this.path = path;
    this.holder = holder;
  }
}

export class EngineFailedError extends StorageError {
  override name = 'EngineFailedError';
  override readonly code = 'ERR_ENGINE_FAILED';
  readonly reason: string;
  constructor(reason: string, options?: ErrorOptions) {
    const cause = options?.cause;
    const detail = cause instanceof Error ? `: ${cause.message}` : '';
    super(`${reason}${detail}`, options);
    this.reason = reason;
  }
}

export class EngineClosedError extends StorageError {
  override name = 'EngineClosedError';
  override readonly code = 'ERR_ENGINE_CLOSED';
  constructor(options?: ErrorOptions) {
    super('the storage engine is closed', options);
  }
}

/** A WAL reader (a replica's cursor) asked for writes the retained WAL files no longer hold. */
export class WalGoneError extends StorageError {
  override name = 'WalGoneError';
  override readonly code = 'ERR_WAL_GONE';
  readonly seq: number;
  constructor(seq: number, detail: string, options?: ErrorOptions) {
    super(`the WAL no longer holds sequence number ${seq}: ${detail}`, options);
    this.seq = seq;
  }
}

/** A replicated batch that does not follow the engine's last sequence number. */
export class ReplicationGapError extends StorageError {
  override name = 'ReplicationGapError';
  override readonly code = 'ERR_REPLICATION_GAP';
  readonly expectedSeq: number;
  readonly firstSeq: number;
  constructor(expectedSeq: number, firstSeq: number, options?: ErrorOptions) {
    super(`a replicated batch starts at sequence number ${firstSeq}, the engine expects ${expectedSeq}`, options);
    this.expectedSeq = expectedSeq;
    this.firstSeq = firstSeq;
  }
}

/** The flush worker thread (flush-worker-client.ts) failed a flush, crashed or exited. */
export class FlushWorkerError extends StorageError {
  override name = 'FlushWorkerError';
  override readonly code = 'ERR_FLUSH_WORKER';
  constructor(reason: string, options?: ErrorOptions) {
    super(`memtable flush on the worker thread failed: ${reason}`, options);
  }
}
