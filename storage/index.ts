// storage/index.ts: the storage layer's public surface. src/ imports storage only from here.
export {
  Engine,
  MEMTABLE_BYTES_MAX_DEFAULT,
  CACHE_BYTES_DEFAULT,
  type EngineOptions,
  type EngineStats,
  type EngineDetailedStats,
  type EngineTestHooks,
  type CompactionTuning,
  type CompactionFilter,
  type KillPoint,
  type EngineLogger,
  type EngineLogLevel,
  type ScanItem,
  type ScanOptions,
  type ScanIterable,
  type EngineSnapshot,
  type SyncPolicy,
  type WriteOp,
  type WalCursor,
  type WalBatchRecord,
  type EngineCheckpoint,
} from './engine.js';
export { newValuePage, type ValuePage } from './value-page.js';
export { BLOCK_CACHE_HEAP_BYTES, BLOCK_CACHE_OVERHEAD_BYTES } from './block-cache.js';
export { bloomHash } from './bloom.js';
export { installCheckpoint, encodeCheckpointHeader, decodeCheckpointHeader, type FileMeta, type StagedTable } from './checkpoint.js';
export {
  StorageError,
  WalCorruptionError,
  ManifestCorruptionError,
  SstableCorruptionError,
  MissingFileError,
  LockedError,
  EngineFailedError,
  EngineClosedError,
  WalGoneError,
  ReplicationGapError,
} from './errors.js';
export {
  RealFileSystem,
  type FileSystem,
  type WritableFile,
  type ReadableFile,
  type FileLock,
} from './file-system.js';
export { CrashableFileSystem, type CrashMode, type CrashOptions, type FaultSpec } from './crashable-file-system.js';
